"""Sync figures: the distribution pack for 1,000 members (size raw and gzipped, build time); events ingested
through the real HTTP endpoint (waitress on 127.0.0.1, batches of 500) on SQLite and PostgreSQL beside the same
rows inserted by a plain ``executemany``; upload latency with 50 phones uploading at once; the admin log page of one
distribution with 2,000 and 20,000 events on both databases.

Run: .venv/bin/python bench/sync.py [measure …]   (PostgreSQL: COMPTOIR_TEST_POSTGRES_URL, default the local server;
measures by name, e.g. ``log_figures``, default all)

Each measure is one function taking a scratch folder and returning rows ``(figure, value, target)``; ``main`` runs
them in order and prints one table. A measure builds its own app and database there, so measures never share state.
"""

import gzip
import http.client
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # first: ``import sync`` must find the package, not this script

from flask import Flask  # noqa: E402

from server import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from server.memory import freeze_start_up_heap  # noqa: E402
from tests.served import serving  # noqa: E402

Row = tuple[str, str, str]  # figure, value, target

MEMBERS = 1000
RUNS = 15
SEED = 20260310

TIER_WEIGHTS = (0.6, 0.25, 0.15)  # of the demo's tiers: tarif plein, solidaire, très solidaire


def bench_app(folder: Path) -> Flask:
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": str(folder / "instance"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
    return app


def make_distribution(app: Flask, members: int = MEMBERS, seed: int = SEED) -> int:
    """A network of ``members`` households with tickets (some re-issued), accounts, and an order of 1–4 lines each
    in one distribution; returns the distribution's id."""
    from server.demo import data
    from server.demo.loader import random_name
    from server.models import (
        Account,
        AccountMovement,
        Distribution,
        Household,
        NetworkSettings,
        Order,
        OrderLine,
        Point,
        Product,
        Tier,
    )
    from server.ticket_keys import create_key
    from sync import manual_codes, pricing

    rng = random.Random(seed)
    with app.app_context():
        settings = NetworkSettings.current()
        settings.name = "Comptoirs Coopératifs de la Marne"
        create_key()
        tiers = [Tier(name=spec.name, share_percent=spec.share_percent) for spec in data.TIERS]
        points = [Point(name=spec.name, town=spec.town, address=spec.address) for spec in data.POINTS]
        products = [
            Product(
                code=spec.code,
                name=spec.name,
                unit=spec.unit,
                unit_price_cents=spec.price_cents,
            )
            for spec in data.PRODUCTS
        ]
        starts = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)
        distribution = Distribution(point=points[2], starts_at=starts, ends_at=starts + timedelta(hours=1, minutes=30))
        db.session.add_all([*tiers, *points, *products, distribution])
        db.session.flush()
        codes: set[str] = set()
        while len(codes) < members:
            codes.add(manual_codes.new_code())
        for number, code in enumerate(sorted(codes)):
            tier = rng.choices(tiers, weights=TIER_WEIGHTS)[0]
            first, last = random_name(rng)
            serial = 0 if rng.random() > 0.05 else rng.randint(1, 3)  # 5 % of cards were lost and re-issued
            household = Household(
                first_name=first,
                last_name=last,
                email=f"{first}.{last}.{number}@example.org".lower(),
                phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                tier=tier,
                point=distribution.point,
                notes="Livraison possible le mercredi" if rng.random() < 0.1 else "",
                ticket_serial=serial,
                ticket_min_serial=serial,
                ticket_key_id=1,
                ticket_issued_on=date(2026, 1, 5),
                manual_code=code,
                page_token=f"page-{number:06d}-{rng.getrandbits(128):032x}",
            )
            chosen = rng.sample(products, rng.choice([1, 1, 2, 2, 2, 3, 3, 4]))
            order = Order(distribution=distribution, household=household, share_percent=tier.share_percent)
            order.lines = [
                OrderLine(product=p, quantity=rng.choice([1, 1, 1, 2, 3]), unit_price_cents=p.unit_price_cents)
                for p in chosen
            ]
            db.session.add_all([household, order])
            if rng.random() < 0.4:
                prepaid = Account(household=household, kind="prepaid")
                db.session.add(prepaid)
                for _ in range(rng.randint(1, 3)):
                    db.session.add(
                        AccountMovement(account=prepaid, amount_cents=rng.choice([2000, 5000]), reason="Versement")
                    )
                due = pricing.order_due_cents([(line.quantity, line.unit_price_cents) for line in order.lines], 100)
                db.session.add(AccountMovement(account=prepaid, amount_cents=-due, reason="Distribution du 3 mars"))
            if tier.share_percent < 100:
                allowance = Account(household=household, kind="allowance")
                db.session.add_all([allowance, AccountMovement(account=allowance, amount_cents=5000, reason="SSA")])
        db.session.commit()
        return distribution.id


def median_ms(function: Callable[[], object], runs: int = RUNS) -> tuple[float, object]:
    """The median wall time of ``function`` in milliseconds (after one warm-up run), and its last result."""
    result = function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def pack_figures(folder: Path) -> list[Row]:
    """Size of the pack for 1,000 members, raw and gzipped, and the time to build it (queries + serialisation)."""
    import json

    from server.api.packs import GZIP_LEVEL
    from server.domain.packs import distribution_pack
    from server.models import Distribution

    app = bench_app(folder)
    distribution_id = make_distribution(app)

    def build():
        with app.app_context():  # a new session each time: nothing cached between runs
            return distribution_pack(db.session.get(Distribution, distribution_id))

    build_ms, built = median_ms(build)
    zip_ms, zipped = median_ms(lambda: gzip.compress(built.body, compresslevel=GZIP_LEVEL, mtime=0))
    request_ms = http_pack_ms(app, distribution_id)
    pack = json.loads(built.body)
    lines = sum(len(m["order"]["lines"]) for m in pack["members"])
    return [
        ("pack: members / order lines", f"{len(pack['members']):,} / {lines:,}", ""),
        ("pack size, raw JSON", f"{len(built.body) / 1024:.0f} KB", ""),
        ("pack size, gzipped (level 6)", f"{len(zipped) / 1024:.0f} KB", "< 150 KB"),
        ("pack build (queries + schema check + JSON), median", f"{build_ms:.0f} ms", "< 200 ms"),
        ("pack gzip, median", f"{zip_ms:.0f} ms", ""),
        ("GET …/pack with gzip (auth + build + gzip), median", f"{request_ms:.0f} ms", ""),
    ]


def http_pack_ms(app: Flask, distribution_id: int) -> float:
    """The whole request through Flask's test client: device and shift checks, build, gzip."""
    from server.domain.devices import create_enrolment, redeem_enrolment
    from server.domain.shifts import start_shift
    from server.models import Distribution, User

    with app.app_context():
        point = db.session.get(Distribution, distribution_id).point
        admin = User(email="admin@example.org", role="admin")
        db.session.add(admin)
        _, token = create_enrolment(admin, "Téléphone 1", [point])
        device, credential = redeem_enrolment(token)
        _, shift = start_shift(device, admin)
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Device {credential}", "X-Comptoir-Shift": shift, "Accept-Encoding": "gzip"}

    def get():
        answer = client.get(f"/api/distributions/{distribution_id}/pack", headers=headers)
        assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip", answer.status_code

    return median_ms(get)[0]


# Events: the HTTP ingest against the physical baseline, and the latency of many phones at once.

POSTGRES_URL = os.environ.get("COMPTOIR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BATCH = 500
BATCHES = 20  # 10,000 events per database
PHONES = 50
PHONE_BATCHES = 4
PHONE_BATCH = 100


def engine_app(folder: Path, backend: str) -> tuple[Flask, Callable[[], None]]:
    """An app on a fresh SQLite file or a fresh PostgreSQL schema, and what drops it afterwards."""
    config: dict[str, object] = {"SECRET_KEY": "bench", "INSTANCE_PATH": str(folder / "instance")}
    config["RATELIMIT_ENABLED"] = False
    drop: Callable[[], None] = lambda: None  # noqa: E731
    if backend == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{folder / 'events.sqlite'}"
    else:
        from sqlalchemy import create_engine, text

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        config["SQLALCHEMY_DATABASE_URI"] = POSTGRES_URL
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": f"-csearch_path={schema}"}}

        def drop() -> None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    app = create_app(config)
    with app.app_context():
        db.create_all()
    freeze_start_up_heap()  # as wsgi.py does once the app is built
    return app, drop


@dataclass
class BenchPhone:
    """An enrolled phone with a volunteer's shift that records chained events (what the app does)."""

    device_id: str
    volunteer_id: int
    headers: dict[str, str]
    seq: int = 0
    prev_hash: str | None = None
    first_order: int = 0  # where in the orders this phone starts, so phones serve different members
    from_allowance: bool = False  # payments taken from the solidarity allowance (they post on the ledger)

    def events(self, distribution_id: int, orders: list[int], count: int) -> list[dict]:
        """The phone's next ``count`` events: each order in turn handed over, then paid (no conflict, as on a
        well-run day: uploads store the conflicts they bring, and these bring none)."""
        from sync.chain import event_hash
        from sync.events import format_time, new_event_id, parse_event

        made = []
        for _ in range(count):
            order_id = orders[(self.first_order + self.seq // 2) % len(orders)]
            self.seq += 1
            if self.seq % 2:
                kind, payload = "handover", {"order_id": order_id, "outcome": "all"}
            else:
                kind, payload = "payment", {"order_id": order_id, "amount_cents": 1050, "method": "cash"}
                if self.from_allowance:
                    payload |= {"method": "allowance", "from_allowance_cents": 1050}
            event = {
                "id": new_event_id(),
                "type": kind,
                "schema_version": 1,
                "device_id": self.device_id,
                "volunteer_id": self.volunteer_id,
                "distribution_id": distribution_id,
                "device_time": format_time(datetime.now(UTC)),
                "seq": self.seq,
                "prev_hash": self.prev_hash,
                "payload": payload,
            }
            self.prev_hash = event_hash(parse_event(event))
            made.append(event)
        return made


def add_orders(distribution, tier, product, count: int) -> list[int]:
    """``count`` households of the distribution's point, each with an order of one basket, by plain inserts (ids
    given here: nothing else adds households to a bench database); returns the order ids."""
    from sqlalchemy import func, insert, select

    from server.models import Household, Order, OrderLine

    start = (db.session.scalar(select(func.max(Household.id))) or 0) + 1
    ids = range(start, start + count)
    point_id = distribution.point_id
    people = [{"id": n, "first_name": f"Membre{n}", "last_name": "Martin", "tier_id": tier.id} for n in ids]
    for person in people:
        person["point_id"] = point_id
    db.session.execute(insert(Household), people)
    orders = [{"id": n, "distribution_id": distribution.id, "household_id": n, "share_percent": 100} for n in ids]
    db.session.execute(insert(Order), orders)
    lines = [{"order_id": n, "product_id": product.id, "quantity": 1, "unit_price_cents": 1500} for n in ids]
    db.session.execute(insert(OrderLine), lines)
    return list(ids)


def event_world(app: Flask, phones: int, orders_per_phone: int = 200) -> tuple[int, list[int], list[BenchPhone]]:
    """A point, a distribution open now with ``orders_per_phone`` orders for each of ``phones`` enrolled phones (a
    volunteer each)."""
    from server.domain.devices import create_enrolment, redeem_enrolment
    from server.domain.shifts import start_shift
    from server.models import Distribution, Point, Product, Tier, User

    with app.app_context():
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        tier = Tier(name="Tarif plein", share_percent=100)
        basket = Product(code="LEG-M", name="Panier de légumes M", unit_price_cents=1500)
        now = datetime.now(UTC)
        distribution = Distribution(point=point, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=3))
        admin = User(email="admin@example.org", role="admin")
        db.session.add_all([distribution, tier, basket, admin])
        db.session.flush()
        orders = add_orders(distribution, tier, basket, phones * orders_per_phone)
        made = []
        for n in range(phones):
            volunteer = User(email=f"benevole{n}@example.org", role="volunteer", points=[point])
            db.session.add(volunteer)
            _, token = create_enrolment(admin, f"Téléphone {n}", [point])
            device, credential = redeem_enrolment(token)
            _, shift = start_shift(device, volunteer, now=now - timedelta(minutes=5))
            headers = {"Authorization": f"Device {credential}", "X-Comptoir-Shift": shift}
            made.append(BenchPhone(device.public_id, volunteer.id, headers, first_order=n * orders_per_phone))
        db.session.commit()
        return distribution.id, orders, made


@contextmanager
def served(app: Flask, threads: int = 8) -> Iterator[int]:
    """The app behind waitress on 127.0.0.1 (a free port), as in production."""
    with serving(app, threads=threads) as server:
        yield server.effective_port


def post(connection: http.client.HTTPConnection, body: bytes, headers: dict[str, str]) -> dict:
    connection.request("POST", "/api/events", body=body, headers={"Content-Type": "application/json", **headers})
    answer = connection.getresponse()
    data = json.loads(answer.read())
    assert answer.status == 200, (answer.status, data)
    return data


def ingest_figures(folder: Path) -> list[Row]:
    """Events per second through ``POST /api/events`` against the same rows by ``executemany``, per database."""
    rows: list[Row] = []
    for backend in ("sqlite", "postgresql"):
        app, drop = engine_app(folder / backend, backend)
        try:
            http_rate, raw_rate = ingest_rates(app)
        finally:
            drop()
        rows += [
            (f"{backend}: events/s through HTTP (batches of {BATCH})", f"{http_rate:,.0f}", "≥ 5,000 (SQLite)"),
            (f"{backend}: events/s by executemany (same rows)", f"{raw_rate:,.0f}", ""),
            (f"{backend}: HTTP / executemany", f"{http_rate / raw_rate:.2f}", "≥ 0.33"),
        ]
    return rows


def ingest_rates(app: Flask) -> tuple[float, float]:
    from sqlalchemy import insert

    from server.domain.events import _row
    from server.models import SyncedEvent
    from sync.events import parse_event

    distribution_id, orders, (phone, other) = event_world(app, 2, orders_per_phone=BATCH * BATCHES // 2 + 10)
    bodies = [json.dumps({"events": phone.events(distribution_id, orders, BATCH)}).encode() for _ in range(BATCHES)]
    with served(app) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        post(connection, json.dumps({"events": phone.events(distribution_id, orders, 10)}).encode(), phone.headers)
        start = time.perf_counter()
        for body in bodies:
            results = post(connection, body, phone.headers)["results"]
            assert all(result["status"] == "accepted" for result in results)
        http_seconds = time.perf_counter() - start
        connection.close()

    # The physical baseline: the same rows (another phone's events, so the ids are new) by executemany.
    with app.app_context():
        device_id = db.session.scalar(select_device_id(other.device_id))
        batches = [
            [_row(parse_event(event), "0" * 64, device_id) for event in other.events(distribution_id, orders, BATCH)]
            for _ in range(BATCHES)
        ]
        start = time.perf_counter()
        for batch in batches:
            db.session.execute(insert(SyncedEvent), batch)
            db.session.commit()
        raw_seconds = time.perf_counter() - start
    events = BATCH * BATCHES
    return events / http_seconds, events / raw_seconds


LEDGER_ROUNDS = 7


def ledger_ingest_figures(folder: Path) -> list[Row]:
    """Events per second through ``POST /api/events`` when every payment is taken from the allowance, with the
    ledger posting (``server/domain/ledger_events.py``) and without it (today's upload, the same events), per
    database: posting must keep ingest within 20 %. Each round uploads to two fresh databases, one posting and one
    not, a batch to each in turn (which goes first alternates), so that a busy moment of this shared machine slows
    both sides alike; the ratio is the median of the rounds'. A first round warms the process up."""
    rows: list[Row] = []
    for backend in ("sqlite", "postgresql"):
        rates: dict[bool, list[float]] = {False: [], True: []}
        for round_number in range(LEDGER_ROUNDS + 1):
            seconds = ledger_paired_seconds(folder / f"{backend}-{round_number}", backend)
            if round_number:
                for posting, spent in seconds.items():
                    rates[posting].append(BATCH * BATCHES / spent)
        ratios = [posted / plain for plain, posted in zip(rates[False], rates[True], strict=True)]
        rows += [
            (f"{backend}: events/s, payments from the allowance, not posted (median)", _rate(rates[False]), ""),
            (f"{backend}: events/s, payments from the allowance, posted (median)", _rate(rates[True]), ""),
            (f"{backend}: posted / not posted, rounds in order", " ".join(f"{ratio:.2f}" for ratio in ratios), ""),
            (f"{backend}: posted / not posted, median of rounds", f"{statistics.median(ratios):.2f}", "≥ 0.80"),
        ]
    return rows


def _rate(rates: list[float]) -> str:
    return f"{statistics.median(rates):,.0f}"


@dataclass
class _LedgerSide:
    app: Flask
    phone: BenchPhone
    bodies: list[bytes]


def ledger_paired_seconds(folder: Path, backend: str) -> dict[bool, float]:
    """Seconds the same upload takes without posting (``post_synced_events`` a no-op in this process) and with it,
    batch by batch in turn, each side on a fresh database of its own."""
    import server.domain.events as events_module

    kept = events_module.post_synced_events
    sides: dict[bool, _LedgerSide] = {}
    drops: list[Callable[[], None]] = []
    try:
        for posting in (False, True):
            app, drop = engine_app(folder / str(posting), backend)
            drops.append(drop)
            sides[posting] = _ledger_side(app)
        spent = {False: 0.0, True: 0.0}
        with served(sides[False].app) as plain_port, served(sides[True].app) as posted_port:
            connections = {
                posting: http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                for posting, port in ((False, plain_port), (True, posted_port))
            }
            for number in range(BATCHES + 1):  # batch 0 opens the connections and warms each side: not timed
                for posting in (False, True) if number % 2 else (True, False):
                    side = sides[posting]
                    events_module.post_synced_events = kept if posting else lambda _events, _device: None
                    start = time.perf_counter()
                    results = post(connections[posting], side.bodies[number], side.phone.headers)["results"]
                    if number:
                        spent[posting] += time.perf_counter() - start
                    assert all(result["status"] == "accepted" for result in results)
            for connection in connections.values():
                connection.close()
        return spent
    finally:
        events_module.post_synced_events = kept
        for drop in drops:
            drop()


def _ledger_side(app: Flask) -> _LedgerSide:
    """A distribution whose households each have an allowance of 150 €, and a phone's batches paying from it."""
    from server.domain.ledger import post_many

    distribution_id, orders, (phone, _other) = event_world(app, 2, orders_per_phone=BATCH * BATCHES // 2 + 10)
    with app.app_context():
        post_many("allowance", {order: [{"amount_cents": 15000, "kind": "opening"}] for order in orders})
        db.session.commit()  # households and orders share their ids (add_orders)
    phone.from_allowance = True
    first = json.dumps({"events": phone.events(distribution_id, orders, 10)}).encode()
    batches = [json.dumps({"events": phone.events(distribution_id, orders, BATCH)}).encode() for _ in range(BATCHES)]
    return _LedgerSide(app, phone, [first, *batches])


def select_device_id(public_id: str):
    from sqlalchemy import select

    from server.models import Device

    return select(Device.id).where(Device.public_id == public_id)


def latency_figures(folder: Path) -> list[Row]:
    """p50 and p99 of one upload while 50 phones upload at once (each 4 batches of 100 events), per database."""
    rows: list[Row] = []
    for backend in ("sqlite", "postgresql"):
        app, drop = engine_app(folder / f"latency-{backend}", backend)
        try:
            latencies, failed = upload_latencies(app)
        finally:
            drop()
        latencies.sort()
        p50 = statistics.median(latencies) if latencies else float("nan")
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
        figure = f"{backend}: upload latency, {PHONES} phones at once, p50 / p99 (failed)"
        rows.append((figure, f"{p50:,.0f} / {p99:,.0f} ms ({failed})", "none failed"))
    return rows


def upload_latencies(app: Flask) -> tuple[list[float], int]:
    """Every upload's time in milliseconds, and how many failed (an answer other than 200, or none in 120 s)."""
    distribution_id, orders, phones = event_world(app, PHONES)
    bodies = {
        phone.device_id: [
            json.dumps({"events": phone.events(distribution_id, orders, PHONE_BATCH)}).encode()
            for _ in range(PHONE_BATCHES)
        ]
        for phone in phones
    }
    latencies: list[float] = []
    failed = [0]
    lock = threading.Lock()
    start_line = threading.Barrier(len(phones))
    with served(app, threads=16) as port:

        def upload(phone: BenchPhone) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            start_line.wait()
            for body in bodies[phone.device_id]:
                began = time.perf_counter()
                try:
                    post(connection, body, phone.headers)
                except (AssertionError, OSError):  # a 500 (SQLite busy) or no answer in time: the phone retries later
                    with lock:
                        failed[0] += 1
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    continue
                with lock:
                    latencies.append((time.perf_counter() - began) * 1000)
            connection.close()

        workers = [threading.Thread(target=upload, args=(phone,)) for phone in phones]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return latencies, failed[0]


LOG_SIZES = (2_000, 20_000)
LOG_RUNS = 5
LOG_PHONES = 4


def log_figures(folder: Path) -> list[Row]:
    """The admin log page of one distribution with 2,000 and 20,000 events (``GET …/log`` by a signed-in admin,
    through the Flask test client), and what one conflict check of that distribution takes (``sync check-conflicts``
    after an upload flagged it), per database."""
    rows: list[Row] = []
    for backend in ("sqlite", "postgresql"):
        times: dict[int, float] = {}
        for size in LOG_SIZES:
            app, drop = engine_app(folder / f"log-{backend}-{size}", backend)
            try:
                first_ms, page_ms, refresh_ms, conflicts, filtered_ms, order_ms = log_page_ms(app, size)
            finally:
                drop()
            times[size] = page_ms
            target = "< 1,000 ms (PostgreSQL)" if size == LOG_SIZES[-1] else ""
            rows.append((f"{backend}: log page, {size:,} events, first open", f"{first_ms:,.0f} ms", ""))
            rows.append(
                (f"{backend}: log page, {size:,} events ({conflicts} conflicts), median", f"{page_ms:,.0f} ms", target)
            )
            rows.append(
                (f"{backend}: log page filtered by phone and type, {size:,} events", f"{filtered_ms:,.0f} ms", "")
            )
            rows.append((f"{backend}: an order's page, {size:,} events", f"{order_ms:,.0f} ms", ""))
            rows.append((f"{backend}: one conflict check, {size:,} events", f"{refresh_ms:,.0f} ms", ""))
        ratio = times[LOG_SIZES[-1]] / times[LOG_SIZES[0]]
        rows.append((f"{backend}: log page, {LOG_SIZES[-1]:,} / {LOG_SIZES[0]:,} events", f"{ratio:.1f}", "≤ 12"))
    return rows


def log_page_ms(app: Flask, size: int) -> tuple[float, float, float, int, float, float]:
    """The time of the first open of the log page of a distribution of ``size`` events in a process (every event
    read), the median of the next ones (the new events only), the time a conflict check takes on it
    (``check_conflicts``: the scheduled check, or a coordinator's "Look for conflicts now"), how many conflicts
    it stores, the median of the page filtered by one phone's payments, and of one order's page (its events read
    alone, ``server/domain/order_events.py``)."""
    from tests.helpers import sign_in_user

    distribution_id, admin_id = log_world(app, size)
    with app.app_context():
        from server.domain.events import check_conflicts
        from server.models import Distribution

        def refresh() -> int:
            found = check_conflicts(db.session.get(Distribution, distribution_id))
            db.session.commit()
            return len(found)

        refresh_ms, conflicts = median_ms(refresh, runs=LOG_RUNS)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    sign_in_user(app, client, admin_id)
    url = f"/admin/distributions/{distribution_id}/log"

    def get() -> int:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return len(response.data)

    from server.domain import events

    events.forget_read_events()  # the first open in a process reads every event
    start = time.perf_counter()
    get()
    first_ms = (time.perf_counter() - start) * 1000
    page_ms, _size = median_ms(get, runs=LOG_RUNS)
    with app.app_context():
        from sqlalchemy import select

        from server.models import Device, Order

        phone = db.session.scalars(select(Device.public_id).order_by(Device.id)).first()
        order_id = db.session.scalars(
            select(Order.id).where(Order.distribution_id == distribution_id).order_by(Order.id.desc())
        ).first()

    def answered(path: str) -> Callable[[], int]:
        def run() -> int:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return len(response.data)

        return run

    filtered_ms, _size = median_ms(answered(f"{url}?phone={phone}&type=payment"), runs=LOG_RUNS)
    order_ms, _size = median_ms(answered(f"/admin/orders/{order_id}"), runs=LOG_RUNS)
    return first_ms, page_ms, refresh_ms, int(conflicts), filtered_ms, order_ms  # type: ignore[arg-type]


def log_world(app: Flask, size: int) -> tuple[int, int]:
    """A distribution of ``size`` events from four phones, stored as uploads store them: orders handed over (5 %
    refused) and paid by cash or card, an opening and a closing cash count per phone, a note now and then, one
    payment in 150 undone and paid again, one order in 400 handed over by a second phone (a conflict). Returns the
    distribution's and an admin's ids."""
    from sqlalchemy import insert

    from server.domain.devices import create_enrolment, redeem_enrolment
    from server.domain.events import _row
    from server.models import Distribution, Point, Product, SyncedEvent, Tier, User
    from sync.chain import event_hash
    from sync.events import format_time, new_event_id, parse_event

    with app.app_context():
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        tier = Tier(name="Tarif plein", share_percent=100)
        basket = Product(code="LEG-M", name="Panier de légumes M", unit_price_cents=1500)
        starts = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)
        distribution = Distribution(point=point, starts_at=starts, ends_at=starts + timedelta(hours=4))
        admin = User(email="admin@example.org", role="admin")
        volunteers = [User(email=f"benevole{n}@example.org", role="volunteer", points=[point]) for n in range(4)]
        db.session.add_all([distribution, tier, basket, admin, *volunteers])
        db.session.flush()
        orders = add_orders(distribution, tier, basket, size // 2)
        devices = []
        for n in range(LOG_PHONES):
            _, token = create_enrolment(admin, f"Téléphone {n}", [point])
            devices.append(redeem_enrolment(token)[0])
        chains = {device.public_id: (0, None) for device in devices}
        pks = {device.public_id: device.id for device in devices}
        made: list[tuple] = []
        clock = iter(range(10**9))

        def record(phone: int, kind: str, payload: dict) -> str:
            device = devices[phone].public_id
            seq, prev_hash = chains[device]
            at = starts + timedelta(milliseconds=500 * next(clock))
            data = {
                "id": new_event_id(int(at.timestamp() * 1000)),
                "type": kind,
                "schema_version": 1,
                "device_id": device,
                "volunteer_id": volunteers[phone].id,
                "distribution_id": distribution.id,
                "device_time": format_time(at),
                "seq": seq + 1,
                "prev_hash": prev_hash,
                "payload": payload,
            }
            event = parse_event(data)
            digest = event_hash(event)
            chains[device] = (seq + 1, digest)
            made.append(_row(event, digest, pks[device]))
            return event.id

        for phone in range(LOG_PHONES):
            record(phone, "cash_count", {"kind": "opening", "total_cents": 5000})
        for n, order_id in enumerate(orders):
            if len(made) >= size - LOG_PHONES:
                break
            phone = n % LOG_PHONES
            if n % 20 == 19:
                record(phone, "handover", {"order_id": order_id, "outcome": "refused"})
                continue
            record(phone, "handover", {"order_id": order_id, "outcome": "all"})
            method = "cash" if n % 3 else "card"
            payment = {"order_id": order_id, "amount_cents": 1500 if n % 150 else 1400, "method": method}
            paid = record(phone, "payment", payment)
            if n % 150 == 0:
                record(phone, "void", {"event_id": paid, "reason": "montant erroné"})
                record(phone, "payment", payment | {"amount_cents": 1500})
            if n % 400 == 7:
                record((phone + 1) % LOG_PHONES, "handover", {"order_id": order_id, "outcome": "all"})
            if n % 97 == 0:
                record(phone, "note", {"text": "Plus de sacs kraft, prévoir pour la semaine prochaine."})
        while len(made) < size - LOG_PHONES:
            record(0, "note", {"text": "Rangement"})
        for phone in range(LOG_PHONES):
            record(phone, "cash_count", {"kind": "closing", "total_cents": 9000})
        for start in range(0, len(made), 1000):
            db.session.execute(insert(SyncedEvent), made[start : start + 1000])
        db.session.commit()
        return distribution.id, admin.id


MEASURES: list[Callable[[Path], list[Row]]] = [
    pack_figures,
    ingest_figures,
    ledger_ingest_figures,
    latency_figures,
    log_figures,
]


def main() -> None:
    """Every measure, or those named on the command line (``bench/sync.py log_figures``)."""
    logging.getLogger("waitress").setLevel(logging.CRITICAL)  # queue-depth warnings while 50 phones upload at once
    chosen = [m for m in MEASURES if not sys.argv[1:] or m.__name__ in sys.argv[1:]]
    rows: list[Row] = []
    for measure in chosen:
        with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as folder:
            rows += measure(Path(folder))
    width = max(len(figure) for figure, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    print(f"{'figure':<{width}}  {'value':>{value_width}}  target")
    for figure, value, target in rows:
        print(f"{figure:<{width}}  {value:>{value_width}}  {target}")


if __name__ == "__main__":
    main()
