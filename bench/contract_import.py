"""A season's subscriptions of a big point imported in one request: 2,000 households, 3,000 subscription lines (one
in two households also takes eggs; one in ten shares its basket), a weekly contract over 26 distributions, so the
import generates 52,000 order lines. Prints the time to check the file (``parse_subscriptions_csv``), to apply it
with the generation and commit, and to import the same file again (nothing changes), on SQLite or PostgreSQL.

Run: .venv/bin/python bench/contract_import.py [postgresql+psycopg://…]   (the database is emptied first: on a shared
server, give a schema of its own, e.g. ``…/test?options=-csearch_path%3Dbench_import``, created first)
"""

import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import server.auth  # noqa: E402,F401  (before server.audit)
from server import create_app  # noqa: E402
from server.domain.contract_import import apply_subscriptions_import, parse_subscriptions_csv  # noqa: E402
from server.domain.contracts import create_contract  # noqa: E402
from server.extensions import db  # noqa: E402
from server.models import Contract, Distribution, Household, Order, OrderLine, Point, Producer, Product, Tier  # noqa: E402

HOUSEHOLDS = int(__import__("os").environ.get("BENCH_HOUSEHOLDS", "2000"))
WEEKS = 26
PARIS = ZoneInfo("Europe/Paris")
FIRST = date(2030, 1, 8)  # a Tuesday, far ahead of any clock: every distribution is planned


def build() -> tuple[int, bytes]:
    tier = Tier(name="Tarif plein", share_percent=100)
    point = Point(name="Maison de quartier du Luzard", town="Noisiel")
    farmer = Producer(name="Les Jardins du Morbras")
    basket = Product(code="PANIER-M", name="Panier de légumes M", unit_price_cents=1500, producer=farmer)
    eggs = Product(code="OEUFS-6", name="Œufs plein air", unit="boîte de 6", unit_price_cents=270, producer=farmer)
    db.session.add_all([tier, point, farmer, basket, eggs])
    db.session.add_all(
        Household(first_name=f"Prénom{n}", last_name=f"Nom{n:04d}", email=f"m{n}@example.org", tier=tier, point=point)
        for n in range(HOUSEHOLDS)
    )
    for week in range(WEEKS):
        starts = datetime.combine(FIRST + timedelta(weeks=week), clock_time(17, 30), PARIS)
        db.session.add(Distribution(point=point, starts_at=starts, ends_at=starts + timedelta(hours=1)))
    db.session.flush()
    contract = create_contract(
        point,
        {
            "name": "Légumes — saison",
            "producer_id": farmer.id,
            "starts_on": FIRST,
            "ends_on": FIRST + timedelta(weeks=WEEKS),
        },
    )
    db.session.commit()
    rows = ["adhérent;nom;produit;quantité;prix_unitaire;partenaire"]
    for n in range(HOUSEHOLDS):
        partner = f"m{n + 1}@example.org" if n % 20 == 0 else ""
        rows.append(f"m{n}@example.org;Nom{n:04d} Prénom{n};PANIER-M;1;15,00;{partner}")
        if n % 2 == 0:
            rows.append(f"m{n}@example.org;Nom{n:04d} Prénom{n};OEUFS-6;2;2,70;")
    return contract.id, ("\r\n".join(rows) + "\r\n").encode()


def timed(label: str, run):
    start = time.perf_counter()
    result = run()
    print(f"{label}: {time.perf_counter() - start:.2f} s")
    return result


def main(url: str | None) -> None:
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "INSTANCE_PATH": instance,
                "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{instance}/bench.db",
            }
        )
        with app.test_request_context():
            db.drop_all()
            db.create_all()
            contract_id, data = build()
            rows = data.count(b"\n") - 1
            print(f"{rows} lines, {len(data) // 1024} KiB, {HOUSEHOLDS} households, {WEEKS} weeks")
            for attempt in ("first import", "same file again"):
                db.session.expire_all()
                contract = db.session.get(Contract, contract_id)
                plan = timed(f"{attempt}: check the file", lambda c=contract: parse_subscriptions_csv(data, c))
                assert not isinstance(plan, list), plan[:3]

                def apply(c=contract, p=plan):
                    result = apply_subscriptions_import(c, p)
                    db.session.commit()
                    return result

                summary, done = timed(f"{attempt}: import, generate the orders, commit", apply)
                print(f"  {summary}\n  {done}")
            orders = db.session.query(Order).count()
            lines = db.session.query(OrderLine).count()
            print(f"{orders} orders, {lines} order lines")
            db.session.remove()  # its reads hold locks PostgreSQL's DROP would wait for
            db.drop_all()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
