"""The login steps of a demo site: identify, password, verification code; its account page; logout.

Every form carries the session's CSRF token, and every refusal names what was wrong without
saying whether the username exists ("Incorrect email or password"). Failed steps answer 401 with
the form again, a bad or missing CSRF token 403, a form left empty 400.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sandbox.apps.context import AppsContext
from sandbox.apps.sessions import MAX_CODE_ATTEMPTS, Session, Stage, attach
from sandbox.apps.sites import CodeStyle, LoginStyle, Site
from sandbox.apps.templating import render

HONEYPOT_FIELD = "email_confirm"  # hidden from people; a bot or careless filler types into it
CODE_FIELD = "otp"  # the one-box code input
SPLIT_CODE_FIELD = "code[]"  # the six one-digit inputs, in order

WRONG_CREDENTIALS = "Incorrect email or password."
WRONG_CODE = "That code didn't work. Check your authenticator app and try again."
EXPIRED_FORM = "Your session expired. Please try again."

_LOGIN_TEMPLATES = {
    LoginStyle.ONE_PAGE: "pages/login.html",
    LoginStyle.IDENTIFIER_FIRST: "pages/identifier.html",
    LoginStyle.IDENTIFIER_FIRST_SCRIPT: "pages/identifier_script.html",
}
_CODE_TEMPLATES = {
    CodeStyle.ONE_BOX: "pages/verify.html",
    CodeStyle.SPLIT: "pages/verify_split.html",
}
_NOTICES = {
    "signed_out": "You have signed out.",
    "expired": "Your sign-in took too long. Please start again.",
    "password_changed": "Your password has been changed.",
}


def login_template(site: Site) -> str:
    return _LOGIN_TEMPLATES[site.login]


def code_template(site: Site) -> str:
    assert site.code is not None
    return _CODE_TEMPLATES[site.code]


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def csrf_ok(form: FormData, site: Site, session: Session) -> bool:
    return field(form, site.fields.csrf) == session.csrf


def page(
    request: Request,
    site: Site,
    session: Session,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    notice = _NOTICES.get(request.query_params.get("notice", ""))
    values = {"site": site, "csrf": session.csrf, "notice": notice, "error": None, **context}
    return attach(render(request, template, values, status_code=status_code), site, session)


def redirect(site: Site, session: Session, url: str) -> Response:
    return attach(RedirectResponse(url, status_code=303), site, session)


class _SignIn:
    def __init__(self, ctx: AppsContext, site: Site) -> None:
        self.ctx = ctx
        self.site = site

    async def home(self, request: Request) -> Response:
        session = self.ctx.sessions.ensure(request, self.site)
        target = self.site.account_path if session.signed_in_user else self.site.login_path
        return redirect(self.site, session, target)

    async def login(self, request: Request) -> Response:
        site, session = self.site, self.ctx.sessions.ensure(request, self.site)
        if request.method == "GET":
            if session.signed_in_user:
                return redirect(site, session, site.account_path)
            session.reset()
            return page(request, site, session, login_template(site), username="")
        form = await request.form()
        username = field(form, site.fields.username).strip()
        password = field(form, site.fields.password)

        def again(error: str, status_code: int, **context: Any) -> Response:
            context.setdefault("username", username)
            return page(
                request, site, session, login_template(site), status_code=status_code,
                error=error, **context,
            )  # fmt: skip

        if not csrf_ok(form, site, session):
            return again(EXPIRED_FORM, 403)
        if not username:
            return again("Enter your email address.", 400)
        if site.login is LoginStyle.IDENTIFIER_FIRST:
            session.advance(Stage.IDENTIFIED, username, self.ctx.clock())
            return redirect(site, session, site.password_path)
        if not password:
            return again("Enter your password.", 400, password_step=True)
        if site.honeypot and field(form, HONEYPOT_FIELD):
            return again(WRONG_CREDENTIALS, 401)
        if not self.ctx.book.check_password(site.key, username, password):
            return again(WRONG_CREDENTIALS, 401, password_step=True)
        return self._password_accepted(session, username)

    async def password_step(self, request: Request) -> Response:
        site, session = self.site, self.ctx.sessions.ensure(request, self.site)
        if not session.pending(Stage.IDENTIFIED, self.ctx.clock()) or session.username is None:
            notice = "?notice=expired" if session.stage is Stage.IDENTIFIED else ""
            session.reset()
            return redirect(site, session, site.login_path + notice)
        username = session.username
        if request.method == "GET":
            return page(request, site, session, "pages/password.html", username=username)
        form = await request.form()
        if not csrf_ok(form, site, session):
            error, status_code = EXPIRED_FORM, 403
        elif not (password := field(form, site.fields.password)):
            error, status_code = "Enter your password.", 400
        elif not self.ctx.book.check_password(site.key, username, password):
            error, status_code = WRONG_CREDENTIALS, 401
        else:
            return self._password_accepted(session, username)
        return page(
            request, site, session, "pages/password.html", status_code=status_code,
            username=username, error=error,
        )  # fmt: skip

    async def verify(self, request: Request) -> Response:
        site, session = self.site, self.ctx.sessions.ensure(request, self.site)
        now = self.ctx.clock()
        if not session.pending(Stage.PASSWORD_ACCEPTED, now) or session.username is None:
            notice = "?notice=expired" if session.stage is Stage.PASSWORD_ACCEPTED else ""
            session.reset()
            return redirect(site, session, site.login_path + notice)
        username = session.username
        if request.method == "GET":
            return page(request, site, session, code_template(site), username=username)
        form = await request.form()
        if site.code is CodeStyle.SPLIT:
            code = "".join(v for v in form.getlist(SPLIT_CODE_FIELD) if isinstance(v, str))
        else:
            code = field(form, CODE_FIELD)
        if not csrf_ok(form, site, session):
            error, status_code = EXPIRED_FORM, 403
        elif self.ctx.book.check_code(site.key, username, code, now):
            return self._sign_in(session, username)
        else:
            session.code_attempts += 1
            if session.code_attempts >= MAX_CODE_ATTEMPTS:
                session.reset()
                return page(
                    request, site, session, login_template(site), status_code=401,
                    username="", error="Too many attempts. Sign in again.",
                )  # fmt: skip
            error, status_code = WRONG_CODE, 401
        return page(
            request, site, session, code_template(site), status_code=status_code,
            username=username, error=error,
        )  # fmt: skip

    async def account(self, request: Request) -> Response:
        site, session = self.site, self.ctx.sessions.ensure(request, self.site)
        if session.signed_in_user is None:
            return redirect(site, session, site.login_path)
        return page(request, site, session, "pages/account.html", username=session.signed_in_user)

    async def logout(self, request: Request) -> Response:
        site, session = self.site, self.ctx.sessions.ensure(request, self.site)
        form = await request.form()
        if not csrf_ok(form, site, session):
            return page(
                request, site, session, "pages/account.html", status_code=403,
                username=session.signed_in_user, error=EXPIRED_FORM,
            )  # fmt: skip
        session.reset()
        return redirect(
            site, self.ctx.sessions.renew(session), site.login_path + "?notice=signed_out"
        )

    def _password_accepted(self, session: Session, username: str) -> Response:
        if self.site.code is None:
            return self._sign_in(session, username)
        stored = self.ctx.book.display_name(self.site.key, username)
        session.advance(Stage.PASSWORD_ACCEPTED, stored, self.ctx.clock())
        return redirect(self.site, session, self.site.verify_path)

    def _sign_in(self, session: Session, username: str) -> Response:
        stored = self.ctx.book.display_name(self.site.key, username)
        session.advance(Stage.SIGNED_IN, stored, self.ctx.clock())
        # A new session id once signed in, so a token planted before the login is worthless.
        return redirect(self.site, self.ctx.sessions.renew(session), self.site.account_path)


def routes(ctx: AppsContext, site: Site) -> list[Route]:
    views = _SignIn(ctx, site)
    found = [
        Route(site.prefix + "/", views.home, methods=["GET"]),
        Route(site.login_path, views.login, methods=["GET", "POST"]),
        Route(site.account_path, views.account, methods=["GET"]),
        Route(site.logout_path, views.logout, methods=["POST"]),
    ]
    if site.login is LoginStyle.IDENTIFIER_FIRST:
        found.append(Route(site.password_path, views.password_step, methods=["GET", "POST"]))
    if site.code is not None:
        found.append(Route(site.verify_path, views.verify, methods=["GET", "POST"]))
    return found
