from __future__ import annotations

import base64

import pytest

from sandbox.apps import totp

# RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
RFC6238_KEY = b"12345678901234567890"


@pytest.mark.parametrize(
    ("at", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc6238_appendix_b_sha1_vectors(at: int, eight_digits: str) -> None:
    assert totp.totp(RFC6238_KEY, at, digits=8) == eight_digits
    # A 6-digit code is the same truncated value modulo 10^6 (RFC 4226 §5.3).
    assert totp.totp(RFC6238_KEY, at) == eight_digits[-6:]


def test_rfc4226_appendix_d_hotp_vectors() -> None:
    expected = ["755224", "287082", "359152", "969429", "338314",
                "254676", "287922", "162583", "399871", "520489"]  # fmt: skip
    assert [totp.hotp(RFC6238_KEY, c) for c in range(10)] == expected


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_code_within_one_step_either_side_is_accepted(offset: int) -> None:
    now = 1111111111.0  # step 37037037
    code = totp.totp(RFC6238_KEY, now + 30 * offset)
    assert totp.verify(RFC6238_KEY, code, now) == 37037037 + offset


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_code_outside_the_window_is_refused(offset: int) -> None:
    now = 1111111111.0
    assert totp.verify(RFC6238_KEY, totp.totp(RFC6238_KEY, now + 30 * offset), now) is None


@pytest.mark.parametrize(
    "code", ["", "12345", "1234567", "12a456", "\uff11\uff12\uff13\uff14\uff15\uff16", "-12345"]
)
def test_malformed_codes_are_refused(code: str) -> None:
    assert totp.verify(RFC6238_KEY, code, 59) is None


def test_spaces_inside_a_typed_code_are_ignored() -> None:
    code = totp.totp(RFC6238_KEY, 59)
    assert totp.verify(RFC6238_KEY, f"{code[:3]} {code[3:]}", 59) == 1


def test_new_secrets_are_unpadded_base32_of_the_asked_size() -> None:
    eighty_bits = totp.new_secret(10)
    assert len(eighty_bits) == 16
    assert len(totp.decode_secret(eighty_bits)) == 10
    assert len(totp.new_secret()) == 32
    assert totp.new_secret() != totp.new_secret()


def test_decode_secret_forgives_case_spaces_and_missing_padding() -> None:
    encoded = base64.b32encode(RFC6238_KEY).decode()  # 32 chars, no padding needed
    spaced = " ".join(encoded[i : i + 4] for i in range(0, 32, 4)).lower()
    assert totp.decode_secret(spaced) == RFC6238_KEY
    assert totp.decode_secret("GEZDGNBV") == b"12345"
    assert totp.decode_secret("GEZDGNBVGY") == b"123456"  # padding "======" left off


@pytest.mark.parametrize("text", ["", "   ", "not base32!", "GEZDGNBV1"])
def test_decode_secret_refuses_what_is_not_base32(text: str) -> None:
    with pytest.raises(totp.InvalidSecretError):
        totp.decode_secret(text)
