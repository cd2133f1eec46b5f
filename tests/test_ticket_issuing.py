"""Issuing, re-issuing and revoking tickets on the server; keys on disk; the revocation list."""

import os

import pytest
from sqlalchemy import select

from server.domain.tickets import has_valid_ticket, issue_ticket, revocation_list, revoke_ticket, ticket_text
from server.extensions import db
from server.models import Household, TicketKey, Tier
from server.sealed import SealedError
from server.ticket_keys import TicketKeyError, create_key, private_key, public_keys, withdraw_key
from sync import tickets


@pytest.fixture
def household(app):
    with app.app_context():
        tier = Tier(name="Tarif plein", share_percent=100)
        member = Household(first_name="Awa", last_name="Diallo", tier=tier)
        db.session.add(member)
        db.session.commit()
        yield member


def test_first_ticket_creates_the_key_sealed_in_the_database_and_verifies(app, household):
    text = issue_ticket(household)
    assert not os.path.exists(os.path.join(app.instance_path, "ticket_keys"))  # nothing in this server's folder
    sealed = db.session.scalar(select(TicketKey.sealed_private_key).where(TicketKey.id == 1))
    assert sealed.startswith("v1.") and "PRIVATE" not in sealed
    ticket = tickets.verify(text, public_keys(), revocation_list())
    assert (ticket.member_id, ticket.serial, ticket.key_id) == (household.id, 0, 1)
    assert ticket_text(household) == text  # rendered again, the same QR code
    assert household.manual_code and household.page_token


def test_a_sealed_key_moved_onto_another_row_does_not_open(app, household):
    issue_ticket(household)
    create_key()
    first, second = (db.session.get(TicketKey, key_id) for key_id in (1, 2))
    first.sealed_private_key = second.sealed_private_key
    db.session.flush()
    with pytest.raises(SealedError, match="the ticket key 1 in the database does not open"):
        private_key(1)


def test_a_key_file_left_by_another_database_is_kept_apart(app, household):
    directory = os.path.join(app.instance_path, "ticket_keys")
    os.makedirs(directory, exist_ok=True)
    stale = os.path.join(directory, "1-0000000000000000.pem")
    with open(stale, "wb") as f:
        f.write(b"left by an older database")
    text = issue_ticket(household)
    assert tickets.verify(text, public_keys(), revocation_list()).key_id == 1
    with open(stale, "rb") as f:
        assert f.read() == b"left by an older database"
    assert os.listdir(directory) == ["1-0000000000000000.pem"]


def test_reissue_revokes_the_older_ticket(app, household):
    first = issue_ticket(household)
    first_code = household.manual_code
    second = issue_ticket(household)
    assert household.manual_code != first_code
    with pytest.raises(tickets.TicketRefused) as refused:
        tickets.verify(first, public_keys(), revocation_list())
    assert refused.value.reason == "revoked"
    assert tickets.verify(second, public_keys(), revocation_list()).serial == 1


def test_revoke_then_reissue(app, household):
    text = issue_ticket(household)
    revoke_ticket(household)
    assert not has_valid_ticket(household) and ticket_text(household) is None
    with pytest.raises(tickets.TicketRefused):
        tickets.verify(text, public_keys(), revocation_list())
    fresh = issue_ticket(household)
    assert tickets.verify(fresh, public_keys(), revocation_list()).serial == 1


def test_rotation_keeps_old_tickets_valid_and_withdrawal_ends_them(app, household):
    old = issue_ticket(household)
    other = Household(first_name="Li", last_name="Wang", tier=household.tier)
    db.session.add(other)
    db.session.flush()
    create_key()
    new = issue_ticket(other)
    assert tickets.verify(new, public_keys()).key_id == 2
    assert tickets.verify(old, public_keys()).key_id == 1  # cards already printed still work
    withdraw_key(1)
    with pytest.raises(tickets.TicketRefused) as refused:
        tickets.verify(old, public_keys())
    assert refused.value.reason == "unknown_key"
    with pytest.raises(TicketKeyError):
        withdraw_key(1)


def test_each_rise_of_the_lowest_serial_takes_the_next_revision(app, household):
    """Revisions order the revocations phones download (``revocations_since``); a first ticket, or a new ticket
    after a revocation (the lowest serial does not rise), takes none."""
    from server.domain.tickets import revocations_since

    other = Household(first_name="Bruno", last_name="Martin", tier=household.tier)
    db.session.add(other)
    issue_ticket(household)
    issue_ticket(other)
    assert (household.ticket_revision, other.ticket_revision) == (None, None)
    revoke_ticket(household)
    issue_ticket(other)  # a re-issue revokes the older ticket
    first, second = household.ticket_revision, other.ticket_revision
    assert first is not None and second == first + 1
    issue_ticket(household)  # after the revocation: the lowest serial is already this one
    assert household.ticket_revision == first
    db.session.commit()
    assert revocations_since(0, 10) == ({household.id: 1, other.id: 1}, second, False)
    assert revocations_since(0, 1) == ({household.id: 1}, first, True)
    assert revocations_since(first, 10) == ({other.id: 1}, second, False)
    assert revocations_since(second, 10) == ({}, second, False)
