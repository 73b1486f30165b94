"""Click to logged in: a chiclet launch through the extension against a script typing the login.

The sandbox stack (`e2e.journey.stack`: the Okta org with its dashboard and chiclets, the demo
login sites, the broker) runs on loopback. Two Chromiums (Debian's `/usr/bin/chromium`,
headless), each on a fresh profile:

- **chiclet**: the real extension loaded (`e2e.browser`), its broker URL set on its options page,
  the person signed in to the Okta dashboard and to the broker (its sign-in with Okta), and the
  extension never used: no key pair, no credential. The clock runs from the click on the
  chiclet to the site's signed-in page (`#signed-in-as`): broker launch page, grant redeemed,
  login page, username, password, and the code from the broker where the site asks for one.
- **direct**: no extension; a Playwright script that opens the same site's login URL and fills
  the same username, password (and the TOTP code, computed here) as fast as Playwright can, Enter
  after each step, until the same signed-in page. This is the floor.

The servers are warmed first (one unmeasured chiclet login per site in a throwaway profile), so
neither arm pays the other's server-side first-request costs. Then per site, the **first** click
is the first launch of a fresh profile with the extension just loaded (its worker's first launch:
key registered with the broker), against the direct script's first login in its own fresh
profile; then **warm** clicks: `--repeats` more of each, interleaved (chiclet, direct, chiclet, …)
so both see the same machine load, the site's session cookie cleared between logins.

Per site the warm ratio is the median chiclet time over the median direct time; beside it, the
median of each adjacent pair's ratio (`ratio_paired`, steadier when the machine's load changes
during the run) and the fastest over the fastest (`ratio_best`). The headline figures are the
median over the sites (one first click per site: a single sample each, so the median over sites
is the honest central figure), the worst site beside them. It prints every time and ends with one
JSON line:

    {"ratio": <warm, median over sites>, "ratio_first": <first click, median over sites>,
     "ratio_worst_site": …, "ratio_first_worst_site": …, "sites": {…}, …}

    .venv/bin/python bench/launch.py [--repeats N] [--sites single,totp] [--extension DIR]

`--extension` loads another copy of the extension (e.g. an older commit's, from `git worktree
add`), to compare before and after on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# Run as a script, Python puts bench/ first on the path, where bench/sync.py hides the `sync`
# package the stack imports: put the repository there instead.
_HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0] or ".").resolve() == _HERE:
    sys.path[0] = str(_HERE.parent)

from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright  # noqa: E402

from e2e.browser import EXTENSION_DIR, chromium_executable, launch_with_extension  # noqa: E402
from e2e.journey.stack import Stack, StackConfig, serve_stack  # noqa: E402
from e2e.journey.user import configure_extension, sign_in_to_org  # noqa: E402
from e2e.launches import known_launch_ids, wait_for_new_launch, wait_for_outcome  # noqa: E402
from sandbox.apps import SITES  # noqa: E402
from sandbox.apps.seed import SiteSeed  # noqa: E402
from sandbox.apps.sites import CodeStyle, LoginStyle, Site, site_by_key  # noqa: E402
from sandbox.apps.totp import decode_secret, totp  # noqa: E402
from sandbox.seed import seed_user  # noqa: E402

SIGNED_IN = "#signed-in-as"
_extension_dir = EXTENSION_DIR
TIMEOUT_MS = 30_000


@dataclass
class Times:
    first: float = 0.0
    warm: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.warm)


def site_figures(chiclet: Times, direct: Times) -> dict[str, float]:
    pairs = [c / d for c, d in zip(chiclet.warm, direct.warm, strict=True)]
    return {
        "chiclet_first_s": round(chiclet.first, 3),
        "direct_first_s": round(direct.first, 3),
        "chiclet_warm_median_s": round(chiclet.median, 3),
        "direct_warm_median_s": round(direct.median, 3),
        "ratio_first": round(chiclet.first / direct.first, 2),
        "ratio": round(chiclet.median / direct.median, 2),
        "ratio_paired": round(statistics.median(pairs), 2),
        "ratio_best": round(min(chiclet.warm) / min(direct.warm), 2),
    }


def _code(seed: SiteSeed) -> str:
    assert seed.totp_secret is not None
    return totp(decode_secret(seed.totp_secret), time.time())


def type_login(page: Page, site: Site, seed: SiteSeed, login_url: str) -> None:
    """The floor: what a script does to log in, as fast as Playwright goes (no typing delay)."""
    page.goto(login_url)
    user = page.locator(f'input[name="{site.fields.username}"]:visible')
    password = page.locator(f'input[name="{site.fields.password}"]')
    user.fill(seed.username)
    if site.login is not LoginStyle.ONE_PAGE:
        user.press("Enter")  # Next: a server round trip, or the script adding the password
    password.fill(seed.password)
    password.press("Enter")
    if site.code is CodeStyle.ONE_BOX:
        box = page.locator("#otp")
        box.fill(_code(seed))
        box.press("Enter")
    elif site.code is CodeStyle.SPLIT:
        page.locator("#code-0").wait_for()
        for i, digit in enumerate(_code(seed)):
            page.locator(f"#code-{i}").fill(digit)
        page.locator("#code-5").press("Enter")
    page.locator(SIGNED_IN).wait_for(timeout=TIMEOUT_MS)


@dataclass
class ChicletBrowser:
    """A fresh profile with the extension, signed in to the Okta dashboard and to the broker."""

    stack: Stack
    context: BrowserContext
    page: Page
    extension: object

    def click(self, site: Site) -> float:
        page = self.page
        page.goto(self.stack.dashboard_url)
        label = self.stack.accounts[site.key].label
        link = page.locator("li.chiclet a").filter(has_text=label)
        link.wait_for()
        known = known_launch_ids(self.extension)  # type: ignore[arg-type]
        started = time.perf_counter()
        link.click()
        page.locator(SIGNED_IN).wait_for(timeout=TIMEOUT_MS)
        took = time.perf_counter() - started
        record = wait_for_outcome(
            self.extension,  # type: ignore[arg-type]
            str(wait_for_new_launch(self.extension, known)["launchId"]),  # type: ignore[arg-type]
        )
        if record.get("outcome") != "signed_in":
            raise RuntimeError(f"the launch of {site.key} ended {record.get('outcome')}")
        self.context.clear_cookies(name=site.cookie)
        return took


@contextmanager
def chiclet_browser(
    playwright: Playwright, stack: Stack, executable: str, profile: Path
) -> Iterator[ChicletBrowser]:
    with launch_with_extension(
        playwright, profile, executable=executable, extension_dir=_extension_dir
    ) as loaded:
        page = loaded.context.new_page()
        configure_extension(loaded, page, stack.broker_url)
        owner = seed_user("owner")
        sign_in_to_org(page, stack.dashboard_url, owner.login, owner.password)
        page.goto(f"{stack.broker_url}/auth/login")  # silent: the Okta session answers
        page.wait_for_url(lambda url: url.startswith(stack.broker_url) and "/auth/" not in url)
        yield ChicletBrowser(stack, loaded.context, page, loaded)


@contextmanager
def direct_browser(playwright: Playwright, executable: str, profile: Path) -> Iterator[Page]:
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=executable,
        headless=True,
        args=["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    )  # fmt: skip
    try:
        yield context.new_page()
    finally:
        context.close()


def warm_servers(playwright: Playwright, stack: Stack, executable: str, tmp: Path) -> None:
    """One chiclet login per site, unmeasured: the broker and the sites answer every page once."""
    with chiclet_browser(playwright, stack, executable, tmp / "warm-up") as ext:
        for site in SITES:
            ext.click(site)


def bench_site(
    playwright: Playwright, stack: Stack, executable: str, site: Site, repeats: int, tmp: Path
) -> tuple[Times, Times]:
    seed = next(s for s in stack.sites if s.site == site.key)
    login_url = seed.login_url(stack.sites_url)
    chiclet, direct = Times(), Times()
    with (
        chiclet_browser(playwright, stack, executable, tmp / f"ext-{site.key}") as ext,
        direct_browser(playwright, executable, tmp / f"direct-{site.key}") as page,
    ):
        chiclet.first = ext.click(site)
        direct.first = _timed(lambda: type_login(page, site, seed, login_url))
        page.context.clear_cookies(name=site.cookie)
        for _ in range(repeats):
            chiclet.warm.append(ext.click(site))
            page.goto("about:blank")
            direct.warm.append(_timed(lambda: type_login(page, site, seed, login_url)))
            page.context.clear_cookies(name=site.cookie)
    return chiclet, direct


def _timed(work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="warm clicks per site (default 7)")
    parser.add_argument(
        "--sites", default=",".join(s.key for s in SITES), help="comma-separated site keys"
    )
    parser.add_argument(
        "--extension", type=Path, default=EXTENSION_DIR, help="the extension folder to load"
    )
    args = parser.parse_args()
    global _extension_dir
    _extension_dir = args.extension.resolve()
    executable = chromium_executable()
    if executable is None:
        sys.exit("Chromium is missing: run scripts/ensure-chromium (or set LATCHKEY_CHROMIUM).")
    sites = [site_by_key(key) for key in args.sites.split(",") if key]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="latchkey-bench-launch-") as data:
        tmp = Path(data)
        config = StackConfig(tmp / "stack", broker_port=0, org_port=0, sites_port=0)
        with serve_stack(config) as stack, sync_playwright() as playwright:
            print(
                f"sandbox stack on loopback; extension {_extension_dir}; {os.cpu_count()} CPUs, "
                f"load {os.getloadavg()[0]:.1f}"
            )
            warm_servers(playwright, stack, executable, tmp)
            for site in sites:
                chiclet, direct = bench_site(playwright, stack, executable, site, args.repeats, tmp)
                results[site.key] = site_figures(chiclet, direct)
                r = results[site.key]
                print(
                    f"{site.key:12} first: chiclet {chiclet.first:.3f} s, direct "
                    f"{direct.first:.3f} s (x{r['ratio_first']:.2f}); warm median of "
                    f"{len(chiclet.warm)}: chiclet {chiclet.median:.3f} s, direct "
                    f"{direct.median:.3f} s (x{r['ratio']:.2f}; paired x{r['ratio_paired']:.2f}, "
                    f"best x{r['ratio_best']:.2f})"
                )
                print(
                    f"{'':12} chiclet warm: {' '.join(f'{t:.3f}' for t in chiclet.warm)}; "
                    f"direct warm: {' '.join(f'{t:.3f}' for t in direct.warm)}"
                )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    warm = [r["ratio"] for r in results.values()]
    first = [r["ratio_first"] for r in results.values()]
    print(
        f"median over {len(results)} sites: warm x{statistics.median(warm):.2f}, "
        f"first click x{statistics.median(first):.2f} (worst site: x{max(warm):.2f}, "
        f"x{max(first):.2f})"
    )
    print(
        json.dumps(
            {
                "ratio": round(statistics.median(warm), 2),
                "ratio_first": round(statistics.median(first), 2),
                "ratio_worst_site": max(warm),
                "ratio_first_worst_site": max(first),
                "repeats": args.repeats,
                "sites": results,
            }
        )
    )


if __name__ == "__main__":
    main()
