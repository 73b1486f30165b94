"""The accounts the demo sites start with, and how a caller learns them.

`demo_seed()` makes one account per site, with a fresh random password (and TOTP secret where the
site asks for a code) unless the caller passes its own. The same values go to `create_apps_app`
and to whoever must create matching vault accounts (`latchkey seed demo`, tests), so no secret
needs to live in the repository.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sandbox.apps import totp
from sandbox.apps.accounts import DemoCredentials
from sandbox.apps.sites import SITES, Site, site_by_key

DEFAULT_USERNAME = "alice@demo.test"


@dataclass(frozen=True)
class SiteSeed:
    site: str  # the site's key, also its path prefix
    name: str
    login_path: str  # "/single/login": join it to the app's base URL
    username: str
    password: str
    totp_secret: str | None  # unpadded base32, for sites with a code step

    def login_url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.login_path

    @property
    def credentials(self) -> DemoCredentials:
        return DemoCredentials(self.username, self.password, self.totp_secret)


def generate_credentials(site: Site, username: str = DEFAULT_USERNAME) -> DemoCredentials:
    secret = totp.new_secret(site.secret_bytes) if site.code is not None else None
    return DemoCredentials(username, secrets.token_urlsafe(12), secret)


def site_seed(site: Site, credentials: DemoCredentials) -> SiteSeed:
    return SiteSeed(
        site=site.key,
        name=site.name,
        login_path=site.login_path,
        username=credentials.username,
        password=credentials.password,
        totp_secret=credentials.totp_secret,
    )


def demo_seed(
    credentials: Mapping[str, DemoCredentials] | None = None,
    *,
    username: str = DEFAULT_USERNAME,
) -> tuple[SiteSeed, ...]:
    """One account per site; `credentials` (by site key) replaces the generated ones."""
    given = dict(credentials or {})
    for key, one in given.items():
        site = site_by_key(key)
        if site.code is not None and one.totp_secret is None:
            raise ValueError(f"site {key!r} asks for a verification code: give a TOTP secret")
        if one.totp_secret is not None:
            totp.decode_secret(one.totp_secret)
    return tuple(
        site_seed(site, given.get(site.key) or generate_credentials(site, username))
        for site in SITES
    )
