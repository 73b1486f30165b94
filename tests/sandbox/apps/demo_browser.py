"""A minimal browser for the demo sites: it parses forms, fills them as the extension would and
submits them over ASGI, keeping cookies. No script runs; a test does by hand what a page's script
would (and says so)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx
from starlette.types import ASGIApp

DEMO_ORIGIN = "http://127.0.0.1:8420"


@dataclass
class Input:
    name: str
    type: str
    value: str
    attrs: dict[str, str]
    concealed: bool  # hidden attribute, type=hidden, or inside an aria-hidden container

    @property
    def autocomplete(self) -> list[str]:
        return self.attrs.get("autocomplete", "").split()

    @property
    def fillable(self) -> bool:
        return not self.concealed and self.type not in ("hidden", "submit", "button")


@dataclass
class Form:
    id: str
    action: str
    method: str
    inputs: list[Input] = field(default_factory=list)

    def named(self, name: str) -> list[Input]:
        return [i for i in self.inputs if i.name == name]

    def by_autocomplete(self, token: str) -> list[Input]:
        return [i for i in self.inputs if i.fillable and token in i.autocomplete]

    def fill_autocomplete(self, token: str, value: str) -> None:
        found = self.by_autocomplete(token)
        assert len(found) == 1, f"expected one fillable {token!r} input in #{self.id}: {found}"
        found[0].value = value

    def fill_code(self, code: str) -> None:
        """One box, or one box per digit (the first carries `one-time-code`), as people type it."""
        first = self.by_autocomplete("one-time-code")
        assert len(first) == 1, f"no one-time-code input in #{self.id}"
        boxes = [i for i in self.named(first[0].name) if i.fillable]
        if len(boxes) == 1:
            boxes[0].value = code
            return
        assert len(boxes) == len(code), f"{len(boxes)} boxes for a {len(code)}-digit code"
        for box, digit in zip(boxes, code, strict=True):
            assert box.attrs.get("maxlength") == "1"
            box.value = digit

    def fields(self) -> list[tuple[str, str]]:
        return [(i.name, i.value) for i in self.inputs if i.name]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.templates: dict[str, list[Input]] = {}
        self.texts: dict[str, str] = {}
        self._form: Form | None = None
        self._template: str | None = None
        self._concealed_depth: list[str] = []  # tags opened with aria-hidden="true"
        self._text_id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("aria-hidden") == "true":
            self._concealed_depth.append(tag)
        if "id" in a and tag in ("div", "p", "span", "h1"):
            self._text_id = a["id"]
            self.texts[a["id"]] = ""
        if tag == "template":
            self._template = a.get("id", "")
            self.templates[self._template] = []
        elif tag == "form" and self._template is None:
            self._form = Form(a.get("id", ""), a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag == "input":
            kind = a.get("type", "text").lower()
            concealed = bool(self._concealed_depth) or "hidden" in a or kind == "hidden"
            one = Input(a.get("name", ""), kind, a.get("value", ""), a, concealed)
            if self._template is not None:
                self.templates[self._template].append(one)
            elif self._form is not None:
                self._form.inputs.append(one)

    def handle_endtag(self, tag: str) -> None:
        if self._concealed_depth and self._concealed_depth[-1] == tag:
            self._concealed_depth.pop()
        if tag == "template":
            self._template = None
        elif tag == "form":
            self._form = None
        elif tag in ("div", "p", "span", "h1"):
            self._text_id = None

    def handle_data(self, data: str) -> None:
        if self._text_id is not None:
            self.texts[self._text_id] += data


@dataclass
class Page:
    response: httpx.Response
    forms: list[Form]
    templates: dict[str, list[Input]]
    texts: dict[str, str]

    @classmethod
    def of(cls, response: httpx.Response) -> Page:
        parser = _Parser()
        parser.feed(response.text)
        return cls(response, parser.forms, parser.templates, parser.texts)

    @property
    def path(self) -> str:
        return self.response.url.path

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def error(self) -> str | None:
        return self.texts.get("error", "").strip() or None

    @property
    def notice(self) -> str | None:
        return self.texts.get("notice", "").strip() or None

    @property
    def signed_in_user(self) -> str | None:
        return self.texts.get("current-user", "").strip() or None

    def form(self, form_id: str | None = None) -> Form:
        found = [f for f in self.forms if form_id is None or f.id == form_id]
        assert found, f"no form {form_id!r} on {self.path}: {[f.id for f in self.forms]}"
        return found[0]

    def all_inputs(self) -> Iterator[Input]:
        for one in self.forms:
            yield from one.inputs


class Browser:
    def __init__(self, app: ASGIApp, base_url: str = DEMO_ORIGIN) -> None:
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=base_url, follow_redirects=True
        )

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def get(self, path: str) -> Page:
        return Page.of(await self.client.get(path))

    async def submit(self, page: Page, form: Form) -> Page:
        url = urljoin(str(page.response.url), form.action or page.path)
        assert form.method == "post", "the demo sites post their forms"
        return Page.of(await self.client.post(url, data=_multidict(form.fields())))


def _multidict(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


async def log_in(
    browser: Browser,
    login_path: str,
    username: str,
    password: str,
    *,
    code: str | None = None,
    max_steps: int = 4,
) -> Page:
    """Follow a site's login forms, filling what each step asks for, as the extension does.

    Without a `code`, it stops at the code step and returns that page.

    On the script-driven identifier-first page, the password input lives in a `<template>` until
    Next is pressed; this does what the page's script does and adds it to the form.
    """
    page = await browser.get(login_path)
    for _ in range(max_steps):
        if page.signed_in_user or page.error or not page.forms:
            return page
        form = page.forms[0]
        template = page.templates.get("password-template", [])
        if template and not form.by_autocomplete("current-password"):
            form.inputs.extend(
                Input(i.name, i.type, i.value, dict(i.attrs), i.concealed) for i in template
            )
        if form.by_autocomplete("username"):
            form.fill_autocomplete("username", username)
        if form.by_autocomplete("current-password"):
            form.fill_autocomplete("current-password", password)
        if form.by_autocomplete("one-time-code"):
            if code is None:
                return page  # stop at the code step
            form.fill_code(code)
        page = await browser.submit(page, form)
    return page
