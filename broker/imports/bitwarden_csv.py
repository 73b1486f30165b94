"""Bitwarden's CSV export (individual vault).

Header, as Bitwarden writes it: `folder,favorite,type,name,notes,fields,reprompt,login_uri,
login_username,login_password,login_totp` (bitwarden/clients, libs/importer, the Bitwarden CSV
importer and the `BitwardenCsvIndividualExportType`). `type` is `login` or `note` (cards and
identities are not in the CSV export, but are skipped if a file has them). `login_uri` holds
every URI of the item joined by commas: the first one is the login URL. `folder` may be a nested
path ("Work/Billing").
"""

from __future__ import annotations

from broker.imports.entries import Bad, CsvRow, Entry, Parsed, Skipped, csv_rows

NAME = "Bitwarden CSV"
_REQUIRED = ("type", "name", "login_uri", "login_username", "login_password")


def parse(data: bytes) -> Parsed:
    parsed = Parsed()
    for row in csv_rows(data, NAME, _REQUIRED):
        if isinstance(row, Bad):
            parsed.bad.append(row)
            continue
        _read(row, parsed)
    return parsed


def _read(row: CsvRow, parsed: Parsed) -> None:
    values = row.values
    kind = values["type"].strip().lower()
    if kind != "login":
        what = {"note": "a secure note", "card": "a card", "identity": "an identity"}.get(
            kind, f"an item of type {kind or '(none)'!r}"
        )
        parsed.skipped.append(Skipped(row.where, f"{what}, not a login"))
        return
    uri = values["login_uri"].split(",")[0].strip()
    parsed.entries.append(
        Entry(
            where=row.where,
            name=values["name"],
            login_url=uri,
            username=values["login_username"],
            password=values["login_password"],
            totp=values.get("login_totp", ""),
            folder=values.get("folder", "").strip(),
        )
    )
