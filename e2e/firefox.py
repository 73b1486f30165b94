"""Firefox ESR with the real extension installed, driven over WebDriver BiDi.

Playwright cannot load extensions into Firefox, but Firefox speaks WebDriver BiDi itself
(https://w3c.github.io/webdriver-bidi/): started with `--remote-debugging-port`, it accepts a
WebSocket at `ws://127.0.0.1:<port>/session`; `session.new` opens a session and
`webExtension.install` (the spec's webExtension module, `{"type": "path"}` extension data) loads
the extension from its folder as a temporary add-on. No geckodriver is needed. The
`extensions.webextensions.uuids` pref pins the extension's `moz-extension://` address, so its
pages can be opened by URL.

The client is small and synchronous, like the Playwright sync API the Chromium tests use: one
command at a time, events ignored.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.sync.client import ClientConnection, connect

from e2e.browser import EXTENSION_DIR

# manifest.json's browser_specific_settings.gecko.id, and the internal UUID we pin for it.
GECKO_ID = "extension@latchkey.invalid"
EXTENSION_UUID = "6f0c2a4e-4b8d-4c1e-9a57-3d2b1e0f9c11"
EXTENSION_ORIGIN = f"moz-extension://{EXTENSION_UUID}"
_START_TIMEOUT_S = 30.0
_COMMAND_TIMEOUT_S = 30.0

# Quiet, offline, deterministic: no first-run pages, telemetry, updates or remote services.
_PREFS: dict[str, Any] = {
    "extensions.webextensions.uuids": json.dumps({GECKO_ID: EXTENSION_UUID}),
    "extensions.autoDisableScopes": 0,
    "extensions.update.enabled": False,
    "app.update.disabledForTesting": True,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.aboutwelcome.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "dom.security.https_first": False,
    "browser.tabs.warnOnClose": False,
}


class BiDiError(RuntimeError):
    """A BiDi command answered with an error (`error` is the spec's error code)."""

    def __init__(self, method: str, error: str, message: str) -> None:
        super().__init__(f"{method}: {error}: {message}")
        self.error = error


def firefox_executable() -> str | None:
    """The Firefox to drive, or None when this machine has none."""
    configured = os.environ.get("LATCHKEY_FIREFOX", "/usr/bin/firefox-esr")
    found = configured if os.path.isabs(configured) else shutil.which(configured)
    return found if found and os.access(found, os.X_OK) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _write_prefs(profile: Path) -> None:
    lines = [f"user_pref({json.dumps(k)}, {json.dumps(v)});" for k, v in _PREFS.items()]
    (profile / "user.js").write_text("\n".join(lines) + "\n")


class BiDi:
    """One WebDriver BiDi connection: `send(method, params)` answers the command's result."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        command_id = next(self._ids)
        self._ws.send(json.dumps({"id": command_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + _COMMAND_TIMEOUT_S
        while True:
            raw = self._ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            message = json.loads(raw)
            if message.get("id") != command_id:
                continue  # an event, or a late answer: not what we wait for
            if message.get("type") == "error":
                raise BiDiError(method, message.get("error", ""), message.get("message", ""))
            result: dict[str, Any] = message.get("result", {})
            return result


@dataclass
class Firefox:
    bidi: BiDi

    def extension_url(self, path: str) -> str:
        return f"{EXTENSION_ORIGIN}/{path.lstrip('/')}"

    def new_tab(self) -> str:
        return str(self.bidi.send("browsingContext.create", {"type": "tab"})["context"])

    def close_tab(self, context: str) -> None:
        self.bidi.send("browsingContext.close", {"context": context})

    def navigate(self, context: str, url: str, wait: str = "complete") -> None:
        self.bidi.send("browsingContext.navigate", {"context": context, "url": url, "wait": wait})

    def url(self, context: str) -> str:
        tree = self.bidi.send("browsingContext.getTree", {"root": context, "maxDepth": 0})
        return str(tree["contexts"][0]["url"])

    def evaluate(self, context: str, expression: str) -> Any:
        """The JSON value of `expression` (awaited) in the tab's page."""
        result = self.bidi.send(
            "script.evaluate",
            {
                "expression": f"(async () => JSON.stringify(await ({expression})))()",
                "target": {"context": context},
                "awaitPromise": True,
            },
        )
        if result.get("type") == "exception":
            details = result.get("exceptionDetails", {})
            raise RuntimeError(f"the page threw: {details.get('text', details)}")
        value = result["result"]
        return json.loads(value["value"]) if value.get("type") == "string" else None

    def add_preload_script(self, function: str) -> str:
        """Run `function` in every new document before its own scripts (BiDi script module)."""
        answer = self.bidi.send("script.addPreloadScript", {"functionDeclaration": function})
        return str(answer["script"])

    def remove_preload_script(self, script: str) -> None:
        self.bidi.send("script.removePreloadScript", {"script": script})

    def set_cookie(self, url: str, name: str, value: str) -> None:
        host = urlsplit(url).hostname or "127.0.0.1"
        self.bidi.send(
            "storage.setCookie",
            {
                "cookie": {
                    "name": name,
                    "value": {"type": "string", "value": value},
                    "domain": host,
                    "path": "/",
                }
            },
        )

    def clear_cookies(self) -> None:
        self.bidi.send("storage.deleteCookies", {})


def _wait_for_port(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Firefox exited at start (status {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("Firefox did not open its WebDriver BiDi port in time")


@contextmanager
def launch_firefox(
    executable: str, profile: Path, *, extension_dir: Path = EXTENSION_DIR
) -> Iterator[Firefox]:
    """Firefox ESR, headless, with the extension installed as a temporary add-on."""
    profile.mkdir(parents=True, exist_ok=True)
    _write_prefs(profile)
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603  (the configured Firefox, fixed arguments)
        [
            executable,
            "--headless",
            "--no-remote",
            f"--remote-debugging-port={port}",
            "--remote-allow-system-access",
            "--profile",
            str(profile),
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOZ_CRASHREPORTER_DISABLE": "1"},
    )
    try:
        _wait_for_port(process, port)
        with connect(f"ws://127.0.0.1:{port}/session", max_size=None) as ws:
            bidi = BiDi(ws)
            bidi.send("session.new", {"capabilities": {}})
            bidi.send(
                "webExtension.install",
                {"extensionData": {"type": "path", "path": str(extension_dir)}},
            )
            yield Firefox(bidi)
            # Firefox may close the socket as it ends the session.
            with suppress(BiDiError, OSError):
                bidi.send("session.end")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
