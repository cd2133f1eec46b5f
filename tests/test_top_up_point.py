"""A credit paid at the point (``top_up``): the protocol refuses what is malformed, the ledger effect credits the
prepaid account, and the projection counts it by method, in the cash box that took it and for its household, unless
it is voided (docs/accounts.md, "Credit paid at the point")."""

import pytest

from sync.conflicts import detect
from sync.events import InvalidEvent
from sync.ledger import account_effects, effect_household
from sync.projection import project
from tests.test_sync_strategies import ORDERS, Phone


def test_a_top_up_credits_the_prepaid_account_of_its_household():
    event = Phone().top_up(12, 2000, "cash")
    assert event.payload.account == "prepaid" and event.payload.method_details is None
    assert account_effects(event) == {"prepaid": 2000}
    assert effect_household(event, {}) == 12


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"amount_cents": 0}, "greater_than_equal"),
        ({"amount_cents": -500}, "greater_than_equal"),
        ({"method": "prepaid"}, "literal_error"),  # an account does not credit itself
        ({"method": "allowance"}, "literal_error"),
        ({"account": "allowance"}, "literal_error"),  # the scheme credits an allowance, never the point
        ({"method": "cheque"}, "top_up_cheque_number"),
        ({"method": "cheque", "method_details": "  "}, "top_up_cheque_number"),
        ({"household_id": None}, "int_type"),
        ({"order_id": 301}, "extra_forbidden"),
    ],
)
def test_what_a_top_up_may_not_be(fields, error):
    payload = {"household_id": 12, "amount_cents": 2000, "method": "cash", **fields}
    with pytest.raises(InvalidEvent) as refused:
        Phone().record("top_up", payload)
    assert refused.value.reason == "malformed"
    assert error in {e.type for e in refused.value.errors}, refused.value.errors


def test_the_projection_counts_top_ups_by_method_in_the_box_and_per_household_and_not_when_voided():
    phone, other = Phone(), Phone("phone-b")
    events = [
        phone.cash_count("opening", 3000),
        phone.top_up(11, 2000, "cash"),
        phone.top_up(12, 5000, "cheque", method_details="0004567"),
        phone.payment(1800, "prepaid", order_id=301, from_prepaid_cents=1800),
        other.top_up(13, 1000, "card", method_details="TPE 42"),
    ]
    wrong = phone.top_up(12, 700, "cash")
    events += [wrong, phone.void(wrong, "Mauvais membre")]
    state = project(ORDERS, events)
    totals = state.totals
    assert totals.top_ups_cents == 8000
    assert dict(totals.top_ups_by_method) == {
        "cash": 2000,
        "cheque": 5000,
        "card": 1000,
        "transfer": 0,
        "local_currency": 0,
    }
    # A top-up is money in, not a payment for an order: the paid figures do not count it; what came in does.
    assert totals.paid_cents == 1800 and dict(totals.by_method)["prepaid"] == 1800
    assert dict(totals.collected_by_method) == {
        "cash": 2000,
        "cheque": 5000,
        "card": 1000,
        "transfer": 0,
        "local_currency": 0,
    }
    box = next(box for box in state.cash if box.device_id == "phone-a")
    assert (box.cash_payments_cents, box.cash_top_ups_cents, box.expected_cents) == (0, 2000, 5000)
    assert [box.device_id for box in state.cash] == ["phone-a"]  # a card top-up puts no cash in a box
    assert {moves.household_id: moves.topped_up_cents for moves in state.households} == {11: 2000, 12: 5000, 13: 1000}
    assert next(m for m in state.households if m.household_id == 11).prepaid_cents == 1800
    assert wrong.id in state.voided


def test_cash_credited_after_the_closing_count_is_said_apart():
    phone = Phone()
    events = [phone.cash_count("opening", 1000), phone.top_up(11, 500, "cash"), phone.cash_count("closing", 1500)]
    late = phone.top_up(12, 2000, "cash")
    box = project(ORDERS, [*events, late]).cash[0]
    assert box.after_count_events == (late.id,) and box.after_count_cents == 2000
    assert (box.expected_cents, box.expected_at_count_cents, box.difference_at_count_cents) == (3500, 1500, 0)


def test_a_top_up_for_a_member_not_expected_is_a_conflict():
    phone = Phone()
    known, unknown = phone.top_up(11, 1000), phone.top_up(99, 1000)
    kinds = [(c.kind, c.event_ids) for c in detect(ORDERS, [known, unknown])]
    assert ("unknown_member", (unknown.id,)) in kinds
    assert not any(known.id in ids for _kind, ids in kinds)
