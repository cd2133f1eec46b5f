"""The event vectors shared with the phone (``sync/vectors/events.json``): current, consistent with ``sync.chain``,
and covering every default the phone must fill in. ``tests/browser/test_pwa_data.py`` holds ``pwa/src/events.js``
to the same file."""

import json
from pathlib import Path

import pytest

from sync.chain import canonical_json, check_chain, event_hash
from sync.events import EVENT_TYPES, MODELS, parse_event
from sync.vectors.events import build

VECTORS = json.loads((Path(__file__).resolve().parent.parent / "sync/vectors/events.json").read_text())


def test_vectors_file_is_current():
    assert build() == VECTORS, "run: .venv/bin/python -m sync.vectors"


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["description"][:50])
def test_vector_matches_the_python_encoding(vector):
    event = parse_event(vector["event"])
    assert canonical_json(event) == vector["canonical"].encode("utf-8")
    assert event_hash(event) == vector["hash"]
    # The canonical text is itself an event that encodes to the same text: the phone may upload either.
    assert canonical_json(parse_event(json.loads(vector["canonical"]))) == canonical_json(event)


def test_the_documented_vector_is_included():
    first = VECTORS["vectors"][0]
    assert first["hash"] == "7af41facb57cdd28deb81956d9a257d21ffe6483f3898722a9be13983c28dcd5"


def test_every_type_and_every_default_is_covered():
    """For each type, every optional payload field is left out by some vector (the phone must fill in its default)
    and written by another: a new optional field in ``sync.events`` shows here until the vectors, and so the phone,
    know it."""
    assert VECTORS["event_types"] == list(EVENT_TYPES)
    for kind in EVENT_TYPES:
        payload_model = MODELS[kind].model_fields["payload"].annotation
        optional = {name for name, field in payload_model.model_fields.items() if not field.is_required()}
        sent = [set(v["event"]["payload"]) for v in VECTORS["vectors"] if v["event"]["type"] == kind]
        assert sent, kind
        left_out = set().union(*(optional - fields for fields in sent))
        written = set().union(*(optional & fields for fields in sent))
        assert left_out == optional, f"no {kind} vector leaves out {sorted(optional - left_out)}"
        assert written == optional, f"no {kind} vector writes {sorted(optional - written)}"


def test_hard_cases_are_covered():
    canonical = "".join(v["canonical"] for v in VECTORS["vectors"])
    assert '"denominations":{"1":1,"10":1,"100":1,"1000":1,"10000":1,"2":1,"20":1' in canonical
    for text in ("é", "😀", "\u2028", "你好", "\\n", '\\"', "\\\\"):
        assert text in canonical, text
    assert any("+01:00" in v["event"]["device_time"] for v in VECTORS["vectors"])


def test_vector_chains_are_unbroken():
    events = [parse_event(v["event"]) for v in VECTORS["vectors"]]
    assert check_chain(events) == []
    assert max(event.seq for event in events) > 10
