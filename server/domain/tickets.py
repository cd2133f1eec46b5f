"""Member tickets and personal pages: issue, re-issue, revoke, render; the revocations phones download.

Every rise of a member's ``ticket_min_serial`` (a re-issue, a revocation) takes the next ``ticket_revision``, under
a lock held until commit, so revisions become visible in order: a phone that downloaded the revocations up to a
revision (``revocations_since``) never misses one committed later with a lower revision (docs/tickets.md).
"""

import secrets
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

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
    if serial > household.ticket_min_serial:  # a re-issue: the older tickets are revoked
        _raise_min_serial(household, serial)
    household.ticket_key_id = key_id
    household.ticket_issued_on = today
    household.manual_code = _unused_manual_code()
    if household.page_token is None:
        household.page_token = secrets.token_urlsafe(32)


def revoke_ticket(household: Household) -> None:
    """No ticket of this member is valid any more (lost card) until a new one is issued."""
    if household.ticket_serial is None:
        return
    _raise_min_serial(household, household.ticket_serial + 1)
    household.manual_code = None
    db.session.flush()
    record("ticket.revoke", target=f"household:{household.id}", min_serial=household.ticket_min_serial)


def ticket_text(household: Household) -> str | None:
    """The current ticket's text (Ed25519 is deterministic: rendering it again gives the same QR code)."""
    if not has_valid_ticket(household):
        return None
    return tickets.sign(_ticket(household), private_key(household.ticket_key_id))


def ticket_texts(households: list[Household]) -> dict[int, str]:
    """Household id → its current ticket's text, for members with a valid ticket: ``ticket_text`` for many, each
    signing key read from its file once."""
    keys = {}
    texts = {}
    for household in households:
        if has_valid_ticket(household):
            key_id = household.ticket_key_id
            if key_id not in keys:
                keys[key_id] = private_key(key_id)
            texts[household.id] = tickets.sign(_ticket(household), keys[key_id])
    return texts


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


# Revocations: what phones download.

# pg_advisory_xact_lock takes one 64-bit key, shared by the whole database: this one orders ticket revisions.
REVISION_LOCK_KEY = 0x436F6D70_54724576  # "Comp" "TrEv"


def _raise_min_serial(household: Household, min_serial: int) -> None:
    """Revoke the member's tickets below ``min_serial`` and give the change the next revision (the caller commits,
    which releases the lock)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REVISION_LOCK_KEY})
    else:  # SQLite has one writer at a time: a write that changes nothing makes this transaction the writer
        db.session.execute(text("UPDATE households SET ticket_revision = ticket_revision WHERE 0 = 1"))
    latest = db.session.scalar(select(func.max(Household.ticket_revision)))  # the unique index's last entry
    household.ticket_min_serial = min_serial
    household.ticket_revision = (latest or 0) + 1


def revocations_since(revision: int, limit: int) -> tuple[dict[int, int], int, bool]:
    """The members whose lowest valid serial rose after ``revision``, oldest change first, at most ``limit``:
    (member id → lowest valid serial, the revision to ask from next, whether there are more). One indexed read."""
    rows = db.session.execute(
        select(Household.id, Household.ticket_min_serial, Household.ticket_revision)
        .where(Household.ticket_revision > revision)
        .order_by(Household.ticket_revision)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {member_id: min_serial for member_id, min_serial, _r in rows}, (rows[-1][2] if rows else revision), more


def latest_revision() -> int:
    return db.session.scalar(select(func.max(Household.ticket_revision))) or 0


def revocation_list() -> dict[int, int]:
    """Member id → lowest valid serial, for every member who ever had a ticket revoked or re-issued: the whole
    network, for the command line and tests only (requests read a page, ``revocations_since``, or a pack's part)."""
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
