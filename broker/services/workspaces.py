"""Workspaces and their *Extended account access* settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broker import audit
from broker.errors import Conflict, InvalidInput, NotFound
from broker.models import SealedSecret, TokenStatus, Workspace, utcnow
from broker.outbox import live_account_ids, request_sync
from broker.services._lookup import clean_name
from broker.services.accounts import Sealer

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

# The vault purpose of the workspace's Okta API token: sealed here, opened by Test connection
# (`broker.actions.settings`) and by sync's client factory; one name for all three.
OKTA_TOKEN_PURPOSE = "workspace.okta_token"  # noqa: S105 - a vault purpose, not a secret


def create_workspace(session: Session, name: str) -> Workspace:
    name = clean_name(name)
    if session.scalar(select(Workspace.id).where(Workspace.name == name)):
        raise Conflict(f"A workspace named {name!r} already exists.", field="name")
    workspace = Workspace(name=name)
    session.add(workspace)
    session.flush()
    return workspace


def get_workspace(session: Session, workspace_id: str) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound(f"No workspace with id {workspace_id!r}.")
    return workspace


def normalize_okta_domain(value: str) -> str:
    """`https://{org}` with no path; plain http only for a loopback sandbox."""
    raw = value.strip()
    parts = urlsplit(raw)
    host = parts.hostname or ""
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        pass
    elif parts.scheme != "https":
        raise InvalidInput("The IDP Domain must start with https://.", field="okta_domain")
    if not host or parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidInput(
            "The IDP Domain must be like https://example.okta.com.", field="okta_domain"
        )
    if parts.path not in ("", "/"):
        raise InvalidInput("The IDP Domain must not have a path.", field="okta_domain")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def set_okta_domain(
    session: Session, workspace_id: str, domain: str, *, actor_id: str | None = None
) -> Workspace:
    workspace = get_workspace(session, workspace_id)
    workspace.okta_domain = normalize_okta_domain(domain)
    audit.record(
        session,
        workspace_id,
        "settings.okta_domain_changed",
        actor_id=actor_id,
        target_type="workspace",
        target_id=workspace_id,
        okta_domain=workspace.okta_domain,
    )
    return workspace


def set_extended_access(
    session: Session, workspace_id: str, enabled: bool, *, actor_id: str | None = None
) -> Workspace:
    """Turning it on queues a full pass; turning it off stops syncing, and apps stay in Okta."""
    workspace = get_workspace(session, workspace_id)
    if workspace.extended_access_enabled == enabled:
        return workspace
    workspace.extended_access_enabled = enabled
    audit.record(
        session,
        workspace_id,
        "settings.extended_access_" + ("enabled" if enabled else "disabled"),
        actor_id=actor_id,
        target_type="workspace",
        target_id=workspace_id,
    )
    if enabled:
        request_sync(session, live_account_ids(workspace_id), "extended access turned on")
    return workspace


def set_okta_token(
    session: Session,
    workspace_id: str,
    token: str,
    *,
    vault: Sealer,
    actor_id: str | None = None,
) -> Workspace:
    """Store the Okta API token sealed; it is never shown back. Status: unchecked until tested."""
    workspace = get_workspace(session, workspace_id)
    token = token.strip()
    if not token or len(token) > 512 or any(c.isspace() for c in token):
        raise InvalidInput(
            "The API token must be a single word of 1-512 characters.", field="okta_token"
        )
    old = workspace.okta_token_secret_id
    workspace.okta_token_secret_id = vault.seal(session, token, OKTA_TOKEN_PURPOSE).id
    session.flush()
    if old:
        session.execute(delete(SealedSecret).where(SealedSecret.id == old))
    workspace.okta_token_status = TokenStatus.UNCHECKED
    workspace.okta_token_error = None
    audit.record(
        session,
        workspace_id,
        "settings.okta_token_changed",
        actor_id=actor_id,
        target_type="workspace",
        target_id=workspace_id,
    )
    return workspace


def record_token_check(
    session: Session, workspace_id: str, *, ok: bool, error: str | None = None
) -> Workspace:
    """What Okta said of the token (Test connection, or a 401 during sync: *Update*)."""
    workspace = get_workspace(session, workspace_id)
    was_refused = workspace.okta_token_status is TokenStatus.INVALID
    workspace.okta_token_status = TokenStatus.OK if ok else TokenStatus.INVALID
    workspace.okta_token_error = None if ok else error
    workspace.okta_token_checked_at = utcnow()
    if ok and was_refused:
        # Syncing paused while the token was refused: everything extended is due again.
        request_sync(session, live_account_ids(workspace_id), "Okta token accepted")
    return workspace
