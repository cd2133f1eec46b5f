"""A point with a season ahead of the clock: a vegetable farmer and a hen house, six weekly distributions, six
households (two at the solidarity tier), for the season contracts' tests."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.clock import utcnow
from server.extensions import db
from server.models import Distribution, Household, Point, Producer, Product, Tier

PARIS = ZoneInfo("Europe/Paris")
WEEKS = 6


@dataclass(frozen=True)
class ContractsWorld:
    point: int
    other_point: int
    farmer: int
    hens: int
    basket: int  # Panier de légumes, 15.00 € tarif plein
    eggs: int  # Œufs ×6, 2.70 €
    bread: int
    households: tuple[int, ...]  # six of the point: 0, 2, 4 tarif plein; 1, 3, 5 tarif solidaire (70 %)
    stranger: int  # a household of the other point
    distributions: tuple[int, ...]  # Tuesdays 17:30 Paris, the first next week


def first_tuesday() -> datetime:
    """17:30 in Paris on the Tuesday at least a week after the clock's today."""
    today = utcnow().astimezone(PARIS).date() + timedelta(days=7)
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7)
    return datetime.combine(tuesday, time(17, 30), PARIS)


def contracts_world() -> ContractsWorld:
    full = Tier(name="Tarif plein", share_percent=100)
    solidarity = Tier(name="Tarif solidaire", share_percent=70)
    point = Point(name="AMAP du Luzard", town="Noisiel")
    other = Point(name="AMAP de Torcy", town="Torcy")
    farmer = Producer(name="Ferme des Quatre Vents", cheque_payee="EARL des Quatre Vents")
    hens = Producer(name="Les Poules de Lognes")
    basket = Product(code="LEG", name="Panier de légumes", unit_price_cents=1500, producer=farmer)
    eggs = Product(code="OEUFS-6", name="Œufs ×6", unit_price_cents=270, producer=hens)
    bread = Product(code="PAIN", name="Pain au levain", unit_price_cents=350)
    names = ["Martin", "Diallo", "Nguyen", "Ferreira", "Bréhat", "Ngô"]
    people = [
        Household(first_name=f"H{i}", last_name=name, tier=full if i % 2 == 0 else solidarity, point=point)
        for i, name in enumerate(names)
    ]
    stranger = Household(first_name="Zoé", last_name="Lefèvre", tier=full, point=other)
    start = first_tuesday()
    distributions = [
        Distribution(
            point=point,
            starts_at=(start + timedelta(weeks=week)).astimezone(ZoneInfo("UTC")),
            ends_at=(start + timedelta(weeks=week, hours=1)).astimezone(ZoneInfo("UTC")),
        )
        for week in range(WEEKS)
    ]
    db.session.add_all([full, solidarity, point, other, farmer, hens, basket, eggs, bread, *people, stranger])
    db.session.add_all(distributions)
    db.session.commit()
    return ContractsWorld(
        point=point.id,
        other_point=other.id,
        farmer=farmer.id,
        hens=hens.id,
        basket=basket.id,
        eggs=eggs.id,
        bread=bread.id,
        households=tuple(h.id for h in people),
        stranger=stranger.id,
        distributions=tuple(d.id for d in distributions),
    )
