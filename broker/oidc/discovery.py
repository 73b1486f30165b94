"""The provider's metadata (OIDC Discovery 1.0 §3), held to the issuer we are configured for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from broker.oidc.errors import IssuerMismatch, ProviderError

WELL_KNOWN = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    # RFC 9207 §3: when the provider says it sends `iss`, a response without it is refused.
    sends_response_iss: bool


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + WELL_KNOWN


def parse_metadata(doc: Any, expected_issuer: str) -> ProviderMetadata:
    if not isinstance(doc, dict):
        raise ProviderError("The discovery document is not a JSON object.", reason="discovery")
    # OIDC Discovery §4.3: the issuer MUST be identical to the one the document was fetched for;
    # anything else is a mix-up waiting to happen.
    if doc.get("issuer") != expected_issuer.rstrip("/"):
        raise IssuerMismatch("The discovery document names another issuer.")
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        value = doc.get(name)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise ProviderError(f"The discovery document has no usable {name}.", reason="discovery")
        endpoints[name] = value
    # We send PKCE S256 and accept RS256 ID tokens only; a provider that offers neither cannot
    # sign anyone in here.
    methods = doc.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise ProviderError("The provider does not support PKCE S256.", reason="discovery")
    algorithms = doc.get("id_token_signing_alg_values_supported")
    if isinstance(algorithms, list) and "RS256" not in algorithms:
        raise ProviderError("The provider does not sign ID tokens with RS256.", reason="discovery")
    return ProviderMetadata(
        issuer=doc["issuer"],
        sends_response_iss=doc.get("authorization_response_iss_parameter_supported") is True,
        **endpoints,
    )
