"""The ``sale`` event and its conflict rules as pure functions (``sync/events.py``, ``sync/conflicts.py``,
``sync/ledger.py``, ``sync/projection.py``): docs/sync-protocol.md, "`sale`"; docs/extras.md."""

from typing import Any

import pytest

from sync.conflicts import Context, detect
from sync.events import InvalidEvent, new_event_id, parse_event
from sync.ledger import account_effects
from sync.projection import Order, OrderLine, project

HONEY, WINE = 31, 32


def sale(payload: dict[str, Any], device: str = "phone-a", seq: int = 1) -> Any:
    return parse_event(
        {
            "id": new_event_id(),
            "type": "sale",
            "schema_version": 1,
            "device_id": device,
            "volunteer_id": 7,
            "distribution_id": 42,
            "device_time": "2026-12-04T16:50:00.000Z",
            "seq": seq,
            "prev_hash": None if seq == 1 else "0" * 64,
            "payload": payload,
        }
    )


def errors(payload: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidEvent) as caught:
        sale(payload)
    return [error.type for error in caught.value.errors]


JAR = {"product_id": HONEY, "quantity": 2, "unit_price_cents": 650}


def test_a_member_pays_the_share_and_the_amount_must_be_the_lines_due():
    event = sale({"household_id": 4, "lines": [JAR], "share_percent": 70, "amount_cents": 910, "method": "cash"})
    assert event.payload.solidarity_cents == 1300 - 910
    assert errors({"household_id": 4, "lines": [JAR], "share_percent": 70, "amount_cents": 900, "method": "cash"}) == [
        "sale_amount"
    ]


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"lines": [JAR], "amount_cents": 1300, "method": "cash", "from_prepaid_cents": 100}, "sale_anonymous"),
        ({"lines": [JAR], "share_percent": 70, "amount_cents": 910, "method": "cash"}, "sale_anonymous"),
        ({"lines": [JAR, JAR], "amount_cents": 2600, "method": "cash"}, "duplicate_product"),
        ({"lines": [JAR], "amount_cents": 1300, "method": "cash", "payee_producer_id": 3}, "payment_payee"),
        ({"lines": [], "amount_cents": 0, "method": "cash"}, "too_short"),
        ({"household_id": 4, "lines": [JAR], "amount_cents": 1300, "method": "prepaid"}, "payment_split"),
        (
            {"household_id": 4, "lines": [JAR], "amount_cents": 1300, "method": "cash", "from_allowance_cents": 1300},
            "payment_split",
        ),
    ],
)
def test_malformed_sales_are_refused(payload, error):
    assert error in errors(payload)


def test_what_a_sale_moves_and_how_the_projection_counts_it():
    event = sale(
        {
            "household_id": 4,
            "lines": [JAR],
            "share_percent": 70,
            "amount_cents": 910,
            "method": "cash",
            "from_allowance_cents": 400,
            "from_prepaid_cents": 100,
        }
    )
    assert account_effects(event) == {"prepaid": -100, "allowance": -400}
    state = project([], [event])
    assert dict(state.totals.by_method)["cash"] == 410 and state.totals.allowance_cents == 400
    assert state.totals.solidarity_cents == 390 and state.cash[0].cash_payments_cents == 410
    assert account_effects(sale({"lines": [JAR], "amount_cents": 1300, "method": "cash"})) == {}


def test_selling_beyond_the_stock_across_phones_is_one_conflict_and_a_void_takes_it_back():
    first = sale({"lines": [JAR], "amount_cents": 1300, "method": "cash"}, device="phone-a")
    second = sale({"lines": [{**JAR, "quantity": 1}], "amount_cents": 650, "method": "card"}, device="phone-b")
    (conflict,) = [c for c in detect([], [first, second], Context(stock={HONEY: 2})) if c.kind == "oversold"]
    assert conflict.details == {"product_id": HONEY, "stock": 2, "sold": 3, "excess": 1}
    assert detect([], [first, second], Context()) == []  # no stock given: no limit
    undo = parse_event(
        {
            **second.model_dump(mode="json"),
            "id": new_event_id(),
            "type": "void",
            "seq": 2,
            "prev_hash": "0" * 64,
            "payload": {"event_id": second.id},
        }
    )
    assert not [c for c in detect([], [first, second, undo], Context(stock={HONEY: 2})) if c.kind == "oversold"]


def test_the_allowance_pays_only_eligible_lines_of_a_sale_and_of_an_order():
    lines = [JAR, {"product_id": WINE, "quantity": 1, "unit_price_cents": 800}]
    fair = sale(
        {
            "lines": lines,
            "household_id": 4,
            "share_percent": 70,
            "amount_cents": 1470,
            "method": "cash",
            "from_allowance_cents": 910,
        }
    )
    beyond = sale(
        {
            "lines": lines,
            "household_id": 4,
            "share_percent": 70,
            "amount_cents": 1470,
            "method": "cash",
            "from_allowance_cents": 911,
        },
        seq=1,
        device="phone-b",
    )
    context = Context(not_allowance_eligible=frozenset({WINE}))
    found = [c for c in detect([], [fair, beyond], context) if c.kind == "allowance_ineligible"]
    assert [c.event_ids for c in found] == [(beyond.id,)]
    assert found[0].details["eligible_cents"] == 910 and found[0].details["excess_cents"] == 1

    order = Order(9, 4, (OrderLine(HONEY, 1, 455), OrderLine(WINE, 1, 560)), 1015)
    payment = parse_event(
        {
            **fair.model_dump(mode="json"),
            "id": new_event_id(),
            "type": "payment",
            "payload": {"order_id": 9, "amount_cents": 1015, "method": "allowance", "from_allowance_cents": 1015},
        }
    )
    (conflict,) = [c for c in detect([order], [payment], context) if c.kind == "allowance_ineligible"]
    assert conflict.details == {
        "order_id": 9,
        "household_id": 4,
        "eligible_cents": 455,
        "allowance_cents": 1015,
        "excess_cents": 560,
    }


CHEESE = 33
WEIGHED = {"product_id": CHEESE, "quantity": 1, "unit_price_cents": 2450, "grams": 480}


def test_a_weighed_extra_is_priced_by_the_kg_rule_and_counts_grams_against_the_stock():
    """480 g at 24,50 €/kg: 11,76 € full, 8,23 € at 70 %; the stock (1 000 g) counts grams across phones."""
    member = sale({"household_id": 4, "lines": [WEIGHED], "share_percent": 70, "amount_cents": 823, "method": "cash"})
    assert member.payload.full_cents == 1176 and member.payload.solidarity_cents == 1176 - 823
    assert member.payload.lines[0].sold == 480
    assert (
        "grams"
        not in sale({"lines": [JAR], "amount_cents": 1300, "method": "cash"}).model_dump()["payload"]["lines"][0]
    )
    other = sale({"lines": [{**WEIGHED, "grams": 600}], "amount_cents": 1470, "method": "cash"}, device="phone-b")
    (conflict,) = [c for c in detect([], [member, other], Context(stock={CHEESE: 1000})) if c.kind == "oversold"]
    assert conflict.details == {"product_id": CHEESE, "stock": 1000, "sold": 1080, "excess": 80}
    assert errors({"lines": [{**WEIGHED, "quantity": 2}], "amount_cents": 2352, "method": "cash"}) == ["sale_weighed"]
    assert "sale_amount" in errors({"lines": [WEIGHED], "amount_cents": 2450, "method": "cash"})
