"""Each export format read from files written here: the real headers, Excel's BOM, Windows line
ends, quotes and commas inside fields, non-ASCII names, 10,000 rows, and files that are not the
format named."""

from __future__ import annotations

import csv
import io
import json

import pytest

from broker.imports import (
    FORMATS,
    Entry,
    FormatError,
    Parsed,
    bitwarden_csv,
    bitwarden_json,
    chrome_csv,
    onepassword_csv,
)

BITWARDEN_HEADER = [
    "folder",
    "favorite",
    "type",
    "name",
    "notes",
    "fields",
    "reprompt",
    "login_uri",
    "login_username",
    "login_password",
    "login_totp",
]
ONEPASSWORD_HEADER = [
    "Title",
    "Url",
    "Username",
    "Password",
    "OTPAuth",
    "Favorite",
    "Archived",
    "Tags",
    "Notes",
]
CHROME_HEADER = ["name", "url", "username", "password", "note"]
TOTP_URI = "otpauth://totp/Acme:ana?secret=JBSWY3DPEHPK3PXP&issuer=Acme"


def csv_bytes(
    header: list[str], rows: list[list[str]], *, bom: bool = False, crlf: bool = True
) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()


def bitwarden_row(
    name: str = "GitHub",
    *,
    kind: str = "login",
    uri: str = "https://github.com/login",
    username: str = "ana",
    password: str = "pw",
    totp: str = "",
    folder: str = "",
) -> list[str]:
    return [folder, "0", kind, name, "", "", "0", uri, username, password, totp]


def test_bitwarden_csv_reads_logins_and_skips_notes_with_a_reason() -> None:
    data = csv_bytes(
        BITWARDEN_HEADER,
        [
            bitwarden_row(folder="Work/Billing", totp=TOTP_URI),
            bitwarden_row("Wi-Fi code", kind="note", uri="", username="", password=""),
        ],
    )

    parsed = bitwarden_csv.parse(data)

    assert parsed.entries == [
        Entry("line 2", "GitHub", "https://github.com/login", "ana", "pw", TOTP_URI, "Work/Billing")
    ]
    assert [(s.where, s.reason) for s in parsed.skipped] == [
        ("line 3", "a secure note, not a login")
    ]
    assert parsed.bad == []


def test_bitwarden_csv_takes_the_first_of_several_uris() -> None:
    data = csv_bytes(
        BITWARDEN_HEADER, [bitwarden_row(uri="https://a.example.com/login,https://b.example.com")]
    )
    assert bitwarden_csv.parse(data).entries[0].login_url == "https://a.example.com/login"


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_bom_line_ends_quotes_commas_and_non_ascii_survive(bom: bool, crlf: bool) -> None:
    tricky_name = 'Zoë\'s "Bücher", Köln'
    tricky_password = 'p,a"s\r\ns'
    data = csv_bytes(
        CHROME_HEADER,
        [[tricky_name, "https://bücher.example/login", "zoë@example.com", tricky_password, "a\nb"]],
        bom=bom,
        crlf=crlf,
    )

    parsed = chrome_csv.parse(data)

    (entry,) = parsed.entries
    assert (entry.name, entry.username, entry.password) == (
        tricky_name,
        "zoë@example.com",
        tricky_password,
    )
    assert entry.where == "line 2"


def test_line_numbers_count_the_lines_a_quoted_field_spans() -> None:
    data = csv_bytes(
        CHROME_HEADER,
        [
            ["One", "https://one.example", "a", "pw", "note\nover\nthree lines"],
            ["Two", "https://two.example", "b", "pw", ""],
        ],
    )
    assert [e.where for e in chrome_csv.parse(data).entries] == ["line 2", "line 5"]


def test_a_row_with_the_wrong_number_of_fields_is_a_bad_row() -> None:
    data = b"name,url,username,password\r\nA,https://a.example,ann,pw\r\nB,https://b.example\r\n"

    parsed = chrome_csv.parse(data)

    assert [e.name for e in parsed.entries] == ["A"]
    assert [(b.where, b.reason) for b in parsed.bad] == [
        ("line 3", "2 fields where the header has 4")
    ]


def test_onepassword_csv_reads_title_url_and_the_otpauth_column() -> None:
    data = csv_bytes(
        ONEPASSWORD_HEADER,
        [["Acme", "https://acme.example/login", "ana", "pw", TOTP_URI, "false", "false", "", ""]],
    )

    (entry,) = onepassword_csv.parse(data).entries

    assert (entry.name, entry.login_url, entry.totp) == (
        "Acme",
        "https://acme.example/login",
        TOTP_URI,
    )


def test_onepassword_csv_accepts_the_older_website_column() -> None:
    data = csv_bytes(
        ["title", "website", "username", "password"], [["A", "https://a.io", "u", "p"]]
    )
    assert onepassword_csv.parse(data).entries[0].login_url == "https://a.io"


def bitwarden_json_bytes(items: list[object], **extra: object) -> bytes:
    folders = [{"id": "f1", "name": "Work"}]
    return json.dumps({"encrypted": False, "folders": folders, "items": items, **extra}).encode()


def test_bitwarden_json_reads_logins_with_their_folder_and_skips_cards() -> None:
    login = {
        "type": 1,
        "name": "GitHub",
        "folderId": "f1",
        "login": {
            "username": "ana",
            "password": "pw",
            "totp": "JBSWY3DPEHPK3PXP",
            "uris": [{"match": None, "uri": "https://github.com/login"}],
        },
    }
    card = {"type": 3, "name": "Visa", "card": {"number": "4111"}}

    parsed = bitwarden_json.parse(bitwarden_json_bytes([login, card, "junk"]))

    assert parsed.entries == [
        Entry(
            "item 1", "GitHub", "https://github.com/login", "ana", "pw", "JBSWY3DPEHPK3PXP", "Work"
        )
    ]
    assert [(s.where, s.reason) for s in parsed.skipped] == [("item 2", "a card, not a login")]
    assert [(b.where, b.reason) for b in parsed.bad] == [("item 3", "not a JSON object")]


def test_an_encrypted_bitwarden_export_is_refused_with_what_to_do() -> None:
    with pytest.raises(FormatError, match="unencrypted JSON"):
        bitwarden_json.parse(bitwarden_json_bytes([], encrypted=True))


@pytest.mark.parametrize(
    ("format_key", "data", "message"),
    [
        ("bitwarden-csv", csv_bytes(CHROME_HEADER, []), "header lacks type, login_uri"),
        ("chrome-csv", csv_bytes(BITWARDEN_HEADER, []), "header lacks url, username, password"),
        ("1password-csv", csv_bytes(CHROME_HEADER, []), "header lacks title"),
        ("chrome-csv", b"", "the file is empty"),
        ("chrome-csv", "name,url\n".encode("utf-16"), "not UTF-8"),
        ("bitwarden-json", csv_bytes(BITWARDEN_HEADER, []), "not JSON"),
        ("bitwarden-json", b'{"folders": []}', 'no "items" list'),
        ("chrome-csv", bitwarden_json_bytes([]), "header lacks"),
    ],
)
def test_a_file_that_is_not_the_format_named_says_so(
    format_key: str, data: bytes, message: str
) -> None:
    name, parse = FORMATS[format_key]
    with pytest.raises(FormatError) as raised:
        parse(data)
    assert message in str(raised.value)
    if "header" in message or "JSON" in message:
        assert name in str(raised.value)


def test_missing_columns_are_named() -> None:
    header = [c for c in BITWARDEN_HEADER if c not in ("login_password", "type")]
    with pytest.raises(FormatError, match="lacks type, login_password"):
        bitwarden_csv.parse(csv_bytes(header, []))


def test_ten_thousand_rows_are_read_in_order() -> None:
    rows = [
        bitwarden_row(f"Site {n}", uri=f"https://s{n}.example.com", password=f"pw{n}")
        for n in range(10_000)
    ]

    parsed: Parsed = bitwarden_csv.parse(csv_bytes(BITWARDEN_HEADER, rows, bom=True))

    assert len(parsed.entries) == 10_000
    assert parsed.entries[-1].where == "line 10001"
    assert parsed.entries[-1].name == "Site 9999"


def test_more_rows_than_the_limit_are_refused() -> None:
    rows = [["n", "https://a.example", "u", "p", ""]] * 20_001
    with pytest.raises(FormatError, match="more than 20000 rows"):
        chrome_csv.parse(csv_bytes(CHROME_HEADER, rows))


def test_blank_lines_are_not_rows() -> None:
    data = b"name,url,username,password\r\n\r\nA,https://a.example,u,p\r\n\r\n"
    assert [e.where for e in chrome_csv.parse(data).entries] == ["line 3"]


def test_no_secret_appears_in_an_entry_repr() -> None:
    entry = chrome_csv.parse(csv_bytes(CHROME_HEADER, [["A", "https://a.io", "u", "s3cret", ""]]))
    assert "s3cret" not in repr(entry)
