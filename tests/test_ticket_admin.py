"""Admin pages for tickets: issue, re-issue, revoke, rotate the personal link; printable cards by point and tier."""

import re

import pytest

from server.domain.tickets import issue_ticket, revocation_list, ticket_text
from server.extensions import db
from server.models import Household, Point, User
from server.ticket_keys import public_keys
from sync import tickets
from sync.manual_codes import display
from tests.factories import make_network
from tests.helpers import csrf_token, sign_in_user, statements_of

CARD = re.compile(r'<div class="card">')
SHEET = re.compile(r'<section class="sheet">')


@pytest.fixture
def network(app):
    with app.app_context():
        return make_network()


def ticket_page(client, household_id: int) -> str:
    page = client.get(f"/admin/members/{household_id}/ticket?lang=en")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def press(client, household_id: int, action: str) -> str:
    """Press a button of the ticket page as a browser would; returns the page it leads to."""
    token = csrf_token(ticket_page(client, household_id))
    response = client.post(f"/admin/members/{household_id}/{action}", data={"csrf_token": token})
    assert response.status_code == 302 and response.location.endswith(f"/admin/members/{household_id}/ticket")
    return ticket_page(client, household_id)


def household(app, household_id: int) -> Household:
    with app.app_context():
        found = db.session.get(Household, household_id)
        db.session.expunge(found)
        return found


def verify(app, text: str) -> tickets.Ticket:
    with app.app_context():
        return tickets.verify(text, public_keys(), revocation_list())


def test_issue_reissue_and_revoke_from_the_ticket_page(app, admin_client, network):
    assert "No ticket issued yet." in ticket_page(admin_client, network.alice)

    page = press(admin_client, network.alice, "ticket/issue")
    alice = household(app, network.alice)
    assert "Ticket issued." in page and "<svg" in page and display(alice.manual_code) in page
    with app.app_context():
        first = ticket_text(db.session.get(Household, network.alice))
    assert verify(app, first).member_id == network.alice

    page = press(admin_client, network.alice, "ticket/issue")
    assert "New ticket issued: the previous one no longer works." in page
    with app.app_context():
        second = ticket_text(db.session.get(Household, network.alice))
    assert verify(app, second).serial == 1
    with pytest.raises(tickets.TicketRefused) as refused:
        verify(app, first)
    assert refused.value.reason == "revoked"

    page = press(admin_client, network.alice, "ticket/revoke")
    assert "The ticket is revoked: issue a new one." in page and "<svg" not in page
    with pytest.raises(tickets.TicketRefused) as refused:
        verify(app, second)
    assert refused.value.reason == "revoked"


def test_a_suspended_member_gets_no_ticket(app, admin_client, network):
    page = press(admin_client, network.dina, "ticket/issue")
    assert "Only an active member can get a ticket." in page
    assert household(app, network.dina).ticket_serial is None


def test_rotating_the_personal_link(app, admin_client, network):
    press(admin_client, network.bruno, "ticket/issue")
    old = household(app, network.bruno).page_token
    assert f"/m/{old}" in ticket_page(admin_client, network.bruno)
    page = press(admin_client, network.bruno, "page-link/rotate")
    new = household(app, network.bruno).page_token
    assert new != old and f"/m/{new}" in page and f"/m/{old}" not in page
    assert admin_client.get(f"/m/{old}").status_code == 404
    assert admin_client.get(f"/m/{new}").status_code == 200


def test_the_member_form_links_to_the_ticket(admin_client, network):
    page = admin_client.get(f"/admin/members/{network.alice}/edit").get_data(as_text=True)
    assert f'href="/admin/members/{network.alice}/ticket"' in page


# Printable cards.


@pytest.fixture
def many(app, network):
    """Twelve more members at a second point with tickets, a coordinator of that point; the network's three active
    members with a point (Alice, Bruno, Chloé) get tickets too, and Chloé's is then revoked."""
    with app.app_context():
        other = Point(name="Ferme du Buisson", town="Noisiel")
        tier = db.session.get(Household, network.alice).tier
        members = [Household(first_name=f"M{i:02d}", last_name="Durand", tier=tier, point=other) for i in range(12)]
        coordinator = User(email="coord.b@example.org", role="coordinator", points=[other])
        db.session.add_all([other, coordinator, *members])
        db.session.flush()
        for member in [*members, *(db.session.get(Household, i) for i in (network.alice, network.bruno))]:
            issue_ticket(member)
        chloe = db.session.get(Household, network.chloe)
        issue_ticket(chloe)
        from server.domain.tickets import revoke_ticket

        revoke_ticket(chloe)
        db.session.commit()
        first_point = db.session.get(Household, network.alice).point_id
        return {"point_a": first_point, "point_b": other.id, "coordinator": coordinator.id}


def cards(client, query: str = "") -> str:
    page = client.get(f"/admin/cards/?lang=en{query}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_cards_by_point_and_tier(admin_client, network, many):
    assert not CARD.search(cards(admin_client))  # nothing until members are chosen
    page = cards(admin_client, f"&point={many['point_a']}")
    assert len(CARD.findall(page)) == 2 and "Alice Martin" in page and "Bruno Diallo" in page
    assert "Chloé" not in page  # revoked ticket: no card
    page = cards(admin_client, f"&point={many['point_a']}&tier={network.solidarity_tier}")
    assert len(CARD.findall(page)) == 1 and "Bruno Diallo" in page
    page = cards(admin_client, "&point=&tier=")
    assert len(CARD.findall(page)) == 14 and len(SHEET.findall(page)) == 2  # 10 cards a sheet
    assert "14 cards" in page and "data-print" in page


def test_a_card_holds_the_qr_name_code_and_point(app, admin_client, network, many):
    page = cards(admin_client, f"&point={many['point_a']}")
    alice = household(app, network.alice)
    (card,) = [chunk for chunk in page.split('<div class="card">')[1:] if "Alice Martin" in chunk]
    assert "<svg" in card and display(alice.manual_code) in card and "Maison de quartier du Luzard" in card


def test_a_coordinator_prints_only_their_points(app, client, network, many):
    sign_in_user(app, client, many["coordinator"])
    page = cards(client)
    assert "Ferme du Buisson" in page and "Maison de quartier du Luzard" not in page  # the point list
    page = cards(client, f"&point={many['point_a']}")  # another point's id: not theirs, so their own members
    assert "Alice Martin" not in page and len(CARD.findall(page)) == 12
    page = cards(client, f"&point={many['point_b']}&tier={network.full_tier}")
    assert len(CARD.findall(page)) == 12


@pytest.mark.parametrize("query", ["&point=abc", "&point=99999999999999999999", "&tier=-1", "&point=0"])
def test_cards_ignore_garbage(admin_client, many, query):
    assert len(CARD.findall(cards(admin_client, query))) == 14  # the filter is dropped, every member is shown


def test_cards_of_the_ticked_members_only(app, admin_client, client, network, many):
    page = cards(admin_client, f"&member={network.alice}&member={network.bruno}")
    assert len(CARD.findall(page)) == 2 and "Alice Martin" in page and "Bruno Diallo" in page
    assert page.count('name="member"') == 14  # the list to tick: every member with a ticket, on one page
    assert page.count("checked") == 2
    page = cards(admin_client, f"&member={network.chloe}&member=abc&member=0")  # revoked, not an id, not an id
    assert not CARD.search(page) and "0 cards" in page
    sign_in_user(app, client, many["coordinator"])
    page = cards(client, f"&member={network.alice}")  # another point's member
    assert not CARD.search(page) and 'name="member"' in page and "Alice" not in page


def test_too_long_a_list_asks_to_tick_or_narrow_it(app, admin_client, network, many, monkeypatch):
    monkeypatch.setattr("server.admin.tickets.CARDS_MAX", 5)
    page = cards(admin_client, "&point=&tier=")
    assert not CARD.search(page) and "This list holds 14 members: more than 5 cards" in page
    page = cards(admin_client, f"&point={many['point_a']}")
    assert len(CARD.findall(page)) == 2


def test_cards_search_ignores_accents_and_case(admin_client, network, many):
    """ "chloe", "CHLOÉ" and "diallo bruno" find the same people as their accented, ordered names."""
    page = cards(admin_client, "&q=bruno")
    assert "Bruno Diallo" in page
    for query in ("alice+martin", "ALICE", "martin+alice", "alicé"):
        assert "Alice Martin" in cards(admin_client, f"&q={query}"), query
    assert "Alice Martin" not in cards(admin_client, "&q=bruno")


def test_the_cards_take_the_same_statements_for_3_times_the_members(app, admin_client, network):
    """Cards of 10 or 30 members, ticked or by point: as many statements (no query per member), each card with its
    member's QR code drawn with the cards' mask."""
    from server.domain.tickets import issue_missing_tickets
    from server.qr import CARD_MASK, TICKET_VERSION, svg

    def point_of(count: int) -> tuple[int, list[int]]:
        with app.app_context():
            point = Point(name=f"Point de {count}", town="Torcy")
            tier = db.session.get(Household, network.alice).tier
            members = [
                Household(first_name=f"P{i:02d}", last_name="Carte", tier=tier, point=point) for i in range(count)
            ]
            db.session.add_all([point, *members])
            db.session.flush()
            issue_missing_tickets()
            db.session.commit()
            return point.id, [member.id for member in members]

    small, few = point_of(10)
    large, more = point_of(30)
    ticked = [
        statements_of(app, admin_client, "/admin/cards/?" + "&".join(f"member={m}" for m in ids)) for ids in (few, more)
    ]
    listed = [statements_of(app, admin_client, f"/admin/cards/?point={point}") for point in (small, large)]
    assert ticked[0] == ticked[1] and listed[0] == listed[1], (ticked, listed)
    page = cards(admin_client, f"&point={large}")
    assert len(CARD.findall(page)) == 30
    with app.app_context():
        member = db.session.get(Household, more[0])
        assert svg(ticket_text(member), CARD_MASK, TICKET_VERSION) in page


DECODE = """
import { readFileSync } from 'node:fs';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
const wasm = readFileSync('node_modules/zxing-wasm/dist/reader/zxing_reader.wasm');
const wasmBinary = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength);
prepareZXingModule({ overrides: { wasmBinary } });
const texts = [];
for (const path of process.argv.slice(1)) {
  const [found] = await readBarcodes(new Uint8Array(readFileSync(path)), { formats: ['QRCode'] });
  texts.push(found?.text ?? null);
}
console.log(JSON.stringify(texts));
"""


def test_the_cards_codes_decode_with_the_phones_reader(app, network, tmp_path):
    """The cards' codes (one mask for all, ``CARD_MASK``) read back as the tickets with zxing, the reader the
    phones use without a native BarcodeDetector (``pwa/src/qr-polyfill.js``)."""
    import json
    import subprocess
    from pathlib import Path

    from server.qr import CARD_MASK, TICKET_VERSION, png

    root = Path(__file__).resolve().parent.parent
    with app.app_context():
        tier = db.session.get(Household, network.alice).tier
        members = [Household(first_name=f"Q{i}", last_name="Lecture", tier=tier) for i in range(6)]
        db.session.add_all(members)
        db.session.flush()
        texts = [issue_ticket(member) for member in members]
        db.session.commit()
    paths = []
    for index, text in enumerate(texts):
        path = tmp_path / f"card-{index}.png"
        path.write_bytes(png(text, box_size=4, mask_pattern=CARD_MASK, qr_version=TICKET_VERSION))
        paths.append(str(path))
    decoded = subprocess.run(
        ["node", "--input-type=module", "-e", DECODE, *paths], cwd=root, capture_output=True, text=True, check=True
    )
    assert json.loads(decoded.stdout) == texts
