"""An enrolled phone checks member tickets offline with what it last downloaded: re-issued and revoked tickets,
and tickets of a withdrawn key, are refused offline once it refreshed; a rotation keeps older tickets valid."""

import time

from playwright.sync_api import expect

from server.domain.devices import create_enrolment
from server.domain.tickets import issue_ticket, revoke_ticket
from server.extensions import db
from server.models import Household, Point, Tier, User
from server.ticket_keys import create_key, withdraw_key

CHECK = """async (texts) => {
    const { checkTicket } = await import('/assets/trust.js');
    const results = [];
    for (const text of texts) {
        const result = await checkTicket(text);
        results.push(result.ok ? `ok:${result.ticket.memberId}:${result.ticket.serial}` : result.reason);
    }
    return results;
}"""
REFRESH = "async () => (await import('/assets/trust.js')).refreshTrust().then(() => 'done')"
REFRESHED_AT = "async () => (await import('/assets/trust.js')).trustRefreshedAt()"


def check(phone, texts: list[str]) -> list[str]:
    return phone.evaluate(CHECK, texts)


def refreshed_at(phone) -> str | None:
    return phone.evaluate(REFRESHED_AT)


def wait_for_refresh(phone, after: str | None) -> str:
    """Until the app has stored a refresh newer than ``after``; returns its time."""
    deadline = time.monotonic() + 10
    while (at := refreshed_at(phone)) == after or at is None:
        assert time.monotonic() < deadline, "the app did not refresh its ticket trust"
        phone.wait_for_timeout(100)
    return at


def reconnect(phone) -> None:
    """Back online: the app refreshes its trust by itself (its check on the ``online`` event)."""
    before = refreshed_at(phone)
    phone.context.set_offline(False)
    wait_for_refresh(phone, before)


def test_tickets_are_checked_offline_against_the_last_refresh(app, phone):
    with app.app_context():
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        tier = Tier(name="Tarif plein", share_percent=100)
        members = [Household(first_name=name, last_name="Martin", tier=tier, point=point) for name in "ABCD"]
        admin = User(email="admin@example.org", role="admin")
        db.session.add_all([point, admin, *members])
        db.session.flush()
        ticket_a, ticket_b, ticket_c = (issue_ticket(member) for member in members[:3])
        a, b, c, d = (member.id for member in members)
        _offer, token = create_enrolment(admin, "Téléphone du Luzard", [point])
        db.session.commit()

    phone.goto(f"/app/enrol#{token}")
    expect(phone.get_by_role("status").filter(has_text="Téléphone enregistré")).to_be_visible()
    # Opening the app online downloads the keys and the revocation list by itself.
    wait_for_refresh(phone, None)
    phone.context.set_offline(True)
    assert check(phone, [ticket_a, ticket_b, ticket_c, "NOT A TICKET"]) == [
        f"ok:{a}:0",
        f"ok:{b}:0",
        f"ok:{c}:0",
        "malformed",
    ]

    # While the phone is offline, a coordinator re-issues A's ticket and revokes B's; the network rotates its
    # key; D gets a ticket signed by the new key. The phone still trusts what it had and knows no new key.
    with app.app_context():
        ticket_a2 = issue_ticket(db.session.get(Household, a))
        revoke_ticket(db.session.get(Household, b))
        create_key()
        ticket_d = issue_ticket(db.session.get(Household, d))
        db.session.commit()
    assert check(phone, [ticket_a, ticket_b, ticket_d]) == [f"ok:{a}:0", f"ok:{b}:0", "unknown_key"]

    reconnect(phone)
    phone.context.set_offline(True)
    assert check(phone, [ticket_a, ticket_a2, ticket_b, ticket_c, ticket_d]) == [
        "revoked",
        f"ok:{a}:1",
        "revoked",
        f"ok:{c}:0",  # signed by the older key, which still verifies after the rotation
        f"ok:{d}:0",
    ]

    # The older key is withdrawn (its file leaked): every ticket it signed is refused after the next refresh.
    with app.app_context():
        withdraw_key(1)
        db.session.commit()
    phone.context.set_offline(False)
    assert phone.evaluate(REFRESH) == "done"  # the same refresh, called directly
    phone.context.set_offline(True)
    assert check(phone, [ticket_c, ticket_a2, ticket_d]) == ["unknown_key", "unknown_key", f"ok:{d}:0"]


def test_a_phone_that_never_refreshed_trusts_nothing(phone):
    phone.goto("/app/")
    assert phone.evaluate(REFRESHED_AT) is None
    phone.context.set_offline(True)
    assert check(phone, ["A" * 119]) == ["no_trust"]
