"""Season contract figures: ``regenerate_contract`` for a contract of 1,000 subscribers over 26 distributions on
PostgreSQL, as an admin's change runs it (in the request). Target: about 2 s for a change that touches every order.

The network (a private schema): one point, 1,000 active households, 26 weekly distributions from next week, a
contract delivering at each, with a vegetable basket (by the piece) and about 500 g of cheese (sold by weight), one
subscriber in ten sharing their basket with the next household. Figures: the first generation (26,000 orders
created), a generation that finds everything as wanted, one subscriber's quantities changed, a price changed (every
order re-priced), and the admin page (the first page of subscribers, and a search by name).

Run: .venv/bin/python bench/contracts.py [--subscribers 1000] [--distributions 26] [--keep]
(PostgreSQL: COMPTOIR_TEST_POSTGRES_URL, default the local server.)
"""

import argparse
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.bulk import PARIS, POSTGRES_URL, sql  # noqa: E402
from server import create_app  # noqa: E402
from server.clock import utcnow  # noqa: E402
from server.extensions import db  # noqa: E402

TARGET_S = 2.0


def build(subscribers: int, distributions: int) -> None:
    """The network described above, in bulk statements."""
    now = utcnow()
    sql(
        "INSERT INTO network_settings (id, name, currency, timezone, payment_methods) VALUES (1, 'Banc', 'EUR', "
        "'Europe/Paris', '[]')"
    )
    sql("INSERT INTO tiers (id, name, share_percent, description) VALUES (1, 'Tarif plein', 100, '')")
    sql(
        "INSERT INTO points (id, name, town, address, ephemeral, active, notes) "
        "VALUES (1, 'Luzard', 'Noisiel', '', false, true, '')"
    )
    sql("INSERT INTO producers (id, name, active) VALUES (1, 'Ferme', true)")
    sql(
        "INSERT INTO products (id, code, name, unit, producer_id, sold_by, unit_price_cents, allowance_eligible, "
        "active) VALUES (1, 'LEG', 'Panier de légumes', '', 1, 'piece', 1500, true, true), "
        "(2, 'COMTE', 'Comté', '', 1, 'kg', 2450, true, true)"
    )
    sql(
        "INSERT INTO households (id, first_name, last_name, phone, tier_id, point_id, status, notes, created_at, "
        "ticket_min_serial) SELECT n, 'Prénom' || n, 'Nom' || n, '', 1, 1, 'active', '', :now, 0 "
        "FROM generate_series(1, :n) n",
        n=subscribers,
        now=now,
    )
    first = datetime.combine((now + timedelta(days=7)).astimezone(PARIS).date(), datetime.min.time(), PARIS)
    first = first.replace(hour=17, minute=30).astimezone(UTC)
    sql(
        "INSERT INTO distributions (id, point_id, starts_at, ends_at, status, notes, conflicts_stale) "
        "SELECT n, 1, :first + (n - 1) * interval '7 days', :first + (n - 1) * interval '7 days' + interval '1 hour', "
        "'planned', '', false FROM generate_series(1, :d) n",
        first=first,
        d=distributions,
    )
    last = first + timedelta(days=7 * (distributions - 1))
    sql(
        "INSERT INTO contracts (id, producer_id, point_id, name, starts_on, ends_on, frequency, payment, cheque_count, "
        "subscriptions_open, absence_cap, notes, created_at) VALUES (1, 1, 1, 'Saison', :s, :e, 'every', "
        "'per_delivery', 0, true, 2, '', :now)",
        s=first.astimezone(PARIS).date(),
        e=last.astimezone(PARIS).date(),
        now=now,
    )
    sql(
        "INSERT INTO contract_products (id, contract_id, product_id, unit_price_cents, default_quantity) VALUES "
        "(1, 1, 1, 1500, 1), (2, 1, 2, 2450, 500)"
    )
    sql(
        "INSERT INTO subscriptions (id, contract_id, household_id, status, partner_id, partner_starts, created_at) "
        "SELECT n, 1, n, 'active', CASE WHEN n % 10 = 1 AND n < :n THEN n + 1 END, false, :now "
        "FROM generate_series(1, :n) n WHERE n % 10 <> 2",
        n=subscribers,
        now=now,
    )
    sql(
        "INSERT INTO subscription_quantities (subscription_id, contract_product_id, quantity) "
        "SELECT id, 1, 1 FROM subscriptions UNION ALL SELECT id, 2, 500 FROM subscriptions WHERE id % 2 = 0"
    )
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def timed(label: str, run) -> tuple[str, float, str]:
    started = time.perf_counter()
    outcome = run()
    db.session.commit()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.2f} s — {outcome}", flush=True)
    return label, seconds, str(outcome)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--distributions", type=int, default=26)
    parser.add_argument("--keep", action="store_true", help="keep the schema (its name is printed)")
    args = parser.parse_args()

    schema = f"bench_contracts_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    rows: list[tuple[str, float, str]] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            app = create_app(
                {
                    "SECRET_KEY": "bench",
                    "INSTANCE_PATH": folder,
                    "SQLALCHEMY_DATABASE_URI": POSTGRES_URL,
                    "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema},public"}},
                    "WTF_CSRF_ENABLED": False,
                }
            )
            with app.app_context():
                db.create_all()
                build(args.subscribers, args.distributions)
                print(
                    f"{args.subscribers:,} households, {args.distributions} distributions (schema {schema})",
                    flush=True,
                )

                from server.domain.contract_orders import regenerate_contract
                from server.domain.contracts import set_contract_product, update_subscription
                from server.models import Contract, Product, Subscription

                def contract() -> Contract:
                    return db.session.get(Contract, 1)

                rows.append(timed("first generation (every order created)", lambda: regenerate_contract(contract())))
                rows.append(timed("generation again (nothing to change)", lambda: regenerate_contract(contract())))
                one = db.session.get(Subscription, 5)
                rows.append(
                    timed(
                        "one subscriber's quantities changed",
                        lambda: update_subscription(one, quantities={1: 2, 2: 750}),
                    )
                )
                cheese = db.session.get(Product, 2)
                rows.append(
                    timed(
                        "a price changed (every order re-priced)",
                        lambda: set_contract_product(contract(), cheese, 2590, 500),
                    )
                )
                orders = db.session.scalar(text("SELECT count(*) FROM orders"))
                print(f"  ({orders:,} orders)")

            client = app.test_client()
            with app.app_context():
                from server.models import User

                user = User(email="admin@banc.test", display_name="Admin", role="admin")
                db.session.add(user)
                db.session.commit()
                user_id = user.id
            with client.session_transaction() as session:
                session["user_id"] = user_id
                session["_renewed"] = int(time.time())
            for label, url in (
                ("admin contract page (first page of subscribers)", "/admin/contracts/1"),
                ("admin contract page, a search by name", "/admin/contracts/1?q=nom12"),
            ):
                client.get(url)
                started = time.perf_counter()
                response = client.get(url)
                seconds = time.perf_counter() - started
                print(f"  {label}: {1000 * seconds:.0f} ms ({response.status_code}, {len(response.data):,} bytes)")
                rows.append((label, seconds, str(response.status_code)))
    finally:
        if not args.keep:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    slowest = max(seconds for label, seconds, _ in rows if "price" in label or "quantities" in label)
    print(f"slowest change: {slowest:.2f} s (target about {TARGET_S:.0f} s)")


if __name__ == "__main__":
    main()
