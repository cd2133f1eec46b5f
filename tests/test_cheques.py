"""Cheques: kept from the synced payments by cheque with their payee producer (once, whatever the uploads; a void
cancels, a void of the void restores), then the admin's page: filters, marking as handed over or deposited, the CSV
export. On SQLite and PostgreSQL."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEntry, Cheque, Distribution, Household, Order, Point, Producer, Tier, User
from tests.helpers import csrf_token, sign_in_user
from tests.phones import enrol_phone

NOW = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)  # a Tuesday, 18:00 in Paris


@pytest.fixture
def world(app, time_machine):
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        other_point = Point(name="École Jules Ferry", town="Chelles")
        tier = Tier(name="Tarif plein", share_percent=100)
        awa = Household(first_name="Awa", last_name="Diallo", tier=tier, point=point)
        bruno = Household(first_name="Bruno", last_name="Martin", tier=tier, point=point)
        farm = Producer(name="Ferme du Luzard", cheque_payee="EARL du Luzard")
        bakery = Producer(name="Fournil de Torcy")
        volunteer = User(email="v@example.org", role="volunteer", points=[point])
        coordinator = User(email="c@example.org", role="coordinator", points=[other_point])
        distribution = Distribution(point=point, starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=1))
        orders = [Order(distribution=distribution, household=h, share_percent=100) for h in (awa, bruno)]
        db.session.add_all([volunteer, coordinator, farm, bakery, *orders])
        db.session.commit()
        ids = {
            "point": point.id,
            "awa": awa.id,
            "bruno": bruno.id,
            "farm": farm.id,
            "bakery": bakery.id,
            "distribution": distribution.id,
            "awa_order": orders[0].id,
            "bruno_order": orders[1].id,
            "volunteer": volunteer.id,
            "coordinator": coordinator.id,
        }
    ids["phone"] = enrol_phone(app, [ids["point"]], ids["volunteer"])
    return ids


def cheque(phone, world, order: str, cents: int, number: str, payee: str | None, **changes):
    payload = {"order_id": world[order], "amount_cents": cents, "method": "cheque", "method_details": number}
    if payee is not None:
        payload["payee_producer_id"] = world[payee]
    return phone.record("payment", payload | changes, world["distribution"])


def cheques(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(Cheque).order_by(Cheque.number)).all()
        return [(c.number, c.payee_producer_id, c.household_id, c.amount_cents, c.state, c.voided) for c in rows]


def test_each_cheque_is_kept_once_with_its_payee_and_a_void_cancels_it(app, world):
    phone = world["phone"]
    to_farm = cheque(phone, world, "awa_order", 1200, "0007712", "farm")
    to_bakery = cheque(phone, world, "awa_order", 450, "0007713", "bakery")
    # 20 € settled: 5 € from the prepaid account, 15 € by cheque: the cheque is of 15 €
    mixed = cheque(phone, world, "bruno_order", 2000, "0009001", "farm", from_prepaid_cents=500)
    assert phone.push([to_farm, to_bakery, mixed]).status_code == 200
    assert phone.push([to_farm, to_bakery]).status_code == 200  # again: duplicates, nothing more
    assert cheques(app) == [
        ("0007712", world["farm"], world["awa"], 1200, "received", False),
        ("0007713", world["bakery"], world["awa"], 450, "received", False),
        ("0009001", world["farm"], world["bruno"], 1500, "received", False),
    ]
    with app.app_context():
        assert {c.received_on for c in db.session.scalars(select(Cheque))} == {date(2026, 12, 8)}

    void = phone.record("void", {"event_id": to_bakery["id"], "reason": "Mauvais montant"}, world["distribution"])
    phone.push([void])
    assert cheques(app)[1][-1] is True
    phone.push([phone.record("void", {"event_id": void["id"]}, world["distribution"])])
    assert cheques(app)[1][-1] is False


def test_a_void_arriving_before_its_cheque_and_unknown_payees(app, world):
    phone = world["phone"]
    taken = cheque(phone, world, "awa_order", 1200, "0001", "farm")
    undone = phone.record("void", {"event_id": taken["id"]}, world["distribution"])
    unknown = cheque(phone, world, "bruno_order", 800, "0002", None, payee_producer_id=999_999)
    none = cheque(phone, world, "bruno_order", 100, "0003", None)
    assert phone.push([undone, taken, unknown, none]).status_code == 200
    assert cheques(app) == [
        ("0001", world["farm"], world["awa"], 1200, "received", True),
        ("0002", None, world["bruno"], 800, "received", False),  # kept: the treasurer names the payee
        ("0003", None, world["bruno"], 100, "received", False),
    ]


def test_a_credit_paid_by_cheque_is_a_cheque_to_the_network(app, world):
    phone = world["phone"]
    top_up = {"household_id": world["awa"], "amount_cents": 5000, "method": "cheque", "method_details": "0004567"}
    phone.push([phone.record("top_up", top_up, world["distribution"])])
    assert cheques(app) == [("0004567", None, world["awa"], 5000, "received", False)]
