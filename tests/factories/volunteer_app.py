"""The world of the volunteer app's screens in Chromium (tests/browser/test_volunteer_app.py, and the whole day and
push tests that reuse it)."""

from dataclasses import dataclass
from datetime import timedelta

from server.clock import utcnow
from server.extensions import db
from server.models import NetworkSettings, Point
from tests.factories.primitives import (
    LUZARD,
    LUZARD_PEOPLE,
    account,
    basket,
    distribution,
    eggs,
    full_tier,
    households,
    member_of,
    order,
    solidarity_tier,
    tickets,
)

POINT = LUZARD
NAMES = ["Élodie M.", "Awa D.", "Jean-Luc N.", "Elouan B."]  # as the app displays LUZARD_PEOPLE


@dataclass(frozen=True)
class VolunteerAppWorld:
    distribution: int
    members: dict[str, int]  # display name → household id
    orders: dict[str, int]  # display name → order id
    codes: dict[str, str]  # display name → manual code
    tickets: dict[str, str]  # display name → current ticket text
    revoked_ticket: str  # Jean-Luc's ticket before it was re-issued
    basket: int
    eggs: int


def volunteer_app_world() -> VolunteerAppWorld:
    """A point with a distribution that started half an hour ago: four households with the same order (a vegetable
    basket and two boxes of eggs), two tiers, account balances for Élodie (prepaid 5 €, allowance 4 €), a ticket
    each, Jean-Luc's re-issued (his first one is revoked); Victor, volunteer of the point; every payment method on.
    Committed."""
    settings = NetworkSettings.current()
    settings.payment_methods = ["cash", "cheque", "card", "prepaid", "allowance"]
    point = Point(name=POINT, town="Noisiel")
    solidaire, plein = solidarity_tier(), full_tier()
    basket_m, box_of_eggs = basket(), eggs()
    here = distribution(point, utcnow(), starts_in=-timedelta(minutes=30), lasting=timedelta(minutes=90))
    tiers = [solidaire, plein, solidaire, plein]
    members = households(point, [(f, last, t) for (f, last), t in zip(LUZARD_PEOPLE, tiers, strict=True)])
    orders = [order(here, h, [(basket_m, 1), (box_of_eggs, 2)]) for h in members]
    volunteer = member_of(point, "volunteer", "victor@example.org", "Victor")
    db.session.add_all([*orders, volunteer])
    db.session.flush()
    db.session.add_all([account(members[0], "prepaid", (500, "test")), account(members[0], "allowance", (400, "test"))])
    issued = tickets(members)
    revoked = issued[2]
    issued[2] = tickets([members[2]])[0]  # re-issued: the first one is revoked
    db.session.commit()
    return VolunteerAppWorld(
        distribution=here.id,
        members={n: h.id for n, h in zip(NAMES, members, strict=True)},
        orders={n: o.id for n, o in zip(NAMES, orders, strict=True)},
        codes={n: h.manual_code for n, h in zip(NAMES, members, strict=True)},
        tickets=dict(zip(NAMES, issued, strict=True)),
        revoked_ticket=revoked,
        basket=basket_m.id,
        eggs=box_of_eggs.id,
    )
