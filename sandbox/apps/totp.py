"""Time-based one-time passwords, checked the way the demo sites' verifiers do.

RFC 4226 (HOTP) §5.3 computes a code from a key and a counter; RFC 6238 (TOTP) §4.2 takes the
counter from the Unix time in steps of 30 seconds. Only what authenticator apps use by default is
supported: HMAC-SHA-1, 6 digits, T0 = 0. Secrets are exchanged as unpadded base32 (the `secret=`
of an `otpauth://` URI), as sites show them next to their QR codes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

STEP_SECONDS = 30
DIGITS = 6


class InvalidSecretError(ValueError):
    """The text is not a base32 TOTP secret."""


def new_secret(length: int = 20) -> str:
    """`length` random bytes as unpadded base32 (20 bytes: RFC 4226 §4 R6; 10: 80 bits)."""
    return base64.b32encode(secrets.token_bytes(length)).decode("ascii").rstrip("=")


def decode_secret(secret: str) -> bytes:
    """The key bytes of a base32 secret; case, spaces and missing padding are forgiven."""
    text = "".join(secret.split()).upper().rstrip("=")
    if not text:
        raise InvalidSecretError("empty TOTP secret")
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error as exc:
        raise InvalidSecretError("TOTP secret is not base32") from exc


def hotp(key: bytes, counter: int, *, digits: int = DIGITS) -> str:
    """RFC 4226 §5.3: HMAC-SHA-1 of the 8-byte counter, dynamically truncated, modulo 10^digits."""
    mac = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    binary = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def time_step(at: float, *, step: int = STEP_SECONDS) -> int:
    """RFC 6238 §4.2: T = floor((Unix time - T0) / X) with T0 = 0."""
    return int(at // step)


def totp(key: bytes, at: float, *, step: int = STEP_SECONDS, digits: int = DIGITS) -> str:
    return hotp(key, time_step(at, step=step), digits=digits)


def verify(
    key: bytes,
    code: str,
    at: float,
    *,
    window: int = 1,
    step: int = STEP_SECONDS,
    digits: int = DIGITS,
) -> int | None:
    """The time step whose code matches, or None.

    RFC 6238 §5.2 recommends accepting at most one step either side, for clock drift and for the
    time a person takes to type the code. The step is returned so a caller can refuse a code that
    was already used (§5.2, second paragraph).
    """
    candidate = "".join(code.split())
    if len(candidate) != digits or not candidate.isascii() or not candidate.isdigit():
        return None
    now = time_step(at, step=step)
    matched: int | None = None
    # Compare against every step of the window, without stopping early, in constant time.
    for counter in range(now - window, now + window + 1):
        if hmac.compare_digest(hotp(key, counter, digits=digits), candidate) and matched is None:
            matched = counter
    return matched
