"""Printable member cards: the time to draw the cards of one point's 940 members, and the cards page with the
most cards it prints at once (``CARDS_MAX``), on SQLite or PostgreSQL.

Run: .venv/bin/python bench/cards.py [postgresql+psycopg://…]   (the database is emptied first)
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from server import create_app  # noqa: E402
from server.admin import tickets as cards  # noqa: E402
from server.domain.tickets import issue_missing_tickets  # noqa: E402
from server.extensions import db  # noqa: E402
from server.models import Household, Point, Tier, User  # noqa: E402
from tests.helpers import sign_in_as_admin  # noqa: E402

MEMBERS = 940  # one point of a network of 200,000 households and 200 points


def main(url: str | None) -> None:
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "INSTANCE_PATH": instance,
                "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{instance}/bench.db",
                "WTF_CSRF_ENABLED": True,
            }
        )
        with app.app_context():
            db.drop_all()
            db.create_all()
            tier = Tier(name="Tarif plein", share_percent=100)
            point = Point(name="Maison de quartier du Luzard", town="Noisiel")
            db.session.add_all([tier, point, User(email="admin@example.org", role="admin")])
            db.session.add_all(
                Household(first_name=f"Prénom{n}", last_name=f"Nom{n:04d}", tier=tier, point=point)
                for n in range(MEMBERS)
            )
            db.session.flush()
            issue_missing_tickets()
            db.session.commit()
            point_id = point.id
            ticked = db.session.scalars(select(Household.id).order_by(Household.id).limit(cards.CARDS_MAX)).all()
        client = app.test_client()
        sign_in_as_admin(app, client, "admin@example.org")
        with app.test_request_context(), app.app_context():
            households = db.session.scalars(select(Household).where(Household.point_id == point_id)).all()
            start = time.perf_counter()
            drawn = cards.card_faces(households)
            print(f"{len(drawn)} cards of one point drawn: {time.perf_counter() - start:.2f} s")
        query = "&".join(f"member={member_id}" for member_id in ticked)
        for name, path in [
            (f"cards page, {len(ticked)} ticked", f"/admin/cards/?{query}"),
            (f"cards page, the point's {MEMBERS} listed", f"/admin/cards/?point={point_id}"),
        ]:
            times = []
            for _ in range(3):
                start = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
            print(f"{name}: median {statistics.median(times) * 1000:.0f} ms")
        with app.app_context():
            db.drop_all()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
