"""What every import parser returns, and the reading they share (text, CSV, headers).

A parser is a pure function `parse(data: bytes) -> Parsed`: no database, no vault, no I/O. It
reads one export format and says, row by row, what is a login (`Entry`), what is not a login and
is left out on purpose (`Skipped`, e.g. a card), and what is broken (`Bad`). A file that is not
the format named at all (wrong header, not JSON, not UTF-8) raises `FormatError` instead: there
is no row to blame.

`where` is how a person finds the row in their file: "line 12" for CSV (the line its record
starts on, counting the header as line 1, so it matches an editor even when a quoted field holds
line breaks), "item 3" for JSON.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

# A bigger file is not an export of one team's logins; refusing it early bounds memory and time.
MAX_ROWS = 20_000


class FormatError(ValueError):
    """The file is not the format named (or not readable as text at all)."""


@dataclass(frozen=True)
class Entry:
    """One login read from the file, as the file has it (checked later, by the import)."""

    where: str
    name: str
    login_url: str
    username: str
    password: str = field(repr=False)
    totp: str = field(default="", repr=False)
    folder: str = ""


@dataclass(frozen=True)
class Skipped:
    where: str
    reason: str


@dataclass(frozen=True)
class Bad:
    where: str
    reason: str


@dataclass(frozen=True)
class Parsed:
    entries: list[Entry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    bad: list[Bad] = field(default_factory=list)


def text_of(data: bytes, format_name: str) -> str:
    """UTF-8 text without a byte-order mark (Excel and Windows tools add one)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"This is not a {format_name} export: it is not UTF-8 text.") from None


@dataclass(frozen=True)
class CsvRow:
    where: str
    values: dict[str, str]


def csv_rows(
    data: bytes, format_name: str, required: Sequence[str], *, aliases: dict[str, str] | None = None
) -> Iterator[CsvRow | Bad]:
    """The rows of a CSV export as `{column: value}`, after checking its header.

    Column names are matched without regard to case and surrounding spaces; `aliases` maps other
    spellings to the canonical name. Windows line ends and quoted fields with commas, quotes and
    line breaks are read as RFC 4180 says; a row with more or fewer fields than the header is
    `Bad`.
    """
    text = text_of(data, format_name)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    aliases = aliases or {}
    try:
        header = next(reader)
    except StopIteration:
        raise FormatError(f"This is not a {format_name} export: the file is empty.") from None
    except csv.Error as exc:
        raise FormatError(f"This is not a {format_name} export: {exc}.") from None
    columns = [aliases.get(name.strip().lower(), name.strip().lower()) for name in header]
    missing = [name for name in required if name not in columns]
    if missing:
        raise FormatError(
            f"This is not a {format_name} export: the header lacks "
            + ", ".join(missing)
            + f" (it has: {', '.join(header)[:200]})."
        )
    previous_end = reader.line_num
    count = 0
    while True:
        start = previous_end + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Bad(f"line {start}", f"the CSV is malformed here: {exc}")
            return
        previous_end = reader.line_num
        if not any(value.strip() for value in values):
            continue  # a blank line, e.g. at the end of the file
        count += 1
        if count > MAX_ROWS:
            raise FormatError(f"The file has more than {MAX_ROWS} rows; split it.")
        if len(values) != len(columns):
            yield Bad(f"line {start}", f"{len(values)} fields where the header has {len(columns)}")
            continue
        yield CsvRow(f"line {start}", dict(zip(columns, values, strict=True)))
