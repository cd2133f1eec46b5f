"""Two app servers on one PostgreSQL, for real: Debian's nginx running the committed ``deploy/nginx/comptoir.conf``
with the ``upstream`` block of ``deploy/nginx/comptoir-upstreams.conf`` in front of two ``deploy/serve`` (waitress)
processes, round robin. The servers share nothing but the database and the environment (``COMPTOIR_SECRET_KEY``,
``COMPTOIR_DATABASE_URL``, ``COMPTOIR_RATELIMIT_STORAGE_URI`` on this machine's Redis): each has its own instance
folder, and the operator's commands (``flask --app wsgi …``) run with a third one, as on another host.

Every step goes through the proxy, and the proxy's access log (``$upstream_addr``) shows which server answered: a
form shown by one server and posted to the other, a session made by one and read by the other, a ticket signed by
one and shown by the other. With ``CI=true`` a missing nginx, PostgreSQL or Redis fails, never skips.
"""

import base64
import json
import os
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, select, text

from server import create_app
from server.clock import utcnow
from server.domain.shifts import start_shift
from server.domain.tickets import ticket_text
from server.extensions import db
from server.models import Device, Household, Point, User
from server.qr import svg
from sync.tickets import verify
from tests.conftest import POSTGRES_URL, missing
from tests.factories.primitives import member_of
from tests.factories.sync_api import SyncWorld, sync_world
from tests.helpers import csrf_token
from tests.phones import Phone
from tests.proxy_harness import (
    BASE_URL,
    NGINX,
    Answer,
    Client,
    Served,
    access_log,
    app_environment,
    flask_cli,
    free_port,
    served_to,
    start_nginx,
    start_serve,
    stop,
    wait_for_port,
)

SECRET_KEY = "two-app-servers-test"
REDIS_URL = os.environ.get("COMPTOIR_TEST_REDIS_URL", "redis://127.0.0.1:6379")  # as tests/test_rate_limits.py
ADDRESS_LIMIT = "3 per minute"  # per client address on sign-in links: reached below, through both servers
JSON = {"Content-Type": "application/json"}


@dataclass
class Deployment:
    app: object  # the test's own app on the same database and environment: builds the world, reads the results
    http_port: int
    https_port: int
    folder: Path
    servers: tuple[str, str]  # "127.0.0.1:PORT" of each app server, as the access log names them
    operator: dict[str, str]  # the environment of `flask --app wsgi …` on a third host
    world: SyncWorld
    third_volunteer: int

    def served(self, client: Client, since: int = 0) -> list[Served]:
        """What the proxy served ``client``, from its ``since``-th request on."""
        return served_to(self.folder, client)[since:]

    def upstreams(self, client: Client, since: int = 0, method: str | None = None, path: str | None = None) -> set:
        return {
            line.upstream
            for line in self.served(client, since)
            if (method is None or line.method == method) and (path is None or line.path.startswith(path))
        }


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.exceptions.RedisError:
        return False


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Deployment:
    if not os.path.exists(NGINX):
        missing(f"nginx ({NGINX}; apt-get install nginx)")
    if not POSTGRES_URL:
        missing("PostgreSQL (COMPTOIR_TEST_POSTGRES_URL)")
    if not redis_answers():
        missing(f"Redis at {REDIS_URL} (apt-get install redis-server)")
    folder = tmp_path_factory.mktemp("two-app-servers")
    # A database of its own, not a schema: the event log's advisory lock is database-wide, and other test runs on
    # the same server must not make this one wait.
    name = f"comptoir_two_{uuid.uuid4().hex[:12]}"
    server_url = make_url(POSTGRES_URL)
    admin_engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = server_url.set(database=name).render_as_string(hide_password=False)
    shared = {
        "BASE_URL": BASE_URL,
        "DATABASE_URL": database,
        "SECRET_KEY": SECRET_KEY,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": name,  # this run's counts only, whoever else uses this Redis
        "AUTH_RATE_LIMIT": ADDRESS_LIMIT,
    }

    def environment(name: str) -> dict[str, str]:
        instance = folder / name
        instance.mkdir()
        return app_environment(**shared, INSTANCE_PATH=str(instance))

    operator = environment("instance-operator")
    flask_cli(operator, "db", "upgrade")  # the real migrations, once, as docs/deployment.md says

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "INSTANCE_PATH": str(folder / "instance-test"),
            "SECRET_KEY": SECRET_KEY,
            "BASE_URL": BASE_URL,
        }
    )
    with app.app_context():
        world = sync_world()
        point = db.session.get(Point, world.point)
        third = member_of(point, "volunteer", "v2@example.org")  # sync_world has v0 and v1
        db.session.add(third)
        db.session.commit()
        third_volunteer = third.id

    ports = [free_port(), free_port()]
    http_port, https_port = free_port(), free_port()
    servers = [start_serve(environment(f"instance-{n}"), port, folder / f"app-{n}.log") for n, port in enumerate(ports)]
    proxy = start_nginx(folder, ports, http_port, https_port)
    try:
        for n, (server, port) in enumerate(zip(servers, ports, strict=True)):
            wait_for_port(port, server, f"deploy/serve {n}", folder / f"app-{n}.log")
        wait_for_port(https_port, proxy, "nginx", folder / "nginx.out")
        yield Deployment(
            app=app,
            http_port=http_port,
            https_port=https_port,
            folder=folder,
            servers=tuple(f"127.0.0.1:{port}" for port in ports),
            operator=operator,
            world=world,
            third_volunteer=third_volunteer,
        )
    finally:
        stop(proxy)
        for server in servers:
            stop(server)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def submit(client: Client, page_path: str, fields: dict, action: str | None = None) -> Answer:
    """GET the page (one server), POST its form with the page's CSRF token (the next request: the other server)."""
    page = client.get(page_path)
    assert page.status == 200, (page_path, page.status)
    return client.post_form(action or page_path, {"csrf_token": csrf_token(page.body), **fields}, referer=page_path)


@pytest.fixture(scope="module")
def admin(deployment) -> Client:
    """A coordinator (the network's admin) signed in through the link ``flask --app wsgi admin link`` prints."""
    output = flask_cli(deployment.operator, "admin", "link", "admin@example.org")
    link = re.search(rf"{re.escape(BASE_URL)}(/auth/link/\S+)", output)
    assert link, output
    client = Client(deployment, "127.0.0.2")
    signed_in = submit(client, link.group(1), {})
    assert signed_in.status == 302 and signed_in.headers["Location"].endswith("/admin/"), signed_in.body
    return client


def test_both_servers_answer_through_the_proxy(deployment):
    client = Client(deployment, "127.0.0.3")
    for _ in range(4):
        assert client.get("/auth/sign-in").status == 200
    assert deployment.upstreams(client) == set(deployment.servers)


def test_a_sign_in_begun_on_one_server_ends_on_the_other(deployment, admin):
    link = [line for line in deployment.served(admin) if line.path.startswith("/auth/link/")]
    assert [line.method for line in link] == ["GET", "POST"]
    assert {line.upstream for line in link} == set(deployment.servers)  # the form's CSRF token crossed over
    before = len(deployment.served(admin))
    for _ in range(2):
        assert admin.get("/admin/").status == 200  # the session cookie, signed by one, read by both
    assert deployment.upstreams(admin, before) == set(deployment.servers)


def test_rate_limit_counts_are_shared_by_the_servers(deployment):
    """Each server counting on its own would let a client try twice the limit; with Redis the 4th try is refused,
    whichever server it reaches."""
    client = Client(deployment, "127.0.0.4")
    for n in range(3):
        assert client.get(f"/auth/link/not-a-token-{n}").status == 410
    refused = client.get("/auth/link/not-a-token-3")
    assert refused.status == 429, refused.status
    assert deployment.upstreams(client) == set(deployment.servers)


def test_admin_forms_succeed_whichever_server_gets_the_post(deployment, admin):
    before = len(deployment.served(admin))
    for name in ("Champ Fleuri", "Mairie annexe"):
        fields = {"name": name, "town": "Noisiel", "address": "", "notes": "", "active": "y"}
        created = submit(admin, "/admin/points/new", fields)
        assert created.status == 302, created.body
        admin.get("/admin/points/")  # one request more: the next form is shown and posted by the other servers
    with deployment.app.app_context():
        point_id = db.session.scalar(select(Point.id).where(Point.name == "Mairie annexe"))
    edited = submit(admin, f"/admin/points/{point_id}/edit", {"name": "Mairie", "town": "Torcy", "active": "y"})
    assert edited.status == 302, edited.body
    assert deployment.upstreams(admin, before, "POST", "/admin/points/new") == set(deployment.servers)
    with deployment.app.app_context():
        assert db.session.get(Point, point_id).town == "Torcy"
        assert db.session.scalar(select(Point.id).where(Point.name == "Champ Fleuri")) is not None


@dataclass
class Enrolled:
    client: Client
    phone: Phone  # builds the chained events; its own test client is not used here

    def api(self, method: str, path: str, body: object | None = None) -> Answer:
        headers = self.phone.headers | {"Content-Type": "application/json"}
        return self.client.request(method, path, body=None if body is None else json.dumps(body), headers=headers)


@pytest.fixture(scope="module")
def phones(deployment, admin) -> list[Enrolled]:
    """Three phones enrolled by the admin's form and the phones' own request, each with a volunteer's shift (made
    by the domain: a passkey needs a browser, tests/browser/test_device_enrolment.py)."""
    world = deployment.world
    volunteers = [world.volunteer, world.second_volunteer, deployment.third_volunteer]
    enrolled = []
    for n, volunteer in enumerate(volunteers):
        page = submit(admin, "/admin/devices/enrol", {"name": f"Téléphone {n}", "points": [str(world.point)]})
        assert page.status == 200, page.body
        token = re.search(r"/app/enrol#([A-Za-z0-9_\-]+)", page.body)
        assert token, page.body
        client = Client(deployment, f"127.0.1.{n + 1}")
        answer = client.request("POST", "/api/devices/enrol", body=json.dumps({"token": token.group(1)}), headers=JSON)
        assert answer.status == 201, answer.body
        credential, public_id = answer.json()["credential"], answer.json()["device"]["id"]
        with deployment.app.app_context():
            device = db.session.scalar(select(Device).where(Device.public_id == public_id))
            _shift, shift_token = start_shift(
                device, db.session.get(User, volunteer), now=utcnow() - timedelta(minutes=1)
            )
            db.session.commit()
        phone = Phone(deployment.app, None, public_id, volunteer, credential, shift_token)
        enrolled.append(Enrolled(client, phone))
    return enrolled


def test_enrolled_phones_are_known_to_both_servers(deployment, phones):
    for enrolled in phones:
        for _ in range(2):
            me = enrolled.api("GET", "/api/me")
            assert me.status == 200, me.body
            assert me.json()["device"]["id"] == enrolled.phone.device_id
        assert deployment.upstreams(enrolled.client, path="/api/me") == set(deployment.servers)


def test_the_puller_sees_every_event_of_the_other_phones_exactly_once(deployment, phones):
    """Two phones upload at once, batch after batch, through both servers, while a third pulls with a small page;
    then each phone uploads twice more, in turn, and the third pulls what is left. Every event arrives once, none is
    missed.

    Round robin alternates the servers request by request, whoever sends them: during the race, one phone's requests
    may all land on one server. The two uploads in turn, with nothing else in between, land on both."""
    distribution = deployment.world.distribution
    uploaders, puller = phones[:2], phones[2]
    failures: list[str] = []

    def upload(enrolled: Enrolled, batches: range) -> None:
        try:
            for batch in batches:
                events = [
                    enrolled.phone.record("note", {"text": f"{enrolled.phone.device_id} {batch}.{n}"}, distribution)
                    for n in range(5)
                ]
                answer = enrolled.api("POST", "/api/events", {"events": events})
                if answer.status != 200:
                    failures.append(f"{answer.status} {answer.body[:200]}")
        except Exception as exc:  # reported below, in the test's thread
            failures.append(repr(exc))

    seen: list[str] = []
    cursor = "0"

    def pull_page() -> bool:
        nonlocal cursor
        answer = puller.api("GET", f"/api/distributions/{distribution}/events?since={cursor}&limit=7")
        assert answer.status == 200, answer.body
        body = answer.json()
        seen.extend(event["id"] for event in body["events"])
        cursor = body["cursor"]
        return body["more"]

    before = [len(deployment.served(enrolled.client)) for enrolled in phones]  # what came before the race
    threads = [threading.Thread(target=upload, args=(enrolled, range(6))) for enrolled in uploaders]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        pull_page()
        time.sleep(0.05)  # a phone pulls every few seconds; this one often, not in a busy loop
    for thread in threads:
        thread.join()
    raced = set().union(*(deployment.upstreams(enrolled.client, n) for enrolled, n in zip(phones, before, strict=True)))
    assert raced == set(deployment.servers)
    for enrolled, n in zip(uploaders, before[:2], strict=True):
        upload(enrolled, range(6, 8))
        assert deployment.upstreams(enrolled.client, n, "POST") == set(deployment.servers)
    while pull_page():
        pass
    assert not failures, failures
    sent = [event["id"] for enrolled in uploaders for event in enrolled.phone.sent]
    assert len(sent) == 80
    duplicates = [event_id for event_id, count in Counter(seen).items() if count > 1]
    assert not duplicates, f"{len(duplicates)} events pulled twice"
    assert set(seen) == set(sent)
    # Each uploader pulls too, in pages of 7 from both servers: the other's events, each once, never its own.
    first, second = uploaders
    for enrolled, other in ((first, second), (second, first)):
        pulled, since, more = [], "0", True
        while more:
            page = enrolled.api("GET", f"/api/distributions/{distribution}/events?since={since}&limit=7").json()
            pulled += [event["id"] for event in page["events"]]
            since, more = page["cursor"], page["more"]
        assert pulled == [event["id"] for event in other.phone.sent]  # in its order: one batch after the other


def qr_of(html: str) -> str:
    """The QR code's SVG, in a member page's ticket or as ``server.qr.svg`` makes it."""
    figure = re.search(r'<figure class="ticket-qr"[^>]*>(.*?)</figure>', html, re.S)
    match = re.search(r"<svg.*?</svg>", figure.group(1) if figure else html, re.S)
    assert match, "no QR code in the page"
    return match.group(0)


def issue_ticket(admin: Client, household_id: int) -> Answer:
    page = f"/admin/members/{household_id}/ticket"
    return submit(admin, page, {}, action=f"{page}/issue")


def page_token(deployment: Deployment, household_id: int) -> str:
    with deployment.app.app_context():
        return db.session.get(Household, household_id).page_token


def test_a_ticket_issued_on_one_server_shows_on_both(deployment, admin):
    household = deployment.world.households[0]
    issued = issue_ticket(admin, household)
    assert issued.status == 302, issued.body
    member = Client(deployment, "127.0.0.5")
    pages = [member.get(f"/m/{page_token(deployment, household)}") for _ in range(2)]
    assert deployment.upstreams(member) == set(deployment.servers)
    assert [page.status for page in pages] == [200, 200]
    assert qr_of(pages[0].body) == qr_of(pages[1].body)  # Ed25519 is deterministic: the same key, the same QR


def test_a_ticket_is_reissued_by_either_server(deployment, admin):
    household = deployment.world.households[1]
    before = len(deployment.served(admin))
    statuses = []
    for _ in range(2):
        statuses.append(issue_ticket(admin, household).status)
        admin.get("/admin/")  # the second issue is posted to the other server
    assert deployment.upstreams(admin, before, "POST", f"/admin/members/{household}/ticket/issue") == set(
        deployment.servers
    )
    assert statuses == [302, 302]
    with deployment.app.app_context():
        assert db.session.get(Household, household).ticket_serial == 1


def test_every_server_gives_the_same_push_key(deployment):
    client = Client(deployment, "127.0.0.6")
    keys = [client.get("/api/push/key").json()["public_key"] for _ in range(4)]
    assert deployment.upstreams(client) == set(deployment.servers)
    assert len(set(keys)) == 1, f"the servers give {len(set(keys))} different VAPID keys"


def test_after_a_key_rotation_both_servers_sign_with_the_new_key(deployment, admin, phones):
    """``flask tickets rotate-key``, run once on the operator's host: the next tickets either server issues carry
    the new key, and both servers show them."""
    output = flask_cli(deployment.operator, "tickets", "rotate-key")
    key_id = int(re.search(r"key (\d+) now signs", output).group(1))
    households = deployment.world.households[1:]
    before = len(deployment.served(admin))
    statuses = []
    token = csrf_token(admin.get("/admin/points/new").body)  # the session's: any form's will do
    for household in households:
        issue = f"/admin/members/{household}/ticket/issue"
        statuses.append(admin.post_form(issue, {"csrf_token": token}, referer=issue.removesuffix("/issue")).status)
    assert deployment.upstreams(admin, before, "POST", "/admin/members/") == set(deployment.servers)
    assert statuses == [302] * len(households)
    trust = phones[0].api("GET", "/api/tickets/trust")
    assert trust.status == 200, trust.body
    public_keys = {int(key): base64.b64decode(raw) for key, raw in trust.json()["public_keys"].items()}
    assert key_id in public_keys  # the phones already trust it

    member = Client(deployment, "127.0.0.7")
    for household in households:
        pages = [member.get(f"/m/{page_token(deployment, household)}") for _ in range(2)]
        assert [page.status for page in pages] == [200, 200]
        # The ticket both servers show is the one the network's key signs, and phones check it with the new key.
        with deployment.app.app_context():
            expected = ticket_text(db.session.get(Household, household))
        assert qr_of(pages[0].body) == qr_of(pages[1].body) == qr_of(svg(expected))
        assert verify(expected, public_keys).key_id == key_id
    assert deployment.upstreams(member) == set(deployment.servers)


def test_the_proxy_sent_every_server_its_share(deployment):
    """Round robin: over the whole run, each server answered about half the requests."""
    counts = Counter(line.upstream for line in access_log(deployment.folder))
    total = sum(counts.values())
    assert set(counts) == set(deployment.servers), counts
    assert all(count >= total / 3 for count in counts.values()), counts
