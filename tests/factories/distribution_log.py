"""The world of the distribution log's tests (tests/test_distribution_log.py)."""

from dataclasses import dataclass

from server.extensions import db
from server.models import Household, Point, Product
from sync.manual_codes import new_code
from tests.factories.primitives import (
    DAY,
    HOUR,
    distribution,
    full_tier,
    ids_by_name,
    member_of,
    now_to_the_second,
    order,
    solidarity_tier,
)

MEMBERS = {
    # first name: (last name, tier, {product code: quantity})
    "Alice": ("Martin", "full", {"LEG-M": 1, "OEUFS": 1}),  # 17,70 €
    "Bruno": ("Diallo", "solidarity", {"LEG-M": 1}),  # 10,50 € (15,00 € at 70 %)
    "Chloé": ("Nguyen", "full", {"LEG-S": 1}),  # 10,00 €
    "David": ("Éluard", "full", {"LEG-M": 1}),  # 15,00 €
    "Emma": ("Bernard", "full", {"PAIN": 2}),  # 7,00 €
    "Farid": ("Zeroual", "solidarity", {"LEG-S": 1}),  # 7,00 €
    "Gaëlle": ("Petit", "solidarity", {"OEUFS": 1}),  # 1,89 €
}
PRICES = {"LEG-M": 1500, "LEG-S": 1000, "OEUFS": 270, "PAIN": 350}


@dataclass(frozen=True)
class DistributionLogWorld:
    point: int
    other_point: int
    distribution: int
    old_distribution: int  # at the same point, ten days ago
    other_distribution: int  # at the other point, three days ago
    orders: dict[str, int]  # first name → order of the main distribution
    households: dict[str, int]
    products: dict[str, int]
    codes: dict[str, str]  # first name → manual code
    volunteers: tuple[int, int]
    other_volunteer: int
    coordinator: int
    other_coordinator: int


def distribution_log_world() -> DistributionLogWorld:
    """A point with a distribution running now where the seven ``MEMBERS`` ordered (with known manual codes), and
    one ten days ago where Alice ordered a small basket; another point with a distribution three days ago where Hugo
    ordered one; two volunteers and a coordinator of the point, a volunteer and a coordinator of the other.
    ``orders`` also holds "old" (Alice's ten days ago) and "Hugo", ``households`` Hugo. Committed."""
    point, other = Point(name="Maison du Luzard", town="Noisiel"), Point(name="Le Buisson", town="Lognes")
    tiers = {"full": full_tier(), "solidarity": solidarity_tier("Solidaire")}
    products = {code: Product(code=code, name=f"Produit {code}", unit_price_cents=p) for code, p in PRICES.items()}
    products["LEG-M"].name, products["LEG-S"].name = "Panier M", "Panier S"
    now = now_to_the_second()
    main = distribution(point, now)
    old = distribution(point, now, starts_in=-10 * DAY, lasting=HOUR)
    elsewhere = distribution(other, now, starts_in=-3 * DAY, lasting=HOUR)
    households, orders, codes = {}, {}, {}
    for first, (last, tier, lines) in MEMBERS.items():
        codes[first] = new_code()
        households[first] = Household(
            first_name=first, last_name=last, tier=tiers[tier], point=point, manual_code=codes[first]
        )
        orders[first] = order(main, households[first], [(products[code], q) for code, q in lines.items()])
    old_order = order(old, households["Alice"], [(products["LEG-S"], 1)])
    hugo = Household(first_name="Hugo", last_name="Lambert", tier=tiers["full"], point=other)
    other_order = order(elsewhere, hugo, [(products["LEG-S"], 1)])
    volunteers = [
        member_of(point, "volunteer", "valerie@example.org", "Valérie Roux"),
        member_of(point, "volunteer", "omar@example.org", "Omar Haddad"),
    ]
    other_volunteer = member_of(other, "volunteer", "ines@example.org", "Inès")
    coordinator = member_of(point, "coordinator", "coord.a@example.org", "Coord A")
    other_coordinator = member_of(other, "coordinator", "coord.b@example.org")
    db.session.add_all(
        [*orders.values(), old_order, other_order, *volunteers, other_volunteer, coordinator, other_coordinator]
    )
    db.session.commit()
    return DistributionLogWorld(
        point=point.id,
        other_point=other.id,
        distribution=main.id,
        old_distribution=old.id,
        other_distribution=elsewhere.id,
        orders=ids_by_name(orders) | {"old": old_order.id, "Hugo": other_order.id},
        households=ids_by_name(households) | {"Hugo": hugo.id},
        products=ids_by_name(products),
        codes=codes,
        volunteers=(volunteers[0].id, volunteers[1].id),
        other_volunteer=other_volunteer.id,
        coordinator=coordinator.id,
        other_coordinator=other_coordinator.id,
    )
