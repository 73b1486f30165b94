"""The sandbox org's deterministic seed: who can sign in, their groups and the broker's OIDC client
(an app assigned to Everyone, as Okta signs in only users assigned to the client's app).

The demo, the tests and the benchmarks read `SEED_USERS`, `SEED_GROUPS` and `BROKER_CLIENT` from
here rather than repeating logins and passwords. Ids are fixed (shaped like Okta's) so that a
broker database that outlives a sandbox run still matches the users SCIM provisioned into it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.org.state import OidcClient, OrgGroup, OrgState, OrgUser

BROKER_REDIRECT_URI = "http://127.0.0.1:8400/auth/callback"


@dataclass(frozen=True)
class SeedUser:
    key: str  # a short handle for tests: "owner"
    login: str
    password: str
    first_name: str
    last_name: str

    @property
    def id(self) -> str:
        return seed_id("00u", self.key)


@dataclass(frozen=True)
class SeedGroup:
    key: str
    name: str
    members: tuple[str, ...]  # SeedUser keys

    @property
    def id(self) -> str:
        return seed_id("00g", self.key)


@dataclass(frozen=True)
class SeedClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


def seed_id(prefix: str, key: str) -> str:
    """A fixed 20-character id in Okta's shape: `00u` + `owner` + zero padding."""
    return (prefix + key + "0" * 20)[:20]


SEED_USERS: tuple[SeedUser, ...] = (
    SeedUser("owner", "owner@example.com", "Owner-pass-1", "Olivia", "Owner"),
    SeedUser("admin", "admin@example.com", "Admin-pass-1", "Adam", "Admin"),
    SeedUser("collab", "collaborator@example.com", "Collab-pass-1", "Casey", "Collaborator"),
    SeedUser("member", "member@example.com", "Member-pass-1", "Morgan", "Member"),
    SeedUser("loginonly", "loginonly@example.com", "Login-pass-1", "Lee", "Loginonly"),
    SeedUser("outsider", "outsider@example.com", "Outsider-pass-1", "Oscar", "Outsider"),
)

SEED_GROUPS: tuple[SeedGroup, ...] = (
    SeedGroup("engineering", "Engineering", ("owner", "collab", "member")),
    SeedGroup("finance", "Finance", ("admin", "loginonly")),
)

BROKER_CLIENT = SeedClient(
    client_id="0oalatchkeybroker000",
    client_secret="sandbox-broker-secret-not-for-production",
    redirect_uris=(BROKER_REDIRECT_URI,),
)


def seed_user(key: str) -> SeedUser:
    return next(user for user in SEED_USERS if user.key == key)


def apply(state: OrgState, *, broker_redirect_uri: str = BROKER_REDIRECT_URI) -> None:
    """Add the seed to `state` (idempotent: what is already there by id is left alone)."""
    with state.locked():
        for seed in SEED_USERS:
            state.users.setdefault(
                seed.id,
                OrgUser(
                    id=seed.id,
                    login=seed.login,
                    email=seed.login,
                    first_name=seed.first_name,
                    last_name=seed.last_name,
                    password=seed.password,
                ),
            )
        for group in SEED_GROUPS:
            state.groups.setdefault(
                group.id,
                OrgGroup(
                    id=group.id,
                    name=group.name,
                    member_ids={seed_user(key).id for key in group.members},
                ),
            )
        if not any(g.type == "BUILT_IN" for g in state.groups.values()):
            everyone = SeedGroup("everyone", "Everyone", ())
            state.groups[everyone.id] = OrgGroup(
                id=everyone.id,
                name=everyone.name,
                description="All users in your organization",
                type="BUILT_IN",
            )
        state.everyone().member_ids.update(state.users)
        if BROKER_CLIENT.client_id not in state.oidc_clients:
            # Assigned to Everyone, so that everyone in the demo can sign in to the broker;
            # docs/admin.md says how to keep it assigned to exactly the people with chiclets.
            state.add_oidc_client(
                OidcClient(
                    client_id=BROKER_CLIENT.client_id,
                    client_secret=BROKER_CLIENT.client_secret,
                    redirect_uris=[broker_redirect_uri],
                    name="Latchkey",
                )
            )
