"""Proof of possession of the extension's key, modelled on DPoP (RFC 9449).

Every call carries a compact JWS in the `DPoP` header, signed with the extension's ES256 key:

    header   {"typ": "dpop+jwt", "alg": "ES256", "jwk": <public JWK>}   (or "kid": <thumbprint>)
    claims   {"htm": <method>, "htu": <URL>, "iat": <seconds>, "jti": <unique>,
              "ath": <base64url(SHA-256(credential))>}                   (ath once registered)

The pure checks live here; the replay check (`jti` seen before) needs the store and lives in
`broker.ext_api.credentials`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from broker.ext_api.errors import InvalidKey, InvalidProof

PROOF_TYPE = "dpop+jwt"  # RFC 9449 §4.2
ALGORITHM = "ES256"
MAX_AGE_S = 60  # how old a proof's `iat` may be (RFC 9449 §11.1 leaves the window to us)
MAX_SKEW_S = 5  # how far in the future, for a clock slightly ahead of ours
MAX_PROOF_CHARS = 4096
MAX_JTI_CHARS = 128
_COORDINATE_BYTES = 32  # P-256
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def b64url_decode(text: str) -> bytes:
    """RFC 7515 §2: base64url without padding; anything else is refused, not repaired."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def access_token_hash(credential: str) -> str:
    """RFC 9449 §4.2 `ath`: base64url of the SHA-256 of the ASCII credential."""
    return b64url(hashlib.sha256(credential.encode("ascii", "replace")).digest())


@dataclass(frozen=True)
class PublicKey:
    """An extension's ES256 public key, reduced to the members RFC 7638 §3.2 requires."""

    jwk: dict[str, str]
    thumbprint: str
    key: ec.EllipticCurvePublicKey

    @classmethod
    def from_jwk(cls, jwk: object) -> PublicKey:
        if not isinstance(jwk, dict):
            raise InvalidKey("The key must be a JSON Web Key object.")
        if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            raise InvalidKey("The key must be an EC key on P-256 (ES256).")
        if "d" in jwk:
            raise InvalidKey("That is a private key: send only the public part.")
        if jwk.get("alg", ALGORITHM) != ALGORITHM or jwk.get("use", "sig") != "sig":
            raise InvalidKey("The key must be for ES256 signatures.")
        x, y = jwk.get("x"), jwk.get("y")
        try:
            xb = b64url_decode(x) if isinstance(x, str) else b""
            yb = b64url_decode(y) if isinstance(y, str) else b""
        except ValueError:
            raise InvalidKey("The key's coordinates are not base64url.") from None
        if len(xb) != _COORDINATE_BYTES or len(yb) != _COORDINATE_BYTES:
            raise InvalidKey("The key's coordinates must be 32 bytes each.")
        try:
            # Checks that the point is on the curve: an invalid-curve key is refused here.
            key = ec.EllipticCurvePublicNumbers(
                int.from_bytes(xb, "big"), int.from_bytes(yb, "big"), ec.SECP256R1()
            ).public_key()
        except ValueError:
            raise InvalidKey("The key is not a point on P-256.") from None
        canonical = {"crv": "P-256", "kty": "EC", "x": b64url(xb), "y": b64url(yb)}
        return cls(canonical, thumbprint(canonical), key)


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 §3: SHA-256 over the required members, sorted, without whitespace."""
    required = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    text = json.dumps(required, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(text.encode("utf-8")).digest())


@dataclass(frozen=True)
class VerifiedProof:
    jti: str
    iat: int
    key: PublicKey


def verify_proof(
    proof: str,
    *,
    method: str,
    url: str,
    now: datetime,
    registered: PublicKey | None = None,
    credential: str | None = None,
) -> VerifiedProof:
    """RFC 9449 §4.3's checks, except the nonce (we issue none) and replay (the caller's).

    `registered` is the credential's key (None while registering, when the header must carry
    the key being registered); `credential` is the token the proof must hash into `ath`.
    """
    header, claims, signing_input, signature = _parse(proof)
    # §4.3 (4), (5): the type and an asymmetric algorithm we support; nothing we don't understand.
    if header.get("typ") != PROOF_TYPE:
        raise InvalidProof(f"The proof's typ must be {PROOF_TYPE!r}.")
    if header.get("alg") != ALGORITHM:
        raise InvalidProof(f"The proof's alg must be {ALGORITHM!r}.")
    if "crit" in header:
        raise InvalidProof("The proof names critical extensions this server does not support.")
    key = _signing_key(header, registered)
    # §4.3 (6): the signature, with the key bound to the credential.
    _verify_signature(key, signing_input, signature)
    # §4.3 (8), (9): method and URL, exactly (query and fragment are not part of `htu`).
    if claims.get("htm") != method:
        raise InvalidProof("The proof was made for another method.")
    if claims.get("htu") != url:
        raise InvalidProof("The proof was made for another URL.")
    # §4.3 (11): recent.
    iat = claims.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise InvalidProof("The proof's iat must be an integer (seconds since the epoch).")
    age = now.timestamp() - iat
    if age > MAX_AGE_S or age < -MAX_SKEW_S:
        raise InvalidProof("The proof is too old or from the future: make a fresh one.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_CHARS:
        raise InvalidProof(f"The proof needs a jti of 1-{MAX_JTI_CHARS} characters.")
    # §4.3 (12): bound to the credential presented with it.
    if credential is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not hmac.compare_digest(
            ath.encode("ascii", "replace"), access_token_hash(credential).encode("ascii")
        ):
            raise InvalidProof("The proof's ath does not match the credential.")
    return VerifiedProof(jti, iat, key)


def _parse(proof: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    if len(proof) > MAX_PROOF_CHARS:
        raise InvalidProof("The proof is too long.")
    parts = proof.split(".")
    if len(parts) != 3:
        raise InvalidProof("The proof is not a compact JWS.")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except ValueError:  # also json.JSONDecodeError and UnicodeDecodeError
        raise InvalidProof("The proof is not a well-formed JWT.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidProof("The proof's header and claims must be JSON objects.")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def _signing_key(header: dict[str, Any], registered: PublicKey | None) -> PublicKey:
    if "jwk" in header:
        try:
            key = PublicKey.from_jwk(header["jwk"])
        except InvalidKey as exc:
            raise InvalidProof(f"The proof's jwk is not usable: {exc.description}") from None
        if registered is not None and not hmac.compare_digest(
            key.thumbprint, registered.thumbprint
        ):
            raise InvalidProof("The proof is signed by a key other than the registered one.")
        return key
    if registered is None:
        raise InvalidProof("The proof must carry the key being registered as its jwk header.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not hmac.compare_digest(
        kid.encode("ascii", "replace"), registered.thumbprint.encode("ascii")
    ):
        raise InvalidProof("The proof must name the registered key (jwk, or its thumbprint).")
    return registered


def _verify_signature(key: PublicKey, signing_input: bytes, signature: bytes) -> None:
    # RFC 7518 §3.4: ES256 signatures are R || S, 32 bytes each, not DER.
    if len(signature) != 2 * _COORDINATE_BYTES:
        raise InvalidProof("The proof's signature is not an ES256 signature.")
    r = int.from_bytes(signature[:_COORDINATE_BYTES], "big")
    s = int.from_bytes(signature[_COORDINATE_BYTES:], "big")
    try:
        key.key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise InvalidProof("The proof's signature does not verify.") from None
