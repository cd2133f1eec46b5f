"""The documented deployment, started for real by tests: Debian's nginx running the committed site configuration in
front of ``deploy/serve`` (waitress) processes, everything on 127.0.0.1 under a test's own folder.

Used by tests/test_reverse_proxy.py (one app server) and tests/test_two_app_servers.py (two, round robin). Only
ports, certificate paths and app server addresses of the committed files are replaced, each exactly once, so an edit
of those files that this no longer follows fails instead of testing less.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent
SERVE = ROOT / "deploy" / "serve"
SITE = ROOT / "deploy" / "nginx" / "comptoir.conf"
UPSTREAMS = ROOT / "deploy" / "nginx" / "comptoir-upstreams.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HOST = "comptoir.example.org"  # as in the committed configuration and docs/deployment.md
BASE_URL = f"https://{HOST}"
ONE_UPSTREAM = "upstream comptoir_app {\n    server 127.0.0.1:8000;\n    keepalive 16;\n}\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} stopped ({process.returncode}):\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not listen on {port}:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def app_environment(**comptoir: str) -> dict[str, str]:
    """This process's environment without its ``COMPTOIR_*`` variables, plus ``comptoir`` (``COMPTOIR_`` + key)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMPTOIR_")}
    env |= {f"COMPTOIR_{key}": value for key, value in comptoir.items()}
    env["WAITRESS_SERVE"] = str(Path(sys.executable).parent / "waitress-serve")
    return env


def start_serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """``deploy/serve`` from the project folder, listening on ``port``, its output in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(SERVE)], cwd=ROOT, env=env | {"COMPTOIR_LISTEN": f"127.0.0.1:{port}"}, stdout=out, stderr=out
        )


def flask_cli(env: dict[str, str], *args: str) -> str:
    """``flask --app wsgi …`` from the project folder with ``env``, as an operator runs it; its output."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"flask {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for HOST, made here with ``cryptography``: the clients below do not verify it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _replace_once(text: str, replacements: dict[str, str], name: str) -> str:
    for old, new in replacements.items():
        assert text.count(old) == 1, f"{name}: expected exactly one {old!r}"
        text = text.replace(old, new)
    return text


def upstream_block(app_ports: list[int]) -> str:
    """The ``upstream`` block for the test's app servers: comptoir.conf's own for one, comptoir-upstreams.conf's
    (its comments left out) for two."""
    if len(app_ports) == 1:
        return ONE_UPSTREAM.replace("127.0.0.1:8000", f"127.0.0.1:{app_ports[0]}")
    first, second = app_ports
    text = UPSTREAMS.read_text()
    block = text[text.index("upstream comptoir_app {") :]
    return _replace_once(
        block,
        {
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{first};",
            "server 127.0.0.1:8001;": f"server 127.0.0.1:{second};",
        },
        UPSTREAMS.name,
    )


def render_site(app_ports: list[int], http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """The committed site configuration with this test's app servers, ports and certificate."""
    replacements = {
        ONE_UPSTREAM: upstream_block(app_ports),
        "    listen 80;\n": f"    listen 127.0.0.1:{http_port};\n",
        "    listen [::]:80;\n": "",  # IPv6 may not exist where tests run
        "    listen 443 ssl http2;\n": f"    listen 127.0.0.1:{https_port} ssl http2;\n",
        "    listen [::]:443 ssl http2;\n": "",
        f"/etc/letsencrypt/live/{HOST}/fullchain.pem": str(cert),
        f"/etc/letsencrypt/live/{HOST}/privkey.pem": str(key),
    }
    return _replace_once(SITE.read_text(), replacements, SITE.name)


def nginx_conf(folder: Path, site: Path) -> str:
    """The main configuration around the site: everything under the test's own folder, nothing under /etc or /var.
    The access log names the app server that answered each request (``$upstream_addr``)."""
    user = ""
    if os.geteuid() == 0:  # workers would switch to "nobody", who cannot write the test's folder
        import pwd

        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};"
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    return f"""{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 128; }}
http {{
    log_format upstream '$remote_addr "$request" $status $upstream_addr';
    access_log {folder}/access.log upstream;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {site};
}}
"""


def start_nginx(folder: Path, app_ports: list[int], http_port: int, https_port: int) -> subprocess.Popen:
    cert, key = self_signed_certificate(folder)
    site = folder / "comptoir.conf"
    site.write_text(render_site(app_ports, http_port, https_port, cert, key))
    conf = folder / "nginx.conf"
    conf.write_text(nginx_conf(folder, site))
    with (folder / "nginx.out").open("wb") as out:
        return subprocess.Popen(
            [NGINX, "-e", str(folder / "error.log"), "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


ACCESS_LINE = re.compile(r'^(?P<client>\S+) "(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) (?P<upstream>\S+)$')


@dataclass(frozen=True)
class Served:
    """One line of the proxy's access log."""

    client: str
    method: str
    path: str
    status: int
    upstream: str  # "127.0.0.1:PORT" of the app server that answered, "-" when none did


def access_log(folder: Path) -> list[Served]:
    lines = (folder / "access.log").read_text().splitlines()
    found = [ACCESS_LINE.match(line) for line in lines]
    return [
        Served(m["client"], m["method"], m["path"], int(m["status"]), m["upstream"]) for m in found if m is not None
    ]


def served_to(folder: Path, client: "Client") -> list[Served]:
    """The access log's lines of every request ``client`` made. nginx writes a line once the answer has left, so a
    client may read its answer before the line is there: wait for it, a few seconds at most."""
    deadline = time.monotonic() + 5
    while True:
        lines = [line for line in access_log(folder) if line.client == client.address]
        if len(lines) >= client.requests or time.monotonic() > deadline:
            assert len(lines) == client.requests, (
                f"{client.requests} requests from {client.address}, {len(lines)} logged"
            )
            return lines
        time.sleep(0.05)


class Proxied(Protocol):
    http_port: int
    https_port: int


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str

    def cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []

    def json(self):
        import json

        return json.loads(self.body)


class Client:
    """A browser-like client on its own loopback address, through the proxy; keeps its cookies."""

    def __init__(self, deployment: Proxied, address: str):
        self.deployment, self.address = deployment, address
        self.jar: dict[str, str] = {}
        self.requests = 0  # sent to the proxy: each has its line in the access log

    def request(
        self, method: str, path: str, *, https: bool = True, body: str | bytes | None = None, headers=None
    ) -> Answer:
        if https:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the test's own certificate
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.deployment.https_port, source_address=(self.address, 0), context=context, timeout=60
            )
        else:
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.deployment.http_port, source_address=(self.address, 0), timeout=60
            )
        sent = {"Host": HOST} | (headers or {})
        if self.jar:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.jar.items())
        self.requests += 1
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read().decode(errors="replace"))
        finally:
            connection.close()
        for cookie in answer.cookies():
            name, _, rest = cookie.partition("=")
            self.jar[name] = rest.split(";", 1)[0]
        return answer

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, fields: dict[str, str | list[str]], referer: str | None = None) -> Answer:
        """POST an html form (repeated fields as lists), with the Referer a browser sends (Flask-WTF checks it on
        https)."""
        from urllib.parse import urlencode

        headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"{BASE_URL}{referer or path}"}
        return self.request("POST", path, body=urlencode(fields, doseq=True), headers=headers)
