"""The members list pages through households by name without reading the whole network: the database walks
``ix_households_name`` in order and stops after a page, instead of sorting every household (``bench/scale.py``)."""

from sqlalchemy import select, text

from server.admin.views import PER_PAGE
from server.extensions import db
from server.models import Household, Tier


def test_the_members_list_order_is_read_from_the_name_index(app, backend):
    with app.app_context():
        tier = Tier(name="Tarif plein", share_percent=100)
        db.session.add_all(
            Household(first_name=f"Prénom{n}", last_name=f"Nom{n % 7}", tier=tier) for n in range(3 * PER_PAGE)
        )
        db.session.commit()
        page = (
            select(Household.id)
            .order_by(Household.last_name, Household.first_name, Household.id)
            .limit(PER_PAGE)
            .compile(db.engine, compile_kwargs={"literal_binds": True})
        )
        if backend == "postgresql":
            db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a few rows: else a scan is cheaper
            plan = "\n".join(db.session.scalars(text(f"EXPLAIN {page}")))
        else:
            plan = "\n".join(row[3] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {page}")))
        assert "ix_households_name" in plan, plan
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
