"""Time-based one-time passwords: RFC 6238 TOTP over RFC 4226 HOTP.

Codes are computed only inside the broker; the extension receives a code, never a secret.
Owners paste either a base32 secret (any case, spaces allowed, with or without `=` padding, 80
bits or more) or the `otpauth://totp/...` URI behind a QR code (Google Authenticator's "Key Uri
Format"), which may also carry the algorithm, digits and period.

    TotpError               input that is not a usable TOTP key; the message never holds the secret
    ├── InvalidSecret       not base32, or too short
    └── InvalidUri          not an `otpauth://totp/` URI, or a bad parameter
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

Algorithm = Literal["SHA1", "SHA256", "SHA512"]
ALGORITHMS: tuple[Algorithm, ...] = get_args(Algorithm)
MIN_SECRET_BYTES = 10  # 80 bits: below RFC 4226 §4 R6's 128, but what many sites issue
_BASE32 = re.compile(r"[A-Z2-7]*")
_SEPARATORS = re.compile(r"[\s-]+")


class TotpError(Exception):
    pass


class InvalidSecret(TotpError):
    pass


class InvalidUri(TotpError):
    pass


@dataclass(frozen=True)
class TotpKey:
    """A TOTP shared secret and its parameters. The secret stays out of the repr."""

    secret: bytes = field(repr=False)
    algorithm: Algorithm = "SHA1"
    digits: int = 6
    period: int = 30  # RFC 6238 §5.2 recommends 30 s
    issuer: str | None = None
    account: str | None = None

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_BYTES:
            raise InvalidSecret(f"the secret must be at least {MIN_SECRET_BYTES * 8} bits")
        if self.algorithm not in ALGORITHMS:
            raise TotpError(f"algorithm must be one of {', '.join(ALGORITHMS)}")
        if not 6 <= self.digits <= 8:
            raise TotpError("digits must be 6, 7 or 8")
        if not 1 <= self.period <= 3600:
            raise TotpError("period must be 1-3600 seconds")

    @classmethod
    def parse(cls, text: str) -> TotpKey:
        """An owner's input: an `otpauth://` URI or a bare base32 secret (SHA-1, 6 digits, 30 s)."""
        text = text.strip()
        if ":" in text:  # base32 has no colon: a URI, perhaps of the wrong kind
            return parse_otpauth_uri(text)
        return cls(decode_secret(text))

    def to_uri(self) -> str:
        """The canonical `otpauth://totp/` URI; `parse` reads every parameter back from it."""
        label = quote(f"{self.issuer}:{self.account or ''}" if self.issuer else self.account or "")
        params = {"secret": encode_secret(self.secret)}
        if self.issuer:
            params["issuer"] = self.issuer
        params |= {"algorithm": self.algorithm, "digits": str(self.digits)}
        params["period"] = str(self.period)
        return f"otpauth://totp/{label}?{urlencode(params, quote_via=quote)}"


@dataclass(frozen=True)
class TotpCode:
    code: str
    remaining: float  # seconds until the next step
    step: int  # RFC 6238 §4.2 T


def decode_secret(text: str) -> bytes:
    """Base32 (RFC 4648 §6) as people copy it: any case, spaces or dashes, padding optional."""
    cleaned = _SEPARATORS.sub("", text).upper().rstrip("=")
    if not cleaned:
        raise InvalidSecret("the secret is empty")
    if not _BASE32.fullmatch(cleaned):
        raise InvalidSecret("the secret is not base32: use the letters A-Z and the digits 2-7")
    if len(cleaned) % 8 in (1, 3, 6):
        raise InvalidSecret("the secret has a length that base32 cannot produce: check for typos")
    try:
        secret = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except binascii.Error:
        raise InvalidSecret("the secret is not valid base32") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise InvalidSecret(
            f"the secret is {len(secret) * 8} bits; at least {MIN_SECRET_BYTES * 8} are needed"
        )
    return secret


def encode_secret(secret: bytes) -> str:
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def parse_otpauth_uri(uri: str) -> TotpKey:
    """`otpauth://totp/[issuer:]account?secret=…&issuer=…&algorithm=…&digits=…&period=…`."""
    parts = urlsplit(uri.strip())
    if parts.scheme.lower() != "otpauth":
        raise InvalidUri("not an otpauth:// URI")
    kind = parts.netloc.lower()
    if kind == "hotp":
        raise InvalidUri("counter-based (HOTP) keys are not supported: the site must use TOTP")
    if kind != "totp":
        raise InvalidUri("an otpauth URI must start with otpauth://totp/")
    params: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        name = name.lower()
        if name in params:
            raise InvalidUri(f"the parameter {name!r} appears twice")
        params[name] = value
    if not params.get("secret"):
        raise InvalidUri("the URI has no secret parameter")
    try:
        secret = decode_secret(params["secret"])
    except InvalidSecret as exc:
        raise InvalidUri(f"secret parameter: {exc}") from None

    label = unquote(parts.path.lstrip("/"))
    label_issuer, _, account = label.rpartition(":")
    issuer = params.get("issuer") or label_issuer.strip() or None
    algorithm = params.get("algorithm", "SHA1").upper().replace("-", "")
    if algorithm not in ALGORITHMS:
        raise InvalidUri(f"algorithm must be one of {', '.join(ALGORITHMS)}")
    try:
        return TotpKey(
            secret=secret,
            algorithm=algorithm,
            digits=_int_param(params, "digits", 6),
            period=_int_param(params, "period", 30),
            issuer=issuer,
            account=account.strip() or None,
        )
    except InvalidSecret:
        raise
    except TotpError as exc:
        raise InvalidUri(str(exc)) from None


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise InvalidUri(f"{name} must be a whole number")
    return int(raw)


def hotp(secret: bytes, counter: int, *, digits: int = 6, algorithm: Algorithm = "SHA1") -> str:
    """RFC 4226 §5.3 (HMAC over the 8-byte counter, dynamic truncation), any RFC 6238 hash."""
    if not 0 <= counter < 2**64:
        raise ValueError("the counter must fit in 8 bytes")
    mac = hmac.new(secret, counter.to_bytes(8, "big"), algorithm.lower()).digest()
    offset = mac[-1] & 0x0F
    binary = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def _seconds(t: float | datetime) -> float:
    return t.timestamp() if isinstance(t, datetime) else float(t)


def time_step(key: TotpKey, t: float | datetime) -> int:
    """RFC 6238 §4.2: T = floor((Current Unix time - T0) / X), with T0 = 0."""
    seconds = _seconds(t)
    if seconds < 0:
        raise ValueError("TOTP is undefined before the Unix epoch")
    return int(seconds // key.period)


def code_at(key: TotpKey | str, t: float | datetime) -> str:
    """The code for Unix time `t` (RFC 6238 §4). A string is read with `TotpKey.parse`."""
    key = TotpKey.parse(key) if isinstance(key, str) else key
    return hotp(key.secret, time_step(key, t), digits=key.digits, algorithm=key.algorithm)


def seconds_remaining(key: TotpKey, t: float | datetime) -> float:
    """Seconds until the step containing `t` ends and the code changes."""
    return key.period - _seconds(t) % key.period


def current_code(key: TotpKey | str, now: float | datetime | None = None) -> TotpCode:
    key = TotpKey.parse(key) if isinstance(key, str) else key
    t = time.time() if now is None else _seconds(now)
    return TotpCode(
        code=code_at(key, t), remaining=seconds_remaining(key, t), step=time_step(key, t)
    )
