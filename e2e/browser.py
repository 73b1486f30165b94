"""Chromium with the real extension loaded, the way QA runs it.

Playwright cannot download its own browser here: Debian's `/usr/bin/chromium` (or
`LATCHKEY_CHROMIUM`) is launched with a persistent profile, because extensions load only there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext, Playwright, Worker

REPO = Path(__file__).resolve().parent.parent
EXTENSION_DIR = REPO / "extension"
# Fixed by the public `key` in manifest.json, so the broker can allow-list the origin.
EXTENSION_ID = "npifcemjnkdbeiopcdkdmeinkgpkcmbn"
_WORKER_TIMEOUT_MS = 15_000


def chromium_executable() -> str | None:
    """The Chromium to drive, or None when this machine has none."""
    configured = os.environ.get("LATCHKEY_CHROMIUM", "/usr/bin/chromium")
    found = configured if os.path.isabs(configured) else shutil.which(configured)
    return found if found and os.access(found, os.X_OK) else None


def chromium_args(extension_dir: Path, extra: tuple[str, ...] = ()) -> list[str]:
    return [
        "--headless=new",
        f"--disable-extensions-except={extension_dir}",
        f"--load-extension={extension_dir}",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        *extra,
    ]


@dataclass(frozen=True)
class LoadedExtension:
    context: BrowserContext
    first_worker: Worker

    @property
    def worker(self) -> Worker:
        """The service worker running now (MV3 stops it when idle; an event starts a new one)."""
        return extension_worker(self.context)

    @property
    def id(self) -> str:
        return self.first_worker.url.split("/")[2]

    def url(self, path: str) -> str:
        return f"chrome-extension://{self.id}/{path.lstrip('/')}"


def extension_worker(context: BrowserContext) -> Worker:
    """The extension's service worker (waiting for it to start if it has not yet)."""
    for running in reversed(context.service_workers):
        if running.url.startswith("chrome-extension://"):
            return running
    started: Worker = context.wait_for_event("serviceworker", timeout=_WORKER_TIMEOUT_MS)
    return started


@contextmanager
def launch_with_extension(
    playwright: Playwright,
    user_data_dir: Path,
    *,
    executable: str,
    extension_dir: Path = EXTENSION_DIR,
    extra_args: tuple[str, ...] = (),
) -> Iterator[LoadedExtension]:
    context = playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=executable,
        headless=True,
        args=chromium_args(extension_dir, extra_args),
    )
    try:
        yield LoadedExtension(context, extension_worker(context))
    finally:
        context.close()
