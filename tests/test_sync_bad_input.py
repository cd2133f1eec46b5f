"""Bad input on the sync endpoints, through the real app on SQLite and PostgreSQL: every bad item of an upload is
refused on its own with a reason, the other events are stored, and nothing answers 500.

The phone treats any answer but 200 and 422 as "retry later", so one bad event answered with a 400 or a 500 would
block every later event of that phone for ever."""

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from server.clock import utcnow
from server.extensions import db
from server.models import Distribution, Household, Order, OrderLine, Point, Product, SyncedEvent, Tier, User
from tests.phones import Phone, enrol_phone


@pytest.fixture
def place(app) -> dict[str, Any]:
    with app.app_context():
        point = Point(name="Luzard", town="Noisiel")
        now = utcnow()
        distribution = Distribution(point=point, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2))
        tier = Tier(name="Tarif plein", share_percent=100)
        household = Household(first_name="Alice", last_name="Martin", tier=tier, point=point)
        order = Order(distribution=distribution, household=household, share_percent=100)
        basket = Product(code="LEG-M", name="Panier M", unit_price_cents=1500)
        order.lines = [OrderLine(product=basket, quantity=1, unit_price_cents=1500)]
        volunteers = [User(email=f"v{i}@example.org", role="volunteer", points=[point]) for i in range(2)]
        db.session.add_all([order, *volunteers])
        db.session.commit()
        return {"point": point.id, "distribution": distribution.id, "order": order.id}


@pytest.fixture
def phone(app, place) -> Phone:
    with app.app_context():
        volunteer = db.session.scalar(select(User.id).where(User.email == "v0@example.org"))
    return enrol_phone(app, [place["point"]], volunteer, "Phone")


def note(phone: Phone, place: dict, text: str = "ok") -> dict:
    return phone.record("note", {"text": text}, place["distribution"])


def stored(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(SyncedEvent.event_id)))


def refused_between_good(app, phone: Phone, place: dict, bad: list[Any]) -> list[dict]:
    """Upload a good event, the ``bad`` items (JSON-ready values, or ``Raw`` JSON text), another good event: a 422
    naming every bad item and only them, both good events stored. Returns the bad items' results, in order."""
    good = [note(phone, place, "before"), note(phone, place, "after")]
    texts = [item.text if isinstance(item, Raw) else json.dumps(item) for item in [good[0], *bad, good[1]]]
    body = '{"events": [' + ", ".join(texts) + "]}"
    answer = phone.client.post("/api/events", data=body, content_type="application/json", headers=phone.headers)
    assert answer.status_code == 422, (answer.status_code, answer.get_data(as_text=True)[:500])
    results = answer.get_json()["results"]
    rejected = list(range(1, len(bad) + 1))
    assert answer.get_json()["error"]["reason"] == "events_rejected"
    assert answer.get_json()["error"]["rejected"] == rejected
    assert [r["index"] for r in results] == [0, *rejected, len(bad) + 1]
    assert [r["status"] for r in results] == ["accepted", *["rejected"] * len(bad), "accepted"]
    assert {event["id"] for event in good} <= stored(app)
    return results[1:-1]


@dataclass(frozen=True)
class Raw:
    """An item written as JSON text: what Python's json cannot write (5,000 digits, NaN) or would not (1e400)."""

    text: str


def with_raw(event: dict, field: str, raw: str) -> Raw:
    return Raw(json.dumps(event | {field: "@@RAW@@"}).replace('"@@RAW@@"', raw))


def reasons_and_locs(results: list[dict]) -> list[tuple[str, list | None]]:
    return [(r["reason"], r["errors"][0]["loc"] if r.get("errors") else None) for r in results]


# distribution_id of any JSON type


def test_any_distribution_id_is_that_events_rejection(app, place, phone):
    values = [[1], {"id": 1}, [[]], {}, 2**31, 10**30, -1, 0, 1.0, True, "1", None]
    results = refused_between_good(app, phone, place, [note(phone, place) | {"distribution_id": v} for v in values])
    assert reasons_and_locs(results) == [("malformed", ["distribution_id"])] * len(values)


# NUL characters


def with_payload(event: dict, **fields: Any) -> dict:
    return event | {"payload": event["payload"] | fields}


def nul_cases(phone: Phone, place: dict) -> list[tuple[dict, list]]:
    """Events the app would record, with a NUL put in afterwards (the app itself can no longer record one)."""
    order, distribution = place["order"], place["distribution"]
    handover = phone.record("handover", {"order_id": order, "outcome": "all"}, distribution)
    payment = phone.record("payment", {"order_id": order, "amount_cents": 1500, "method": "cheque"}, distribution)
    void = phone.record("void", {"event_id": handover["id"]}, distribution)
    return [
        (with_payload(note(phone, place), text="a\x00b"), ["payload", "text"]),
        (with_payload(handover, substitution_note="a\x00"), ["payload", "substitution_note"]),
        (with_payload(payment, method_details="n°\x001"), ["payload", "method_details"]),
        (with_payload(void, reason="\x00"), ["payload", "reason"]),
        (with_payload(note(phone, place), **{"\x00": 1}), ["payload", "\x00"]),
        (note(phone, place) | {"device_id": phone.device_id + "\x00"}, ["device_id"]),
        (note(phone, place) | {"device_time": "2026-03-10T17:30:00\x00Z"}, ["device_time"]),
    ]


def test_a_nul_refuses_that_event_alone(app, place, phone):
    cases = nul_cases(phone, place)
    results = refused_between_good(app, phone, place, [event for event, _loc in cases])
    assert reasons_and_locs(results) == [("invalid_text", loc) for _event, loc in cases]
    assert [(r["id"], r["errors"][0]["type"]) for r in results] == [(event["id"], "text_nul") for event, _ in cases]


def test_a_nul_in_an_id_refuses_that_item_alone(app, place, phone):
    bad = [
        note(phone, place) | {"id": "0190f6e0-0000-7000-8000-00000000000\x00"},
        note(phone, place) | {"id": "\ud800"},
    ]
    results = refused_between_good(app, phone, place, bad)
    assert reasons_and_locs(results) == [("invalid_text", ["id"]), ("invalid_text", ["id"])]
    assert [r["id"] for r in results] == [event["id"] for event in bad]  # echoed, JSON-escaped


def test_other_characters_no_text_may_hold(app, place, phone):
    texts = {"bell \x07": "text_characters", "lone \ud800": "string_unicode"}
    results = refused_between_good(app, phone, place, [with_payload(note(phone, place), text=t) for t in texts])
    assert reasons_and_locs(results) == [("invalid_text", ["payload", "text"])] * 2
    assert [r["errors"][0]["type"] for r in results] == list(texts.values())


def test_nul_is_still_refused_in_other_api_bodies(app, place, phone):
    answer = phone.client.post(
        "/api/push/subscriptions", json={"endpoint": "https://push.example/\x00"}, headers=phone.headers
    )
    assert answer.status_code == 400 and answer.get_json()["error"]["reason"] == "invalid_body"


# Numbers, nesting and sizes no phone writes


NUMBERS = [
    ("seq", "9" * 5000, ["seq"]),
    ("volunteer_id", "-" + "9" * 5000, ["volunteer_id"]),
    ("distribution_id", "1" + "0" * 4400, ["distribution_id"]),
    ("seq", "1e400", ["seq"]),
    ("seq", "-1e400", ["seq"]),
    ("seq", "NaN", ["seq"]),
    ("seq", "Infinity", ["seq"]),
    ("seq", "1.0", ["seq"]),
    ("volunteer_id", "true", ["volunteer_id"]),
    ("payload", '{"text": "x", "n": ' + "7" * 5000 + "}", ["payload", "n"]),
    ("payload", '{"text": ' + "7" * 5000 + "}", ["payload", "text"]),
]


def test_numbers_no_phone_writes_refuse_that_event_alone(app, place, phone):
    bad = [with_raw(note(phone, place), field, raw) for field, raw, _loc in NUMBERS]
    bad.append(with_raw(note(phone, place), "schema_version", "1" * 5000))
    results = refused_between_good(app, phone, place, bad)
    expected = [("malformed", loc) for _field, _raw, loc in NUMBERS]
    assert reasons_and_locs(results) == [*expected, ("unsupported_schema_version", ["schema_version"])]


def test_deep_nesting_inside_an_event(app, place, phone):
    nested: Any = "x"
    for _ in range(300):
        nested = {"a": [nested]}
    results = refused_between_good(app, phone, place, [note(phone, place) | {"payload": nested}])
    assert reasons_and_locs(results) == [("malformed", ["payload", "text"])]


def test_nesting_deeper_than_json_can_be_read_is_a_400_never_a_500(app, place, phone):
    body = '{"events": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    answer = phone.client.post("/api/events", data=body, content_type="application/json", headers=phone.headers)
    assert answer.status_code == 400 and answer.get_json()["error"]["reason"] == "invalid_body"


def test_long_values_refuse_that_event_alone(app, place, phone):
    big = 600_000  # five of them in one upload, under its 4 MB
    changes = [
        ({"payload": {"text": "x" * big}}, "malformed", ["payload", "text"]),
        ({"id": "0" * big}, "malformed", ["id"]),
        ({"device_id": "d" * big}, "malformed", ["device_id"]),
        ({"type": "t" * big}, "unknown_type", ["type"]),
        ({"payload": {"text": "x", "k" * big: 1}}, "malformed", ["payload", "k" * big]),
        ({"payload": {"text": "x", **{f"k{n}": n for n in range(10_000)}}}, "malformed", ["payload", "k0"]),
    ]
    results = refused_between_good(app, phone, place, [note(phone, place) | change for change, *_ in changes])
    assert reasons_and_locs(results) == [(reason, loc) for _change, reason, loc in changes]
    assert results[1]["id"] is None  # an id too long to be one is not echoed


# The pull endpoint


BAD_PULL_QUERIES = [
    "since=²",
    "since=١٢",
    "since=-1",
    "since=1.5",
    "since=1e3",
    "since=",
    "since=%00",
    "since=" + "9" * 19,
    "since=" + "9" * 5000,
    "since=%201",
    "limit=²",
    "limit=0",
    "limit=1001",
    "limit=" + "9" * 5000,
    "limit=true",
]


def test_a_bad_pull_query_is_a_400_never_a_500(app, place, phone):
    for query in BAD_PULL_QUERIES:
        answer = phone.client.get(f"/api/distributions/{place['distribution']}/events?{query}", headers=phone.headers)
        assert answer.status_code == 400, (query, answer.status_code)
        assert answer.get_json()["error"]["reason"] == "invalid_field"
    for distribution in ["0", "-1", "2147483648", "9" * 5000, "1.0", "²"]:
        answer = phone.client.get(f"/api/distributions/{distribution}/events", headers=phone.headers)
        assert answer.status_code == 404, distribution


def test_a_pull_from_far_ahead_is_cursor_unknown(app, place, phone):
    with app.app_context():
        assert db.session.scalar(select(func.count(SyncedEvent.position))) == 0
    answer = phone.pull(place["distribution"], since="9" * 18)
    assert answer.status_code == 409 and answer.get_json()["error"]["reason"] == "cursor_unknown"


# Random damage to valid events


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),  # any code point: NUL, controls, lone surrogates
    st.sampled_from(["\x00", "a\x00b", "\ud800", "²", "١٢", " 1", "1e3", "x" * 5000]),
    st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
        max_leaves=8,
    ),
)


def damaged(event: dict, path: list[str], value: Any) -> dict:
    """``event`` with the field at ``path`` (inside the payload when it starts with "payload") replaced."""
    copy = json.loads(json.dumps(event))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


PATHS = [
    ["id"],
    ["type"],
    ["schema_version"],
    ["device_id"],
    ["volunteer_id"],
    ["distribution_id"],
    ["device_time"],
    ["seq"],
    ["prev_hash"],
    ["payload"],
    ["payload", "order_id"],
    ["payload", "amount_cents"],
    ["payload", "method"],
    ["payload", "method_details"],
    ["payload", "household_id"],
    ["payload", "extra"],
]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(damage=st.lists(st.tuples(st.sampled_from(PATHS), ODD_VALUES), min_size=1, max_size=6))
def test_randomly_damaged_events_are_answered_item_by_item(app, place, phone, damage):
    order, distribution = place["order"], place["distribution"]
    good = phone.record("payment", {"order_id": order, "amount_cents": 100, "method": "cash"}, distribution)
    items = [damaged(good, path, value) for path, value in damage]
    last = note(phone, place, "after")
    body = json.dumps({"events": [*items, last]})
    answer = phone.client.post("/api/events", data=body, content_type="application/json", headers=phone.headers)
    assert answer.status_code in (200, 422), (answer.status_code, answer.get_data(as_text=True)[:300])
    results = answer.get_json()["results"]
    assert [r["index"] for r in results] == list(range(len(items) + 1))
    assert results[-1]["status"] == "accepted"  # nothing before it blocked it
    for result in results:
        assert result["status"] in ("accepted", "duplicate") or result["reason"], result


@pytest.mark.parametrize(
    "body",
    [
        '{"events": {"a": 1}}',
        '{"events": "x"}',
        '{"events": null}',
        "[]",
        '"events"',
        '{"events": [], "\\u0000": 1}',
        '{"\\u0000": []}',
        '{"events": [], "events2": []}',
        '{"events": [' + "1" * 5000 + "]}",
        "{" * 100_000,
        '{"events": [] ',
        "\ud800",
    ],
    ids=lambda body: body[:20],
)
def test_a_body_that_is_no_upload_is_a_400_never_a_500(app, place, phone, body):
    answer = phone.client.post(
        "/api/events", data=body.encode(errors="surrogatepass"), content_type="application/json", headers=phone.headers
    )
    if body.startswith('{"events": [1'):  # a list of one item that is no event: that item's rejection
        assert answer.status_code == 422 and answer.get_json()["results"][0]["reason"] == "malformed"
        return
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    assert answer.get_json()["error"]["reason"] in ("invalid_body", "invalid_field")
