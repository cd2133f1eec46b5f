"""The canonical encoding (fixed vectors a device must reproduce) and the breaks of a device's hash chain."""

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from sync.chain import ChainBreak, canonical_json, check_chain, event_hash, unique
from sync.events import new_event_id, parse_event
from tests.test_sync_strategies import DISTRIBUTION, Phone, event_sets, shuffled_with_repeats

DEVICE = "3f2c7a9e-5b1d-4c8a-9e2f-1a2b3c4d5e6f"

# As the phone sends them: a local offset, optional fields left out, denominations in any order.
FIRST = {
    "id": "01956a3a-1c00-7def-8123-456789abcdef",
    "type": "cash_count",
    "schema_version": 1,
    "device_id": DEVICE,
    "volunteer_id": 12,
    "distribution_id": 42,
    "device_time": "2025-03-04T17:20:00+01:00",
    "seq": 1,
    "prev_hash": None,
    "payload": {"kind": "opening", "total_cents": 5250, "denominations": {"5": 10, "200": 1, "5000": 1}},
}
FIRST_CANONICAL = (
    '{"device_id":"3f2c7a9e-5b1d-4c8a-9e2f-1a2b3c4d5e6f","device_time":"2025-03-04T16:20:00.000Z",'
    '"distribution_id":42,"id":"01956a3a-1c00-7def-8123-456789abcdef","payload":{"denominations":'
    '{"200":1,"5":10,"5000":1},"kind":"opening","total_cents":5250},"prev_hash":null,"schema_version":1,'
    '"seq":1,"type":"cash_count","volunteer_id":12}'
)
FIRST_HASH = "7af41facb57cdd28deb81956d9a257d21ffe6483f3898722a9be13983c28dcd5"

SECOND = {
    "id": "01956a3c-8e00-7abc-8def-0123456789ab",
    "type": "payment",
    "schema_version": 1,
    "device_id": DEVICE,
    "volunteer_id": 12,
    "distribution_id": 42,
    "device_time": "2025-03-04T18:31:02.250+01:00",
    "seq": 2,
    "prev_hash": FIRST_HASH,
    "payload": {
        "order_id": 301,
        "amount_cents": 1500,
        "method": "cheque",
        "method_details": "Chèque n° 1234567",
        "from_prepaid_cents": 500,
        "solidarity_cents": 450,
    },
}
SECOND_CANONICAL = (
    '{"device_id":"3f2c7a9e-5b1d-4c8a-9e2f-1a2b3c4d5e6f","device_time":"2025-03-04T17:31:02.250Z",'
    '"distribution_id":42,"id":"01956a3c-8e00-7abc-8def-0123456789ab","payload":{"amount_cents":1500,'
    '"from_allowance_cents":0,"from_prepaid_cents":500,"household_id":null,"method":"cheque",'
    '"method_details":"Chèque n° 1234567","order_id":301,"solidarity_cents":450},'
    '"prev_hash":"7af41facb57cdd28deb81956d9a257d21ffe6483f3898722a9be13983c28dcd5","schema_version":1,"seq":2,'
    '"type":"payment","volunteer_id":12}'
)
SECOND_HASH = "8859b4189cf3dc011dad281eaf2d0fc71033a38f8f3486eff80f785614215709"


def test_fixed_vectors():
    for data, canonical, digest in ((FIRST, FIRST_CANONICAL, FIRST_HASH), (SECOND, SECOND_CANONICAL, SECOND_HASH)):
        event = parse_event(data)
        assert canonical_json(event) == canonical.encode("utf-8")
        assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == digest
        assert event_hash(event) == digest
    assert check_chain([parse_event(SECOND), parse_event(FIRST)]) == []


def test_non_ascii_is_written_as_utf8():
    assert "Chèque n° 1234567".encode() in canonical_json(parse_event(SECOND))


def test_the_canonical_form_reads_back_to_the_same_event():
    event = parse_event(SECOND)
    assert parse_event(json.loads(canonical_json(event))) == event


def test_the_same_instant_in_another_offset_hashes_the_same():
    utc = {**SECOND, "device_time": "2025-03-04T17:31:02.25Z"}
    assert event_hash(parse_event(utc)) == SECOND_HASH


def test_any_change_changes_the_hash():
    changed = {**SECOND, "payload": {**SECOND["payload"], "amount_cents": 1501}}
    assert event_hash(parse_event(changed)) != SECOND_HASH
    assert event_hash(parse_event({**SECOND, "prev_hash": "0" * 64})) != SECOND_HASH


def _chain(length: int = 5, device_id: str = "phone-a"):
    phone = Phone(device_id)
    return [phone.handover(301, "refused") for _ in range(length)]


def test_an_intact_chain_has_no_break():
    a, b = _chain(5, "phone-a"), _chain(3, "phone-b")
    assert check_chain(a + b) == []


def test_a_missing_event_is_a_gap():
    events = _chain(5)
    del events[2]
    assert check_chain(events) == [
        ChainBreak("gap", "phone-a", DISTRIBUTION, 4, tuple(sorted((events[1].id, events[2].id))), (3, 3))
    ]


def test_missing_first_events_are_a_gap():
    events = _chain(4)[2:]
    assert check_chain(events) == [ChainBreak("gap", "phone-a", DISTRIBUTION, 3, (events[0].id,), (1, 2))]


def test_an_altered_event_breaks_the_next_link():
    events = _chain(3)
    altered = parse_event({**events[1].model_dump(mode="json"), "volunteer_id": 8})
    breaks = check_chain([events[0], altered, events[2]])
    assert breaks == [
        ChainBreak("prev_hash_mismatch", "phone-a", DISTRIBUTION, 3, tuple(sorted((altered.id, events[2].id))))
    ]


def test_two_events_with_one_sequence_number_are_a_fork():
    first, second = _chain(2)
    other = parse_event({**second.model_dump(mode="json"), "id": new_event_id(1, 1)})  # seq 2, linked to first
    breaks = check_chain([first, second, other])
    assert breaks == [ChainBreak("duplicate_seq", "phone-a", DISTRIBUTION, 2, tuple(sorted((second.id, other.id))))]


def test_each_device_and_distribution_is_its_own_chain():
    events = _chain(2)
    other = parse_event({**events[0].model_dump(mode="json"), "distribution_id": 43})
    assert check_chain([*events, other]) == []


@given(st.data())
def test_breaks_and_order_do_not_depend_on_arrival(data):
    events = data.draw(event_sets())
    mixed = data.draw(shuffled_with_repeats(events))
    assert check_chain(mixed) == check_chain(events)
    assert unique(mixed) == unique(events)
