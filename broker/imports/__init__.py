"""Reading other password managers' exports: one pure parser per format.

    entries         the values every parser returns (Entry, Skipped, Bad) and the CSV reading
    bitwarden_csv   Bitwarden's CSV export
    bitwarden_json  Bitwarden's unencrypted JSON export
    onepassword_csv 1Password's CSV export
    chrome_csv      Chrome's (Google Password Manager's) CSV export

The import itself — checking each entry, matching what the vault already holds, writing in one
transaction — is `broker.actions.imports`.
"""

from __future__ import annotations

from collections.abc import Callable

from broker.imports import bitwarden_csv, bitwarden_json, chrome_csv, onepassword_csv
from broker.imports.entries import Bad, Entry, FormatError, Parsed, Skipped

Parser = Callable[[bytes], Parsed]

FORMATS: dict[str, tuple[str, Parser]] = {
    "bitwarden-csv": (bitwarden_csv.NAME, bitwarden_csv.parse),
    "bitwarden-json": (bitwarden_json.NAME, bitwarden_json.parse),
    "1password-csv": (onepassword_csv.NAME, onepassword_csv.parse),
    "chrome-csv": (chrome_csv.NAME, chrome_csv.parse),
}

__all__ = ["FORMATS", "Bad", "Entry", "FormatError", "Parsed", "Parser", "Skipped"]
