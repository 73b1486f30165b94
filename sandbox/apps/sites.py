"""The demo sites: how each one asks for a login, and the names its forms use.

Each site lives under its own path prefix (`/<key>/`) of one app and keeps its session in a cookie
of its own: cookies are not isolated by port, so every name starts with `demo_` and none can collide
with the broker's (:8400) or the sandbox org's (:8410). Field names differ from site to site, as
they do on the web, so that the extension is exercised on its `autocomplete` tokens and heuristics
rather than on one spelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class LoginStyle(Enum):
    ONE_PAGE = "one_page"  # username and password on one form
    IDENTIFIER_FIRST = "identifier_first"  # username, Next (server round trip), then password
    IDENTIFIER_FIRST_SCRIPT = "identifier_first_script"  # the same steps, in one page with JS


class CodeStyle(Enum):
    ONE_BOX = "one_box"  # one input for the six digits
    SPLIT = "split"  # six inputs of one digit each


@dataclass(frozen=True)
class FieldNames:
    username: str
    password: str
    csrf: str


@dataclass(frozen=True)
class Site:
    key: str
    name: str
    summary: str
    login: LoginStyle
    fields: FieldNames
    code: CodeStyle | None = None
    secret_bytes: int = 20  # size of the TOTP secrets it issues (20: RFC 4226 §4 R6; 10: 80 bits)
    honeypot: bool = False

    @property
    def cookie(self) -> str:
        return f"demo_{self.key.replace('-', '_')}_session"

    @property
    def prefix(self) -> str:
        return f"/{self.key}"

    @property
    def login_path(self) -> str:
        return f"/{self.key}/login"

    @property
    def password_path(self) -> str:
        """The second step of an identifier-first login served by round trip."""
        return f"/{self.key}/login/password"

    @property
    def verify_path(self) -> str:
        return f"/{self.key}/verify"

    @property
    def account_path(self) -> str:
        return f"/{self.key}/account"

    @property
    def change_password_path(self) -> str:
        return f"/{self.key}/account/password"

    @property
    def logout_path(self) -> str:
        return f"/{self.key}/logout"

    @property
    def api_password_path(self) -> str:
        return f"/{self.key}/api/password"


SITES: tuple[Site, ...] = (
    Site(
        key="single",
        name="Acme Files",
        summary="Email and password on one page (with a honeypot field).",
        login=LoginStyle.ONE_PAGE,
        fields=FieldNames(username="username", password="password", csrf="csrf_token"),
        honeypot=True,
    ),
    Site(
        key="stepwise",
        name="Globex Payroll",
        summary="Email, Next, then password on a second page.",
        login=LoginStyle.IDENTIFIER_FIRST,
        fields=FieldNames(username="login", password="passwd", csrf="_csrf"),
    ),
    Site(
        key="stepwise-js",
        name="Initech Wiki",
        summary="Email, Next, then password appears in the same page (script).",
        login=LoginStyle.IDENTIFIER_FIRST_SCRIPT,
        fields=FieldNames(username="identifier", password="password", csrf="csrf"),
    ),
    Site(
        key="totp",
        name="Umbrella Cloud",
        summary="Email and password, then a 6-digit code from an authenticator app.",
        login=LoginStyle.ONE_PAGE,
        fields=FieldNames(username="email", password="password", csrf="csrf_token"),
        code=CodeStyle.ONE_BOX,
    ),
    Site(
        key="totp-split",
        name="Hooli Mail",
        summary="Email, Next, password, then a code typed into one box per digit.",
        login=LoginStyle.IDENTIFIER_FIRST,
        fields=FieldNames(
            username="user[login]", password="user[password]", csrf="authenticity_token"
        ),
        code=CodeStyle.SPLIT,
        secret_bytes=10,
    ),
)


class UnknownSiteError(KeyError):
    pass


def site_by_key(key: str) -> Site:
    for site in SITES:
        if site.key == key:
            return site
    raise UnknownSiteError(key)
