"""What a failed journey leaves behind, and the table of every journey run.

    recorder = Recorder(Path("qa-artifacts"))
    with recorder.journey("owner logs in to Acme", extension.context, extension):
        ...  # the steps; any exception fails the journey (and is raised again)
    print(recorder.summary())

While a journey runs, Playwright traces the browser context (screenshots and DOM snapshots:
open the trace with `playwright show-trace trace.zip`). When it fails, its folder under the root
(named in the summary) keeps:

    trace.zip           the Playwright trace of that journey only (a chunk of the context's trace)
    page-N.png/.html    a screenshot and the HTML of every tab still open
    launches.json       the extension's records of the launches started during the journey
                        (phase, outcome, reason, steps; never a secret: docs/extension.md)
    error.txt           what failed

A journey that passes keeps nothing. The HTML may hold what the site shows a signed-in person;
the folder is for the QA engineer's machine, not for sharing.
"""

from __future__ import annotations

import json
import re
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext
from playwright.sync_api import Error as PlaywrightError

from e2e.browser import LoadedExtension
from e2e.launches import known_launch_ids, launch_records

_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class JourneyResult:
    name: str
    outcome: str  # "passed", or "failed: <the first line of the error>"
    seconds: float
    artifacts: Path | None  # the folder a failure left, else None

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


def _slug(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:80] or "journey"


def _start_trace(context: BrowserContext) -> None:
    # One trace per context, one chunk per journey: a shared browser's later journeys add chunks.
    try:
        context.tracing.start_chunk()
    except PlaywrightError:
        context.tracing.start(screenshots=True, snapshots=True)


@dataclass
class Recorder:
    root: Path
    results: list[JourneyResult] = field(default_factory=list)

    @contextmanager
    def journey(
        self, name: str, context: BrowserContext, extension: LoadedExtension | None = None
    ) -> Iterator[None]:
        """Run the block as journey `name`: traced, timed, its artifacts kept if it fails."""
        known = known_launch_ids(extension) if extension is not None else set()
        _start_trace(context)
        started = time.monotonic()
        try:
            yield
        except BaseException as exc:
            folder = self._keep(name, context, extension, known, exc)
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            self._add(name, f"failed: {first[:120]}", started, folder)
            raise
        else:
            context.tracing.stop_chunk()
            self._add(name, "passed", started, None)

    def _add(self, name: str, outcome: str, started: float, folder: Path | None) -> None:
        self.results.append(JourneyResult(name, outcome, time.monotonic() - started, folder))

    def _keep(
        self,
        name: str,
        context: BrowserContext,
        extension: LoadedExtension | None,
        known: set[str],
        error: BaseException,
    ) -> Path:
        folder = self.root / _slug(name)
        n = 1
        while folder.exists():  # a journey run twice (a retry, a parametrized name) keeps both
            n += 1
            folder = self.root / f"{_slug(name)}-{n}"
        folder.mkdir(parents=True)
        notes = ["".join(traceback.format_exception(error))]
        try:
            context.tracing.stop_chunk(path=str(folder / "trace.zip"))
        except PlaywrightError as exc:
            notes.append(f"no trace: {exc}")
        pages = [p for p in context.pages if not p.is_closed() and p.url != "about:blank"]
        for i, page in enumerate(pages, start=1):
            try:
                page.screenshot(path=str(folder / f"page-{i}.png"), full_page=True, timeout=5000)
                (folder / f"page-{i}.html").write_text(
                    f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8"
                )
            except PlaywrightError as exc:
                notes.append(f"page {i} ({page.url}): {exc}")
        if extension is not None:
            with suppress(PlaywrightError):
                fresh = [r for r in launch_records(extension) if str(r["launchId"]) not in known]
                (folder / "launches.json").write_text(json.dumps(fresh, indent=2) + "\n")
        (folder / "error.txt").write_text("\n".join(notes), encoding="utf-8")
        return folder

    def summary(self) -> str:
        """The table of every journey: journey, outcome, time, artifacts."""
        rows = [("journey", "outcome", "time", "artifacts")]
        for r in self.results:
            rows.append((r.name, r.outcome, f"{r.seconds:.1f} s", str(r.artifacts or "-")))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [
            "  ".join([*(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)), row[3]])
            for row in rows
        ]
        failed = sum(not r.passed for r in self.results)
        lines.append(f"{len(self.results)} journeys, {failed} failed; artifacts under {self.root}")
        return "\n".join(lines)
