"""Auth to the Management API: `SSWS` on every call; the OAuth service app's token request.

The sandbox accepts only API tokens (`sandbox/org/management/auth.py`), so the service app is
checked against a small fake of Okta's org authorization server on a `MockTransport`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import anyio
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from sandbox.seed import seed_user
from sync.okta.auth import (
    CLIENT_ASSERTION_TYPE,
    DEFAULT_SCOPES,
    SSWS,
    ServiceAppAuth,
)
from sync.okta.client import OktaClient
from sync.okta.errors import InvalidToken
from tests.sync.okta.sandbox_org import Org, launch_url

pytestmark = pytest.mark.anyio

ORG = "https://acme.okta.com"
TOKEN_URL = f"{ORG}/oauth2/v1/token"
CLIENT_ID = "0oaserviceapp0000000"


async def test_every_call_carries_the_ssws_token(org: Org) -> None:
    recording = org.recording()
    async with org.client(recording) as okta:
        app = await okta.create_bookmark_app("Seen - Site", launch_url("acc1"))
        await okta.assign_user(app.id, seed_user("owner").id)
        await okta.assign_user(app.id, seed_user("owner").id)
        await okta.list_app_user_ids(app.id)
        await okta.find_groups("Engineering")
        await okta.delete_app(app)

    headers = {request.headers["Authorization"] for _, request in recording.sent}
    assert len(recording.sent) == 7
    assert headers == {f"SSWS {org.token}"}


def test_the_api_token_stays_out_of_repr() -> None:
    token = "00" + secrets.token_urlsafe(30)

    assert token not in repr(SSWS(token))


def rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass
class FakeAuthorizationServer:
    """Okta's org authorization server and one API endpoint, as far as a service app sees them."""

    public_key: RSAKey | ECKey
    expires_in: int = 3600
    refuse_client: bool = False
    assertions: list[dict[str, Any]] = field(default_factory=list)
    forms: list[dict[str, list[str]]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    api_authorizations: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/v1/token":
            return self._token(request)
        authorization = request.headers.get("Authorization", "")
        self.api_authorizations.append(authorization)
        token = authorization.removeprefix("Bearer ")
        if token not in self.issued or token in self.revoked:
            body = {"errorCode": "E0000011", "errorSummary": "Invalid token provided"}
            return httpx.Response(401, json=body)
        return httpx.Response(200, json=[])

    def _token(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        form = parse_qs(request.content.decode())
        self.forms.append(form)
        decoded = jwt.decode(form["client_assertion"][0], self.public_key)
        self.assertions.append({"header": decoded.header, "claims": decoded.claims})
        if self.refuse_client:
            refusal = {"error": "invalid_client", "error_description": "The client is not known."}
            return httpx.Response(401, json=refusal)
        token = secrets.token_urlsafe(24)
        self.issued.append(token)
        body = {
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "access_token": token,
            "scope": form["scope"][0],
        }
        return httpx.Response(200, json=body)


@dataclass
class Wall:
    t: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(("pem", "alg"), [(rsa_pem, "RS256"), (ec_pem, "ES256")])
async def test_the_service_app_asks_for_a_token_with_a_signed_client_assertion(
    pem: Any, alg: str
) -> None:
    private = pem()
    key = RSAKey.import_key(private) if alg == "RS256" else ECKey.import_key(private)
    server = FakeAuthorizationServer(key)
    wall = Wall()
    auth = ServiceAppAuth(ORG, CLIENT_ID, private, key_id="kid-1", clock=wall)

    async with OktaClient(ORG, auth, transport=httpx.MockTransport(server)) as okta:
        await okta.check_token()

    (form,) = server.forms
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"] == [" ".join(DEFAULT_SCOPES)]
    assert form["scope"] == ["okta.apps.manage okta.users.read okta.groups.read"]
    assert form["client_assertion_type"] == [CLIENT_ASSERTION_TYPE]
    (assertion,) = server.assertions
    assert assertion["header"] == {"alg": alg, "kid": "kid-1", "typ": "JWT"}
    claims = assertion["claims"]
    assert (claims["iss"], claims["sub"], claims["aud"]) == (CLIENT_ID, CLIENT_ID, TOKEN_URL)
    assert claims["iat"] == int(wall.t)
    assert 0 < claims["exp"] - claims["iat"] <= 3600
    assert claims["jti"]
    assert server.api_authorizations == [f"Bearer {server.issued[0]}"]


async def test_the_token_is_reused_until_it_nears_expiry_then_renewed() -> None:
    private = rsa_pem()
    server = FakeAuthorizationServer(RSAKey.import_key(private), expires_in=3600)
    wall = Wall()
    auth = ServiceAppAuth(ORG, CLIENT_ID, private, clock=wall)

    async with OktaClient(ORG, auth, transport=httpx.MockTransport(server)) as okta:
        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(okta.check_token)
        wall.t += 3000
        await okta.check_token()
        wall.t += 600  # within a minute of expiry
        await okta.check_token()

    assert len(server.issued) == 2
    assert len({a["claims"]["jti"] for a in server.assertions}) == 2
    assert server.api_authorizations == [f"Bearer {server.issued[0]}"] * 6 + [
        f"Bearer {server.issued[1]}"
    ]


async def test_a_token_refused_by_the_api_is_renewed_once() -> None:
    private = rsa_pem()
    server = FakeAuthorizationServer(RSAKey.import_key(private))
    auth = ServiceAppAuth(ORG, CLIENT_ID, private, clock=Wall())

    async with OktaClient(ORG, auth, transport=httpx.MockTransport(server)) as okta:
        await okta.check_token()
        server.revoked.add(server.issued[0])
        await okta.check_token()

    assert len(server.issued) == 2
    assert server.api_authorizations[-1] == f"Bearer {server.issued[1]}"


async def test_a_refused_client_is_an_invalid_token() -> None:
    private = rsa_pem()
    server = FakeAuthorizationServer(RSAKey.import_key(private), refuse_client=True)
    auth = ServiceAppAuth(ORG, CLIENT_ID, private, clock=Wall())

    async with OktaClient(ORG, auth, transport=httpx.MockTransport(server)) as okta:
        with pytest.raises(InvalidToken) as refused:
            await okta.check_token()

    assert refused.value.error_code == "invalid_client"
    assert server.api_authorizations == []


def test_the_service_app_needs_a_private_key_and_hides_it() -> None:
    private = rsa_pem()
    public = (
        serialization.load_pem_private_key(private.encode(), None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    with pytest.raises(ValueError, match="private key"):
        ServiceAppAuth(ORG, CLIENT_ID, public)
    assert "PRIVATE" not in repr(ServiceAppAuth(ORG, CLIENT_ID, private))
