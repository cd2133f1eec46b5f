"""A regional scheme on PostgreSQL: every admin page, the member page, a pack, the 7-day payments export, ``push
send-due`` and 200 phones uploading at once, timed against two app servers on one database.

The network (a schema of its own, built with ``INSERT … SELECT generate_series`` by ``bench/push.py``'s ``build``
and the additions below, in a few minutes): 200,000 households at 200 points, one distribution per point and week
over 12 weeks and the current one, 4 households in 10 ordering each time (~1 million orders, ~2 million lines), half
the past orders handed over and a quarter paid (~700,000 events; a third of the payments from the prepaid account),
prepaid accounts for all, an allowance credited three months running for a third, 2 phones, a coordinator and 4
volunteers per point, tickets for every household (1 in 200 re-issued: its old card revoked), push subscriptions and
two months of deliveries. The schema is kept: a second run with the same size reuses it (``--rebuild`` builds anew).

Then two waitress processes (``deploy/serve``) on the same database, with the same secret key and different instance
folders, answer the requests in turn: a coordinator signed in through ``flask admin link`` (an administrator: the whole
network on each page) opens every admin page; the member page, a phone's pack and the export are read; ``flask push
send-due`` runs with nothing due; then 200 enrolled phones each POST a batch of events at once (threads) while another
phone pulls with its cursor, and every accepted event must be pulled exactly once; the notifications page comes last
(``LAST_PAGES``). A server process that dies is started again, and the table says so.

Run: .venv/bin/python bench/scale.py [--households 200000 --points 200] [--rebuild] [--drop]
(PostgreSQL: COMPTOIR_TEST_POSTGRES_URL, default the local server; ports 5400 and 5401 unless --port.)
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.bulk import PARIS, POSTGRES_URL, sql, step  # noqa: E402
from server import create_app  # noqa: E402
from server.clock import utcnow  # noqa: E402
from server.extensions import db  # noqa: E402

PAGE_TARGET_MS = 300
SEND_DUE_TARGET_S = 5.0
EXPORT_FIRST_BYTE_TARGET_S = 1.0
UPLOAD_P99_TARGET_S = 3.0
SECRET = "bench-scale"
ADMIN_EMAIL = "scale-admin@example.org"

# The point whose pages are opened: point 1 holds households 200, 400…, every one suspended and re-issued (1 in 100
# and 1 in 200 of the network); point 2's are as most are.
SUBJECT_POINT = 2

Row = tuple[str, str, str, bool | None]  # figure, value, target, met (None: no target)


# The network.


def build(households: int, points: int, weeks: int, now: datetime) -> dict[str, int]:
    """The network of the module's docstring at ``now``; returns the row counts."""
    from bench.push import build as push_build

    counts = push_build(
        households,
        now,
        "http://127.0.0.1:9/unused",  # nothing is sent: every delivery due was made
        points=points,
        weeks=(weeks, 0),
        ordering_tenths=4,
        handed_over_twentieths=10,
    )["counts"]
    clock = [time.perf_counter()]
    amount = (
        "(SELECT sum(l.quantity * l.unit_price_cents) FROM order_lines l WHERE l.order_id = o.id) "
        "* o.share_percent / 100"
    )
    prepaid = "o.id % 3 = 0"
    sql(
        "INSERT INTO events (event_id, type, schema_version, device_id, user_id, distribution_id, device_seq, "
        "prev_hash, hash, device_time, received_at, payload) "
        "SELECT substr(h,1,8)||'-'||substr(h,9,4)||'-7'||substr(h,14,3)||'-8'||substr(h,18,3)||'-'||substr(h,21,12), "
        "'payment', 1, 2 * d.point_id - 1, 1000 + 5 * d.point_id + 1, d.id, 10000001 + o.id, "
        "md5('r' || o.id) || md5('s' || o.id), md5('t' || o.id) || md5('u' || o.id), "
        "d.starts_at + (o.id % 100 + 1) * interval '1 minute', d.starts_at + (o.id % 100 + 1) * interval '1 minute', "
        f"json_build_object('order_id', o.id, 'household_id', NULL, 'amount_cents', {amount}, 'method', "
        f"CASE WHEN {prepaid} THEN 'prepaid' ELSE 'cash' END, 'method_details', NULL, 'from_prepaid_cents', "
        f"CASE WHEN {prepaid} THEN {amount} ELSE 0 END, 'from_allowance_cents', 0, 'solidarity_cents', 0) "
        "FROM (SELECT o.*, md5('pay' || o.id) AS h FROM orders o) o JOIN distributions d ON d.id = o.distribution_id "
        "WHERE d.ends_at < :now AND o.id % 20 < 5",
        now=now,
    )
    sql(
        "INSERT INTO account_movements (account_id, amount_cents, kind, reason, event_id, subject_event_id, "
        "distribution_id, device_id, method, occurred_at, created_at) "
        "SELECT a.id, -(e.payload->>'amount_cents')::int, 'payment', '', e.event_id, e.event_id, e.distribution_id, "
        "e.device_id, 'prepaid', e.device_time, e.received_at FROM events e "
        "JOIN orders o ON o.id = (e.payload->>'order_id')::int "
        "JOIN accounts a ON a.household_id = o.household_id AND a.kind = 'prepaid' "
        "WHERE e.type = 'payment' AND e.payload->>'method' = 'prepaid'"
    )
    sql(  # what they paid with was topped up at the office beforehand
        "INSERT INTO account_movements (account_id, amount_cents, kind, reason, occurred_at, created_at) "
        "SELECT account_id, -sum(amount_cents), 'top_up', 'Virement', min(occurred_at) - interval '1 day', "
        "min(occurred_at) - interval '1 day' FROM account_movements WHERE kind = 'payment' GROUP BY account_id"
    )
    sql("INSERT INTO accounts (household_id, kind) SELECT id, 'allowance' FROM households WHERE id % 3 = 0")
    months = [(now.astimezone(PARIS).replace(day=1) - timedelta(days=31 * k)).replace(day=1) for k in range(3)]
    for month in months:
        sql(
            "INSERT INTO account_movements (account_id, amount_cents, kind, reason, period, occurred_at, created_at) "
            "SELECT id, 5000, 'cycle_credit', '', :period, :at, :at FROM accounts WHERE kind = 'allowance'",
            period=f"{month:%Y-%m}",
            at=month.astimezone(UTC),
        )
    sql(
        "UPDATE accounts SET balance_cents = m.total FROM (SELECT account_id, sum(amount_cents) AS total "
        "FROM account_movements GROUP BY account_id) m WHERE m.account_id = accounts.id"
    )
    step("payments (events and prepaid movements), top-ups, allowance credits", clock)

    add_tickets(now)
    sql(  # where the bench's phones upload: a point of its own, so the network's figures stay as built
        "INSERT INTO points (id, name, town, address, ephemeral, active, notes) "
        "VALUES (:id, 'Point des téléphones du banc', 'Ville', '', false, true, '')",
        id=points + 1,
    )
    refresh_held_packs()
    for table in ("tiers", "products", "points", "households", "users", "devices"):  # rows given their ids above
        sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    step("tickets (1 in 200 re-issued), ANALYZE", clock)
    tables = ("households", "distributions", "orders", "order_lines", "events", "accounts", "account_movements")
    counts |= {table: db.session.scalar(text(f"SELECT count(*) FROM {table}")) for table in tables}
    return counts


def refresh_held_packs() -> None:
    """The packs the phones hold, as they are once the payments and tickets are in: nothing has changed since."""
    from server.domain.packs import distribution_pack, inputs_digests
    from server.models import Distribution

    held = db.session.scalars(text("SELECT DISTINCT distribution_id FROM held_packs")).all()
    inputs = inputs_digests(list(held))
    for distribution_id in held:
        digest = distribution_pack(db.session.get(Distribution, distribution_id)).digest
        db.session.execute(
            text("UPDATE held_packs SET digest = :g, inputs_digest = :i WHERE distribution_id = :d"),
            {"g": digest, "i": inputs[distribution_id], "d": distribution_id},
        )
    db.session.commit()


def add_tickets(now: datetime) -> None:
    """A ticket for every household, signed by the network's key (its current serial: the households whose
    ``ticket_min_serial`` is 1 had their first card revoked), and a manual code each, sent with COPY."""
    from stdnum import luhn

    from sync.manual_codes import ALPHABET, BODY_LENGTH

    ids = db.session.scalars(text("SELECT id FROM households ORDER BY id")).all()
    sql("CREATE TEMPORARY TABLE codes (id integer PRIMARY KEY, code varchar(9))")
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as cursor, cursor.copy("COPY codes (id, code) FROM STDIN") as copy:
        for number in ids:
            value, body = number * 2654435761 % 32**BODY_LENGTH, ""  # distinct for distinct ids below 32^8
            for _ in range(BODY_LENGTH):
                value, digit = divmod(value, 32)
                body += ALPHABET[digit]
            copy.write_row((number, body + luhn.calc_check_digit(body, alphabet=ALPHABET)))
    sql(
        "UPDATE households h SET manual_code = c.code, ticket_serial = h.ticket_min_serial, ticket_key_id = "
        "(SELECT max(id) FROM ticket_keys), ticket_issued_on = :issued FROM codes c WHERE c.id = h.id",
        issued=(now - timedelta(days=120)).date(),
    )
    sql("DROP TABLE codes")


# Where it lives between runs.


def schema_engine_options(schema: str, name: str = "comptoir-bench-scale") -> dict:
    return {"connect_args": {"options": f"-csearch_path={schema}", "application_name": name}}


def bench_app(schema: str, folder: Path):
    """The app in this process, on the bench's schema (its keys are in the schema; ``folder/keys`` stays empty)."""
    return create_app(
        {
            "SECRET_KEY": SECRET,
            "INSTANCE_PATH": str(folder / "keys"),
            "SQLALCHEMY_DATABASE_URI": POSTGRES_URL,
            "SQLALCHEMY_ENGINE_OPTIONS": schema_engine_options(schema),
        }
    )


def built_network(schema: str) -> dict | None:
    """What the schema's marker says was built (None: nothing finished there)."""
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND table_name = 'bench_scale'"),
                {"s": schema},
            ).first()
            if not found:
                return None
            row = connection.execute(text(f'SELECT * FROM "{schema}".bench_scale')).mappings().first()
            return dict(row) if row else None
    finally:
        engine.dispose()


def drop_schema(schema: str) -> None:
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def build_network(schema: str, folder: Path, households: int, points: int, weeks: int) -> dict:
    """A fresh schema and instance folder (the ticket key), the network, and the marker that says it is whole."""
    drop_schema(schema)
    shutil.rmtree(folder, ignore_errors=True)
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    now = utcnow().replace(microsecond=0)
    app = bench_app(schema, folder)
    print(f"Building {households:,} households at {points} points in schema {schema} (PostgreSQL)…", flush=True)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        counts = build(households, points, weeks, now)
        from server.push_keys import application_server_key

        application_server_key()  # the VAPID key, beside the ticket key
        seconds = time.perf_counter() - started
        sql(
            "CREATE TABLE bench_scale (households integer, points integer, weeks integer, built_at timestamptz, "
            "build_seconds float, counts text)"
        )
        sql(
            "INSERT INTO bench_scale VALUES (:h, :p, :w, :at, :s, :c)",
            h=households,
            p=points,
            w=weeks,
            at=now,
            s=seconds,
            c=json.dumps(counts),
        )
    print(f"  built in {seconds:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
    return built_network(schema)  # type: ignore[return-value]


# Two app servers.


def server_env(schema: str, instance: Path, port: int | None = None) -> dict[str, str]:
    env = os.environ | {
        "COMPTOIR_SECRET_KEY": SECRET,
        "COMPTOIR_INSTANCE_PATH": str(instance),
        "COMPTOIR_SQLALCHEMY_DATABASE_URI": POSTGRES_URL,
        "COMPTOIR_SQLALCHEMY_ENGINE_OPTIONS": json.dumps(schema_engine_options(schema)),
        "COMPTOIR_RATELIMIT_ENABLED": "false",  # 200 phones share 127.0.0.1 here; each has its own address in life
        "COMPTOIR_PUSH_QUIET_HOURS": '""',
    }
    if port:
        env["COMPTOIR_LISTEN"] = f"127.0.0.1:{port}"
    return env


class Servers(list):
    """The servers' base URLs, and what starts one again when it died (``crashes`` says which and where)."""

    def __init__(self, schema: str, folder: Path, ports: tuple[int, int]) -> None:
        super().__init__(f"http://127.0.0.1:{port}" for port in ports)
        self.schema, self.folder, self.ports = schema, folder, ports
        self.processes: list[subprocess.Popen] = []
        self.crashes: list[str] = []

    def start(self, number: int) -> subprocess.Popen:
        """Server ``number``, with an instance folder of its own (the keys are in the database); its output (a
        Python traceback of every thread if it crashes: PYTHONFAULTHANDLER) goes to ``server-<number>.log``."""
        instance = self.folder / f"server-{number}"
        instance.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / f"server-{number}.log", "a")  # noqa: SIM115 — closed with the process
        env = server_env(self.schema, instance, self.ports[number]) | {"PYTHONFAULTHANDLER": "1"}
        process = subprocess.Popen(
            [str(ROOT / "deploy/serve")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        wait_for(self[number], process, self.folder)
        return process

    def revive(self, during: str) -> bool:
        """Start again the servers that died (True if one had)."""
        revived = False
        for number, process in enumerate(self.processes):
            if process.poll() is not None:
                self.crashes.append(f"server {number} (exit {process.returncode}) during {during}")
                print(f"  !! server {number} died (exit {process.returncode}) during {during}: started again")
                self.processes[number] = self.start(number)
                revived = True
        return revived


@contextmanager
def two_servers(schema: str, folder: Path, ports: tuple[int, int]) -> Iterator[Servers]:
    """Two ``deploy/serve`` processes on the schema, each with its own instance folder."""
    servers = Servers(schema, folder, ports)
    for number in range(len(ports)):
        shutil.rmtree(folder / f"server-{number}", ignore_errors=True)
        (folder / f"server-{number}.log").unlink(missing_ok=True)
    try:
        for number in range(len(ports)):
            servers.processes.append(servers.start(number))
        yield servers
    finally:
        for process in servers.processes:
            process.terminate()
        for process in servers.processes:
            process.wait(timeout=20)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(base: str, process: subprocess.Popen, folder: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server at {base} stopped: see {folder}/server-*.log")
        try:
            if requests.get(f"{base}/auth/sign-in", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    sys.exit(f"the server at {base} did not answer in 60 s")


def flask_command(env: dict[str, str], *args: str) -> tuple[float, str]:
    """``flask --app wsgi …`` in a new process, as cron or an operator starts it: (seconds, its output)."""
    started = time.perf_counter()
    result = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return time.perf_counter() - started, result.stdout


def sign_in(env: dict[str, str], base: str) -> requests.Session:
    """The coordinator's browser: a one-time link from ``flask admin link``, opened and confirmed (its form's CSRF
    token); the session cookie then opens pages on either server."""
    _seconds, output = flask_command(env, "admin", "link", ADMIN_EMAIL)
    token = re.search(r"/auth/link/(\S+)", output).group(1)  # type: ignore[union-attr]
    browser = requests.Session()
    browser.headers["Accept-Language"] = "fr"
    form = browser.get(f"{base}/auth/link/{token}")
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    answer = browser.post(f"{base}/auth/link/{token}", data={"csrf_token": csrf}, allow_redirects=False)
    assert answer.status_code == 302, (answer.status_code, answer.text[:300])
    return browser


# What is timed.


SLOW_MS = 10_000  # a page this slow is timed once: its figure is plain, and the bench keeps to its minutes
TIMEOUT_S = 300


def timed(browser: requests.Session, bases: list[str], path: str, runs: int, **headers: str) -> tuple[float, int]:
    """The median milliseconds of ``path`` over ``runs`` requests alternating between the servers (after one
    warm-up on each; only the first request when it takes over ``SLOW_MS``), and the size of the last answer."""
    times, size = [], 0
    for number in range(runs + len(bases)):
        base = bases[number % len(bases)]
        started = time.perf_counter()
        try:
            answer = browser.get(base + path, headers=headers, allow_redirects=False, timeout=TIMEOUT_S)
        except requests.ConnectionError:
            if not (isinstance(bases, Servers) and bases.revive(path)):
                raise
            started = time.perf_counter()
            answer = browser.get(base + path, headers=headers, allow_redirects=False, timeout=TIMEOUT_S)
        elapsed = (time.perf_counter() - started) * 1000
        assert answer.status_code == 200, (path, base, answer.status_code, answer.text[:500])
        size = len(answer.content)
        if number >= len(bases) or elapsed > SLOW_MS:
            times.append(elapsed)
        if elapsed > SLOW_MS:
            break
    return statistics.median(times), size


def subjects(schema: str, folder: Path) -> dict:
    """The ids the pages name: ``SUBJECT_POINT``, its last distribution held (with events), an order there paid from
    the prepaid account, its household."""
    app = bench_app(schema, folder)
    with app.app_context():
        row = (
            db.session.execute(
                text(
                    "SELECT d.id AS distribution, o.id AS order_id, o.household_id AS household, h.last_name, "
                    "h.page_token FROM distributions d JOIN orders o ON o.distribution_id = d.id "
                    "JOIN households h ON h.id = o.household_id WHERE d.point_id = :p AND d.ends_at < now() "
                    "AND o.id % 20 < 5 AND o.id % 3 = 0 ORDER BY d.starts_at DESC, o.id LIMIT 1"
                ),
                {"p": SUBJECT_POINT},
            )
            .mappings()
            .one()
        )
        return dict(row) | {"point": SUBJECT_POINT}


# Timed after everything else: at 200,000 households it answers a page of every subscription (40 MB, a minute), and
# twice a server process died (segfault in libpython) about then: the figures before it stand whatever happens.
LAST_PAGES = [("notifications", "/admin/notifications/")]


def page_figures(browser: requests.Session, bases: list[str], ids: dict, runs: int) -> list[Row]:
    p, d, o, h = ids["point"], ids["distribution"], ids["order_id"], ids["household"]
    pages = [
        ("dashboard", "/admin/"),
        ("members list", "/admin/members/"),
        (f"members search by surname ({ids['last_name']})", f"/admin/members/?q={ids['last_name']}"),
        ("member (form)", f"/admin/members/{h}/edit"),
        ("member accounts and movements", f"/admin/members/{h}/accounts"),
        ("member allowance", f"/admin/members/{h}/allowance"),
        ("member membership", f"/admin/members/{h}/membership"),
        ("member ticket", f"/admin/members/{h}/ticket"),
        ("cards to print", "/admin/cards/"),
        ("points", "/admin/points/"),
        ("point (form)", f"/admin/points/{p}/edit"),
        ("point weekly summary", f"/admin/points/{p}/week"),
        ("point history", f"/admin/points/{p}/history"),
        ("distributions list (with the export form)", "/admin/distributions/"),
        ("distribution orders", f"/admin/distributions/{d}/orders"),
        ("distribution log", f"/admin/distributions/{d}/log"),
        ("distribution sign-off", f"/admin/distributions/{d}/sign-off"),
        ("order page", f"/admin/orders/{o}"),
        ("devices list", "/admin/devices/"),
        ("users", "/admin/users/"),
        ("membership", "/admin/membership/"),
        ("allowance", "/admin/allowance/"),
        ("audit", "/admin/audit/"),
        ("products", "/admin/products/"),
        ("tiers", "/admin/tiers/"),
        ("settings", "/admin/settings/"),
    ]
    return admin_pages(browser, bases, pages, runs)


def admin_pages(browser: requests.Session, bases: list[str], pages: list[tuple[str, str]], runs: int) -> list[Row]:
    rows: list[Row] = []
    for label, path in pages:
        try:
            ms, size = timed(browser, bases, path, runs)
        except (AssertionError, requests.RequestException) as failed:  # a server gone or a page refused: said, and on
            rows.append((f"admin: {label}", f"failed: {str(failed)[:120]}", f"< {PAGE_TARGET_MS} ms", False))
            print(f"  {rows[-1][0]}: {rows[-1][1]}", flush=True)
            continue
        rows.append((f"admin: {label}", f"{ms:,.0f} ms ({size / 1024:,.0f} KB)", f"< {PAGE_TARGET_MS} ms", ms < 300))
        print(f"  {rows[-1][0]}: {rows[-1][1]}", flush=True)
    return rows


def member_page_figures(bases: list[str], ids: dict, runs: int) -> list[Row]:
    rows: list[Row] = []
    visitor = requests.Session()
    ms, size = timed(visitor, bases, f"/m/{ids['page_token']}", runs)
    rows.append(("member page /m/<token>", f"{ms:,.0f} ms ({size / 1024:,.0f} KB)", f"< {PAGE_TARGET_MS} ms", ms < 300))
    print(f"  {rows[-1][0]}: {rows[-1][1]}", flush=True)
    return rows


def export_figures(browser: requests.Session, bases: list[str], now: datetime) -> list[Row]:
    """A week of the whole network, as an accountant downloads it: time to the first byte, in all, bytes."""
    today = now.astimezone(PARIS).date()
    period = f"from={today - timedelta(days=6)}&to={today}"
    rows: list[Row] = []
    for number, (label, path) in enumerate(
        [("payments", "/admin/exports/payments.csv"), ("account movements", "/admin/exports/movements.csv")]
    ):
        started = time.perf_counter()
        with browser.get(f"{bases[number % 2]}{path}?{period}", stream=True) as answer:
            assert answer.status_code == 200, (path, answer.status_code)
            chunks = answer.iter_content(chunk_size=None)
            first = next(chunks, b"")
            first_s = time.perf_counter() - started
            size = len(first) + sum(len(chunk) for chunk in chunks)
        total_s = time.perf_counter() - started
        met = first_s < EXPORT_FIRST_BYTE_TARGET_S if label == "payments" else None
        target = f"first byte < {EXPORT_FIRST_BYTE_TARGET_S:.0f} s" if label == "payments" else ""
        value = f"first byte {first_s:.2f} s, all {total_s:.2f} s, {size / 1024:,.0f} KB"
        rows.append((f"export: 7 days of {label}, whole network", value, target, met))
        print(f"  {rows[-1][0]}: {value}", flush=True)
    return rows


def send_due_figures(env: dict[str, str], built_at: datetime, times: int) -> list[Row]:
    """``flask push send-due`` at the moment the network was built (every delivery due then was made): nothing due."""
    runs = []
    for _ in range(times):
        seconds, output = flask_command(env, "push", "send-due", "--now", built_at.isoformat())
        runs.append(seconds)
        print(f"  push send-due, nothing due: {seconds:.2f} s — {output.strip().splitlines()[-1]}", flush=True)
    median = statistics.median(runs)
    return [
        (
            f"`flask push send-due`, nothing due (new process), median of {times}",
            f"{median:.2f} s",
            f"< {SEND_DUE_TARGET_S:.0f} s",
            median < SEND_DUE_TARGET_S,
        )
    ]


# The phones.


class Phones:
    """The bench's phones, enrolled through the domain as the admin page and a volunteer's sign-in do: ``count``
    uploaders at the bench's own point, with a distribution open now of ``orders`` orders; a puller there; and a
    phone at ``SUBJECT_POINT`` for its pack."""

    def __init__(self, schema: str, folder: Path, points: int, count: int, orders: int) -> None:
        from bench.sync import BenchPhone
        from server.domain.devices import create_enrolment, redeem_enrolment
        from server.domain.shifts import start_shift
        from server.models import Distribution, Point, User

        app = bench_app(schema, folder)
        run = uuid.uuid4().hex[:6]
        now = utcnow()
        with app.app_context():
            admin = db.session.get(User, 1)
            point = db.session.get(Point, points + 1)
            distribution = Distribution(
                point=point, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=3)
            )
            db.session.add(distribution)
            db.session.flush()
            self.distribution_id = distribution.id
            self.orders = add_orders(distribution.id, point.id, orders)

            def enrol(name: str, at: Point, volunteer: User) -> tuple[str, dict[str, str]]:
                _offer, token = create_enrolment(admin, name, [at])
                device, credential = redeem_enrolment(token)
                _shift, shift = start_shift(device, volunteer, now=now - timedelta(minutes=5))
                return device.public_id, {"Authorization": f"Device {credential}", "X-Comptoir-Shift": shift}

            self.uploaders: list = []
            per_phone = orders // count
            for n in range(count + 1):
                volunteer = User(email=f"phone-{run}-{n}@example.org", role="volunteer", points=[point])
                db.session.add(volunteer)
                db.session.flush()
                public_id, headers = enrol(f"Téléphone du banc {run}-{n}", point, volunteer)
                if n == count:
                    self.puller = headers
                else:
                    self.uploaders.append(BenchPhone(public_id, volunteer.id, headers, first_order=n * per_phone))
            volunteer = db.session.get(User, 1000 + 5 * SUBJECT_POINT + 1)  # bench/push.py's volunteers of a point
            _id, self.pack_phone = enrol(
                f"Téléphone du banc {run}-pack", db.session.get(Point, SUBJECT_POINT), volunteer
            )
            self.pack_distribution = db.session.scalar(
                text("SELECT id FROM distributions WHERE point_id = :p ORDER BY starts_at DESC LIMIT 1"),
                {"p": SUBJECT_POINT},
            )
            db.session.commit()


def add_orders(distribution_id: int, point_id: int, count: int) -> list[int]:
    """``count`` new households of the point, each with an order of one basket at the distribution; their ids
    (none is subscribed to notifications: ``push send-due`` still finds nothing due after a run)."""
    households = db.session.scalars(
        text(
            "INSERT INTO households (first_name, last_name, phone, tier_id, point_id, status, notes, created_at, "
            "ticket_min_serial) SELECT 'Membre' || n, 'Banc', '', 1, :p, 'active', '', now(), 0 "
            "FROM generate_series(1, :c) n RETURNING id"
        ),
        {"p": point_id, "c": count},
    ).all()
    orders = db.session.scalars(
        text(
            "INSERT INTO orders (distribution_id, household_id, share_percent, created_at) "
            "SELECT :d, h, 100, now() FROM unnest(CAST(:h AS integer[])) h ORDER BY h RETURNING id"
        ),
        {"d": distribution_id, "h": list(households)},
    ).all()
    db.session.execute(
        text(
            "INSERT INTO order_lines (order_id, product_id, quantity, unit_price_cents) "
            "SELECT o, 1, 1, 1500 FROM unnest(CAST(:o AS integer[])) o"
        ),
        {"o": list(orders)},
    )
    return sorted(orders)


def pack_figures(phones: Phones, bases: list[str], runs: int) -> list[Row]:
    headers = phones.pack_phone | {"Accept-Encoding": "gzip"}
    ms, _size = timed(requests.Session(), bases, f"/api/distributions/{phones.pack_distribution}/pack", runs, **headers)
    answer = requests.get(f"{bases[0]}/api/distributions/{phones.pack_distribution}/pack", headers=headers, stream=True)
    zipped = len(answer.raw.read())
    pack = json.loads(
        requests.get(f"{bases[0]}/api/distributions/{phones.pack_distribution}/pack", headers=phones.pack_phone).content
    )
    revoked = len(pack["tickets"]["min_serials"])
    value = f"{ms:,.0f} ms ({zipped / 1024:,.0f} KB gzipped, {len(pack['members'])} members, {revoked:,} revoked)"
    row: Row = (
        f"a phone's pack (GET …/pack, gzip), point {SUBJECT_POINT}'s latest distribution",
        value,
        "(none set; `bench/sync.py`: build < 200 ms for 1,000 members)",
        None,
    )
    print(f"  {row[0]}: {row[1]}", flush=True)
    return [row]


def upload_figures(phones: Phones, bases: list[str], batch: int) -> list[Row]:
    """Every uploader POSTs one batch of ``batch`` events at the same moment (alternating servers) while the puller
    pulls with its cursor (alternating too); every accepted event is pulled exactly once."""
    from bench.sync import post

    bodies = [
        json.dumps({"events": p.events(phones.distribution_id, phones.orders, batch)}).encode()
        for p in phones.uploaders
    ]
    latencies: list[float] = []
    accepted: set[str] = set()
    failures: list[str] = []
    lock = threading.Lock()
    start_line = threading.Barrier(len(phones.uploaders) + 1)
    done = threading.Event()

    def upload(number: int) -> None:
        import http.client

        host, port = bases[number % 2].removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        start_line.wait()
        began = time.perf_counter()
        try:
            results = post(connection, bodies[number], phones.uploaders[number].headers)["results"]
        except (AssertionError, OSError) as failed:
            with lock:
                failures.append(repr(failed)[:200])
            return
        finally:
            connection.close()
        with lock:
            latencies.append(time.perf_counter() - began)
            accepted.update(r["id"] for r in results if r["status"] == "accepted")
            failures.extend(f"{r['id']}: {r['status']}" for r in results if r["status"] != "accepted")

    pulled: list[str] = []
    pulls = [0]

    def pull() -> None:
        cursor, session = "0", requests.Session()
        start_line.wait()
        quiet = 0
        while quiet < 2:  # two empty pulls after the uploads ended: nothing more will come
            finished = done.is_set()
            answer = session.get(
                f"{bases[pulls[0] % 2]}/api/distributions/{phones.distribution_id}/events",
                params={"since": cursor, "limit": 500},
                headers=phones.puller,
            )
            pulls[0] += 1
            assert answer.status_code == 200, (answer.status_code, answer.text[:300])
            data = answer.json()
            pulled.extend(event["id"] for event in data["events"])
            cursor = data["cursor"]
            if not data["events"] and not data["more"]:
                quiet = quiet + 1 if finished else 0
                time.sleep(0.05)

    workers = [threading.Thread(target=upload, args=(n,)) for n in range(len(phones.uploaders))]
    puller = threading.Thread(target=pull)
    for worker in [*workers, puller]:
        worker.start()
    for worker in workers:
        worker.join()
    done.set()
    puller.join()
    latencies.sort()
    p50 = statistics.median(latencies) if latencies else float("nan")
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
    duplicates = len(pulled) - len(set(pulled))
    lost = len(accepted - set(pulled))
    unexpected = len(set(pulled) - accepted)
    count = len(phones.uploaders)
    sound = not failures and not duplicates and not lost and not unexpected
    return [
        (
            f"{count} phones uploading {batch} events each at once: p50 / p99",
            f"{p50:.2f} / {p99:.2f} s",
            f"p99 < {UPLOAD_P99_TARGET_S:.0f} s",
            p99 < UPLOAD_P99_TARGET_S,
        ),
        (
            f"— accepted / pulled by the other phone ({pulls[0]} pulls) / lost / pulled twice / failed",
            f"{len(accepted):,} / {len(set(pulled)):,} / {lost} / {duplicates} / {len(failures)}",
            "none lost, skipped or failed",
            sound,
        ),
    ]


# The run.


def print_table(rows: list[Row]) -> None:
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"\n{'figure':<{width}} | {'value':<{value_width}} | target")
    for figure, value, target, met in rows:
        mark = "" if met is None else (" ✓" if met else " ✗ MISSED")
        print(f"{figure:<{width}} | {value:<{value_width}} | {target}{mark}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=12, help="weeks of history before the current one")
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--batch", type=int, default=20, help="events each phone uploads")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page (median)")
    parser.add_argument("--send-due-runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=5400, help="the first server's port, the second's the next; 0: any")
    parser.add_argument("--schema", help="default scale_<households>_<points>")
    parser.add_argument("--rebuild", action="store_true", help="build anew even if the schema holds this network")
    parser.add_argument("--drop", action="store_true", help="drop the schema and its folder at the end")
    args = parser.parse_args(argv)
    if args.points < SUBJECT_POINT:
        parser.error(f"at least {SUBJECT_POINT} points: the pages open point {SUBJECT_POINT}'s")

    schema = args.schema or f"scale_{args.households}_{args.points}"
    folder = Path(tempfile.gettempdir()) / "comptoir-bench-scale" / schema
    built = None if args.rebuild else built_network(schema)
    if built and (built["households"], built["points"], built["weeks"]) != (args.households, args.points, args.weeks):
        built = None
    reused = built is not None
    if built is None:
        built = build_network(schema, folder, args.households, args.points, args.weeks)
    else:
        print(f"Reusing schema {schema}, built {built['built_at']:%Y-%m-%d %H:%M} UTC (--rebuild builds anew)")
    counts = json.loads(built["counts"])
    rows: list[Row] = [
        (
            "network build (PostgreSQL, bulk inserts)" + (" — reused" if reused else ""),
            f"{built['build_seconds']:.0f} s",
            "a few minutes",
            built["build_seconds"] < 600,
        ),
    ]
    print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
    try:
        ids = subjects(schema, folder)
        send_env = server_env(schema, folder / "keys")
        rows += send_due_figures(send_env, built["built_at"], args.send_due_runs)
        phones = Phones(schema, folder, args.points, args.phones, args.phones * args.batch // 2)
        ports = (args.port, args.port + 1) if args.port else (free_port(), free_port())
        with two_servers(schema, folder, ports) as bases:
            browser = sign_in(server_env(schema, folder / "keys"), bases[0])
            rows += page_figures(browser, bases, ids, args.runs)
            rows += member_page_figures(bases, ids, args.runs)
            rows += pack_figures(phones, bases, args.runs)
            rows += export_figures(browser, bases, utcnow())
            upload = upload_figures(phones, bases, args.batch)
            rows += admin_pages(browser, bases, LAST_PAGES, args.runs) + upload
            crashes = "; ".join(bases.crashes) or "none"
            rows.insert(-2, ("app server processes that died (started again)", crashes, "none", not bases.crashes))
    finally:
        if args.drop:
            drop_schema(schema)
            shutil.rmtree(folder, ignore_errors=True)
    print_table(rows)
    missed = [r[0] for r in rows if r[3] is False]
    if missed:
        print(f"\n{len(missed)} figure(s) missed their target: " + "; ".join(missed))
    return 0 if rows[-1][3] else 1  # a time over its target is a figure; an event lost or skipped is a failure


if __name__ == "__main__":
    sys.exit(main())
