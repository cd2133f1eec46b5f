"""An enrolled phone checks member tickets offline with what it last downloaded: re-issued and revoked tickets,
and tickets of a withdrawn key, are refused offline once it refreshed; a rotation keeps older tickets valid."""

import json
import time
from datetime import timedelta

from playwright.sync_api import expect

from server.clock import utcnow
from server.domain.devices import create_enrolment
from server.domain.packs import distribution_pack
from server.domain.tickets import issue_ticket, revoke_ticket
from server.extensions import db
from server.models import Distribution, Household, Order, Point, Tier, User
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


PACK_CHECK = """async ([pack, texts]) => {
    const { buildIndex } = await import('/assets/packs.js');
    const index = buildIndex(pack);
    const results = [];
    for (const text of texts) {
        const result = await index.checkTicket(text);
        results.push(result.ok ? `ok:${result.member.id}` : `${result.reason}:${result.memberId ?? ''}`);
    }
    return results;
}"""


def test_a_card_revoked_elsewhere_is_refused_by_the_phone_s_own_list(app, phone, monkeypatch):
    """A pack carries only the revocations of its point and its expected members; a lost card of a member of
    another point is still refused as revoked, by the list the phone downloads page by page (``?since=``)."""
    monkeypatch.setattr("server.api.tickets.TRUST_PAGE", 2)  # the phone pages through them
    with app.app_context():
        north, south = Point(name="Maison de quartier du Luzard", town="Noisiel"), Point(name="École Sud", town="Torcy")
        tier = Tier(name="Tarif plein", share_percent=100)
        here = Household(first_name="Awa", last_name="Diallo", tier=tier, point=north)
        away = [Household(first_name=f"Sud{n}", last_name="Loin", tier=tier, point=south) for n in range(5)]
        starts = utcnow() + timedelta(days=1)
        day = Distribution(point=north, starts_at=starts, ends_at=starts + timedelta(hours=2))
        admin = User(email="admin@example.org", role="admin")
        db.session.add_all(
            [north, south, here, *away, day, admin, Order(distribution=day, household=here, share_percent=100)]
        )
        db.session.flush()
        ticket_here = issue_ticket(here)
        lost = [issue_ticket(household) for household in away]
        for household in away:
            issue_ticket(household)  # a new card: the lost one is revoked
        pack = json.loads(distribution_pack(day).body)
        _offer, token = create_enrolment(admin, "Téléphone du Luzard", [north])
        db.session.commit()
        away_ids, here_id, tier_id, south_id = [household.id for household in away], here.id, tier.id, south.id
    assert pack["tickets"]["min_serials"] == {}  # nobody of this point or expected here lost a card

    phone.goto(f"/app/enrol#{token}")
    expect(phone.get_by_role("status").filter(has_text="Téléphone enregistré")).to_be_visible()
    wait_for_refresh(phone, None)
    phone.evaluate("async () => { await import('/assets/packs.js'); await import('/assets/store.js'); }")  # online
    phone.context.set_offline(True)
    assert phone.evaluate(PACK_CHECK, [pack, [ticket_here, *lost]]) == [
        f"ok:{here_id}",
        *(f"revoked:{member_id}" for member_id in away_ids),
    ]
    trust = phone.evaluate("async () => (await import('/assets/store.js')).getMeta('ticketTrust')")
    assert trust["min_serials"] == {str(member_id): 1 for member_id in away_ids}

    # One more lost card elsewhere: the next refresh asks only for what changed since the cursor it kept.
    with app.app_context():
        late = Household(first_name="Tardif", last_name="Loin", tier_id=tier_id, point_id=south_id)
        db.session.add(late)
        db.session.flush()
        lost_late = issue_ticket(late)
        issue_ticket(late)
        db.session.commit()
        late_id = late.id
    asked: list[str] = []
    phone.on("request", lambda request: asked.append(request.url) if "/tickets/trust" in request.url else None)
    reconnect(phone)
    assert len(asked) == 1 and f"since={trust['cursor']}" in asked[0]
    phone.context.set_offline(True)
    assert phone.evaluate(PACK_CHECK, [pack, [lost_late]]) == [f"revoked:{late_id}"]
