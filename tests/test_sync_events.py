"""Event schemas: what is accepted, what is refused and why, batches, JSON Schema, UUIDv7 ids."""

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import tickets
from sync.events import (
    EVENT_TYPES,
    REJECTION_REASONS,
    SCAN_REFUSAL_REASONS,
    InvalidEvent,
    new_event_id,
    parse_event,
    validate_batch,
)
from tests.test_sync_strategies import envelope

HASH = "ab" * 32
OTHER_ID = new_event_id(1_773_160_100_000, 2)

VALID = {
    "handover all": ("handover", {"order_id": 301, "outcome": "all"}),
    "handover partial": (
        "handover",
        {
            "order_id": 301,
            "outcome": "partial",
            "lines": [{"product_id": 1, "quantity_received": 1}, {"product_id": 2, "quantity_received": 0}],
            "substitution_note": "œufs remplacés par du fromage blanc",
        },
    ),
    "handover refused": ("handover", {"order_id": 301, "outcome": "refused"}),
    "payment by cheque": (
        "payment",
        {"order_id": 301, "amount_cents": 1800, "method": "cheque", "method_details": "n° 1234567"},
    ),
    "payment split": (
        "payment",
        {
            "order_id": 302,
            "household_id": 12,
            "amount_cents": 1050,
            "method": "card",
            "method_details": "TPE 4411",
            "from_prepaid_cents": 300,
            "from_allowance_cents": 500,
            "solidarity_cents": 450,
        },
    ),
    "payment from the allowance only": (
        "payment",
        {"household_id": 12, "amount_cents": 1050, "method": "allowance", "from_allowance_cents": 1050},
    ),
    "void": ("void", {"event_id": OTHER_ID, "reason": "mauvais adhérent"}),
    "void without reason": ("void", {"event_id": OTHER_ID}),
    "opening float": ("cash_count", {"kind": "opening", "total_cents": 5000}),
    "closing count by denomination": (
        "cash_count",
        {"kind": "closing", "total_cents": 7650, "denominations": {"5000": 1, "1000": 2, "200": 2, "50": 5}},
    ),
    "scan refused, revoked": ("scan_refused", {"reason": "revoked", "member_id": 11}),
    "scan refused, forged": ("scan_refused", {"reason": "bad_signature"}),
    "note": ("note", {"text": "Plus de pain à 18 h 40.\nPrévoir 5 baguettes de plus."}),
    "resolution": (
        "conflict_resolved",
        {"conflict_key": "overpayment:301:0a1b", "action": "adjust", "comment": "remboursé"},
    ),
    "resolution voiding": (
        "conflict_resolved",
        {"conflict_key": "double_handover:301:a:b", "action": "void_event", "comment": "doublon", "event_id": OTHER_ID},
    ),
}


@pytest.mark.parametrize("case", VALID, ids=str)
def test_valid_events(case):
    kind, payload = VALID[case]
    event = parse_event(envelope(kind, payload))
    assert event.type == kind
    assert parse_event(event.model_dump(mode="json")) == event


def test_defaults_are_filled_in_and_times_are_utc():
    event = parse_event(envelope("payment", {"order_id": 301, "amount_cents": 1800, "method": "cash"}))
    assert event.payload.household_id is None
    assert (event.payload.from_prepaid_cents, event.payload.from_allowance_cents, event.payload.rest_cents) == (
        0,
        0,
        1800,
    )
    assert event.device_time == datetime(2026, 3, 10, 16, 30, tzinfo=UTC)
    assert event.model_dump(mode="json")["device_time"] == "2026-03-10T16:30:00.000Z"


def test_every_ticket_refusal_reason_can_be_recorded():
    assert set(tickets.REASONS) < set(SCAN_REFUSAL_REASONS)
    for reason in SCAN_REFUSAL_REASONS:
        assert parse_event(envelope("scan_refused", {"reason": reason})).payload.reason == reason


def _without(data: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != name}


NOTE = envelope("note", {"text": "ok"})
HANDOVER = {"order_id": 301, "outcome": "partial", "lines": [{"product_id": 1, "quantity_received": 1}]}
PAYMENT = {"order_id": 301, "amount_cents": 1800, "method": "cash"}

# (case, item, reason, location of the first error, its type)
INVALID = [
    ("not an object", ["note"], "malformed", (), "object_type"),
    ("no type", _without(NOTE, "type"), "malformed", ("type",), "missing"),
    ("type not a string", {**NOTE, "type": 3}, "malformed", ("type",), "string_type"),
    ("unknown type", {**NOTE, "type": "refund"}, "unknown_type", ("type",), "unknown_type"),
    (
        "newer schema",
        {**NOTE, "schema_version": 2, "type": "refund"},
        "unsupported_schema_version",
        ("schema_version",),
        "unsupported_schema_version",
    ),
    ("schema version as text", {**NOTE, "schema_version": "1"}, "malformed", ("schema_version",), "int_type"),
    ("schema version missing", _without(NOTE, "schema_version"), "malformed", ("schema_version",), "missing"),
    ("id of version 4", {**NOTE, "id": str(uuid.uuid4())}, "malformed", ("id",), "string_pattern_mismatch"),
    ("id in upper case", {**NOTE, "id": NOTE["id"].upper()}, "malformed", ("id",), "string_pattern_mismatch"),
    ("device id empty", {**NOTE, "device_id": ""}, "malformed", ("device_id",), "string_too_short"),
    ("device id too long", {**NOTE, "device_id": "x" * 65}, "malformed", ("device_id",), "string_too_long"),
    ("volunteer id zero", {**NOTE, "volunteer_id": 0}, "malformed", ("volunteer_id",), "greater_than_equal"),
    ("distribution id as text", {**NOTE, "distribution_id": "42"}, "malformed", ("distribution_id",), "int_type"),
    ("naive time", {**NOTE, "device_time": "2026-03-10T17:30:00"}, "malformed", ("device_time",), "timezone_aware"),
    ("time as a number", {**NOTE, "device_time": 1773160200}, "malformed", ("device_time",), "datetime_type"),
    (
        "time in microseconds",
        {**NOTE, "device_time": "2026-03-10T16:30:00.123456Z"},
        "malformed",
        ("device_time",),
        "datetime_precision",
    ),
    ("time not a time", {**NOTE, "device_time": "mardi"}, "malformed", ("device_time",), "datetime_from_date_parsing"),
    (
        "time before 1970",
        {**NOTE, "device_time": "1969-12-31T23:59:59.999Z"},
        "malformed",
        ("device_time",),
        "datetime_range",
    ),
    (
        "time at the edge of time",
        {**NOTE, "device_time": "0001-01-01T00:00:00+01:00"},
        "malformed",
        ("device_time",),
        "datetime_range",
    ),
    (
        "time after 9000",
        {**NOTE, "device_time": "9999-12-31T23:59:59-01:00"},
        "malformed",
        ("device_time",),
        "datetime_range",
    ),
    ("seq zero", {**NOTE, "seq": 0}, "malformed", ("seq",), "greater_than_equal"),
    ("seq 1 with a previous hash", {**NOTE, "prev_hash": HASH}, "malformed", ("prev_hash",), "chain_start"),
    ("seq 2 without a previous hash", {**NOTE, "seq": 2}, "malformed", ("prev_hash",), "chain_link"),
    (
        "previous hash in upper case",
        {**NOTE, "seq": 2, "prev_hash": HASH.upper()},
        "malformed",
        ("prev_hash",),
        "string_pattern_mismatch",
    ),
    ("unknown envelope field", {**NOTE, "colour": "red"}, "malformed", ("colour",), "extra_forbidden"),
    (
        "unknown payload field",
        envelope("note", {"text": "ok", "colour": "red"}),
        "malformed",
        ("payload", "colour"),
        "extra_forbidden",
    ),
    ("payload missing", _without(NOTE, "payload"), "malformed", ("payload",), "missing"),
    (
        "partial without lines",
        envelope("handover", {**HANDOVER, "lines": []}),
        "malformed",
        ("payload",),
        "partial_without_lines",
    ),
    (
        "all with lines",
        envelope("handover", {**HANDOVER, "outcome": "all"}),
        "malformed",
        ("payload",),
        "lines_not_partial",
    ),
    (
        "a product twice",
        envelope("handover", {**HANDOVER, "lines": HANDOVER["lines"] * 2}),
        "malformed",
        ("payload",),
        "duplicate_product",
    ),
    (
        "negative quantity",
        envelope("handover", {**HANDOVER, "lines": [{"product_id": 1, "quantity_received": -1}]}),
        "malformed",
        ("payload", "lines", 0, "quantity_received"),
        "greater_than_equal",
    ),
    (
        "unknown outcome",
        envelope("handover", {**HANDOVER, "outcome": "whole"}),
        "malformed",
        ("payload", "outcome"),
        "literal_error",
    ),
    (
        "long substitution note",
        envelope("handover", {**HANDOVER, "substitution_note": "x" * 501}),
        "malformed",
        ("payload", "substitution_note"),
        "string_too_long",
    ),
    (
        "payment for nobody",
        envelope("payment", _without(PAYMENT, "order_id")),
        "malformed",
        ("payload",),
        "payment_without_payer",
    ),
    (
        "payment of zero",
        envelope("payment", {**PAYMENT, "amount_cents": 0}),
        "malformed",
        ("payload", "amount_cents"),
        "greater_than_equal",
    ),
    (
        "amount in euros",
        envelope("payment", {**PAYMENT, "amount_cents": "18.00"}),
        "malformed",
        ("payload", "amount_cents"),
        "int_type",
    ),
    (
        "amount as a float",
        envelope("payment", {**PAYMENT, "amount_cents": 1800.0}),
        "malformed",
        ("payload", "amount_cents"),
        "int_type",
    ),
    (
        "amount as a boolean",
        envelope("payment", {**PAYMENT, "amount_cents": True}),
        "malformed",
        ("payload", "amount_cents"),
        "int_type",
    ),
    (
        "absurd amount",
        envelope("payment", {**PAYMENT, "amount_cents": 10**12}),
        "malformed",
        ("payload", "amount_cents"),
        "less_than_equal",
    ),
    (
        "unknown method",
        envelope("payment", {**PAYMENT, "method": "bitcoin"}),
        "malformed",
        ("payload", "method"),
        "literal_error",
    ),
    (
        "accounts above the amount",
        envelope("payment", {**PAYMENT, "from_prepaid_cents": 2000}),
        "malformed",
        ("payload",),
        "payment_split",
    ),
    (
        "cash with nothing left to pay",
        envelope("payment", {**PAYMENT, "from_prepaid_cents": 1800}),
        "malformed",
        ("payload",),
        "payment_split",
    ),
    (
        "prepaid with a rest",
        envelope("payment", {**PAYMENT, "method": "prepaid", "from_prepaid_cents": 800}),
        "malformed",
        ("payload",),
        "payment_split",
    ),
    (
        "allowance from the prepaid account",
        envelope("payment", {**PAYMENT, "method": "allowance", "from_prepaid_cents": 1800}),
        "malformed",
        ("payload",),
        "payment_split",
    ),
    (
        "a payee producer on a cash payment (only a cheque is made out to a producer)",
        envelope("payment", {**PAYMENT, "payee_producer_id": 3}),
        "malformed",
        ("payload",),
        "payment_payee",
    ),
    (
        "a payee producer that is no id",
        envelope("payment", {**PAYMENT, "method": "cheque", "payee_producer_id": 0}),
        "malformed",
        ("payload", "payee_producer_id"),
        "greater_than_equal",
    ),
    (
        "long method details",
        envelope("payment", {**PAYMENT, "method_details": "x" * 201}),
        "malformed",
        ("payload", "method_details"),
        "string_too_long",
    ),
    (
        "void of a non-id",
        envelope("void", {"event_id": "last one"}),
        "malformed",
        ("payload", "event_id"),
        "string_pattern_mismatch",
    ),
    (
        "denominations off the total",
        envelope("cash_count", {"kind": "closing", "total_cents": 100, "denominations": {"50": 1}}),
        "malformed",
        ("payload",),
        "cash_total",
    ),
    (
        "a denomination of zero",
        envelope("cash_count", {"kind": "closing", "total_cents": 0, "denominations": {"0": 3}}),
        "malformed",
        ("payload", "denominations", "0", "[key]"),
        "string_pattern_mismatch",
    ),
    (
        "unknown cash count",
        envelope("cash_count", {"kind": "midday", "total_cents": 0}),
        "malformed",
        ("payload", "kind"),
        "literal_error",
    ),
    (
        "unknown refusal",
        envelope("scan_refused", {"reason": "expired"}),
        "malformed",
        ("payload", "reason"),
        "literal_error",
    ),
    ("empty note", envelope("note", {"text": ""}), "malformed", ("payload", "text"), "string_too_short"),
    ("long note", envelope("note", {"text": "x" * 2001}), "malformed", ("payload", "text"), "string_too_long"),
    ("note with a NUL", envelope("note", {"text": "a\x00b"}), "invalid_text", ("payload", "text"), "text_nul"),
    ("note with a bell", envelope("note", {"text": "a\x07b"}), "invalid_text", ("payload", "text"), "text_characters"),
    (
        "note with a lone surrogate",
        envelope("note", {"text": "a\ud800"}),
        "invalid_text",
        ("payload", "text"),
        "string_unicode",
    ),
    (
        "a NUL in an unknown field's name",
        envelope("note", {"text": "x", "a\x00": 1}),
        "invalid_text",
        ("payload", "a\x00"),
        "text_nul",
    ),
    (
        "a NUL in a list, with other faults",
        envelope("handover", {"order_id": 0, "outcome": "partial", "lines": [{"product_id": "\x00"}]}),
        "invalid_text",
        ("payload", "lines", 0, "product_id"),
        "text_nul",
    ),
    (
        "a bell and another fault",
        envelope("note", {"text": "a\x07b"}, seq=0),
        "malformed",
        ("seq",),
        "greater_than_equal",
    ),
    (
        "void_event without its event",
        envelope("conflict_resolved", {"conflict_key": "k", "action": "void_event", "comment": "x"}),
        "malformed",
        ("payload",),
        "void_without_event",
    ),
    (
        "unknown resolution",
        envelope("conflict_resolved", {"conflict_key": "k", "action": "ignore", "comment": "x"}),
        "malformed",
        ("payload", "action"),
        "literal_error",
    ),
    (
        "resolution without comment",
        envelope("conflict_resolved", {"conflict_key": "k", "action": "accept", "comment": ""}),
        "malformed",
        ("payload", "comment"),
        "string_too_short",
    ),
]


@pytest.mark.parametrize(("case", "item", "reason", "loc", "error_type"), INVALID, ids=[row[0] for row in INVALID])
def test_invalid_events(case, item, reason, loc, error_type):
    with pytest.raises(InvalidEvent) as refused:
        parse_event(item)
    assert refused.value.reason == reason
    assert (refused.value.errors[0].loc, refused.value.errors[0].type) == (loc, error_type)
    assert refused.value.reason in REJECTION_REASONS


def test_all_problems_of_an_event_are_listed():
    item = envelope("payment", {"order_id": 0, "amount_cents": -5, "method": "cash"}, volunteer_id="7")
    with pytest.raises(InvalidEvent) as refused:
        parse_event(item)
    assert {error.loc for error in refused.value.errors} == {
        ("volunteer_id",),
        ("payload", "order_id"),
        ("payload", "amount_cents"),
    }


def test_a_batch_keeps_the_good_events_and_names_the_bad_ones():
    good = [envelope("note", {"text": f"note {n}"}, id=new_event_id(1_773_160_200_000 + n, n)) for n in range(3)]
    bad = {**good[1], "payload": {"text": ""}}
    items = [good[0], "garbage", bad, {**good[2], "type": "refund"}, good[2]]
    events, rejections = validate_batch(items)
    assert [event.id for event in events] == [good[0]["id"], good[2]["id"]]
    assert [(r.index, r.event_id, r.reason) for r in rejections] == [
        (1, None, "malformed"),
        (2, good[1]["id"], "malformed"),
        (3, good[2]["id"], "unknown_type"),
    ]
    answer = json.loads(json.dumps([rejection.to_json() for rejection in rejections]))
    assert answer[1]["errors"] == [
        {"loc": ["payload", "text"], "type": "string_too_short", "message": "String should have at least 1 character"}
    ]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@given(
    kind=st.sampled_from([*EVENT_TYPES, "refund"]),
    field=st.sampled_from(list(NOTE)),
    value=JSON,
    payload=st.dictionaries(st.sampled_from(["order_id", "outcome", "amount_cents", "method", "text", "x"]), JSON),
)
def test_fuzzed_items_are_refused_with_a_reason_never_an_error(kind, field, value, payload):
    items = [{**envelope(kind, payload), field: value}, value, payload]
    events, rejections = validate_batch(items)
    assert len(events) + len(rejections) == len(items)
    assert all(rejection.reason in REJECTION_REASONS for rejection in rejections)
    json.dumps([rejection.to_json() for rejection in rejections])


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)),
)
def test_any_time_is_read_or_refused_never_an_error(moment, offset):
    item = envelope("note", {"text": "x"}, device_time=moment.replace(tzinfo=timezone(offset)).isoformat())
    try:
        event = parse_event(item)
    except InvalidEvent as refused:
        assert refused.errors[0].type in {"datetime_precision", "datetime_range", "datetime_from_date_parsing"}
    else:
        assert event.device_time == moment.replace(tzinfo=timezone(offset))
        assert event.device_time.tzinfo is UTC


def test_json_schema_for_openapi():
    from sync.events import event_json_schema

    schema = event_json_schema("#/components/schemas/{model}")
    assert set(schema["discriminator"]["mapping"]) == set(EVENT_TYPES)
    assert schema["discriminator"]["mapping"]["payment"] == "#/components/schemas/PaymentEvent"
    payment = schema["$defs"]["Payment"]
    assert payment["additionalProperties"] is False
    assert payment["properties"]["method"]["enum"][:2] == ["cash", "cheque"]
    json.dumps(schema)


def test_new_event_ids_are_uuid7_and_keep_their_time():
    value = uuid.UUID(new_event_id(1_773_160_200_123))
    assert (value.version, value.variant) == (7, uuid.RFC_4122)
    assert value.int >> 80 == 1_773_160_200_123
    assert new_event_id() != new_event_id()
    assert parse_event(envelope("note", {"text": "x"}, id=new_event_id())).id
