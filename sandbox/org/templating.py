"""The org's HTML pages: sign-in, End-User Dashboard, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    return templates.TemplateResponse(
        request, name, context, status_code=status_code, headers={"Cache-Control": "no-store"}
    )


def error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    return page(request, "error.html", status_code, title=title, message=message)
