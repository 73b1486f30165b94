"""Bitwarden's JSON export (unencrypted, individual or organization vault).

Shape (bitwarden/clients, libs/common `*Export` models): `{"encrypted": false, "folders":
[{"id", "name"}], "items": [{"type", "name", "folderId", "login": {"username", "password",
"totp", "uris": [{"uri", "match"}]}}]}`. Item `type` is 1 login, 2 secure note, 3 card,
4 identity, 5 SSH key; only logins are read. An encrypted export (`"encrypted": true`) cannot be
read without the Bitwarden account key: export again as unencrypted JSON.
"""

from __future__ import annotations

import json
from typing import Any

from broker.imports.entries import MAX_ROWS, Bad, Entry, FormatError, Parsed, Skipped, text_of

NAME = "Bitwarden JSON"
_KINDS = {2: "a secure note", 3: "a card", 4: "an identity", 5: "an SSH key"}


def parse(data: bytes) -> Parsed:
    try:
        document = json.loads(text_of(data, NAME))
    except ValueError:
        raise FormatError(f"This is not a {NAME} export: it is not JSON.") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FormatError(f'This is not a {NAME} export: there is no "items" list.')
    if document.get("encrypted") is True:
        raise FormatError(
            "This Bitwarden export is encrypted; export the vault again as unencrypted JSON."
        )
    items: list[Any] = document["items"]
    if len(items) > MAX_ROWS:
        raise FormatError(f"The file has more than {MAX_ROWS} items; split it.")
    folders = _folders(document.get("folders"))
    parsed = Parsed()
    for number, item in enumerate(items, start=1):
        _read(f"item {number}", item, folders, parsed)
    return parsed


def _folders(value: Any) -> dict[str, str]:
    if not isinstance(value, list):
        return {}
    return {
        folder["id"]: folder["name"]
        for folder in value
        if isinstance(folder, dict)
        and isinstance(folder.get("id"), str)
        and isinstance(folder.get("name"), str)
    }


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _read(where: str, item: Any, folders: dict[str, str], parsed: Parsed) -> None:
    if not isinstance(item, dict):
        parsed.bad.append(Bad(where, "not a JSON object"))
        return
    kind = item.get("type")
    if kind != 1:
        what = _KINDS.get(kind, f"an item of type {kind!r}") if isinstance(kind, int) else None
        parsed.skipped.append(Skipped(where, f"{what or 'an item without a type'}, not a login"))
        return
    login = item.get("login")
    if not isinstance(login, dict):
        parsed.bad.append(Bad(where, 'a login without its "login" object'))
        return
    uris = login.get("uris")
    first = uris[0] if isinstance(uris, list) and uris else None
    uri = _text(first.get("uri")) if isinstance(first, dict) else _text(first)
    parsed.entries.append(
        Entry(
            where=where,
            name=_text(item.get("name")),
            login_url=uri.strip(),
            username=_text(login.get("username")),
            password=_text(login.get("password")),
            totp=_text(login.get("totp")),
            folder=folders.get(_text(item.get("folderId")), ""),
        )
    )
