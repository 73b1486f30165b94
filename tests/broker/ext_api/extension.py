"""A stand-in for the browser extension: its key pair, its proofs and its calls."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from broker.ext_api.proof import access_token_hash

EXTENSION_ORIGIN = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
BROKER_URL = "http://127.0.0.1:8400"
API = BROKER_URL + "/api/ext/v1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def sign_jwt(
    key: ec.EllipticCurvePrivateKey, header: dict[str, Any], claims: dict[str, Any]
) -> str:
    def part(value: dict[str, Any]) -> str:
        return b64url(json.dumps(value, separators=(",", ":")).encode())

    signing_input = f"{part(header)}.{part(claims)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@dataclass
class Extension:
    """One installed extension: a key pair made here, and the credential it registered."""

    client: httpx.AsyncClient
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential: str | None = None
    origin: str = EXTENSION_ORIGIN

    @property
    def jwk(self) -> dict[str, str]:
        return public_jwk(self.key)

    def proof(
        self,
        method: str,
        url: str,
        *,
        credential: str | None = None,
        key: ec.EllipticCurvePrivateKey | None = None,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
    ) -> str:
        signer = key or self.key
        head: dict[str, Any] = {"typ": "dpop+jwt", "alg": "ES256", "jwk": public_jwk(signer)}
        body: dict[str, Any] = {
            "htm": method,
            "htu": url,
            "iat": int(time.time()),
            "jti": secrets.token_urlsafe(16),
        }
        token = credential if credential is not None else self.credential
        if token is not None:
            body["ath"] = access_token_hash(token)
        head.update(header or {})
        body.update(claims or {})
        # A None drops the member, to make proofs that lack one.
        return sign_jwt(
            signer,
            {k: v for k, v in head.items() if v is not None},
            {k: v for k, v in body.items() if v is not None},
        )

    async def post(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        proof: str | None = None,
        headers: dict[str, str | None] | None = None,
        session_cookie: str | None = None,
        raw: bytes | None = None,
    ) -> httpx.Response:
        """A call as the extension makes it; `headers` override (None values drop a header)."""
        sent: dict[str, str | None] = {
            "Origin": self.origin,
            "Content-Type": "application/json",
        }
        if session_cookie is not None:
            sent["Cookie"] = f"latchkey_session={session_cookie}"
        if self.credential is not None:
            sent["Authorization"] = f"DPoP {self.credential}"
        sent["DPoP"] = proof if proof is not None else self.proof("POST", API + path)
        sent.update(headers or {})
        return await self.client.post(
            path.lstrip("/"),
            content=raw if raw is not None else json.dumps(body or {}).encode(),
            headers={k: v for k, v in sent.items() if v is not None},
        )

    async def register(self, session_cookie: str) -> httpx.Response:
        answer = await self.post("/keys", {"jwk": self.jwk}, session_cookie=session_cookie)
        if answer.status_code == 201:
            self.credential = answer.json()["credential"]
        return answer
