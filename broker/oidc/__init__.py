"""Sign-in with Okta: the broker as an OpenID Connect relying party.

`client.RelyingParty` speaks to the provider (discovery, authorization URL, token exchange, ID
token, userinfo); `transactions` keeps each authorization request server-side and single-use;
`errors` draws the one error tree of this boundary. The web routes are in `broker.web.auth`.
"""
