"""Why syncing with Okta is not happening, said on the pages where a person waits for it.

Two workspace states stop every sync (DESIGN.md, "Sync"): the feature switched off, and an API
token Okta refused (401: syncing pauses until someone saves a new token). The account pages and My
Profile show the reason in these words; an admin is pointed at Settings, anyone else is told to ask
an Admin. `owned_extended` counts what *Sync with Okta* on My Profile would queue, so the button is
offered only to someone who owns an extended account.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker import rbac
from broker.context import BrokerContext
from broker.db import transaction
from broker.models import Member, OktaExtension, TokenStatus, Workspace

FEATURE_OFF = "Extended account access is turned off in this workspace."
PAUSE_TEXT = {
    ("token_refused", False): "Syncing is paused: the Okta API token needs updating "
    "(ask an Admin).",
    ("token_refused", True): "Syncing is paused: Okta refused the API token. "
    "Enter a new one in Settings.",
}


@dataclass(frozen=True)
class Pause:
    """Syncing is stopped for the whole workspace; `text` says why, for this reader."""

    kind: str  # "feature_off" or "token_refused"
    text: str
    settings_link: bool  # the reader can fix it in Settings


def pause_of(db: Session, viewer: Member) -> Pause | None:
    workspace = db.get_one(Workspace, viewer.workspace_id)
    admin = rbac.can_edit_settings(viewer)
    if not workspace.extended_access_enabled:
        return Pause("feature_off", FEATURE_OFF, admin)
    if workspace.okta_token_status is TokenStatus.INVALID:
        return Pause("token_refused", PAUSE_TEXT["token_refused", admin], admin)
    return None


def pause_for(ctx: BrokerContext, member_id: str) -> Pause | None:
    """`pause_of` in a transaction of its own (None for a member who is gone)."""
    with transaction(ctx.sessions) as db:
        viewer = db.get(Member, member_id)
        return None if viewer is None else pause_of(db, viewer)


def owned_extended(db: Session, viewer: Member) -> int:
    """How many accounts extended to Okta (not being removed) the viewer owns and may sync."""
    extended = db.scalars(
        select(OktaExtension.account_id).where(
            OktaExtension.workspace_id == viewer.workspace_id,
            OktaExtension.removal_requested_at.is_(None),
        )
    ).all()
    # can_remove_from_okta is can_sync without the feature switch: owning is what counts here.
    return sum(1 for account_id in extended if rbac.can_remove_from_okta(db, viewer, account_id))


def none_queued_reason(pause: Pause | None, owned: int) -> str:
    """What *Sync with Okta* says when it queued nothing."""
    if pause is not None and pause.kind == "feature_off":
        return f"Nothing was queued. {FEATURE_OFF}"
    if owned == 0:
        return "Nothing was queued: you own no account that is extended to Okta."
    return "Nothing was queued: none of your extended accounts can be synced by you now."
