"""The server side of a launch under load: launch page → redeem with proof → code.

A workspace, members, accounts (with a verification-code step), broker sessions and extension
keys are made through the broker's own code (`broker.services`, `broker.sessions`,
`broker.ext_api.credentials.register` with a real ES256 proof). Then `latchkey serve` runs with 1
and 2 worker processes, and a load generator in its own process (httpx on asyncio) makes full
launches against it:

- closed loop: 64 clients, each launching again as soon as its launch ends (throughput, p50/p99);
- open loop: launches started at a fixed rate whatever the server does (latency under light load,
  measured from each launch's scheduled start, so a slow server cannot hide its queue);
- keep-alive: sequential `GET /healthz` on one connection (p50), 1 and 2 workers — the delayed-ACK
  stall of a socket without TCP_NODELAY shows here as ~40 ms;
- the baseline: a trivial Starlette page under the same uvicorn, same closed loop.

Server CPU is read from /proc (utime + stime of the server process and its children) before and
after each run, so the figures hold on a shared, loaded machine better than wall times do. The
engines are SQLite and, when reachable, PostgreSQL (LATCHKEY_TEST_POSTGRES_URL). The last line is
JSON, for the first engine (SQLite):

    {"cpu_ms_per_launch": …, "cpu_ratio_vs_trivial": …, "p99_ms_open": …, "two_worker_speedup": …}

    .venv/bin/python bench/launch_load.py [--quick] [--duration S] [--rate R] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXTENSION_ORIGIN = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CLIENTS = 64
MOUNT = "/api/ext/v1"
_GRANT = re.compile(r'name="latchkey-grant" content="([^"]+)"')
_TICKS = os.sysconf("SC_CLK_TCK")


# --- the world, made through the broker's own code ---------------------------------------------


@dataclass(frozen=True)
class Person:
    account_id: str
    cookie: str
    credential: str
    key_pem: str  # the extension's private key, for the load generator's proofs


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _proof(key: Any, method: str, url: str, credential: str | None) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    from broker.ext_api.proof import access_token_hash

    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }
    claims: dict[str, Any] = {
        "htm": method,
        "htu": url,
        "iat": int(time.time()),
        "jti": secrets.token_urlsafe(16),
    }
    if credential is not None:
        claims["ath"] = access_token_hash(credential)

    def part(value: dict[str, Any]) -> str:
        return _b64url(json.dumps(value, separators=(",", ":")).encode())

    head = {"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}
    signing_input = f"{part(head)}.{part(claims)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def build_world(env: dict[str, str], people: int) -> list[Person]:
    """Migrate the store and make `people` members, each with an account, a session and a key."""
    from broker import sessions
    from broker.db import Base, make_engine, make_session_factory, transaction
    from broker.keyring import load_keyring
    from broker.migrate import upgrade
    from broker.models import ItemRole, WorkspaceRole
    from broker.services import accounts, members, shares, workspaces
    from broker.services.shares import Subject, Target
    from broker.settings import Settings
    from broker.vault import Vault

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        settings = Settings.from_env()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    engine = make_engine(settings.database_url)
    if engine.dialect.name == "sqlite":
        upgrade(engine)
    else:  # a schema of its own, named in the URL's options, which Alembic's config cannot hold
        Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    vault = Vault(load_keyring(settings))
    made: list[Person] = []
    with transaction(factory) as db:
        workspace = workspaces.create_workspace(db, settings.workspace_name)
        for n in range(people):
            member = members.add_member(
                db,
                workspace.id,
                f"bench{n}@example.com",
                name=f"Bench {n}",
                role=WorkspaceRole.USER,
                external_id=f"00u{n:017d}",
            )
            account = accounts.create_account(
                db,
                workspace.id,
                accounts.AccountInput(
                    name=f"Account {n}",
                    app_name="Bench",
                    login_url="https://bench.example.com/login",
                    username=f"user{n}",
                    password=f"pw-{n}",
                    totp_secret=TOTP_SECRET,
                ),
                vault=vault,
            )
            shares.share(
                db,
                workspace.id,
                Subject(member_id=member.id),
                Target(account_id=account.id),
                ItemRole.COLLABORATOR,
            )
            cookie, row = sessions.open_session(db, member.id, ttl_s=8 * 3600)
            credential, pem = register_extension(db, member, row.id, settings.broker_url)
            made.append(Person(account.id, cookie, credential, pem))
    engine.dispose()
    return made


def register_extension(db: Any, member: Any, session_id: str, broker_url: str) -> tuple[str, str]:
    """A new extension key for the member's broker session, registered through the broker's own
    code with a real ES256 proof: (the extension's credential, its private key as PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from broker.ext_api.credentials import Call, register
    from broker.models import utcnow

    url = broker_url + MOUNT + "/keys"
    key = ec.generate_private_key(ec.SECP256R1())
    call = Call("POST", url, None, (_proof(key, "POST", url, None),), EXTENSION_ORIGIN)
    numbers = key.public_key().public_numbers()
    public = {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }
    registered = register(
        db, member=member, session_id=session_id, call=call, jwk=public, now=utcnow()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return registered.credential, pem


# --- servers and their CPU ---------------------------------------------------------------------


def trivial_app() -> Any:
    """The baseline: the cheapest page Starlette serves, under the same uvicorn."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def page(_request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/healthz", page), Route("/", page)])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            pids.extend(_tree(int(child)))
    return pids


def server_cpu_s(pid: int) -> float:
    """utime + stime of the server process and every process under it, in seconds."""
    total = 0
    for each in _tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (proc(5), fields 14 and 15)
    return total / _TICKS


@contextmanager
def serving(env: dict[str, str], port: int, workers: int, *, trivial: bool) -> Iterator[int]:
    """A server on `port`; yields its pid once `/healthz` answers."""
    if trivial:
        code = (
            "import sys, uvicorn; sys.path.insert(0, sys.argv[1]); "
            "uvicorn.run('launch_load:trivial_app', factory=True, host='127.0.0.1', "
            "port=int(sys.argv[2]), workers=int(sys.argv[3]), access_log=False, "
            "log_level='warning', server_header=False)"
        )
        argv = [sys.executable, "-c", code, str(Path(__file__).parent), str(port), str(workers)]
    else:
        code = "from latchkey.cli import main; main()"
        argv = [sys.executable, "-c", code, "serve", "--port", str(port)]
        argv += ["--workers", str(workers), "--log-level", "warning"]
    proc = subprocess.Popen(argv, env={**os.environ, **env}, cwd=ROOT)  # noqa: S603
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server on port {port} did not start")
            time.sleep(0.2)
        time.sleep(0.5 * workers)  # every worker up, not only the first
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- the load generator (its own process) ------------------------------------------------------


class LaunchFailed(RuntimeError):
    """A step of a launch did not answer 200 (`status` 0: no HTTP answer at all)."""

    def __init__(self, step: str, status: int, detail: str = "") -> None:
        super().__init__(f"{step}: {status} {detail[:200]}".strip())
        self.step = step
        self.status = status


class Launcher:
    """A member's browser and extension: launch page → redeem → code, as the extension does.

    `base` is where the requests go; the proofs name `public` (the broker's LATCHKEY_BROKER_URL),
    which differs when several brokers serve one public URL. `redeem_base` sends the redeem to
    another replica than the page and the code, as a load balancer may."""

    def __init__(
        self,
        client: Any,
        base: str,
        person: dict[str, str],
        *,
        public: str | None = None,
        redeem_base: str | None = None,
    ) -> None:
        from cryptography.hazmat.primitives import serialization

        self.client = client
        self.base = base
        self.public = public or base
        self.redeem_base = redeem_base or base
        self.person = person
        self.key = serialization.load_pem_private_key(person["key_pem"].encode(), None)

    async def _api(self, base: str, path: str, body: dict[str, str]) -> dict[str, Any]:
        import httpx

        url = self.public + MOUNT + path
        credential = self.person["credential"]
        try:
            answer = await self.client.post(
                base + MOUNT + path,
                content=json.dumps(body).encode(),
                headers={
                    "Origin": EXTENSION_ORIGIN,
                    "Content-Type": "application/json",
                    "Authorization": f"DPoP {credential}",
                    "DPoP": _proof(self.key, "POST", url, credential),
                },
            )
        except httpx.TransportError as exc:
            raise LaunchFailed(path, 0, repr(exc)) from exc
        if answer.status_code != 200:
            raise LaunchFailed(path, answer.status_code, answer.text)
        result: dict[str, Any] = answer.json()
        return result

    async def launch(self) -> None:
        import httpx

        try:
            page = await self.client.get(
                f"{self.base}/launch/{self.person['account_id']}",
                headers={"Cookie": f"latchkey_session={self.person['cookie']}"},
            )
        except httpx.TransportError as exc:
            raise LaunchFailed("launch page", 0, repr(exc)) from exc
        found = _GRANT.search(page.text)
        if page.status_code != 200 or found is None:
            raise LaunchFailed("launch page", page.status_code)
        released = await self._api(self.redeem_base, "/grants/redeem", {"grant": found.group(1)})
        code = await self._api(self.base, "/code", {"ticket": released["ticket"]})
        if not code.get("code"):
            raise LaunchFailed("/code", 200, "no code")


def _summary(latencies: list[float], errors: int, wall: float) -> dict[str, Any]:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0

    return {
        "done": len(ordered),
        "errors": errors,
        "per_s": len(ordered) / wall if wall else 0.0,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
    }


async def _closed(base: str, people: list[dict[str, str]], seconds: float, trivial: bool) -> Any:
    import httpx

    limits = httpx.Limits(max_connections=len(people), max_keepalive_connections=len(people))
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        latencies: list[float] = []
        errors = 0
        stop = time.monotonic() + seconds

        async def loop(person: dict[str, str]) -> None:
            nonlocal errors
            launcher = Launcher(client, base, person) if not trivial else None
            while time.monotonic() < stop:
                start = time.monotonic()
                try:
                    if launcher is None:
                        (await client.get(base + "/")).raise_for_status()
                    else:
                        await launcher.launch()
                    latencies.append(time.monotonic() - start)
                except Exception as exc:
                    if errors == 0:
                        print(f"  error: {exc!r}", file=sys.stderr)
                    errors += 1

        began = time.monotonic()
        await asyncio.gather(*(loop(p) for p in people))
        return _summary(latencies, errors, time.monotonic() - began)


async def _open(base: str, people: list[dict[str, str]], seconds: float, rate: float) -> Any:
    import httpx

    async with httpx.AsyncClient(timeout=30) as client:
        launchers = [Launcher(client, base, p) for p in people]
        latencies: list[float] = []
        errors = 0
        began = time.monotonic()
        tasks = []

        async def one(launcher: Launcher, scheduled: float) -> None:
            nonlocal errors
            try:
                await launcher.launch()
                latencies.append(time.monotonic() - scheduled)  # from the schedule: no omission
            except Exception as exc:
                if errors == 0:
                    print(f"  error: {exc!r}", file=sys.stderr)
                errors += 1

        for n in range(int(seconds * rate)):
            scheduled = began + n / rate
            await asyncio.sleep(max(0.0, scheduled - time.monotonic()))
            tasks.append(asyncio.create_task(one(launchers[n % len(launchers)], scheduled)))
        await asyncio.gather(*tasks)
        return _summary(latencies, errors, time.monotonic() - began)


async def _keepalive(base: str, count: int) -> Any:
    import httpx

    async with httpx.AsyncClient(timeout=30) as client:
        await client.get(base + "/healthz")
        times = []
        for _ in range(count):
            start = time.monotonic()
            (await client.get(base + "/healthz")).raise_for_status()
            times.append(time.monotonic() - start)
        return {"p50_ms": statistics.median(times) * 1000}


def generate(job: dict[str, Any]) -> dict[str, Any]:
    people = json.loads(Path(job["people_file"]).read_text())[: job.get("clients", CLIENTS)]
    base = job["base"]
    if job["mode"] == "closed":
        return asyncio.run(_closed(base, people, job["seconds"], job.get("trivial", False)))
    if job["mode"] == "open":
        return asyncio.run(_open(base, people, job["seconds"], job["rate"]))
    return asyncio.run(_keepalive(base, job["count"]))


def run_generator(job: dict[str, Any], server_pid: int) -> dict[str, Any]:
    """The load generator in a process of its own; the server's CPU over its run."""
    before = server_cpu_s(server_pid)
    answer = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--generate", json.dumps(job)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    cpu = server_cpu_s(server_pid) - before
    if answer.returncode != 0:
        raise SystemExit(f"the load generator failed:\n{answer.stderr[-2000:]}")
    sys.stderr.write(answer.stderr)
    result: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    result["server_cpu_s"] = cpu
    result["cpu_ms_per_op"] = cpu * 1000 / result["done"] if result.get("done") else None
    return result


# --- the runs ----------------------------------------------------------------------------------


@contextmanager
def store(engine: str, data_dir: Path) -> Iterator[str | None]:
    """A fresh database URL for `engine`, or None when PostgreSQL is not reachable."""
    if engine == "sqlite":
        yield f"sqlite:///{data_dir / 'latchkey.db'}"
        return
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from broker.db import make_engine

    url = os.environ.get(
        "LATCHKEY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    schema = f"lk_bench_{secrets.token_hex(4)}"
    admin = make_engine(url, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError:
        admin.dispose()
        yield None
        return
    try:
        yield f"{url}?options=-csearch_path={schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def bench_engine(engine: str, args: argparse.Namespace, trivial_cpu_ms: float) -> Any:
    with tempfile.TemporaryDirectory(prefix="lk-bench-") as tmp, store(engine, Path(tmp)) as url:
        if url is None:
            print(f"\n{engine}: not reachable, skipped")
            return None
        port = _free_port()
        env = {
            "LATCHKEY_DATA_DIR": tmp,
            "LATCHKEY_DATABASE_URL": url,
            "LATCHKEY_MASTER_KEYS": "bench:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "LATCHKEY_WORKSPACE": "Bench",
            "LATCHKEY_EXTENSION_ORIGINS": EXTENSION_ORIGIN,
            "LATCHKEY_BROKER_URL": f"http://127.0.0.1:{port}",
        }
        began = time.monotonic()
        people = build_world(env, CLIENTS)
        print(f"{engine:10} world of {CLIENTS} members made in {time.monotonic() - began:.1f} s")
        people_file = Path(tmp) / "people.json"  # the sessions and keys: deleted with `tmp`
        people_file.write_text(json.dumps([p.__dict__ for p in people]))
        base = f"http://127.0.0.1:{port}"
        job = {"base": base, "people_file": str(people_file), "seconds": args.duration}
        out: dict[str, Any] = {}
        for workers in (1, 2):
            with serving(env, port, workers, trivial=False) as pid:
                run_generator({**job, "mode": "closed", "clients": 4, "seconds": 1}, pid)  # warm
                keep = run_generator({**job, "mode": "keepalive", "count": args.keepalive}, pid)
                closed = run_generator({**job, "mode": "closed"}, pid)
                out[f"keepalive_p50_ms_{workers}w"] = keep["p50_ms"]
                out[f"closed_{workers}w"] = closed
                print(
                    f"{engine:10} {workers} worker(s)  closed loop x{CLIENTS}: "
                    f"{closed['per_s']:6.1f} launches/s  p50 {closed['p50_ms']:6.1f} ms  "
                    f"p99 {closed['p99_ms']:6.1f} ms  server CPU {closed['cpu_ms_per_op']:.2f} "
                    f"ms/launch  errors {closed['errors']}  keep-alive p50 {keep['p50_ms']:.2f} ms"
                )
                if workers == 1:
                    opened = run_generator({**job, "mode": "open", "rate": args.rate}, pid)
                    out["open_1w"] = opened
                    print(
                        f"{engine:10} 1 worker   open loop {args.rate:g}/s: "
                        f"p50 {opened['p50_ms']:6.1f} ms  p99 {opened['p99_ms']:6.1f} ms  "
                        f"server CPU {opened['cpu_ms_per_op']:.2f} ms/launch  "
                        f"errors {opened['errors']}"
                    )
        cpu = out["closed_1w"]["cpu_ms_per_op"]
        out["summary"] = {
            "cpu_ms_per_launch": round(cpu, 2),
            "cpu_ratio_vs_trivial": round(cpu / trivial_cpu_ms, 1),
            "p99_ms_open": round(out["open_1w"]["p99_ms"], 1),
            "two_worker_speedup": round(out["closed_2w"]["per_s"] / out["closed_1w"]["per_s"], 2),
            "keepalive_p50_ms_1w": round(out["keepalive_p50_ms_1w"], 2),
            "keepalive_p50_ms_2w": round(out["keepalive_p50_ms_2w"], 2),
        }
        print(f"{engine:10} " + json.dumps(out["summary"]))
        return out["summary"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs, SQLite only (< 1 min)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per loaded run")
    parser.add_argument("--rate", type=float, default=10.0, help="open-loop launches per second")
    parser.add_argument("--keepalive", type=int, default=300, help="sequential keep-alive GETs")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        print(json.dumps(generate(json.loads(args.generate))))
        return
    if args.quick:
        args.duration, args.keepalive, args.no_postgres = 3.0, 50, True
        args.rate = min(args.rate, 5.0)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="lk-bench-") as tmp:
        people_file = Path(tmp) / "people.json"
        people_file.write_text(json.dumps([{}] * CLIENTS))
        job = {"base": f"http://127.0.0.1:{port}", "people_file": str(people_file)}
        with serving({}, port, 1, trivial=True) as pid:
            trivial = run_generator(
                {**job, "mode": "closed", "trivial": True, "seconds": args.duration}, pid
            )
    print(
        f"trivial    1 worker   closed loop x{CLIENTS}: {trivial['per_s']:6.0f} req/s  "
        f"p50 {trivial['p50_ms']:6.1f} ms  server CPU {trivial['cpu_ms_per_op']:.3f} ms/request"
    )
    engines = [
        e for e, off in (("sqlite", args.no_sqlite), ("postgresql", args.no_postgres)) if not off
    ]
    results = [bench_engine(engine, args, trivial["cpu_ms_per_op"]) for engine in engines]
    first = next(r for r in results if r is not None)
    print(json.dumps({k: first[k] for k in list(first)[:4]}))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
