"""The world of the sync API's tests (tests/test_sync_api.py)."""

from dataclasses import dataclass

from server.clock import utcnow
from server.extensions import db
from server.models import Point
from tests.factories.primitives import (
    basket,
    distribution,
    households,
    ids,
    numbered_volunteers,
    order,
    solidarity_tier,
)


@dataclass(frozen=True)
class SyncWorld:
    point: int
    other_point: int
    distribution: int  # running now at ``point``
    other_distribution: int  # running now at ``other_point``
    orders: tuple[int, ...]  # one basket each, in ``distribution``
    households: tuple[int, ...]
    volunteer: int  # of ``point``
    second_volunteer: int  # of ``point``


def sync_world() -> SyncWorld:
    """Two points, each with a distribution running now; three households of the first (tarif solidaire), each
    with an order of one basket there; two volunteers of the first point. Committed."""
    point, other = Point(name="Luzard", town="Noisiel"), Point(name="Buisson", town="Noisiel")
    tier, product = solidarity_tier(), basket("Panier M")
    now = utcnow()
    here, elsewhere = distribution(point, now), distribution(other, now)
    members = households(point, [(f"M{i}", "Diallo", tier) for i in range(3)])
    orders = [order(here, h, [(product, 1)]) for h in members]
    volunteers = numbered_volunteers(point, 2)
    db.session.add_all([*orders, elsewhere, *volunteers])
    db.session.commit()
    return SyncWorld(point.id, other.id, here.id, elsewhere.id, ids(orders), ids(members), *ids(volunteers))
