"""Chrome's CSV export (Google Password Manager: Settings > Export passwords).

Header, as Chrome writes it: `name,url,username,password,note` (older versions lack `note`).
Every row is a saved password for a site; Chrome keeps no folders and no one-time codes.
"""

from __future__ import annotations

from broker.imports.entries import Bad, Entry, Parsed, csv_rows

NAME = "Chrome CSV"
_REQUIRED = ("name", "url", "username", "password")


def parse(data: bytes) -> Parsed:
    parsed = Parsed()
    for row in csv_rows(data, NAME, _REQUIRED):
        if isinstance(row, Bad):
            parsed.bad.append(row)
            continue
        values = row.values
        parsed.entries.append(
            Entry(
                where=row.where,
                name=values["name"],
                login_url=values["url"].strip(),
                username=values["username"],
                password=values["password"],
            )
        )
    return parsed
