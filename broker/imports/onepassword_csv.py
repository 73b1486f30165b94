"""1Password's CSV export (1Password 8: File > Export > CSV).

Header, as 1Password 8 writes it: `Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,
Notes`; the CSV export holds Login and Password items only. Older exports (1Password 7) spell the
URL column `Website` or `URL` and may have no `OTPAuth`: both are accepted. `OTPAuth` carries an
`otpauth://totp/...` URI when the login has one-time passwords. The tags are not used.
"""

from __future__ import annotations

from broker.imports.entries import Bad, Entry, Parsed, csv_rows

NAME = "1Password CSV"
_REQUIRED = ("title", "url", "username", "password")
_ALIASES = {"website": "url", "otp": "otpauth", "one-time password": "otpauth"}


def parse(data: bytes) -> Parsed:
    parsed = Parsed()
    for row in csv_rows(data, NAME, _REQUIRED, aliases=_ALIASES):
        if isinstance(row, Bad):
            parsed.bad.append(row)
            continue
        values = row.values
        parsed.entries.append(
            Entry(
                where=row.where,
                name=values["title"],
                login_url=values["url"].strip(),
                username=values["username"],
                password=values["password"],
                totp=values.get("otpauth", ""),
            )
        )
    return parsed
