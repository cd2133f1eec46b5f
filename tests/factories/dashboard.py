"""The world of the dashboard's tests (tests/test_dashboard.py, tests/browser/test_dashboard_browser.py): two points,
each with a distribution running now, their volunteers and coordinators; and ``a_day`` played by phones through the
real upload, so that every kind of "to check" item exists at the first point and some at the second."""

from dataclasses import dataclass

from flask import Flask

from server.clock import utcnow
from server.domain.ledger import post
from server.extensions import db
from server.models import Point
from tests.factories.primitives import (
    basket,
    distribution,
    households,
    ids,
    member_of,
    order,
    solidarity_tier,
)
from tests.phones import Phone, enrol_phone


@dataclass(frozen=True)
class DashboardWorld:
    point: int  # Luzard
    other_point: int  # Buisson
    distribution: int  # at Luzard, running now (an hour ago to an hour ahead)
    other_distribution: int  # at Buisson, running now
    orders: tuple[int, ...]  # one basket each (10,50 € at the solidarity tier) at Luzard
    households: tuple[int, ...]  # Awa Diallo, Jean Ngô, Lina Roux at Luzard
    other_household: int  # Paul Girard at Buisson
    other_order: int
    volunteer: int
    second_volunteer: int
    other_volunteer: int
    coordinator: int  # of Luzard
    other_coordinator: int  # of Buisson


def dashboard_world() -> DashboardWorld:
    point, other = Point(name="Luzard", town="Noisiel"), Point(name="Buisson", town="Champs")
    tier, product = solidarity_tier(), basket("Panier M")
    now = utcnow()
    here, there = distribution(point, now), distribution(other, now)
    members = households(point, [("Awa", "Diallo", tier), ("Jean", "Ngô", tier), ("Lina", "Roux", tier)])
    (stranger,) = households(other, [("Paul", "Girard", tier)])
    orders = [order(here, h, [(product, 1)]) for h in members]
    other_order = order(there, stranger, [(product, 1)])
    people = [
        member_of(point, "volunteer", "v1@example.org", "Vera"),
        member_of(point, "volunteer", "v2@example.org", "Victor"),
        member_of(other, "volunteer", "v3@example.org", "Valentin"),
        member_of(point, "coordinator", "coord@example.org", "Chloé"),
        member_of(other, "coordinator", "coord2@example.org", "Camille"),
    ]
    db.session.add_all([*orders, other_order, *people])
    db.session.commit()
    for household in members:
        post(household.id, "prepaid", 2000, "opening")
    db.session.commit()
    return DashboardWorld(
        point.id,
        other.id,
        here.id,
        there.id,
        ids(orders),
        ids(members),
        stranger.id,
        other_order.id,
        *ids(people),
    )


def sent(phone: Phone, events: list[dict]) -> None:
    answer = phone.push(events)
    assert answer.status_code == 200, answer.get_json()
    assert not answer.get_json().get("rejected"), answer.get_json()


def a_day(app: Flask, world: DashboardWorld) -> dict[str, Phone]:
    """The day at both points, through the real upload and pack download, then the cron's conflict check.

    Luzard: "Caisse 1" opens with 50,00 €, hands Awa's basket over for 10,50 € in cash and counts 50,00 € at closing
    (10,50 € short); refuses a scan; hands Jean's basket over paid 30,00 € from his prepaid account, which holds
    20,00 € (overdrawn, and an overpayment); Lina does not come. "Caisse 2" took the pack and says it holds 3 actions
    not sent. Buisson: "Caisse B" refuses a scan and takes 30,00 € from Paul's empty prepaid account."""
    first = enrol_phone(app, [world.point], world.volunteer, "Caisse 1")
    second = enrol_phone(app, [world.point], world.second_volunteer, "Caisse 2")
    other = enrol_phone(app, [world.other_point], world.other_volunteer, "Caisse B")
    d, (awa, jean, _lina) = world.distribution, world.orders
    events = [
        first.record("cash_count", {"kind": "opening", "total_cents": 5000}, d),
        first.record("handover", {"order_id": awa, "outcome": "all"}, d),
        first.record("payment", {"order_id": awa, "amount_cents": 1050, "method": "cash"}, d),
        first.record("scan_refused", {"reason": "not_expected"}, d),
        first.record("handover", {"order_id": jean, "outcome": "all"}, d),
        first.record(
            "payment", {"order_id": jean, "amount_cents": 3000, "method": "prepaid", "from_prepaid_cents": 3000}, d
        ),
        first.record("cash_count", {"kind": "closing", "total_cents": 5000}, d),
    ]
    sent(first, events)
    pack = second.client.get(f"/api/distributions/{d}/pack", headers={**second.headers, "X-Comptoir-Pending": "3"})
    assert pack.status_code == 200, pack.get_json()
    o = world.other_distribution
    payment = {"order_id": world.other_order, "amount_cents": 3000, "method": "prepaid", "from_prepaid_cents": 3000}
    sent(other, [other.record("scan_refused", {"reason": "not_expected"}, o), other.record("payment", payment, o)])
    result = app.test_cli_runner().invoke(args=["sync", "check-conflicts"])
    assert result.exit_code == 0, result.output
    return {"first": first, "second": second, "other": other}
