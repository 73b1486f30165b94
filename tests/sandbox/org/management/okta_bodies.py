"""Request bodies as Okta's clients send them, and types shared by the Management API tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TOKEN = "00test-api-token-for-the-sandbox"

MakeApp = Callable[..., dict[str, Any]]


def bookmark(label: str, url: str = "https://broker.example/launch/acc1") -> dict[str, Any]:
    return {
        "name": "bookmark",
        "label": label,
        "signOnMode": "BOOKMARK",
        "settings": {"app": {"url": url, "requestIntegration": False}},
    }
