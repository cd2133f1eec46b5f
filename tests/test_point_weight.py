"""Variable weight (docs/point-adjustments.md): a product sold by the kg is ordered as an estimate in grams, weighed at
the hand-over, and what the member owes follows the weight by the one rule (``sync.pricing``) on the pack, the log,
the order page, the member page, the exports and the prepaid account, through the real API, on SQLite and
PostgreSQL."""

from dataclasses import dataclass

import pytest
from pydantic import ValidationError

from server.domain.distribution_log import load_log
from server.domain.events import check_conflicts, stored_conflicts
from server.domain.ledger import post
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Account, Distribution, Household, Point, Product
from sync import pricing
from sync.events import Handover
from sync.pack import parse_pack
from tests.factories.primitives import (
    distribution,
    full_tier,
    member_of,
    now_to_the_second,
    order,
    solidarity_tier,
)
from tests.helpers import sign_in_as_admin
from tests.phones import enrol_phone
from tests.test_distribution_log import pushed, read_csv, text_of


def test_the_rule_in_euros():
    """500 g at 24,50 €/kg is 12,25 €; 480 g is 11,76 €; at a 70 % tier 8,23 €; a half cent rounds up."""
    assert pricing.line_full_cents(500, 2450, "kg") == 1225
    assert pricing.line_full_cents(480, 2450, "kg") == 1176
    assert pricing.line_due_cents(480, 2450, 70, "kg") == 823  # 823,2
    assert pricing.line_full_cents(1, 500, "kg") == 1  # 0,5 cent rounds half up
    assert pricing.line_full_cents(1, 499, "kg") == 0
    assert pricing.line_full_cents(3, 1200, "litre") == 3600  # a litre is counted like a piece
    lines = [(1, 1500), (480, 2450, "kg")]
    assert pricing.order_due_cents(lines, 70) == 1050 + 823
    assert pricing.solidarity_share_cents(lines, 70) == 1500 + 1176 - 1873


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"outcome": "refused", "weighed": [{"product_id": 3, "grams": 480}]}, "weighed_refused"),
        ({"outcome": "all", "weighed": [{"product_id": 3, "grams": 0}]}, "greater_than_equal"),
        ({"outcome": "all", "weighed": [{"product_id": 3, "grams": 1_000_001}]}, "less_than_equal"),
        ({"outcome": "all", "weighed": [{"product_id": 3, "grams": 4.5}]}, "int_type"),
        ({"outcome": "all", "weighed": [{"product_id": 3, "grams": 1}, {"product_id": 3, "grams": 2}]}, "duplicate"),
        (
            {
                "outcome": "partial",
                "lines": [{"product_id": 3, "quantity_received": 0}, {"product_id": 4, "quantity_received": 1}],
                "weighed": [{"product_id": 3, "grams": 480}],
            },
            "weighed_not_received",
        ),
    ],
)
def test_a_weight_that_cannot_be_is_refused(payload, error):
    with pytest.raises(ValidationError) as caught:
        Handover.model_validate({"order_id": 1, **payload})
    assert error in str(caught.value)


def test_an_empty_weighed_list_keeps_the_old_encoding():
    old = Handover.model_validate({"order_id": 1, "outcome": "all"})
    assert Handover.model_validate({"order_id": 1, "outcome": "all", "weighed": []}).model_dump() == old.model_dump()
    assert "weighed" not in old.model_dump()


@dataclass(frozen=True)
class World:
    point: int
    distribution: int
    orders: dict[str, int]
    households: dict[str, int]
    products: dict[str, int]
    volunteer: int


@pytest.fixture
def world(app) -> World:
    """Awa (70 %): a basket at 15,00 € and about 500 g of Comté at 24,50 €/kg; Bruno (full price, 50,00 € on his
    prepaid account): about 500 g of Comté and a loaf at 3,50 €."""
    with app.app_context():
        point = Point(name="Maison du Luzard", town="Noisiel")
        basket = Product(code="PANIER", name="Panier de légumes", unit_price_cents=1500)
        cheese = Product(code="COMTE", name="Comté", unit_price_cents=2450, sold_by="kg")
        bread = Product(code="PAIN", name="Pain", unit_price_cents=350)
        main = distribution(point, now_to_the_second())
        awa = Household(first_name="Awa", last_name="Diallo", tier=solidarity_tier(), point=point)
        bruno = Household(first_name="Bruno", last_name="Martin", tier=full_tier(), point=point)
        orders = {
            "Awa": order(main, awa, [(basket, 1), (cheese, 500)]),
            "Bruno": order(main, bruno, [(cheese, 500), (bread, 1)]),
        }
        volunteer = member_of(point, "volunteer", "valerie@example.org", "Valérie Roux")
        db.session.add_all([*orders.values(), volunteer])
        db.session.flush()
        post(bruno.id, "prepaid", 5000, "opening")
        issue_ticket(awa)
        db.session.commit()
        return World(
            point.id,
            main.id,
            {name: made.id for name, made in orders.items()},
            {"Awa": awa.id, "Bruno": bruno.id},
            {"basket": basket.id, "cheese": cheese.id, "bread": bread.id},
            volunteer.id,
        )


def prepaid(app, household_id: int) -> int:
    with app.app_context():
        return db.session.query(Account).filter_by(household_id=household_id, kind="prepaid").one().balance_cents


def test_the_pack_says_the_estimate_and_the_price_per_kg(app, world):
    phone = enrol_phone(app, [world.point], world.volunteer)
    response = phone.client.get(f"/api/distributions/{world.distribution}/pack", headers=phone.headers)
    assert response.status_code == 200
    members = {member.first_name: member for member in parse_pack(response.data).members}
    awa = members["Awa"].order
    cheese = next(line for line in awa.lines if line.product_id == world.products["cheese"])
    assert (cheese.sold_by, cheese.quantity, cheese.unit_price_cents, cheese.due_cents) == ("kg", 500, 2450, 858)
    assert awa.total_due_cents == 1050 + 858
    bread = next(line for line in members["Bruno"].order.lines if line.product_id == world.products["bread"])
    assert bread.sold_by == "piece" and b'"sold_by":"piece"' not in response.data  # left out when piece


def test_a_weighed_hand_over_is_owed_by_its_weight_everywhere(app, client, world):
    phone = enrol_phone(app, [world.point], world.volunteer)
    d, o, p = world.distribution, world.orders, world.products
    # Awa's Comté weighs 480 g: 11,76 € full, 8,23 € at 70 %; with the basket 18,73 € (the estimate said 19,08 €).
    awa = phone.record(
        "handover", {"order_id": o["Awa"], "outcome": "all", "weighed": [{"product_id": p["cheese"], "grams": 480}]}, d
    )
    awa_pay = phone.record(
        "payment", {"order_id": o["Awa"], "amount_cents": 1873, "method": "cash", "solidarity_cents": 803}, d
    )
    # Bruno's weighs 535 g: 13,11 €, with the loaf 16,61 €, above the estimate (15,75 €), from his prepaid account.
    bruno = phone.record(
        "handover",
        {"order_id": o["Bruno"], "outcome": "all", "weighed": [{"product_id": p["cheese"], "grams": 535}]},
        d,
    )
    bruno_pay = phone.record(
        "payment", {"order_id": o["Bruno"], "amount_cents": 1661, "method": "prepaid", "from_prepaid_cents": 1661}, d
    )
    pushed(phone, [awa, awa_pay, bruno, bruno_pay])
    pushed_again = phone.push([awa, awa_pay, bruno, bruno_pay])
    assert {r["status"] for r in pushed_again.get_json()["results"]} == {"duplicate"}
    assert prepaid(app, world.households["Bruno"]) == 5000 - 1661

    with app.app_context():
        state = load_log(db.session.get(Distribution, d)).state
        due = {s.order_id: s.due_cents for s in state.orders}
        received = {s.order_id: dict(s.received) for s in state.orders}
        assert due == {o["Awa"]: 1873, o["Bruno"]: 1661}
        assert received[o["Awa"]][p["cheese"]] == 480 and received[o["Bruno"]][p["cheese"]] == 535
        check_conflicts(db.session.get(Distribution, d))
        db.session.commit()
        # Paid more than the estimate, but exactly what the weight costs: no conflict.
        assert [conflict.kind for conflict in stored_conflicts(d)] == []

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in_as_admin(app, client, "admin@example.org")
    page = text_of(client.get(f"/admin/orders/{o['Bruno']}"))
    assert "Taken: Comté (535 g), 1 × Pain" in page or "Taken: 1 × Pain, Comté (535 g)" in page
    assert "Due for what was taken: €16.61." in page
    assert "≈ 500 g × €24.50/kg" in page
    log = text_of(client.get(f"/admin/distributions/{d}/log"))
    assert "weighed: Comté (480 g)" in log and "weighed: Comté (535 g)" in log
    rows = read_csv(client.get(f"/admin/distributions/{d}/export/handovers.csv"))
    assert any("Comté (480 g)" in cell for row in rows for cell in row)

    with app.app_context():
        token = db.session.get(Household, world.households["Awa"]).page_token
    member = client.get(f"/m/{token}", headers={"Accept-Language": "fr"})
    assert member.status_code == 200
    words = text_of(member)
    assert "Pesé : Comté (480 g)" in words and "Montant dû pour ce qui a été remis : 18,73 €" in words, words


def test_line_outcomes_give_each_line_received_and_due():
    """``sync.projection.line_outcomes``, what the reports per producer read: the weight received and its due."""
    from datetime import UTC, datetime

    from sync.events import format_time, new_event_id, parse_event
    from sync.projection import LineOutcome, Order, OrderLine, line_outcomes

    order = Order(
        7,
        3,
        (
            OrderLine(1, 1, 1050, 1500, 70),
            OrderLine(2, 500, 858, 2450, 70, "kg"),
        ),
        1908,
    )
    handover = parse_event(
        {
            "id": new_event_id(),
            "type": "handover",
            "schema_version": 1,
            "device_id": "phone-1",
            "volunteer_id": 1,
            "distribution_id": 1,
            "device_time": format_time(datetime(2026, 12, 4, 17, 0, tzinfo=UTC)),
            "seq": 1,
            "prev_hash": None,
            "payload": {"order_id": 7, "outcome": "all", "weighed": [{"product_id": 2, "grams": 480}]},
        }
    )
    assert line_outcomes(order, []) == (LineOutcome(1, 1, 0, 0), LineOutcome(2, 500, 0, 0, "kg"))
    assert line_outcomes(order, [handover, handover]) == (
        LineOutcome(1, 1, 1, 1050),
        LineOutcome(2, 500, 480, 823, "kg"),
    )
