"""Allowance cycle figures: ``flask --app wsgi accounts credit-due`` crediting one period for 200,000 households on
PostgreSQL, as cron runs it (a new process). Target: under a minute.

The network (a private schema, built with ``INSERT … SELECT generate_series``): 400 points of 500 households, 1 in 100
suspended; every household holds an allowance account, of 1 to 5 people, two in three in one of three contribution
bands; the current month was credited to all (150 € and 50 € per additional person, band percentages 50 / 75 /
100 %) and one household in two spent part of it. The rule caps the unspent balance at 30 €, so the run posts, for
each active household, an expiry of what is over the cap and next month's credit: about 300,000 movements.

The moment is the first of next month, 06:00 in Paris (``--now``), whatever the day the bench runs. Figures: the
credit run (new process), the run after (nothing due), a forced re-run over the whole network (``--again``: every
household found credited), the admin page's preview query; and the check that the balances equal their movements
and that each household was credited once.

Run: .venv/bin/python bench/cycles.py [--households 200000] [--keep]
(PostgreSQL: COMPTOIR_TEST_POSTGRES_URL, default the local server.)
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.bulk import PARIS, POSTGRES_URL, sql  # noqa: E402
from server import create_app  # noqa: E402
from server.clock import utcnow  # noqa: E402
from server.extensions import db  # noqa: E402

POINTS_PER_200K = 400
TARGET_S = 60.0
APP_NAME = "comptoir-bench-cycles"


def build(households: int, this_month: date, now: datetime) -> None:
    """The network described above."""
    points = max(1, households * POINTS_PER_200K // 200_000)
    sql(
        "INSERT INTO network_settings (id, name, currency, timezone, payment_methods) VALUES (1, 'Banc', 'EUR', "
        "'Europe/Paris', '[]')"
    )
    sql("INSERT INTO tiers (id, name, share_percent, description) VALUES (1, 'Tarif plein', 100, '')")
    sql(
        "INSERT INTO points (id, name, town, address, ephemeral, active, notes) "
        "SELECT n, 'Point ' || n, 'Ville', '', false, true, '' FROM generate_series(1, :p) n",
        p=points,
    )
    sql(
        "INSERT INTO contribution_bands (id, code, label, contribution_cents, allowance_percent) VALUES "
        "(1, 'T1', 'Tranche 1', 1000, 50), (2, 'T2', 'Tranche 2', 3000, 75), (3, 'T3', 'Tranche 3', 6000, 100)"
    )
    sql(
        "INSERT INTO households (id, first_name, last_name, phone, tier_id, point_id, status, notes, created_at, "
        "ticket_min_serial, size, contribution_band) "
        "SELECT n, 'Prénom' || n, 'Nom' || n, '', 1, 1 + n % :p, "
        "CASE WHEN n % 100 = 0 THEN 'suspended' ELSE 'active' END, '', :now, 0, 1 + n % 5, "
        "CASE n % 3 WHEN 0 THEN NULL ELSE 'T' || (1 + n % 4 % 3) END FROM generate_series(1, :n) n",
        p=points,
        n=households,
        now=now,
    )
    sql("INSERT INTO accounts (household_id, kind) SELECT id, 'allowance' FROM households")
    credit = (
        "(15000 + 5000 * (h.size - 1)) * COALESCE((SELECT allowance_percent FROM contribution_bands b "
        "WHERE b.code = h.contribution_band), 100) / 100"
    )
    sql(
        "INSERT INTO account_movements (account_id, amount_cents, kind, reason, period, occurred_at, created_at) "
        f"SELECT a.id, {credit}, 'cycle_credit', '', :period, :at, :at FROM accounts a "
        "JOIN households h ON h.id = a.household_id WHERE h.status = 'active'",
        period=f"{this_month:%Y-%m}",
        at=now,
    )
    sql(
        "INSERT INTO account_movements (account_id, amount_cents, kind, reason, event_id, occurred_at, created_at) "
        "SELECT a.id, -(m.amount_cents * (1 + a.id % 7) / 10), 'payment', '', 'e-' || a.id, :at, :at "
        "FROM accounts a JOIN account_movements m ON m.account_id = a.id AND m.kind = 'cycle_credit' "
        "WHERE a.id % 2 = 0",
        at=now,
    )
    sql(
        "UPDATE accounts SET balance_cents = COALESCE((SELECT SUM(amount_cents) FROM account_movements m "
        "WHERE m.account_id = accounts.id), 0)"
    )
    sql(
        "INSERT INTO allowance_rules (id, enabled, period, base_cents, per_person_cents, unspent, cap_cents, "
        "starts_on) VALUES (1, true, 'month', 15000, 5000, 'cap', 3000, :first)",
        first=this_month,
    )
    sql(
        "INSERT INTO allowance_cycles (period, starts_on, credited_households, credited_cents, expired_households, "
        "expired_cents, started_at, completed_at) SELECT :period, :first, count(*), sum(amount_cents), 0, 0, :at, :at "
        "FROM account_movements WHERE kind = 'cycle_credit'",
        period=f"{this_month:%Y-%m}",
        first=this_month,
        at=now,
    )
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def command(env: dict[str, str], now: datetime, *extra: str) -> tuple[float, str]:
    """One run as cron starts it; prints the CPU seconds the process itself used (the rest is waiting for
    PostgreSQL, or for the cores other processes hold)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "accounts", "credit-due", "--now", now.isoformat(), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    backend = backend_cpu(process)
    output = process.stdout.read()
    assert process.wait() == 0, output
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(
        f"    (CPU: the command {cpu:.1f} s, its PostgreSQL backend {backend:.1f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
        flush=True,
    )
    return seconds, output.strip()


def backend_cpu(process: subprocess.Popen) -> float:
    """The CPU seconds of the command's PostgreSQL backend (found by its application_name; the server runs on this
    machine), read from /proc until the command ends: what the run costs the database, whatever else shares the
    cores."""
    engine = create_engine(POSTGRES_URL)
    ticks, pid = os.sysconf("SC_CLK_TCK"), None
    used = 0.0
    try:
        with engine.connect() as connection:
            while process.poll() is None:
                pid = (
                    pid
                    or connection.execute(
                        text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"), {"name": APP_NAME}
                    ).scalar()
                )
                if pid:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                        used = (int(fields[11]) + int(fields[12])) / ticks
                    except (FileNotFoundError, ProcessLookupError):
                        pass
                connection.rollback()
                time.sleep(0.2)
    finally:
        engine.dispose()
    return used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true", help="keep the schema (its name is printed)")
    args = parser.parse_args()

    today = utcnow().astimezone(PARIS).date()
    this_month = today.replace(day=1)
    next_month = date(this_month.year + this_month.month // 12, this_month.month % 12 + 1, 1)
    built_at = datetime.combine(this_month, datetime.min.time(), PARIS).replace(hour=6).astimezone(UTC)
    now = datetime.combine(next_month, datetime.min.time(), PARIS).replace(hour=6).astimezone(UTC)
    schema = f"bench_cycles_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine_options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = {
                "SECRET_KEY": "bench",
                "INSTANCE_PATH": folder,
                "SQLALCHEMY_DATABASE_URI": POSTGRES_URL,
                "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            }
            app = create_app(config)
            print(f"Building {args.households:,} households in schema {schema} (PostgreSQL)…", flush=True)
            started = time.perf_counter()
            with app.app_context():
                db.create_all()
                build(args.households, this_month, built_at)
                active = db.session.scalar(text("SELECT count(*) FROM households WHERE status = 'active'"))
            build_s = time.perf_counter() - started
            print(f"  built in {build_s:.0f} s ({active:,} active households)", flush=True)

            env = os.environ | {
                "COMPTOIR_SECRET_KEY": "bench",
                "COMPTOIR_INSTANCE_PATH": folder,
                "COMPTOIR_SQLALCHEMY_DATABASE_URI": POSTGRES_URL,
                "COMPTOIR_SQLALCHEMY_ENGINE_OPTIONS": json.dumps(
                    {"connect_args": {"options": f"-csearch_path={schema}", "application_name": APP_NAME}}
                ),
            }
            credit_s, credit_out = command(env, now)
            print(f"  credit run: {credit_s:.1f} s — {credit_out}", flush=True)
            after_s, after_out = command(env, now)
            print(f"  the run after: {after_s:.2f} s — {after_out}", flush=True)
            again_s, again_out = command(env, now, "--again")
            print(f"  forced re-run (--again): {again_s:.1f} s — {again_out}", flush=True)

            from server.domain.allowance_cycles import preview
            from server.models import AllowanceRule

            with app.app_context():
                started = time.perf_counter()
                rows = preview(AllowanceRule.current())
                preview_s = time.perf_counter() - started
                check = db.session.execute(
                    text(
                        "SELECT (SELECT count(*) FROM accounts a WHERE a.balance_cents <> COALESCE((SELECT "
                        "SUM(amount_cents) FROM account_movements m WHERE m.account_id = a.id), 0)), "
                        "(SELECT count(*) FROM account_movements WHERE kind = 'cycle_credit' AND period = :p), "
                        "(SELECT count(DISTINCT account_id) FROM account_movements WHERE kind = 'cycle_credit' "
                        "AND period = :p)"
                    ),
                    {"p": f"{next_month:%Y-%m}"},
                ).one()
            print(f"  preview query: {1000 * preview_s:.0f} ms ({sum(r.households for r in rows):,} households)")
            wrong, credits, credited = check
            assert wrong == 0, f"{wrong} balances differ from their movements"
            assert credits == credited == active, (credits, credited, active)
    finally:
        if not args.keep:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    rows_out = [
        ("network build (PostgreSQL, bulk inserts)", f"{build_s:.0f} s", ""),
        (f"`accounts credit-due`, one period for {active:,} households (new process)", f"{credit_s:.1f} s", "< 60 s"),
        ("`accounts credit-due`, the run after (nothing due)", f"{after_s:.2f} s", ""),
        ("`accounts credit-due --again` (every household already credited)", f"{again_s:.1f} s", ""),
        ("admin preview (households and total by band)", f"{1000 * preview_s:.0f} ms", ""),
    ]
    width = max(len(r[0]) for r in rows_out)
    print(f"\n{'figure'.ljust(width)} | value | target")
    for figure, value, target in rows_out:
        print(f"{figure.ljust(width)} | {value} | {target}")
    if credit_s >= TARGET_S:
        sys.exit(f"the credit run took {credit_s:.1f} s, over the {TARGET_S:.0f} s target")


if __name__ == "__main__":
    main()
