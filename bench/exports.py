"""Export figures: the whole network's payments of a week (``GET /admin/exports/payments.csv``) on PostgreSQL,
streamed through waitress on 127.0.0.1 as in production: time to the first byte, to the first row, to the end, the
size, and the memory the request holds (peak of Python's allocations while the rows are written, for a week of few
and of many distributions: it must not grow with them).

Run: .venv/bin/python bench/exports.py [distributions] [members]   (default 200 distributions of 1,000 members: one
a point for the 200 points of the issue's network, each with a hand-over and a payment per member; PostgreSQL at
COMPTOIR_TEST_POSTGRES_URL, default the local server)
"""

import http.client
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sync import add_orders, engine_app, served  # noqa: E402
from server.extensions import db  # noqa: E402

WEEK_START = datetime(2026, 3, 9, 16, 30, tzinfo=UTC)  # a Monday


def seed(app, distributions: int, members: int) -> int:
    """``distributions`` distributions over a week at as many points, each with ``members`` orders handed over and
    paid (cash, card or part from the prepaid balance), events stored as uploads store them. Returns an admin id."""
    from sqlalchemy import insert

    from server.domain.devices import create_enrolment, redeem_enrolment
    from server.domain.events import _row
    from server.models import Distribution, Point, Product, SyncedEvent, Tier, User
    from sync.chain import event_hash
    from sync.events import format_time, new_event_id, parse_event

    with app.app_context():
        tier = Tier(name="Tarif plein", share_percent=100)
        basket = Product(code="LEG-M", name="Panier de légumes M", unit_price_cents=1500)
        admin = User(email="admin@example.org", role="admin")
        db.session.add_all([tier, basket, admin])
        db.session.flush()
        for number in range(distributions):
            point = Point(name=f"Point {number}", town="Noisiel")
            starts = WEEK_START + timedelta(days=number % 7, minutes=number)
            distribution = Distribution(point=point, starts_at=starts, ends_at=starts + timedelta(hours=3))
            volunteer = User(email=f"benevole{number}@example.org", role="volunteer", points=[point])
            db.session.add_all([distribution, volunteer])
            db.session.flush()
            orders = add_orders(distribution, tier, basket, members)
            _, token = create_enrolment(admin, f"Téléphone {number}", [point])
            device = redeem_enrolment(token)[0]
            seq, prev_hash, made = 0, None, []
            for n, order_id in enumerate(orders):
                payment = {"order_id": order_id, "amount_cents": 1500, "method": "cash" if n % 3 else "card"}
                if n % 5 == 0:
                    payment["from_prepaid_cents"] = 500
                for kind, payload in (("handover", {"order_id": order_id, "outcome": "all"}), ("payment", payment)):
                    seq += 1
                    at = starts + timedelta(seconds=seq)
                    event = parse_event(
                        {
                            "id": new_event_id(int(at.timestamp() * 1000)),
                            "type": kind,
                            "schema_version": 1,
                            "device_id": device.public_id,
                            "volunteer_id": volunteer.id,
                            "distribution_id": distribution.id,
                            "device_time": format_time(at),
                            "seq": seq,
                            "prev_hash": prev_hash,
                            "payload": payload,
                        }
                    )
                    prev_hash = event_hash(event)
                    made.append(_row(event, prev_hash, device.id))
            for start in range(0, len(made), 1000):
                db.session.execute(insert(SyncedEvent), made[start : start + 1000])
            db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        return admin.id


def session_cookie(app, admin_id: int) -> str:
    from tests.helpers import sign_in_user

    client = app.test_client()
    sign_in_user(app, client, admin_id)
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    return f"{name}={cookie.value}"


def timed_export(port: int, cookie: str, path: str) -> tuple[float, float, float, int]:
    """Seconds to the first byte, to the first row, to the end; bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "fr"})
    response = connection.getresponse()
    assert response.status == 200, response.status
    first = response.read1(65536)
    first_byte = time.perf_counter() - start
    size, first_row = len(first), None
    if first.count(b"\r\n") > 1:
        first_row = first_byte
    while chunk := response.read1(65536):
        size += len(chunk)
        if first_row is None:
            first_row = time.perf_counter() - start
    total = time.perf_counter() - start
    connection.close()
    return first_byte, first_row or total, total, size


def peak_memory(app, admin_id: int, path: str) -> float:
    """MB: the peak of Python's allocations while the export is read through the test client, piece by piece."""
    from tests.helpers import sign_in_user

    client = app.test_client()
    sign_in_user(app, client, admin_id)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    response = client.get(path, buffered=False)
    for _piece in response.response:
        pass
    response.close()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    import tempfile

    distributions = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    members = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as folder:
        app, drop = engine_app(Path(folder), "postgresql")
        try:
            start = time.perf_counter()
            admin_id = seed(app, distributions, members)
            print(f"seeded {distributions} distributions × {members} members in {time.perf_counter() - start:.0f} s")
            cookie = session_cookie(app, admin_id)
            week = "/admin/exports/payments.csv?from=2026-03-09&to=2026-03-15"
            one_day = "/admin/exports/payments.csv?from=2026-03-09&to=2026-03-09"
            with served(app) as port:
                for label, path in (("one day", one_day), ("the week", week)):
                    first_byte, first_row, total, size = timed_export(port, cookie, path)
                    print(
                        f"{label}: first byte {first_byte * 1000:.0f} ms, first row {first_row * 1000:.0f} ms, "
                        f"all {total:.1f} s, {size / 1e6:.1f} MB"
                    )
            for label, path in (("one day", one_day), ("the week", week)):
                print(f"{label}: peak of Python allocations while streaming {peak_memory(app, admin_id, path):.1f} MB")
        finally:
            drop()


if __name__ == "__main__":
    main()
