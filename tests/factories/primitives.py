"""The pieces the test worlds are made of.

Each returns transient model objects: nothing is added to the session here, so a world chooses what it adds and in
which order (that order fixes the ids its tests see). Dates are relative to a ``now`` the world reads once from
``server.clock.utcnow()``, so every test runs the same whatever the day, and a world's distributions share it.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from server.clock import utcnow
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    Distribution,
    Household,
    Order,
    OrderLine,
    Point,
    Product,
    Tier,
    User,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# The point of the volunteer app's worlds, and its four households.
LUZARD = "Maison de quartier du Luzard"
LUZARD_PEOPLE = [("Élodie", "Martin"), ("Awa", "Diallo"), ("Jean-Luc", "Ngô"), ("Elouan", "Bréhat")]


def now_to_the_second() -> datetime:
    """The clock's now without microseconds (what a form or a sign-off sheet would show)."""
    return utcnow().replace(microsecond=0)


def distribution(
    point: Point, now: datetime, starts_in: timedelta = -HOUR, lasting: timedelta = 2 * HOUR
) -> Distribution:
    """A distribution at ``point`` starting ``starts_in`` after ``now`` (negative: it has started); by default one
    running now, from an hour ago to an hour ahead."""
    starts = now + starts_in
    return Distribution(point=point, starts_at=starts, ends_at=starts + lasting)


def full_tier() -> Tier:
    return Tier(name="Tarif plein", share_percent=100)


def solidarity_tier(name: str = "Tarif solidaire") -> Tier:
    return Tier(name=name, share_percent=70)


def basket(name: str = "Panier de légumes M") -> Product:
    return Product(code="LEG-M", name=name, unit_price_cents=1500)


def eggs() -> Product:
    return Product(code="OEUF-6", name="Œufs plein air ×6", unit_price_cents=270)


def households(point: Point, people: Iterable[tuple[str, str, Tier]]) -> list[Household]:
    """Households of ``point`` from (first name, last name, tier)."""
    return [Household(first_name=first, last_name=last, tier=tier, point=point) for first, last, tier in people]


def order(distribution: Distribution, household: Household, lines: Iterable[tuple[Product, int]]) -> Order:
    """An order as the import makes it: the share is the household's tier's, each line at its product's price."""
    made = Order(distribution=distribution, household=household, share_percent=household.tier.share_percent)
    made.lines = [
        OrderLine(product=product, quantity=quantity, unit_price_cents=product.unit_price_cents)
        for product, quantity in lines
    ]
    return made


def member_of(point: Point, role: str, email: str, display_name: str = "") -> User:
    """A volunteer or coordinator of ``point``."""
    return User(email=email, role=role, display_name=display_name, points=[point])


def numbered_volunteers(point: Point, count: int, *, named: bool = False) -> list[User]:
    """Volunteers ``v0@example.org``, ``v1@example.org``… of ``point`` (displayed as V0, V1… when ``named``)."""
    return [member_of(point, "volunteer", f"v{i}@example.org", f"V{i}" if named else "") for i in range(count)]


def account(household: Household, kind: str, *movements: tuple[int, str]) -> Account:
    """A ``kind`` account of the household credited (or debited) by (amount in cents, reason) movements."""
    made = Account(household=household, kind=kind)
    made.movements = [AccountMovement(amount_cents=cents, reason=reason) for cents, reason in movements]
    return made


def tickets(of: Iterable[Household]) -> list[str]:
    """A ticket for each household, in order (a household that had one gets the next serial: the old one is
    revoked). The households must have ids: flush first."""
    return [issue_ticket(household) for household in of]


def ids(objects: Iterable[db.Model]) -> tuple[int, ...]:
    return tuple(o.id for o in objects)


def ids_by_name(objects: Mapping[str, db.Model]) -> dict[str, int]:
    return {name: o.id for name, o in objects.items()}
