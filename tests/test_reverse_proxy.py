"""The documented deployment, for real: nginx (Debian's package) in front of ``deploy/serve`` (waitress), both
started here on 127.0.0.1 from the committed ``deploy/nginx/comptoir.conf`` and ``deploy/serve`` (only ports and
certificate paths replaced), the app configured from ``COMPTOIR_*`` variables as in production, on SQLite and on
PostgreSQL.

Clients connect from distinct loopback addresses (127.0.0.2, 127.0.0.3…), so the proxy sees each as its own
client; each names the site as a browser on port 443 would (``Host: comptoir.example.org``), the test's ports being
an artifact of the test. A client's own ``X-Forwarded-For`` must change nothing. With ``CI=true`` a missing nginx
fails, never skips.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from server import create_app
from server.extensions import db
from server.models import AuditEntry
from tests.conftest import BACKENDS, POSTGRES_URL, missing
from tests.helpers import csrf_token, make_sign_in_token
from tests.proxy_harness import (
    BASE_URL,
    NGINX,
    ROOT,
    SERVE,
    SITE,
    Client,
    app_environment,
    free_port,
    start_nginx,
    start_serve,
    stop,
    wait_for_port,
)

SECRET_KEY = "reverse-proxy-test"
ADDRESS_LIMIT = "3 per minute"  # per client address, small enough to reach in a test


@dataclass
class Deployment:
    app: object  # a Flask app on the same database, to make sign-in links and read the audit log
    http_port: int
    https_port: int


def database_url(backend: str, request: pytest.FixtureRequest, folder: Path) -> str:
    """A URL that says it all (COMPTOIR_DATABASE_URL is a string): PostgreSQL's schema travels as ``options``."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'comptoir.sqlite'}"
    schema = request.getfixturevalue("postgres_schema")
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}{urlencode({'options': f'-csearch_path={schema}'})}"


@pytest.fixture(scope="module", params=BACKENDS)
def deployment(request, tmp_path_factory) -> Deployment:
    if not os.path.exists(NGINX):
        missing(f"nginx ({NGINX}; apt-get install nginx)")
    folder = tmp_path_factory.mktemp("reverse-proxy")
    instance = folder / "instance"
    instance.mkdir()
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    database = database_url(request.param, request, folder)

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database, "INSTANCE_PATH": str(instance), "SECRET_KEY": SECRET_KEY}
        | {"BASE_URL": BASE_URL}
    )
    with app.app_context():
        db.drop_all()  # PostgreSQL: the run's schema, which other modules' tests use and empty after them
        db.create_all()

    env = app_environment(
        BASE_URL=BASE_URL,
        DATABASE_URL=database,
        INSTANCE_PATH=str(instance),
        SECRET_KEY=SECRET_KEY,
        AUTH_RATE_LIMIT=ADDRESS_LIMIT,
    )
    app_log = folder / "app.log"
    server = start_serve(env, app_port, app_log)
    proxy = start_nginx(folder, [app_port], http_port, https_port)
    nginx_log = folder / "nginx.out"
    try:
        wait_for_port(app_port, server, "deploy/serve", app_log)
        wait_for_port(https_port, proxy, "nginx", nginx_log)
        yield Deployment(app=app, http_port=http_port, https_port=https_port)
    finally:
        stop(proxy)
        stop(server)
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def audit_addresses(app, action: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.remote_addr).where(AuditEntry.action == action)))


def test_the_app_sees_the_address_the_proxy_saw_not_the_one_the_client_claims(deployment):
    client = Client(deployment, "127.0.0.2")
    forged = {"X-Forwarded-For": "198.51.100.7", "X-Real-IP": "198.51.100.7", "Forwarded": "for=198.51.100.7"}
    token = make_sign_in_token(deployment.app, "admin@example.org")
    page = client.get(f"/auth/link/{token}", headers=forged)
    assert page.status == 200, page.body
    form = urlencode({"csrf_token": csrf_token(page.body)})
    signed_in = client.request(
        "POST",
        f"/auth/link/{token}",
        body=form,
        headers=forged
        | {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"{BASE_URL}/auth/link/{token}"},
    )
    assert signed_in.status == 302, signed_in.body
    assert audit_addresses(deployment.app, "sign_in.link") == ["127.0.0.2"]
    assert client.get("/admin/").status == 200  # the Secure session cookie came back over https


def test_https_is_what_the_app_sees(deployment):
    client = Client(deployment, "127.0.0.5")
    answer = client.get("/auth/sign-in")
    assert answer.status == 200
    hsts = answer.headers["Strict-Transport-Security"]
    assert hsts and int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 365 * 24 * 3600
    session = next(c for c in answer.cookies() if c.startswith("comptoir_session="))
    assert "; Secure" in session and "; HttpOnly" in session
    # A redirect the app makes with its own scheme and host (a missing trailing slash) stays on https.
    moved = client.get("/admin")
    assert moved.status == 308 and moved.headers["Location"] == f"{BASE_URL}/admin/"
    # Nor does a host a client names in X-Forwarded-Host: the proxy passes it on, waitress removes it.
    elsewhere = client.get("/admin", headers={"X-Forwarded-Host": "evil.example"})
    assert elsewhere.headers["Location"] == f"{BASE_URL}/admin/"
    # A client cannot make the app believe it came over plain http either.
    assert "Strict-Transport-Security" in client.get("/auth/sign-in", headers={"X-Forwarded-Proto": "http"}).headers


def test_scripts_travel_compressed(deployment):
    """The proxy compresses what the app serves uncompressed (docs/performance.md counts on it)."""
    client = Client(deployment, "127.0.0.5")
    decoder = next((ROOT / "pwa" / "dist").glob("*.wasm")).name  # the QR decoder, its name hashed by the build
    for path in ("/assets/app.js", "/assets/app.css", f"/assets/{decoder}"):
        answer = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert answer.status == 200 and answer.headers["Content-Encoding"] == "gzip", path


def test_plain_http_is_sent_to_https(deployment):
    answer = Client(deployment, "127.0.0.5").get("/auth/sign-in?next=/admin/", https=False)
    assert answer.status == 301 and answer.headers["Location"] == f"{BASE_URL}/auth/sign-in?next=/admin/"


def test_each_client_address_has_its_own_count(deployment):
    """Two phones behind the proxy: one reaching the per-address limit leaves the other's intact, whatever
    X-Forwarded-For it sends; the refusal lasts at most the minute of the window."""
    first, second = Client(deployment, "127.0.0.3"), Client(deployment, "127.0.0.4")
    for n in range(3):
        assert first.get(f"/auth/link/first-{n}", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status == 410
    refused = first.get("/auth/link/first-3", headers={"X-Forwarded-For": "127.0.0.4"})
    assert refused.status == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert second.get("/auth/link/second-0").status == 410


# The docs show the deployment as committed.

FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.S | re.M)


def fenced_blocks(path: Path) -> list[str]:
    return [block.rstrip("\n") for block in FENCE.findall(path.read_text())]


SHOWN_IN_FULL = [
    "deploy/nginx/comptoir-upstreams.conf",
    "deploy/comptoir.env.example",
    "deploy/systemd/comptoir@.service",
    "deploy/systemd/comptoir-push.service",
    "deploy/systemd/comptoir-push.timer",
    "deploy/systemd/comptoir-credits.service",
    "deploy/systemd/comptoir-credits.timer",
]


def test_the_docs_show_the_deployment_that_is_tested():
    """docs/deployment.md quotes deploy/serve's command, deploy/nginx/comptoir.conf and the files of SHOWN_IN_FULL as
    they are, names every unit of deploy/systemd/, and no other doc shows another waitress command line for a
    deployment."""
    serve = SERVE.read_text()
    command = serve[serve.index("exec ") :].rstrip("\n")
    deployment = fenced_blocks(ROOT / "docs" / "deployment.md")
    assert command in deployment, "docs/deployment.md must quote deploy/serve's waitress command as it is"
    assert SITE.read_text().rstrip("\n") in deployment, "docs/deployment.md must show deploy/nginx/comptoir.conf"
    for shown in SHOWN_IN_FULL:
        assert (ROOT / shown).read_text().rstrip("\n") in deployment, f"docs/deployment.md must show {shown} as it is"
    text = (ROOT / "docs" / "deployment.md").read_text()
    for unit in sorted((ROOT / "deploy" / "systemd").iterdir()):
        assert unit.name in text, f"docs/deployment.md does not name {unit.name}"
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in fenced_blocks(doc):
            if "waitress-serve" in block:
                assert block == command, f"{doc.name} shows a waitress command other than deploy/serve's:\n{block}"
