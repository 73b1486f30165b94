"""The IDP Domain field's one extra check: the Okta Admin Console's address is not the org's.

The Admin Console lives at `{org}-admin.okta.com` (and the same on Okta's other cells); sign-in
and the Management API answer at the org URL without `-admin`, so Settings refuses the first and
offers the second.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_ADMIN_HOST = re.compile(r"([a-z0-9][a-z0-9-]*)-admin\.(okta\.com|oktapreview\.com|okta-emea\.com)")


def admin_console_org(domain: str) -> str | None:
    """The org URL when `domain` is an Okta Admin Console address, else None."""
    text = domain.strip()
    host = urlsplit(text if "://" in text else f"https://{text}").hostname
    found = _ADMIN_HOST.fullmatch(host or "")
    return f"https://{found[1]}.{found[2]}" if found else None
