"""Cheques: kept from the synced payments by cheque with their payee producer (once, whatever the uploads; a void
cancels, a void of the void restores), then the admin's page: filters, marking as handed over or deposited, the CSV
export. On SQLite and PostgreSQL."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

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


def test_extras_sold_by_cheque_are_cheques_to_their_producer(app, world):
    """Honey sold to Awa (9 €, 2 € of it from her prepaid account) and to an anonymous buyer, both by cheque to the
    beekeeper: two cheques of 7 € and 9 €; voiding the first sale cancels its cheque."""
    phone = world["phone"]
    honey = [{"product_id": 41, "quantity": 1, "unit_price_cents": 900}]
    to_bees = {"method": "cheque", "payee_producer_id": world["bakery"], "lines": honey, "amount_cents": 900}
    awa = phone.record(
        "sale",
        to_bees | {"household_id": world["awa"], "method_details": "0005001", "from_prepaid_cents": 200},
        world["distribution"],
    )
    someone = phone.record("sale", to_bees | {"method_details": "0005002"}, world["distribution"])
    assert phone.push([awa, someone]).status_code == 200
    assert cheques(app) == [
        ("0005001", world["bakery"], world["awa"], 700, "received", False),
        ("0005002", world["bakery"], None, 900, "received", False),
    ]
    phone.push([phone.record("void", {"event_id": awa["id"]}, world["distribution"])])
    assert [row[-1] for row in cheques(app)] == [True, False]


# The admin's page.


@pytest.fixture
def taken(app, world):
    """Three cheques taken at the point: two to the farm (12 € and 15 €), one to the bakery (4.50 €)."""
    phone = world["phone"]
    events = [
        cheque(phone, world, "awa_order", 1200, "0007712", "farm"),
        cheque(phone, world, "awa_order", 450, "0007713", "bakery"),
        cheque(phone, world, "bruno_order", 1500, "0009001", "farm"),
    ]
    assert phone.push(events).status_code == 200
    with app.app_context():
        return {c.number: c.id for c in db.session.scalars(select(Cheque))}


@pytest.fixture
def admin(world, admin_client):
    """The admin, signed in once the clock is on the distribution's day."""
    assert admin_client.get("/admin/?lang=en").status_code == 200
    return admin_client


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_page_lists_the_cheques_with_totals_by_producer(admin, world, taken):
    page = text(admin.get("/admin/cheques/"))
    assert all(number in page for number in taken)
    assert "EARL du Luzard" in page and "€27.00" in page and "€4.50" in page  # totals by producer
    only_farm = text(admin.get(f"/admin/cheques/?producer={world['farm']}"))
    assert "0007712" in only_farm and "0007713" not in only_farm
    year = text(admin.get("/admin/cheques/?from=2026-01-01&to=2026-12-31"))
    assert "0007712" in year and "Choose a producer, a distribution or at most a month" in year  # no totals
    assert "€27.00" in text(admin.get(f"/admin/cheques/?from=2026-01-01&to=2026-12-31&producer={world['farm']}"))
    earlier = text(admin.get("/admin/cheques/?from=2026-10-01&to=2026-10-31"))
    assert "No cheque matches" in earlier
    by_day = text(admin.get(f"/admin/cheques/?distribution={world['distribution']}&from=2020-01-01&to=2020-01-02"))
    assert "0009001" in by_day  # a distribution's cheques, whatever the period
    assert (
        admin.get("/admin/cheques/?from=nonsense&state=odd&producer=x&page=abc", follow_redirects=True).status_code
        == 200
    )


def mark(client, ids: list[int], to_state: str, on: str, **extra):
    """Tick ``ids`` and mark them ``to_state`` on ``on``; ``extra``: the selection the page was showing."""
    page = text(client.get("/admin/cheques/"))
    form = {"csrf_token": csrf_token(page), "cheque_ids": [str(i) for i in ids], "to_state": to_state, "on": on}
    form |= extra
    return client.post("/admin/cheques/mark", data=form)


def test_marking_several_as_handed_over_with_their_date(app, admin, world, taken):
    farm = [taken["0007712"], taken["0009001"]]
    response = mark(admin, farm, "handed_over", "2026-12-10", producer=str(world["farm"]), state="received")
    assert response.status_code == 303 and f"producer={world['farm']}" in response.location
    assert "state=received" in response.location  # back to the same selection
    assert "Cheques marked: 2." in text(admin.get(response.location))
    with app.app_context():
        rows = db.session.scalars(select(Cheque).where(Cheque.id.in_(farm))).all()
        assert {(c.state, c.state_on) for c in rows} == {("handed_over", date(2026, 12, 10))}
        assert db.session.get(Cheque, taken["0007713"]).state == "received"
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cheques.mark")) is not None
    # Marked already: refused, nothing changes.
    again = mark(admin, [taken["0007712"], taken["0007713"]], "deposited", "2026-12-11")
    assert "Only received cheques" in text(admin.get(again.location))
    with app.app_context():
        assert db.session.get(Cheque, taken["0007713"]).state == "received"


@pytest.mark.parametrize(
    ("ids", "state", "on", "message"),
    [
        ([], "deposited", "2026-12-10", "Tick the cheques to mark."),
        (["0007713"], "lost", "2026-12-10", "Choose what was done with the cheques."),
        (["0007713"], "deposited", "10/12", "Give the date as day, month and year."),
        ([999_999], "deposited", "2026-12-10", "do not exist or are not yours"),
    ],
)
def test_marking_refuses_bad_input_with_a_message(app, admin, taken, ids, state, on, message):
    response = mark(admin, [taken.get(i, i) for i in ids], state, on)
    assert response.status_code == 303
    assert message in text(admin.get(response.location))
    with app.app_context():
        assert {c.state for c in db.session.scalars(select(Cheque))} == {"received"}


def test_a_coordinator_sees_and_marks_only_their_points_cheques(app, client, world, taken):
    sign_in_user(app, client, world["coordinator"])  # coordinator of another point
    client.get("/admin/?lang=en")
    assert "0007712" not in text(client.get("/admin/cheques/"))
    response = mark(client, [taken["0007712"]], "deposited", "2026-12-10")
    assert "not yours" in text(client.get(response.location))


def test_the_export_streams_the_selection(admin, world, taken):
    response = admin.get(f"/admin/cheques/export.csv?producer={world['farm']}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["Date", "Point", "Distribution", "Producer"]
    assert sorted((r[3], r[4], r[8], r[9], r[10], r[11]) for r in rows[1:]) == [
        ("Ferme du Luzard", "EARL du Luzard", "0007712", "12,00", "1200", "Received"),
        ("Ferme du Luzard", "EARL du Luzard", "0009001", "15,00", "1500", "Received"),
    ]


@pytest.mark.parametrize(
    ("where", "index"),
    [
        ("received_on BETWEEN '2026-11-01' AND '2026-12-08'", "ix_cheques_received"),
        ("payee_producer_id = 1 AND received_on BETWEEN '2026-11-01' AND '2026-12-08'", "ix_cheques_payee_received"),
        ("state = 'received' AND received_on BETWEEN '2026-11-01' AND '2026-12-08'", "ix_cheques_state_received"),
    ],
)
def test_a_page_of_cheques_is_read_from_an_index_in_order(app, backend, where, index):
    """The cheques page (newest first, 25 a page) walks an index and stops after a page: no sort of the period."""
    page = f"SELECT id FROM cheques WHERE {where} ORDER BY received_on DESC, id DESC LIMIT 25"
    with app.app_context():
        if backend == "postgresql":
            db.session.execute(sql("SET LOCAL enable_seqscan = off"))  # an empty table: else a scan is cheaper
            plan = "\n".join(db.session.scalars(sql(f"EXPLAIN {page}")))
        else:
            plan = "\n".join(row[3] for row in db.session.execute(sql(f"EXPLAIN QUERY PLAN {page}")))
        # SQLite takes the index made for the filter; PostgreSQL, on an empty table, any of them in order
        assert (index if backend == "sqlite" else "ix_cheques_") in plan, plan
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
