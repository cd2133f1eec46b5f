"""Tickets: the shared vectors, random alterations, and manual codes."""

import base64
import json
import random
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import manual_codes, tickets
from sync.vectors.tickets import build, vector_key

VECTORS = json.loads((Path(__file__).resolve().parent.parent / "sync/vectors/tickets.json").read_text())
KEYS = {int(k): base64.b64decode(v) for k, v in VECTORS["public_keys"].items()}
MIN_SERIALS = {int(k): v for k, v in VECTORS["min_serials"].items()}


def test_vectors_file_is_current():
    assert build() == VECTORS, "run: .venv/bin/python -m sync.vectors"


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["description"])
def test_valid_vectors(vector):
    ticket = tickets.verify(vector["text"], KEYS, MIN_SERIALS)
    assert (ticket.key_id, ticket.member_id, ticket.serial, ticket.issued_on.isoformat()) == (
        vector["key_id"],
        vector["member_id"],
        vector["serial"],
        vector["issued_on"],
    )
    assert len(vector["text"]) == tickets.TEXT_LENGTH


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["description"])
def test_invalid_vectors(vector):
    with pytest.raises(tickets.TicketRefused) as refused:
        tickets.verify(vector["text"], KEYS, MIN_SERIALS)
    assert refused.value.reason == vector["reason"]


@pytest.mark.parametrize("vector", VECTORS["same_as_valid_1"], ids=lambda v: v["description"])
def test_other_writings_of_a_ticket_are_read(vector):
    assert tickets.verify(vector["text"], KEYS, MIN_SERIALS) == tickets.verify(VECTORS["valid"][1]["text"], KEYS)


def test_every_reason_has_a_vector():
    assert {v["reason"] for v in VECTORS["invalid"]} == set(tickets.REASONS)


def test_a_thousand_single_byte_alterations_are_all_refused():
    text = VECTORS["valid"][1]["text"]
    raw = base64.b32decode(text + "=" * (-len(text) % 8))
    rng = random.Random(7)
    for _ in range(1000):
        altered = bytearray(raw)
        index = rng.randrange(len(altered))
        altered[index] = (altered[index] + rng.randrange(1, 256)) % 256
        with pytest.raises(tickets.TicketRefused):
            tickets.verify(base64.b32encode(bytes(altered)).decode().rstrip("="), KEYS, MIN_SERIALS)


def test_lower_case_and_spaces_are_read():
    text = VECTORS["valid"][0]["text"]
    assert tickets.verify(f"  {text.lower()}\n", KEYS).member_id == 1


def test_a_ticket_holds_nothing_personal():
    ticket = tickets.Ticket(key_id=1, member_id=12, serial=0, issued_on=date(2026, 1, 1))
    assert len(ticket.payload()) == 10


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**16 - 1), st.integers(0, 65535), st.integers(0, 255))
def test_round_trip(member_id, serial, days, key_id):
    from datetime import timedelta

    key = vector_key("round-trip")
    ticket = tickets.Ticket(key_id, member_id, serial, tickets.EPOCH + timedelta(days=days))
    assert tickets.verify(tickets.sign(ticket, key), {key_id: key.public_key()}) == ticket


def test_manual_codes():
    for _ in range(200):
        code = manual_codes.new_code()
        assert len(code) == 9 and manual_codes.normalise(manual_codes.display(code).lower()) == code
    code = manual_codes.new_code()
    for i in range(9):  # any single typo is caught
        for other in manual_codes.ALPHABET:
            if other != code[i]:
                assert manual_codes.normalise(code[:i] + other + code[i + 1 :]) is None
    assert manual_codes.normalise("too short") is None
    body = "01010101"
    code = body + manual_codes.luhn.calc_check_digit(body, alphabet=manual_codes.ALPHABET)
    assert manual_codes.normalise("OIOl-OIOI-" + code[-1]) == code  # O for 0, I and l for 1
