"""Member tickets and personal pages: issue, re-issue, revoke, render; the revocation list packs carry."""

import secrets
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from server.audit import record
from server.clock import today as today_in
from server.extensions import db
from server.models import Household, NetworkSettings
from server.ticket_keys import private_key, signing_key
from sync import manual_codes, tickets


def issue_ticket(household: Household, today: date | None = None) -> str:
    """Issue a member's first ticket, or re-issue it with the next serial, which revokes every older one.

    A new manual code comes with it (the old card's code stops matching). Returns the ticket's text.
    """
    key_id, key = signing_key()
    _issue(household, key_id, today or _network_today())
    db.session.flush()
    record("ticket.issue", target=f"household:{household.id}", serial=household.ticket_serial, key_id=key_id)
    return tickets.sign(_ticket(household), key)


def issue_missing_tickets(today: date | None = None) -> int:
    """A first ticket for every active member who has none (a new network, an import); one audit entry."""
    key_id, _key = signing_key()
    households = db.session.scalars(
        select(Household).where(Household.ticket_serial.is_(None), Household.status == "active")
    ).all()
    for household in households:
        _issue(household, key_id, today or _network_today())
    db.session.flush()
    record("ticket.issue_missing", count=len(households), key_id=key_id)
    return len(households)


def _issue(household: Household, key_id: int, today: date) -> None:
    serial = 0 if household.ticket_serial is None else household.ticket_serial + 1
    if serial > 0xFFFF:
        raise ValueError("no ticket serial left for this member")
    household.ticket_serial = serial
    household.ticket_min_serial = serial
    household.ticket_key_id = key_id
    household.ticket_issued_on = today
    household.manual_code = _unused_manual_code()
    if household.page_token is None:
        household.page_token = secrets.token_urlsafe(32)


def revoke_ticket(household: Household) -> None:
    """No ticket of this member is valid any more (lost card) until a new one is issued."""
    if household.ticket_serial is None:
        return
    household.ticket_min_serial = household.ticket_serial + 1
    household.manual_code = None
    db.session.flush()
    record("ticket.revoke", target=f"household:{household.id}", min_serial=household.ticket_min_serial)


def ticket_text(household: Household) -> str | None:
    """The current ticket's text (Ed25519 is deterministic: rendering it again gives the same QR code)."""
    if not has_valid_ticket(household):
        return None
    return tickets.sign(_ticket(household), private_key(household.ticket_key_id))


def has_valid_ticket(household: Household) -> bool:
    return household.ticket_serial is not None and household.ticket_serial >= household.ticket_min_serial


def rotate_page_token(household: Household) -> str:
    """A new personal page link; the old one stops working at once."""
    household.page_token = secrets.token_urlsafe(32)
    db.session.flush()
    record("member_page.rotate", target=f"household:{household.id}")
    return household.page_token


def member_by_page_token(token: str) -> Household | None:
    """The household whose personal page this is, or None (unknown or rotated token, or a member who left)."""
    if not 20 <= len(token) <= 64:
        return None
    household = db.session.scalar(select(Household).where(Household.page_token == token))
    if household is None or household.status == "left":
        return None
    return household


def revocation_list() -> dict[int, int]:
    """Member id → lowest valid serial, for every member who ever had a ticket revoked or re-issued."""
    rows = db.session.execute(select(Household.id, Household.ticket_min_serial).where(Household.ticket_min_serial > 0))
    return {member_id: min_serial for member_id, min_serial in rows}


def _ticket(household: Household) -> tickets.Ticket:
    return tickets.Ticket(
        key_id=household.ticket_key_id,
        member_id=household.id,
        serial=household.ticket_serial,
        issued_on=household.ticket_issued_on,
    )


def _unused_manual_code() -> str:
    while True:
        code = manual_codes.new_code()
        if db.session.scalar(select(Household.id).where(Household.manual_code == code)) is None:
            return code


def _network_today() -> date:
    return today_in(ZoneInfo(NetworkSettings.current().timezone))
