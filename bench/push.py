"""Push figures: ``flask --app wsgi push send-due`` on a network of 200,000 households on PostgreSQL, as cron runs it.

The network (a private schema, built with ``INSERT … SELECT generate_series`` in a few minutes): 400 points of 500
households, each point open one evening a week from 8 weeks ago to 3 weeks ahead (4,800 distributions), 60% of its
households ordering each time (1.4 million orders, 2 lines each), a hand-over event for 85% of the past orders
(~0.8 million events), a prepaid account per household, 2 phones, a coordinator and 4 volunteers per point, one
household in five subscribed to notifications, and the delivery history a network that has run cron every 10
minutes for two months has: every reminder of the past and of tomorrow sent, yesterday's "your basket awaits"
decided, the recent conflicts announced, today's and tomorrow's packs held by the phones at their current version.

The moment is today 10:00 in Paris (``--now``), whatever the day the bench runs. Figures:

- **nothing due**: the command, as a new process (what cron pays), three times; the target is < 5 s;
- **some due**: 3 distributions' reminders not sent yet, a new conflict and a changed pack, sent to the local push
  service of the tests (``tests/push_service.py``, which checks and decrypts each push), once.

Run: .venv/bin/python bench/push.py [--households 200000] [--keep]
(PostgreSQL: COMPTOIR_TEST_POSTGRES_URL, default the local server.)
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402

from bench.bulk import PARIS, POSTGRES_URL, spread, sql, step, uuid7_sql  # noqa: E402
from server import create_app  # noqa: E402
from server.clock import utcnow  # noqa: E402
from server.extensions import db  # noqa: E402

POINTS_PER_200K = 400
WEEKS_BACK, WEEKS_AHEAD = 8, 3
NOTHING_DUE_TARGET_S = 5.0


EVENT_ID = uuid7_sql("'e' || o.id")
ORDERS = spread("h.id || ':' || d.id")  # who orders at each distribution (6 households in 10 here)
SUBSCRIBED = spread("'s' || id")  # 1 household in 5 subscribes


def build(
    households: int,
    now: datetime,
    push_base: str,
    *,
    points: int | None = None,
    weeks: tuple[int, int] = (WEEKS_BACK, WEEKS_AHEAD),
    ordering_tenths: int = 6,
    handed_over_twentieths: int = 17,
) -> dict:
    """The network described above (``bench/scale.py`` changes its proportions: points, weeks back and ahead, the
    tenths of households ordering, the twentieths of past orders handed over); returns what the scenarios need."""
    from server.domain.packs import distribution_pack, inputs_digests
    from server.models import Distribution, NetworkSettings
    from server.ticket_keys import create_key

    clock = [time.perf_counter()]
    points = points or max(1, households * POINTS_PER_200K // 200_000)
    settings = NetworkSettings.current()
    settings.name = "Réseau de banc d'essai"
    create_key()
    db.session.commit()
    sql(
        "INSERT INTO tiers (id, name, share_percent, description) VALUES "
        "(1, 'Tarif plein', 100, ''), (2, 'Solidaire', 70, ''), (3, 'Très solidaire', 40, '')"
    )
    sql(
        "INSERT INTO products (id, code, name, unit, sold_by, unit_price_cents, allowance_eligible, active) "
        "SELECT n, 'P' || n, 'Produit ' || n, '', 'piece', 100 + 37 * n, true, true FROM generate_series(1, 20) n"
    )
    sql(
        "INSERT INTO points (id, name, town, address, ephemeral, active, notes) "
        "SELECT n, 'Point ' || n, 'Ville ' || (n % 50), '', false, true, '' FROM generate_series(1, :p) n",
        p=points,
    )
    sql(
        "INSERT INTO households (id, first_name, last_name, email, phone, tier_id, point_id, status, notes, "
        "created_at, ticket_min_serial, page_token) "
        "SELECT n, 'Prénom' || n, 'Nom' || n, NULL, '', 1 + n % 3, 1 + n % :p, "
        "CASE WHEN n % 100 = 0 THEN 'suspended' ELSE 'active' END, '', :now, "
        "CASE WHEN n % 200 = 0 THEN 1 ELSE 0 END, 'page-' || md5('h' || n) FROM generate_series(1, :n) n",
        p=points,
        n=households,
        now=now,
    )
    sql("INSERT INTO accounts (household_id, kind) SELECT id, 'prepaid' FROM households")
    sql(
        "INSERT INTO account_movements (account_id, amount_cents, reason, occurred_at, created_at) "
        "SELECT id, 2000, 'Versement', :now, :now FROM accounts WHERE id % 10 = 0",
        now=now,
    )
    step(f"{points} points, {households:,} households, accounts", clock)

    monday = now.astimezone(PARIS).date() - timedelta(days=now.astimezone(PARIS).weekday())
    rows = []
    for week in range(-weeks[0], weeks[1] + 1):
        for point in range(1, points + 1):
            day = monday + timedelta(days=7 * week + point % 6)
            starts = datetime(day.year, day.month, day.day, 17, 30, tzinfo=PARIS).astimezone(UTC)
            ends = starts + timedelta(hours=2)
            status = "closed" if ends < now else "planned"
            rows.append({"p": point, "s": starts, "e": ends, "st": status})
    db.session.execute(
        text("INSERT INTO distributions (point_id, starts_at, ends_at, status, notes) VALUES (:p, :s, :e, :st, '')"),
        rows,
    )
    db.session.commit()
    sql(
        "INSERT INTO orders (distribution_id, household_id, share_percent, created_at) "
        "SELECT d.id, h.id, t.share_percent, d.starts_at - interval '5 days' FROM distributions d "
        "JOIN households h ON h.point_id = d.point_id JOIN tiers t ON t.id = h.tier_id "
        f"WHERE {ORDERS} % 10 < :tenths",
        tenths=ordering_tenths,
    )
    sql(
        "INSERT INTO order_lines (order_id, product_id, quantity, unit_price_cents) "
        "SELECT o.id, 1 + (o.id + k) % 20, 1 + o.id % 3, 100 + 37 * (1 + (o.id + k) % 20) "
        "FROM orders o CROSS JOIN (VALUES (0), (7)) AS extra(k)"
    )
    step(f"{len(rows):,} distributions, orders and lines", clock)

    sql(
        "INSERT INTO users (id, email, display_name, role, active, webauthn_handle, created_at) "
        "SELECT n, 'admin' || n || '@example.org', 'Admin ' || n, 'admin', true, md5('a' || n) || md5('b' || n), "
        ":now FROM generate_series(1, 3) n",
        now=now,
    )
    sql(  # per point: a coordinator (id 1000 + 5p) and 4 volunteers (1000 + 5p + 1..4)
        "INSERT INTO users (id, email, display_name, role, active, webauthn_handle, created_at) "
        "SELECT 1000 + 5 * p + k, 'u' || p || '-' || k || '@example.org', 'Bénévole ' || p || '-' || k, "
        "CASE WHEN k = 0 THEN 'coordinator' ELSE 'volunteer' END, true, md5('u' || p || '-' || k) || "
        "md5('v' || p || '-' || k), :now FROM generate_series(1, :p) p CROSS JOIN generate_series(0, 4) k",
        p=points,
        now=now,
    )
    sql("INSERT INTO user_points (user_id, point_id) SELECT id, (id - 1000) / 5 FROM users WHERE id >= 1000")
    sql(  # two phones per point (ids 2p - 1, 2p), seen in the last hours, nothing left to send
        "INSERT INTO devices (id, public_id, name, enrolled_at, last_seen_at, last_sync_at, pending_events) "
        "SELECT n, 'device-' || n, 'Téléphone ' || n, :now - interval '60 days', "
        ":now - (n % 300) * interval '1 minute', :now - (n % 300) * interval '1 minute', 0 "
        "FROM generate_series(1, 2 * :p) n",
        p=points,
        now=now,
    )
    sql("INSERT INTO device_points (device_id, point_id) SELECT id, (id + 1) / 2 FROM devices")
    sql(
        "INSERT INTO distribution_volunteers (distribution_id, user_id) "
        "SELECT d.id, 1000 + 5 * d.point_id + k FROM distributions d CROSS JOIN (VALUES (1), (2)) AS v(k)"
    )
    step("users, phones, assignments", clock)

    sql(
        "INSERT INTO events (event_id, type, schema_version, device_id, user_id, distribution_id, device_seq, "
        "prev_hash, hash, device_time, received_at, payload) "
        f"SELECT {EVENT_ID}, 'handover', 1, 2 * d.point_id - 1, 1000 + 5 * d.point_id + 1, d.id, "
        "1 + o.id, md5('p' || o.id) || md5('q' || o.id), md5('h' || o.id) || md5('i' || o.id), "
        "d.starts_at + (o.id % 100) * interval '1 minute', d.starts_at + (o.id % 100) * interval '1 minute', "
        "json_build_object('order_id', o.id, 'outcome', 'all', 'lines', json_build_array(), "
        "'substitution_note', NULL) "
        "FROM orders o JOIN distributions d ON d.id = o.distribution_id WHERE d.ends_at < :now AND o.id % 20 < :handed",
        now=now,
        handed=handed_over_twentieths,
    )
    sql(  # a conflict at one distribution in ten: resolved, except those of the last week
        "INSERT INTO conflicts (distribution_id, kind, key, event_ids, details, detected_at, status, comment) "
        "SELECT d.id, 'double_handover', 'bench:' || d.id, '[]', '{}', d.ends_at + interval '1 hour', "
        "CASE WHEN d.ends_at > :now - interval '7 days' THEN 'open' ELSE 'resolved' END, '' "
        "FROM distributions d WHERE d.ends_at + interval '1 hour' < :now AND d.id % 10 = 0",
        now=now,
    )
    step("events (hand-overs of the past) and conflicts", clock)

    sql(
        "INSERT INTO push_subscriptions (endpoint_hash, endpoint, p256dh, auth, lang, household_id, created_at) "
        "SELECT md5('s' || id) || md5('t' || id), :base || '/push/bench-h' || id, 'B' || md5('k' || id), "
        f"md5('a' || id), 'fr', id, :now FROM households WHERE {SUBSCRIBED} % 5 = 0",
        base=push_base,
        now=now,
    )
    sql(  # staff on their phones; volunteers on their point's first phone
        "INSERT INTO push_subscriptions (endpoint_hash, endpoint, p256dh, auth, lang, user_id, device_id, "
        "created_at) SELECT md5('s-u' || u.id) || md5('t-u' || u.id), :base || '/push/bench-u' || u.id, "
        "'B' || md5('k-u' || u.id), md5('a-u' || u.id), 'fr', u.id, "
        "CASE WHEN u.id >= 1000 THEN 2 * ((u.id - 1000) / 5) - 1 ELSE NULL END, :now FROM users u",
        base=push_base,
        now=now,
    )
    # What the runs of the last two months left: every reminder of the past and of tomorrow sent, yesterday's and
    # older "your basket awaits" decided and sent, the open conflicts announced.
    tomorrow = datetime.combine(now.astimezone(PARIS).date() + timedelta(days=1), datetime.min.time(), PARIS)
    sql(
        "INSERT INTO push_deliveries (subscription_id, key, kind, status, attempts, http_status, created_at, "
        "sent_at) SELECT s.id, 'member_reminder:' || o.id, 'member_reminder', 'sent', 1, 201, "
        "d.starts_at - interval '1 day', d.starts_at - interval '1 day' FROM orders o "
        "JOIN distributions d ON d.id = o.distribution_id JOIN push_subscriptions s ON s.household_id = o.household_id "
        "WHERE d.starts_at < :end_of_tomorrow",
        end_of_tomorrow=tomorrow + timedelta(days=1),
    )
    sql(
        "INSERT INTO push_deliveries (subscription_id, key, kind, status, attempts, http_status, created_at, "
        "sent_at) SELECT s.id, 'volunteer_reminder:' || v.distribution_id || ':' || v.user_id, "
        "'volunteer_reminder', 'sent', 1, 201, d.starts_at - interval '1 day', d.starts_at - interval '1 day' "
        "FROM distribution_volunteers v JOIN distributions d ON d.id = v.distribution_id "
        "JOIN push_subscriptions s ON s.user_id = v.user_id WHERE d.starts_at < :end_of_tomorrow",
        end_of_tomorrow=tomorrow + timedelta(days=1),
    )
    sql(
        "INSERT INTO push_deliveries (subscription_id, key, kind, status, attempts, http_status, created_at, "
        "sent_at) SELECT s.id, 'member_uncollected:' || o.id, 'member_uncollected', 'sent', 1, 201, "
        "d.ends_at + interval '1 hour', d.ends_at + interval '1 hour' FROM orders o "
        "JOIN distributions d ON d.id = o.distribution_id JOIN push_subscriptions s ON s.household_id = o.household_id "
        "WHERE d.ends_at < :now AND o.id % 20 >= :handed",
        now=now,
        handed=handed_over_twentieths,
    )
    sql(
        "INSERT INTO push_checks (rule, subject_id, checked_at) "
        "SELECT 'member_uncollected', id, ends_at + interval '1 hour' FROM distributions WHERE ends_at < :now",
        now=now,
    )
    sql(
        "INSERT INTO push_deliveries (subscription_id, key, kind, status, attempts, http_status, created_at, "
        "sent_at) SELECT s.id, 'conflict:' || c.id, 'conflict', 'sent', 1, 201, c.detected_at, c.detected_at "
        "FROM conflicts c JOIN distributions d ON d.id = c.distribution_id JOIN push_subscriptions s "
        "ON s.user_id < 1000 OR s.user_id = 1000 + 5 * d.point_id",
    )
    step("subscriptions and two months of deliveries", clock)
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    step("ANALYZE", clock)

    held = db.session.scalars(
        select(Distribution).where(Distribution.ends_at > now, Distribution.starts_at < tomorrow + timedelta(days=1))
    ).all()
    inputs = inputs_digests([d.id for d in held])
    for distribution in held:  # both phones of the point hold today's and tomorrow's pack, as it is now
        digest = distribution_pack(distribution).digest
        db.session.execute(
            text(
                "INSERT INTO held_packs (device_id, distribution_id, digest, inputs_digest, fetched_at) "
                "VALUES (2 * :p - 1, :d, :digest, :inputs, :now), (2 * :p, :d, :digest, :inputs, :now)"
            ),
            {"p": distribution.point_id, "d": distribution.id, "digest": digest, "inputs": inputs[distribution.id]}
            | {"now": now},
        )
    db.session.commit()
    step(f"{2 * len(held)} packs held by the phones (today's and tomorrow's)", clock)
    tables = ("households", "distributions", "orders", "order_lines", "events", "push_subscriptions")
    tables += ("push_deliveries", "conflicts", "held_packs")
    counts = {table: db.session.scalar(text(f"SELECT count(*) FROM {table}")) for table in tables}
    return {"counts": counts, "tomorrow": tomorrow, "held": [d.id for d in held]}


def make_some_due(service, now: datetime, tomorrow: datetime, held: list[int]) -> int:
    """3 distributions' reminders not sent yet, a new conflict, a changed pack: subscriptions the local push service
    knows for each; returns how many pushes are due."""
    from server.domain.notifications import _staff_subscriptions
    from server.models import Conflict, Distribution

    day = db.session.scalars(
        select(Distribution.id)
        .where(Distribution.starts_at >= tomorrow, Distribution.starts_at < tomorrow + timedelta(days=1))
        .order_by(Distribution.id)
        .limit(3)
    ).all()
    sql(
        "DELETE FROM push_deliveries WHERE kind = 'member_reminder' AND key IN (SELECT 'member_reminder:' || id "
        "FROM orders WHERE distribution_id = ANY(:day))",
        day=list(day),
    )
    recent = db.session.scalar(
        select(Distribution).where(Distribution.ends_at < now).order_by(Distribution.ends_at.desc()).limit(1)
    )
    db.session.add(
        Conflict(distribution_id=recent.id, kind="double_handover", key="bench:new", event_ids=[], detected_at=now)
    )
    changed = db.session.get(Distribution, held[0])
    sql(
        "UPDATE order_lines SET quantity = quantity + 1 WHERE id = (SELECT min(l.id) FROM order_lines l "
        "JOIN orders o ON o.id = l.order_id WHERE o.distribution_id = :d)",
        d=changed.id,
    )
    due_subscriptions = set(
        db.session.scalars(
            text(
                "SELECT s.id FROM orders o JOIN households h ON h.id = o.household_id "
                "JOIN push_subscriptions s ON s.household_id = o.household_id "
                "WHERE o.distribution_id = ANY(:day) AND h.status = 'active'"
            ),
            {"day": list(day)},
        )
    )
    reminders = len(due_subscriptions)
    staff = [r.id for r in _staff_subscriptions(frozenset({recent.point_id}), {})]
    phones = list(
        db.session.scalars(
            text("SELECT id FROM push_subscriptions WHERE device_id IN (2 * :p - 1, 2 * :p)"), {"p": changed.point_id}
        )
    )
    for subscription_id in due_subscriptions | set(staff) | set(phones):
        keys = service.subscribe(f"subscription {subscription_id}")
        db.session.execute(
            text("UPDATE push_subscriptions SET endpoint = :e, p256dh = :k, auth = :a WHERE id = :id"),
            {"e": keys.endpoint, "k": keys.p256dh, "a": keys.auth, "id": subscription_id},
        )
    db.session.commit()
    return reminders + len(staff) + len(phones)


def send_due_command(env: dict[str, str], now: datetime) -> tuple[float, str]:
    """``flask --app wsgi push send-due --now …`` in a new process, as cron starts it: (seconds, last line)."""
    started = time.perf_counter()
    result = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "push", "send-due", "--now", now.isoformat()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, result.stdout.strip().splitlines()[-1]


def in_process(app, now: datetime) -> tuple[float, dict[str, float]]:
    """``send_due(now)`` inside this process (no start-up), and each rule's share: (seconds, rule → seconds)."""
    from server.domain.notifications import RULES
    from server.domain.push_sending import send_due

    with app.app_context():
        rules = {}
        for rule in RULES:
            started = time.perf_counter()
            list(rule(now))
            rules[rule.__name__] = time.perf_counter() - started
            db.session.rollback()
        started = time.perf_counter()
        report = send_due(now)
        seconds = time.perf_counter() - started
    assert report.counts["sent"] == 0, report.lines
    return seconds, rules


def startup(env: dict[str, str]) -> float:
    """What a new process pays before any run: ``flask --app wsgi push --help``."""
    started = time.perf_counter()
    subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "push", "--help"], cwd=ROOT, env=env, capture_output=True
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true", help="keep the schema (its name is printed)")
    args = parser.parse_args()

    from tests.push_service import PushService

    now = datetime.combine(utcnow().astimezone(PARIS).date(), datetime.min.time(), PARIS).replace(hour=10)
    now = now.astimezone(UTC)
    schema = f"bench_push_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine_options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    try:
        with tempfile.TemporaryDirectory() as folder, PushService() as service:
            config = {
                "SECRET_KEY": "bench",
                "INSTANCE_PATH": folder,
                "SQLALCHEMY_DATABASE_URI": POSTGRES_URL,
                "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
                "PUSH_QUIET_HOURS": "",
            }
            app = create_app(config)
            print(f"Building {args.households:,} households in schema {schema} (PostgreSQL)…", flush=True)
            started = time.perf_counter()
            with app.app_context():
                db.create_all()
                built = build(args.households, now, service.base_url)
                from server.push_keys import application_server_key

                service.vapid_public_key = application_server_key()
            build_s = time.perf_counter() - started
            print(f"  built in {build_s:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in built["counts"].items()))

            env = os.environ | {
                "COMPTOIR_SECRET_KEY": "bench",
                "COMPTOIR_INSTANCE_PATH": folder,
                "COMPTOIR_SQLALCHEMY_DATABASE_URI": POSTGRES_URL,
                "COMPTOIR_SQLALCHEMY_ENGINE_OPTIONS": json.dumps(engine_options),
                "COMPTOIR_PUSH_QUIET_HOURS": '""',
            }
            nothing = []
            for _ in range(3):
                seconds, line = send_due_command(env, now)
                nothing.append(seconds)
                print(f"  nothing due: {seconds:.2f} s — {line}", flush=True)
            assert service.received == [], "nothing was due"
            inside = []
            for _ in range(3):
                seconds, rules = in_process(app, now)
                inside.append(seconds)
                shares = ", ".join(f"{name} {1000 * t:.0f} ms" for name, t in rules.items())
                print(f"  nothing due, in process: {seconds:.2f} s ({shares})", flush=True)
            start_s = statistics.median(startup(env) for _ in range(3))
            print(f"  a new process's start-up alone: {start_s:.2f} s", flush=True)
            with app.app_context():
                due = make_some_due(service, now, built["tomorrow"], built["held"])
            some_s, some_line = send_due_command(env, now)
            print(f"  some due ({due} pushes): {some_s:.2f} s — {some_line}", flush=True)
            assert len(service.received) == due and service.rejected == [], (len(service.received), due)
            again_s, again_line = send_due_command(env, now)
            print(f"  the run after: {again_s:.2f} s — {again_line}", flush=True)
    finally:
        if not args.keep:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    median = statistics.median(nothing)
    rows = [
        ("network build (PostgreSQL, bulk inserts)", f"{build_s:.0f} s", "a few minutes"),
        (
            "`push send-due`, nothing due, median of 3 (new process)",
            f"{median:.2f} s",
            f"< {NOTHING_DUE_TARGET_S:.0f} s",
        ),
        ("— the run itself (`send_due`, in process), median of 3", f"{statistics.median(inside):.2f} s", ""),
        ("— a new process's start-up (`flask --app wsgi push --help`)", f"{start_s:.2f} s", ""),
        (f"`push send-due`, {due} pushes due (sent to the local push service)", f"{some_s:.2f} s", ""),
        ("`push send-due`, the run after", f"{again_s:.2f} s", f"< {NOTHING_DUE_TARGET_S:.0f} s"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'figure'.ljust(width)} | value | target")
    for figure, value, target in rows:
        print(f"{figure.ljust(width)} | {value} | {target}")
    if median >= NOTHING_DUE_TARGET_S:
        sys.exit(f"nothing due took {median:.2f} s, over the {NOTHING_DUE_TARGET_S:.0f} s target")


if __name__ == "__main__":
    main()
