"""The small expression language of Okta's `filter` and `search` parameters.

`attribute op "value"` terms joined by `and` / `or` (no parentheses), with the SCIM-style operators
Okta documents: `eq`, `ne`, `sw`, `co`, `gt`, `ge`, `lt`, `le` and `pr`. Terms are evaluated on
the JSON Okta returns for the resource, so `profile.login eq "…"` reads `json["profile"]["login"]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from sandbox.org.management.errors import invalid_search

Predicate = Callable[[dict[str, Any]], bool]

_TERM = re.compile(
    r"\s*(?P<attr>[A-Za-z][\w.]*)\s+(?:(?P<op>eq|ne|sw|co|gt|ge|lt|le)\s+"
    r'(?:"(?P<value>(?:[^"\\]|\\.)*)"|(?P<literal>true|false|null|-?\d+))|(?P<pr>pr))\s*',
    re.IGNORECASE,
)
_JOIN = re.compile(r"\s+(and|or)\s+", re.IGNORECASE)


def parse(expression: str, attributes: Collection[str] | None = None) -> Predicate:
    """A predicate for `expression`; `attributes` limits what may be filtered on (Okta's rule)."""
    parts = _JOIN.split(expression.strip())
    terms = [_term(part, attributes) for part in parts[::2]]
    joins = [join.lower() for join in parts[1::2]]
    # `and` binds tighter than `or`: split into groups of and-ed terms.
    groups: list[list[Predicate]] = [[terms[0]]]
    for join, term in zip(joins, terms[1:], strict=True):
        if join == "and":
            groups[-1].append(term)
        else:
            groups.append([term])
    return lambda item: any(all(t(item) for t in group) for group in groups)


def from_query(params: Mapping[str, str], filterable: Collection[str]) -> list[Predicate]:
    """The predicates of a list call: `filter` over the filterable attributes, `search` over any."""
    given = ((params.get("filter"), filterable), (params.get("search"), None))
    return [parse(expression, attributes) for expression, attributes in given if expression]


def _term(text: str, attributes: Collection[str] | None) -> Predicate:
    match = _TERM.fullmatch(text)
    if match is None:
        raise invalid_search(f"Unsupported expression: {text.strip()}")
    attr = match["attr"]
    if attributes is not None and attr not in attributes:
        raise invalid_search(f"Filtering on {attr} is not supported.")
    if match["pr"]:
        return lambda item: _lookup(item, attr) not in (None, "")
    op = match["op"].lower()
    wanted: object
    if match["literal"] is not None:
        wanted = {"true": True, "false": False, "null": None}.get(
            match["literal"].lower(), match["literal"]
        )
    else:
        wanted = re.sub(r"\\(.)", r"\1", match["value"])
    return lambda item: _compare(_lookup(item, attr), op, wanted)


def _lookup(item: dict[str, Any], attr: str) -> object:
    value: object = item
    for name in attr.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def _compare(actual: object, op: str, wanted: object) -> bool:
    if isinstance(actual, str) and isinstance(wanted, str):
        a, w = actual.casefold(), wanted.casefold()
        if op == "sw":
            return a.startswith(w)
        if op == "co":
            return w in a
        ordered = {"eq": a == w, "ne": a != w, "gt": a > w, "ge": a >= w, "lt": a < w, "le": a <= w}
        return ordered[op]
    if op == "eq":
        return actual == wanted or str(actual) == str(wanted)
    if op == "ne":
        return actual != wanted and str(actual) != str(wanted)
    return False
