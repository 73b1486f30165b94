from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from broker.totp import (
    Algorithm,
    InvalidSecret,
    InvalidUri,
    TotpError,
    TotpKey,
    code_at,
    current_code,
    decode_secret,
    hotp,
    parse_otpauth_uri,
    seconds_remaining,
)

# RFC 6238 Appendix B: the seed is the ASCII of "1234567890" repeated to the hash's size.
SEEDS: dict[Algorithm, bytes] = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890" * 6 + b"1234",
}
APPENDIX_B = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
VECTORS = [
    (t, algorithm, code)
    for t, *codes in APPENDIX_B
    for algorithm, code in zip(("SHA1", "SHA256", "SHA512"), codes, strict=True)
]

# RFC 4226 Appendix D: HOTP values for counters 0-9 over the SHA-1 seed.
RFC4226_HOTP = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
]

# An 80-bit secret of the kind many sites issue: 16 base32 characters.
SECRET_80 = "JBSWY3DPEHPK3PXP"
SECRET_80_BYTES = b"Hello!\xde\xad\xbe\xef"


@pytest.mark.parametrize(("t", "algorithm", "expected"), VECTORS)
def test_rfc6238_appendix_b_vectors(t: int, algorithm: Algorithm, expected: str) -> None:
    key = TotpKey(SEEDS[algorithm], algorithm=algorithm, digits=8)
    assert code_at(key, t) == expected


def test_rfc6238_vector_at_a_datetime() -> None:
    key = TotpKey(SEEDS["SHA1"], digits=8)
    assert code_at(key, datetime(2005, 3, 18, 1, 58, 29, tzinfo=UTC)) == "07081804"


@pytest.mark.parametrize(
    ("counter", "expected"),
    list(enumerate(RFC4226_HOTP)),
)
def test_rfc4226_appendix_d_hotp_vectors(counter: int, expected: str) -> None:
    assert hotp(SEEDS["SHA1"], counter) == expected


def test_six_digit_code_is_the_last_six_of_the_eight() -> None:
    key6 = TotpKey(SEEDS["SHA1"], digits=6)
    assert code_at(key6, 1111111109) == "081804"  # leading zeros kept
    assert len(code_at(TotpKey(SEEDS["SHA1"], digits=7), 59)) == 7


@pytest.mark.parametrize(
    "typed",
    [
        SECRET_80,
        SECRET_80.lower(),
        "jbsw y3dp ehpk 3pxp",
        "JBSW-Y3DP-EHPK-3PXP",
        " JBSWY3DPEHPK3PXP\n",
    ],
)
def test_80_bit_secret_is_accepted_however_it_is_typed(typed: str) -> None:
    assert decode_secret(typed) == SECRET_80_BYTES
    key = TotpKey.parse(typed)
    assert code_at(key, 1_700_000_000) == hotp(SECRET_80_BYTES, 1_700_000_000 // 30)


@pytest.mark.parametrize("padding", ["", "=", "======"])
def test_padding_is_optional(padding: str) -> None:
    secret = bytes(range(11))  # 88 bits: base32 needs padding
    unpadded = base64.b32encode(secret).decode().rstrip("=")
    assert decode_secret(unpadded + padding) == secret


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "empty"),
        ("JBSWY3DPEHPK3PX1", "base32"),
        ("JBSWY3DPEHPK3PXÉ", "base32"),
        ("JBSWY3DPEHPK3P", "length"),
        ("JBSWY3DPEHPK", "at least 80"),
    ],
)
def test_bad_secret_is_refused_with_a_clear_error(typed: str, message: str) -> None:
    with pytest.raises(InvalidSecret, match=message):
        decode_secret(typed)


def test_otpauth_uri_with_every_parameter() -> None:
    secret = base64.b32encode(SEEDS["SHA256"]).decode().rstrip("=")
    uri = (
        f"otpauth://totp/ACME%20Co:alice@example.com?secret={secret.lower()}"
        "&issuer=ACME%20Co&algorithm=sha256&digits=8&period=60&image=https://x/y.png"
    )
    key = parse_otpauth_uri(uri)
    assert key == TotpKey(
        SEEDS["SHA256"],
        algorithm="SHA256",
        digits=8,
        period=60,
        issuer="ACME Co",
        account="alice@example.com",
    )
    assert code_at(key, 119) == code_at(TotpKey(SEEDS["SHA256"], "SHA256", 8), 59)


def test_otpauth_uri_defaults_and_label_without_issuer() -> None:
    key = TotpKey.parse(f"otpauth://totp/bob?secret={SECRET_80}")
    assert (key.algorithm, key.digits, key.period) == ("SHA1", 6, 30)
    assert (key.issuer, key.account) == (None, "bob")


def test_issuer_from_label_when_no_parameter() -> None:
    key = parse_otpauth_uri(f"OTPAUTH://TOTP/Example:carol?secret={SECRET_80}")
    assert (key.issuer, key.account) == ("Example", "carol")


def test_uri_round_trip_keeps_every_parameter() -> None:
    key = TotpKey(SEEDS["SHA512"], "SHA512", 7, 45, issuer="A: B & C", account="d@e.f")
    assert TotpKey.parse(key.to_uri()) == key


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("https://totp/x?secret=JBSWY3DPEHPK3PXP", "otpauth"),
        ("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1", "HOTP"),
        ("otpauth://totp/x", "no secret"),
        ("otpauth://totp/x?secret=", "no secret"),
        ("otpauth://totp/x?secret=JBSWY3DP", "80"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", "algorithm"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=10", "digits"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=six", "digits"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0", "period"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&secret=AAAAAAAAAAAAAAAA", "twice"),
    ],
)
def test_bad_otpauth_uri_is_refused(uri: str, message: str) -> None:
    with pytest.raises(InvalidUri, match=message):
        TotpKey.parse(uri)


def test_errors_never_echo_the_secret() -> None:
    with pytest.raises(TotpError) as caught:
        TotpKey.parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PX1&digits=9")
    assert "JBSWY3DPEHPK3PX" not in str(caught.value)
    assert "JBSWY" not in repr(TotpKey.parse(SECRET_80))
    assert "Hello" not in repr(TotpKey.parse(SECRET_80))


def test_current_code_and_seconds_remaining() -> None:
    key = TotpKey(SEEDS["SHA1"], digits=8)
    now = 1111111109.25  # 29.25 s into a 30 s step
    code = current_code(key, now)
    assert code.code == "07081804"
    assert code.remaining == pytest.approx(0.75)
    assert code.step == 1111111109 // 30
    assert seconds_remaining(TotpKey(SEEDS["SHA1"], period=60), 120) == 60


def test_code_changes_at_the_step_boundary() -> None:
    key = TotpKey.parse(SECRET_80)
    assert code_at(key, 89.999) == code_at(key, 60)
    assert code_at(key, 90) == hotp(SECRET_80_BYTES, 3)


def test_current_code_defaults_to_now_and_accepts_a_string() -> None:
    code = current_code(SECRET_80)
    assert len(code.code) == 6
    assert code.code.isdigit()
    assert 0 < code.remaining <= 30


def test_time_before_the_epoch_is_refused() -> None:
    with pytest.raises(ValueError, match="epoch"):
        code_at(SECRET_80, -1)
