"""Conflict rules: each kind, stable keys, resolutions kept, and the same conflicts in any arrival order."""

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from sync.chain import event_hash
from sync.conflicts import KINDS, Context, detect
from sync.events import new_event_id, parse_event
from sync.projection import COLLECTED, project
from tests.test_sync_strategies import (
    CLOSED_AT,
    DISTRIBUTION,
    OPENS_AT,
    ORDERS,
    Phone,
    event_sets,
    server,
    shuffled_with_repeats,
)


def _kinds(conflicts):
    return [(conflict.kind, conflict.event_ids) for conflict in conflicts]


def test_a_clean_distribution_has_no_conflict():
    a, b = Phone("phone-a"), Phone("phone-b")
    events = [
        a.cash_count("opening", 5000),
        a.handover(301),
        a.payment(1800, "cash", order_id=301),
        b.handover(302, "refused"),
        b.handover(302),  # the member came back
        b.payment(1050, "allowance", order_id=302, from_allowance_cents=1050),
        a.cash_count("closing", 6800),
    ]
    assert detect(ORDERS, events, Context(opens_at=OPENS_AT, closed_at=CLOSED_AT)) == []


def test_the_same_order_handed_over_by_two_devices():
    a, b = Phone("phone-a"), Phone("phone-b")
    first, second = a.handover(301), b.handover(301, "partial", {1: 1})
    (conflict,) = detect(ORDERS, [first, second])
    assert conflict.kind == "double_handover" and conflict.status == "open"
    assert conflict.event_ids == tuple(sorted((first.id, second.id)))
    assert conflict.key == f"double_handover:301:{conflict.event_ids[0]}:{conflict.event_ids[1]}"
    assert conflict.details == {
        "order_id": 301,
        "devices": ["phone-a", "phone-b"],
        "outcomes": conflict.details["outcomes"],
        "handovers": [first.id, second.id],  # in the order they were recorded
        "second_payments": [],
    }
    third = a.handover(301)
    assert len(detect(ORDERS, [first, second, third])) == 3  # every pair; the first pair keeps its key
    assert conflict.key in {c.key for c in detect(ORDERS, [first, second, third])}


def test_a_handover_the_device_voided_is_no_conflict():
    phone = Phone()
    first, second = phone.handover(301), phone.handover(301)
    assert detect(ORDERS, [first, second, phone.void(second, "double appui")]) == []


def test_a_resolution_keeps_the_conflict_and_marks_it_resolved():
    a, b = Phone("phone-a"), Phone("phone-b")
    first, second = a.handover(301), b.handover(301)
    (conflict,) = detect(ORDERS, [first, second])
    admin = server()
    resolution = admin.resolve(conflict.key, "void_event", second)
    (resolved,) = detect(ORDERS, [first, second, resolution])
    assert (resolved.key, resolved.status, resolved.resolution.event_id) == (conflict.key, "resolved", resolution.id)
    assert (resolved.resolution.action, resolved.resolution.target_event_id) == ("void_event", second.id)
    state = project(ORDERS, [first, second, resolution])
    assert (state.orders[0].status, state.orders[0].handover_ids) == (COLLECTED, (first.id,))
    # Voiding the resolution reopens the conflict and restores the hand-over.
    undo = admin.void(resolution, "erreur de clic")
    (reopened,) = detect(ORDERS, [first, second, resolution, undo])
    assert reopened.status == "open"
    assert project(ORDERS, [first, second, resolution, undo]).orders[0].handover_ids == (first.id, second.id)


def test_the_latest_resolution_of_a_key_counts():
    phone, admin = Phone(), server()
    events = [phone.handover(999)]
    key = f"unknown_order:{events[0].id}"
    events += [admin.resolve(key, "dismiss"), admin.resolve(key, "adjust")]
    (conflict,) = detect(ORDERS, events)
    assert (conflict.kind, conflict.resolution.action) == ("unknown_order", "adjust")


def test_overpayment_and_its_key_follows_the_payments():
    phone = Phone()
    first = phone.payment(1000, "cash", order_id=301)
    second = phone.payment(1000, "cheque", order_id=301)
    (conflict,) = detect(ORDERS, [first, second])
    assert conflict.kind == "overpayment"
    assert conflict.details == {"order_id": 301, "due_cents": 1800, "paid_cents": 2000, "excess_cents": 200}
    third = phone.payment(100, "cash", order_id=301)
    (again,) = detect(ORDERS, [first, second, third])
    assert again.key != conflict.key and again.details["excess_cents"] == 300
    other = Phone("phone-b")
    assert detect(ORDERS, [other.payment(1000, "cash", order_id=301), other.payment(800, "card", order_id=301)]) == []


def test_a_double_handover_carries_the_overpayment_it_made():
    a, b = Phone("phone-a"), Phone("phone-b")
    first, paid = a.handover(301), a.payment(1800, "cash", order_id=301)
    second, paid_again = b.handover(301), b.payment(1800, "card", order_id=301)
    (conflict,) = detect(ORDERS, [second, paid_again, first, paid])
    assert conflict.kind == "double_handover"
    assert conflict.key == f"double_handover:301:{min(first.id, second.id)}:{max(first.id, second.id)}"
    assert conflict.event_ids == tuple(sorted((first.id, paid.id, second.id, paid_again.id)))
    assert conflict.details["handovers"] == [first.id, second.id]
    assert conflict.details["second_payments"] == [paid_again.id]
    assert (conflict.details["paid_cents"], conflict.details["excess_cents"]) == (3600, 1800)
    # A payment made apart from both hand-overs is a question of its own.
    apart = b.payment(100, "cash", order_id=301, household_id=None)
    b_later = b.handover(302)
    kinds = sorted(c.kind for c in detect(ORDERS, [first, paid, second, paid_again, b_later, apart]))
    assert kinds == ["double_handover"]  # recorded after phone b's hand-over of 301: it came with it
    alone = Phone("phone-c").payment(100, "cash", order_id=301)
    kinds = sorted(c.kind for c in detect(ORDERS, [first, paid, second, paid_again, alone]))
    assert kinds == ["double_handover", "overpayment"]


def test_a_member_handed_over_after_their_revoked_ticket_was_refused():
    a, b = Phone("phone-a"), Phone("phone-b")
    refusal = a.refusal("revoked", member_id=13)
    handover = b.handover(304)
    (conflict,) = detect(ORDERS, [refusal, handover, b.handover(302), a.refusal("revoked", member_id=11)])
    assert (conflict.kind, conflict.key) == ("revoked_ticket", f"revoked_ticket:{handover.id}")
    assert conflict.event_ids == tuple(sorted((refusal.id, handover.id)))
    assert conflict.details == {"order_id": 304, "member_id": 13}
    c = Phone("phone-c")
    assert detect(ORDERS, [refusal, c.handover(304, "refused")]) == []


def test_events_naming_what_is_not_in_the_distribution():
    phone = Phone()
    handover = phone.handover(999)
    payment = phone.payment(500, "cash", order_id=999, household_id=99)
    mismatch = phone.payment(500, "cash", order_id=301, household_id=12)
    void = phone.void(new_event_id(1, 1))
    conflicts = detect(ORDERS, [handover, payment, mismatch, void])
    assert sorted((c.kind, c.event_ids[0]) for c in conflicts) == sorted(
        [
            ("unknown_order", handover.id),
            ("unknown_order", payment.id),
            ("unknown_member", payment.id),
            ("household_mismatch", mismatch.id),
            ("unknown_void", void.id),
        ]
    )
    assert next(c for c in conflicts if c.kind == "unknown_void").details == {"target_event_id": new_event_id(1, 1)}


def test_events_long_after_closing_are_late():
    phone = Phone(start=CLOSED_AT)
    on_time = phone.note("oublié", at=CLOSED_AT + timedelta(hours=5))
    late = phone.payment(1800, "cash", order_id=301, at=CLOSED_AT + timedelta(days=1))
    admin = server()  # the server's resolutions, a day later, are never late
    resolution = admin.resolve(f"late_event:{late.id}", "accept")
    (conflict,) = detect(ORDERS, [on_time, late, resolution], Context(closed_at=CLOSED_AT))
    assert (conflict.kind, conflict.event_ids, conflict.status) == ("late_event", (late.id,), "resolved")
    assert conflict.details["late_by_seconds"] == 86400
    assert detect(ORDERS, [on_time, late]) == []  # without a closing time nothing is late


def test_a_clock_ahead_of_the_server():
    phone = Phone(start=OPENS_AT + timedelta(days=2))  # two days ahead
    first, second = phone.handover(301), phone.handover(302)
    received = {first.id: OPENS_AT + timedelta(minutes=5), second.id: OPENS_AT + timedelta(minutes=6)}
    (conflict,) = detect(ORDERS, [first, second], Context(received_at=received))
    assert (conflict.kind, conflict.key) == ("clock_skew", f"clock_skew:{DISTRIBUTION}:phone-a")
    assert [(e["event_id"], e["reason"]) for e in conflict.details["events"]] == sorted(
        [(first.id, "ahead"), (second.id, "ahead")]
    )


def test_a_later_event_bounds_an_earlier_one():
    phone = Phone()
    first = phone.handover(301, at=OPENS_AT + timedelta(hours=3))  # the clock jumped, then came back
    second = phone.handover(302, at=OPENS_AT + timedelta(minutes=10))
    received = {second.id: OPENS_AT + timedelta(minutes=11)}  # first not received yet, second is
    (conflict,) = detect(ORDERS, [first, second], Context(received_at=received))
    assert sorted((e["event_id"], e["reason"]) for e in conflict.details["events"]) == sorted(
        [(first.id, "ahead"), (second.id, "backwards")]
    )


def test_a_clock_days_behind_shows_before_opening():
    phone = Phone(start=OPENS_AT - timedelta(days=3))
    event = phone.handover(301)
    (conflict,) = detect(ORDERS, [event], Context(opens_at=OPENS_AT))
    assert conflict.details["events"][0]["reason"] == "before_opening"
    assert detect(ORDERS, [Phone(start=OPENS_AT - timedelta(hours=1)).handover(301)], Context(opens_at=OPENS_AT)) == []


def test_an_offline_day_is_not_a_clock_problem():
    phone = Phone()
    events = [phone.handover(301), phone.payment(1800, "cash", order_id=301)]
    received = dict.fromkeys((event.id for event in events), OPENS_AT + timedelta(days=3))
    assert detect(ORDERS, events, Context(opens_at=OPENS_AT, received_at=received)) == []


def test_a_gap_in_a_chain():
    phone = Phone()
    events = [phone.handover(301), phone.handover(302), phone.handover(303)]
    (conflict,) = detect(ORDERS, [events[0], events[2]])
    assert conflict.key == f"chain_break:{DISTRIBUTION}:phone-a:gap:3"
    assert conflict.details == {"break": "gap", "device_id": "phone-a", "seq": 3, "missing": [2, 2]}


def test_one_id_with_two_contents():
    phone = Phone()
    original = phone.payment(1800, "cash", order_id=301)
    forged = parse_event({**original.model_dump(mode="json"), "volunteer_id": 8})
    conflicts = detect(ORDERS, [original, forged])
    assert _kinds(conflicts) == [("id_reuse", (original.id,))]
    assert conflicts == detect(ORDERS, [forged, original, forged])
    third = parse_event({**original.model_dump(mode="json"), "volunteer_id": 9})
    (reuse,) = detect(ORDERS, [original, forged, third, original])
    assert reuse.details == {"hashes": sorted(event_hash(e) for e in (original, forged, third))}


def test_every_kind_is_listed():
    assert len(set(KINDS)) == len(KINDS) == 13


@given(st.data())
def test_conflicts_do_not_depend_on_arrival(data):
    events = data.draw(event_sets())
    received = {
        event.id: event.device_time + timedelta(minutes=data.draw(st.integers(-30, 600), label="delay"))
        for event in events
    }
    context = Context(opens_at=OPENS_AT, closed_at=CLOSED_AT, received_at=received)
    expected = detect(ORDERS, events, context)
    assert detect(ORDERS, data.draw(shuffled_with_repeats(events)), context) == expected
    assert len({conflict.key for conflict in expected}) == len(expected)
    assert all(conflict.kind in KINDS and len(conflict.key) <= 200 for conflict in expected)


@given(st.data())
def test_the_stored_hashes_give_the_same_conflicts(data):
    """The server passes the hashes it stored at upload so the chains are not hashed again: same answer."""
    events = data.draw(event_sets())
    hashes = {event.id: event_hash(event) for event in events}
    context = Context(opens_at=OPENS_AT, closed_at=CLOSED_AT)
    with_hashes = Context(opens_at=OPENS_AT, closed_at=CLOSED_AT, hashes=hashes)
    assert detect(ORDERS, events, with_hashes) == detect(ORDERS, events, context)
