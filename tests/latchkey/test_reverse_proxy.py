"""docs/deploy.md's nginx configuration, as written, in front of two `latchkey serve` replicas on
one PostgreSQL database: TLS at the proxy, a chiclet launch that signs in through it whichever
replica each request lands on, both replicas serving, `/metrics` kept from the public.

Only the addresses, ports and certificate paths are changed. Skipped, saying so, when nginx is not
installed or PostgreSQL does not answer.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
import secrets
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sandbox.serve import serve_org
from tests.deployment import (
    ROOT,
    Broker,
    Processes,
    eventually,
    free_port,
    postgres_database,
    sign_in_world,
)

pytestmark = pytest.mark.slow

CLIENT_ID = "0oaLatchkeyBehindNginx"


def documented_nginx_config() -> str:
    text = (ROOT / "docs" / "deploy.md").read_text()
    found = re.search(r"```nginx\n(.*?)```", text, re.DOTALL)
    assert found, "docs/deploy.md has no nginx example"
    return found.group(1)


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def nginx(
    directory: Path, replicas: tuple[int, int], http_port: int, https_port: int
) -> Iterator[None]:
    """nginx with the documented server blocks, on loopback ports."""
    binary = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )
    if binary is None:
        pytest.skip("nginx is not installed")
    cert, key = self_signed(directory)
    config = documented_nginx_config()
    for documented, port in zip(("10.0.0.11:8400", "10.0.0.12:8400"), replicas, strict=True):
        config = config.replace(documented, f"127.0.0.1:{port}")
    config = config.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    config = config.replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    config = config.replace("/etc/ssl/latchkey/fullchain.pem", str(cert))
    config = config.replace("/etc/ssl/latchkey/privkey.pem", str(key))
    (directory / "latchkey.conf").write_text(config)
    temp = directory / "nginx-temp"
    temp.mkdir()
    temp.chmod(0o777)
    paths = " ".join(
        f"{kind}_temp_path {temp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (directory / "nginx.conf").write_text(
        f"pid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'nginx-error.log'};\n"
        "events {}\n"
        f"http {{ access_log off; {paths} include {directory / 'latchkey.conf'}; }}\n"
    )
    with (directory / "nginx.out").open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - nginx, with our configuration
            [
                binary,
                "-p",
                str(directory),
                "-c",
                str(directory / "nginx.conf"),
                "-g",
                "daemon off;",
            ],
            stdout=out,
            stderr=out,
        )
    try:

        def listening() -> bool:
            try:
                httpx.get(f"http://127.0.0.1:{http_port}/", timeout=1)
            except httpx.TransportError:
                return process.poll() is not None  # gave up: say why below
            return True

        eventually(listening, 30)
        if process.poll() is not None:
            pytest.fail(
                f"nginx did not start: {process.stderr.read().decode() if process.stderr else ''}"
            )
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_documented_nginx_front_serves_a_launch_from_two_replicas(tmp_path: Path) -> None:
    replica_ports = free_port(), free_port()
    http_port, https_port = free_port(), free_port()
    public = f"https://127.0.0.1:{https_port}"
    with (
        postgres_database() as database,
        serve_org(api_token="00" + secrets.token_urlsafe(30)) as org,
        nginx(tmp_path, replica_ports, http_port, https_port),
    ):
        store = Broker(database, tmp_path)
        seeded = sign_in_world(
            store,
            org,
            public,
            CLIENT_ID,
            FORWARDED_ALLOW_IPS="127.0.0.1",  # nginx
        )
        user, env = seeded.user, seeded.env
        processes = Processes(tmp_path)
        trust = ssl.create_default_context(cafile=str(tmp_path / "fullchain.pem"))
        try:
            for name, port in zip(("first", "second"), replica_ports, strict=True):
                processes.start(name, ["serve", "--port", str(port), "--proxy-headers"], env)
            with httpx.Client(verify=trust) as browser:
                assert eventually(lambda: _ready(browser, public), 60), "no replica became ready"
                plain = browser.get(f"http://127.0.0.1:{http_port}/healthz")
                metrics = browser.get(f"{public}/metrics")
                signed_in = browser.post(
                    f"{org.url}/_sandbox/oidc/sessions", json={"login": user.login}
                )
                assert signed_in.status_code == 201
                hop = browser.get(f"{public}/launch/{seeded.account_id}")
                hops = 1
                while hop.next_request is not None and hops < 12:
                    hop = browser.send(hop.next_request)
                    hops += 1
                cookie = next(c for c in browser.cookies.jar if c.name == "latchkey_session")
        finally:
            logs = {name: processes.stop(name)[1] for name in ("first", "second")}
            store.close()

    assert plain.status_code == 301  # plain http goes to https
    assert plain.headers["location"].startswith("https://")
    assert metrics.status_code == 403  # only the scraper may read it
    assert str(hop.request.url) == f"{public}/launch/{seeded.account_id}"
    assert hop.status_code == 200
    assert '<meta name="latchkey-grant" content="' in hop.text
    assert cookie.secure
    served = {name: _requests(log) for name, log in logs.items()}
    assert all(served.values()), served  # both replicas answered requests of the journey
    paths = {r["path"] for lines in served.values() for r in lines}
    assert {"/auth/callback", f"/launch/{seeded.account_id}"} <= paths


def _ready(browser: httpx.Client, public: str) -> bool:
    try:
        return browser.get(f"{public}/readyz").status_code == 200
    except httpx.TransportError:
        return False


def _requests(stderr: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "latchkey.http"]
