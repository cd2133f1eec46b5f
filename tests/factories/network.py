"""A small network on fixed dates, built with the models directly: two tiers, a few households, coded products,
distributions."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server.extensions import db
from server.models import Distribution, Household, Order, OrderLine, Point, Product, Tier


@dataclass(frozen=True)
class Network:
    """Ids of what ``make_network`` created (ids, not objects: tests open and close app contexts freely)."""

    full_tier: int
    solidarity_tier: int
    alice: int  # tarif plein, alice@example.org
    bruno: int  # tarif solidaire (70 %), bruno@example.org
    chloe: int  # tarif plein, no e-mail
    dina: int  # suspended, dina@example.org
    products: dict[str, int]
    distribution: int  # planned
    closed_distribution: int


PRODUCTS = {
    # code: (name, unit price in cents, active)
    "LEG-S": ("Panier de légumes S", 1000, True),
    "LEG-M": ("Panier de légumes M", 1500, True),
    "OEUFS-6": ("Œufs plein air ×6", 270, True),
    "PAIN-500": ("Pain au levain 500 g", 350, True),
    "MIEL": ("Miel de fleurs", 1050, False),
}


def make_network() -> Network:
    """Create the network in the current app context and commit it."""
    full = Tier(name="Tarif plein", share_percent=100)
    solidarity = Tier(name="Tarif solidaire", share_percent=70)
    point = Point(name="Maison de quartier du Luzard", town="Noisiel")
    households = [
        Household(first_name="Alice", last_name="Martin", email="alice@example.org", tier=full, point=point),
        Household(first_name="Bruno", last_name="Diallo", email="bruno@example.org", tier=solidarity, point=point),
        Household(first_name="Chloé", last_name="Nguyen", email=None, tier=full, point=point),
        Household(first_name="Dina", last_name="Ferreira", email="dina@example.org", tier=full, status="suspended"),
    ]
    products = [
        Product(code=code, name=name, unit_price_cents=price, active=active)
        for code, (name, price, active) in PRODUCTS.items()
    ]
    starts = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)
    planned = Distribution(point=point, starts_at=starts, ends_at=starts + timedelta(hours=1, minutes=30))
    closed = Distribution(
        point=point,
        starts_at=starts - timedelta(days=7),
        ends_at=starts - timedelta(days=7) + timedelta(hours=1),
        status="closed",
    )
    db.session.add_all([full, solidarity, point, *households, *products, planned, closed])
    db.session.commit()
    alice, bruno, chloe, dina = (h.id for h in households)
    return Network(
        full_tier=full.id,
        solidarity_tier=solidarity.id,
        alice=alice,
        bruno=bruno,
        chloe=chloe,
        dina=dina,
        products={p.code: p.id for p in products},
        distribution=planned.id,
        closed_distribution=closed.id,
    )


def make_order(distribution_id: int, household_id: int, lines: dict[int, tuple[int, int]]) -> int:
    """An order with ``{product_id: (quantity, unit_price_cents)}`` lines, committed; returns its id."""
    share = db.session.get(Household, household_id).tier.share_percent
    order = Order(distribution_id=distribution_id, household_id=household_id, share_percent=share)
    order.lines = [OrderLine(product_id=p, quantity=q, unit_price_cents=c) for p, (q, c) in lines.items()]
    db.session.add(order)
    db.session.commit()
    return order.id
