"""New passwords: random, long, and acceptable to sites that demand every character class."""

from __future__ import annotations

import secrets
import string

LENGTH = 24
_SYMBOLS = "-_.!@#%^*+="
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _SYMBOLS)
_ALPHABET = "".join(_CLASSES)


def new_password(length: int = LENGTH) -> str:
    """~150 bits from `secrets` at the default length, with one character of each class."""
    if length < len(_CLASSES):
        raise ValueError(f"a password needs at least {len(_CLASSES)} characters")
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if all(any(c in cls for c in candidate) for cls in _CLASSES):
            return candidate
