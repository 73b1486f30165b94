"""The SCIM 2.0 server Okta provisions users and pushes groups into (RFC 7643, RFC 7644).

`routes(ctx)` gives the endpoints; the app factory mounts them under `/scim/v2`. Users become
workspace members, groups become teams; deactivating a user offboards the member (one path
for everyone: `broker.actions.members`).
"""

from __future__ import annotations

from broker.scim.routes import PREFIX, routes

__all__ = ["PREFIX", "routes"]
