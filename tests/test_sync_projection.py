"""The projection: hand-overs, payments, voids and cash boxes turned into a distribution's state, in any order."""

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from sync.events import parse_event
from sync.projection import COLLECTED, NOT_COLLECTED, PARTIALLY_COLLECTED, project
from tests.test_sync_strategies import ORDERS, Phone, event_sets, server, shuffled_with_repeats


def _order(state, order_id):
    return next(order for order in state.orders if order.order_id == order_id)


def test_nothing_recorded():
    state = project(ORDERS, [])
    assert [order.status for order in state.orders] == [NOT_COLLECTED] * 4
    assert (state.totals.orders, state.totals.not_collected, state.totals.due_cents) == (4, 4, 3850)
    assert state.totals.paid_cents == 0 and state.cash == () and state.households == ()
    assert dict(state.totals.by_method) == dict.fromkeys(dict(state.totals.by_method), 0)


def test_collected_partial_and_refused():
    phone = Phone()
    whole = phone.handover(301)
    partial = phone.handover(302, "partial", {1: 0, 7: 1})
    refused = phone.handover(303, "refused")
    state = project(ORDERS, [whole, partial, refused])
    assert [(o.order_id, o.status, o.outcome, o.decided_by) for o in state.orders] == [
        (301, COLLECTED, "all", whole.id),
        (302, PARTIALLY_COLLECTED, "partial", partial.id),
        (303, NOT_COLLECTED, "refused", refused.id),
        (304, NOT_COLLECTED, None, None),
    ]
    assert _order(state, 301).received == ((1, 1), (2, 6))
    assert _order(state, 302).received == ((1, 0), (7, 1))  # product 7 replaced product 1
    assert (state.totals.collected, state.totals.partially_collected, state.totals.not_collected) == (1, 1, 2)


def test_the_best_outcome_decides_whatever_the_clock():
    phone, other = Phone(), Phone("phone-b")
    late_whole = phone.handover(301, at=phone.clock + timedelta(hours=1))
    refused = other.handover(301, "refused")
    partial = other.handover(301, "partial", {1: 1})
    state = project(ORDERS, [refused, late_whole, partial])
    assert (_order(state, 301).status, _order(state, 301).decided_by) == (COLLECTED, late_whole.id)
    assert _order(state, 301).handover_ids == (refused.id, partial.id, late_whole.id)


def test_a_voided_handover_is_undone_and_a_void_of_the_void_restores_it():
    phone = Phone()
    handover = phone.handover(301)
    void = phone.void(handover, "pas le bon panier")
    assert _order(project(ORDERS, [handover, void]), 301).status == NOT_COLLECTED
    unvoid = phone.void(void, "c'était bien le bon")
    state = project(ORDERS, [handover, void, unvoid])
    assert _order(state, 301).status == COLLECTED
    assert state.voided == (void.id,)


def test_voids_in_a_circle_have_no_effect():
    phone = Phone()
    handover = phone.handover(301)
    first = phone.void(handover)
    forged = parse_event({**first.model_dump(mode="json"), "payload": {"event_id": first.id, "reason": ""}})
    # ``forged`` voids itself: inert, so ``handover`` stays collected.
    state = project(ORDERS, [handover, forged])
    assert _order(state, 301).status == COLLECTED and state.voided == ()


def test_a_payment_split_between_accounts_and_a_cheque():
    phone = Phone()
    payment = phone.payment(
        1800,
        "cheque",
        order_id=301,
        method_details="n° 1234567",
        from_prepaid_cents=500,
        from_allowance_cents=300,
        solidarity_cents=450,
    )
    state = project(ORDERS, [payment])
    assert (_order(state, 301).paid_cents, _order(state, 301).payment_ids) == (1800, (payment.id,))
    by_method = dict(state.totals.by_method)
    assert (by_method["cheque"], by_method["prepaid"], by_method["allowance"], by_method["cash"]) == (1000, 500, 300, 0)
    assert (state.totals.paid_cents, state.totals.solidarity_cents) == (1800, 450)
    assert [
        (h.household_id, h.paid_cents, h.prepaid_cents, h.allowance_cents, h.solidarity_cents) for h in state.households
    ] == [(11, 1800, 500, 300, 450)]
    assert state.cash == ()  # no cash moved, no count: no cash box to show


def test_a_payment_on_account_counts_for_the_household_not_an_order():
    phone = Phone()
    payment = phone.payment(1200, "cash", household_id=13)
    state = project(ORDERS, [payment])
    assert all(order.paid_cents == 0 for order in state.orders)
    assert [(h.household_id, h.paid_cents) for h in state.households] == [(13, 1200)]
    assert state.totals.paid_cents == 1200


def test_cash_expected_and_counted_per_device():
    a, b = Phone("phone-a"), Phone("phone-b")
    events = [
        a.cash_count("opening", 4000),
        a.cash_count("opening", 5000),  # recounted: the last opening is the float
        a.payment(1800, "cash", order_id=301),
        a.payment(1050, "cash", order_id=302, from_allowance_cents=500),  # 5.50 € in cash
        a.payment(400, "cheque", order_id=303),
        a.cash_count("closing", 7300),
        b.payment(600, "cash", order_id=304),
        b.cash_count("closing", 600),
    ]
    voided_cash = a.payment(999, "cash", order_id=304)
    events += [voided_cash, a.void(voided_cash)]
    state = project(ORDERS, events)
    box_a, box_b = state.cash
    assert (box_a.device_id, box_a.opening_cents, box_a.cash_payments_cents, box_a.expected_cents) == (
        "phone-a",
        5000,
        2350,
        7350,
    )
    assert (box_a.counted_cents, box_a.difference_cents, box_a.closing_event) == (7300, -50, events[5].id)
    assert (box_b.opening_cents, box_b.expected_cents, box_b.counted_cents, box_b.difference_cents) == (
        None,
        600,
        600,
        0,
    )
    assert (state.totals.cash_expected_cents, state.totals.cash_counted_cents) == (7950, 7900)


def test_a_resolution_that_voids_a_payment_removes_it():
    phone = Phone()
    payment = phone.payment(1800, "cash", order_id=301)
    twice = phone.payment(1800, "cash", order_id=301)
    resolution = server().resolve("overpayment:301:x", "void_event", twice)
    state = project(ORDERS, [payment, twice, resolution])
    assert (_order(state, 301).paid_cents, state.voided) == (1800, (twice.id,))


def test_refusals_are_counted():
    phone = Phone()
    events = [phone.refusal("revoked", 11), phone.refusal("bad_signature"), phone.refusal("revoked", 12)]
    assert project(ORDERS, events).scan_refusals == (("bad_signature", 1), ("revoked", 2))


def test_events_for_unknown_orders_still_count_as_money():
    phone = Phone()
    state = project(ORDERS, [phone.handover(999), phone.payment(500, "cash", order_id=999)])
    assert state.totals.collected == 0
    assert (state.totals.paid_cents, state.cash[0].expected_cents, state.households) == (500, 500, ())


def test_one_id_with_two_contents_gives_the_same_state_either_way():
    phone = Phone()
    original = phone.payment(1800, "cash", order_id=301)
    forged = parse_event(
        {**original.model_dump(mode="json"), "payload": {**original.payload.model_dump(), "amount_cents": 1}}
    )
    assert project(ORDERS, [original, forged]) == project(ORDERS, [forged, original])
    assert project(ORDERS, [original, forged]).event_count == 1


@given(st.data())
def test_any_order_and_any_repeats_give_the_same_state(data):
    events = data.draw(event_sets())
    expected = project(ORDERS, events)
    assert project(ORDERS, data.draw(shuffled_with_repeats(events))) == expected
    assert project(ORDERS, reversed(events)) == expected
    assert expected.totals.paid_cents == sum(cents for _, cents in expected.totals.by_method)
