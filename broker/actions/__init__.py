"""The broker's use cases: one room, one module per family, every adapter's way into the domain.

    extended_access  extend an account to Okta, sync it, remove it; *Sync with Okta*
    settings         the workspace's extended-access switch, IDP Domain and API token
    members          the members list; deactivation and reactivation, whoever starts them
    launch           a chiclet launch; releasing the login and its codes to the extension
    snapshots        the read models the pages and the admin API draw (plain values, no secret)
    _actor           the acting member, re-read in the action's own transaction

Adapters (`broker.web`, `broker.admin_api`, `broker.scim`, `broker.ext_api`, the CLI) parse
input, call one action and map its typed errors to their protocol. They never decide access.

The convention every action follows (new families — accounts, collections, teams, shares,
imports — follow it too):

- The signature is `action(ctx: BrokerContext, member_id: str, ...)`: the context and the id of
  the acting member, never a `Member` loaded by the caller (its role may have changed since).
- The action opens its own unit of work (`broker.db.transaction(ctx.sessions)`), re-reads the
  actor with `_actor.actor` (a deactivated member can do nothing), decides through `broker.rbac`
  and only then calls `broker.services`, which validate and write in that same transaction
  (audit event and sync-outbox row included).
- A refusal raises a `broker.errors.DomainError` (`PermissionDenied`, `NotFound`, `Conflict`,
  `InvalidInput`, or a subclass naming the case) and writes nothing. Something the caller may
  not see is `NotFound`, never `PermissionDenied`, so that it does not learn that it exists.
- What an action returns is a plain value (a snapshot, ids), never a live ORM object.

Where one use case is a step of another request's transaction (SCIM deactivating a member while
replacing the user), the family offers the step as `verb_in(db, ...)` beside `verb(ctx, ...)`,
and both run the same code: there is one deactivation path whoever starts it.

Actions import services, `broker.rbac` and the domain modules; never an adapter package.
`make lint` enforces that (import-linter, see `pyproject.toml`).
"""
