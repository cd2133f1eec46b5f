"""The world of the volunteer app's data-layer tests in Chromium (tests/browser/test_pwa_data.py)."""

from dataclasses import dataclass

from server.clock import utcnow
from server.extensions import db
from server.models import Point
from tests.factories.primitives import (
    LUZARD,
    LUZARD_PEOPLE,
    basket,
    distribution,
    eggs,
    households,
    ids,
    numbered_volunteers,
    order,
    solidarity_tier,
    tickets,
)


@dataclass(frozen=True)
class PwaDataWorld:
    point: int  # the Maison de quartier du Luzard
    distribution: int  # running now at ``point``
    other_distribution: int  # running now at another point
    orders: tuple[int, ...]  # a basket and two boxes of eggs each, in ``distribution``
    households: tuple[int, ...]
    tickets: tuple[str, ...]  # each household's ticket text
    codes: tuple[str, ...]  # each household's manual code
    volunteer: int  # of ``point``
    second_volunteer: int  # of ``point``


def pwa_data_world() -> PwaDataWorld:
    """The Maison de quartier du Luzard and another point, each with a distribution running now; four households of
    the Luzard (tarif solidaire) with the same order there (a basket and two boxes of eggs) and a ticket each; two
    volunteers of the Luzard. Committed."""
    point, other = Point(name=LUZARD, town="Noisiel"), Point(name="Buisson", town="Torcy")
    tier, products = solidarity_tier(), [(basket(), 1), (eggs(), 2)]
    now = utcnow()
    here, elsewhere = distribution(point, now), distribution(other, now)
    members = households(point, [(first, last, tier) for first, last in LUZARD_PEOPLE])
    orders = [order(here, h, products) for h in members]
    volunteers = numbered_volunteers(point, 2, named=True)
    db.session.add_all([*orders, elsewhere, *volunteers])
    db.session.flush()
    issued = tuple(tickets(members))
    db.session.commit()
    return PwaDataWorld(
        point.id,
        here.id,
        elsewhere.id,
        ids(orders),
        ids(members),
        issued,
        tuple(h.manual_code for h in members),
        *ids(volunteers),
    )
