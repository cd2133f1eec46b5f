"""The volunteer app's screens in real Chromium at phone size (360×640), against the real server and database: a
phone enrolled from its link, a volunteer signed in with a passkey (virtual authenticator) and a PIN, the day's
distribution downloaded, then each flow of the day driven by role and accessible name, as a volunteer would with
one thumb: manual code, search by name, hand-over (all, partial, refused) with its payment in one confirmation,
a revoked ticket read by the (fake) camera, undo, the lists, the cash box, sync, the language switch, and a new
version that waits for the scan in progress.

What the screen confirms is checked against IndexedDB through the app's own modules (`/assets/store.js`), and what
reaches the server against its database."""

import re
import subprocess
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.domain.devices import create_enrolment
from server.extensions import db
from server.models import (
    Point,
    SyncedEvent,
    User,
)
from sync import manual_codes
from sync.chain import check_chain, event_hash
from sync.events import parse_event
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist, world)
from tests.browser.shell import ROOT, camera_phone, precache, qr_image, wait_for, wait_for_worker, write_y4m
from tests.browser.webauthn import add_virtual_authenticator, register_passkey
from tests.factories.volunteer_app import POINT
from tests.factories.volunteer_app import VolunteerAppWorld as World
from tests.phones import enrol_phone

PIN = "2468"


# The shared fixtures (tests/browser/phone_fixtures.py): SQLite for the screens' tests (the one that syncs to the
# server runs on both backends, parametrized), a private copy of pwa/dist, the four-member world.


# Helpers


def assert_made_for_one_hand(page: Page) -> None:
    """Every visible control is a large touch target with a name, and nothing overflows a 360 px screen."""
    for control in page.locator("button, input:not([type=radio]):not([type=checkbox]), summary, .choice").all():
        if not control.is_visible():
            continue
        box = control.bounding_box()
        what = control.evaluate("(e) => e.outerHTML.slice(0, 120)")
        assert box["height"] >= 48 and box["width"] >= 48, (what, box)
        if control.evaluate("(e) => e.tagName") == "BUTTON":
            assert control.text_content().strip() or control.get_attribute("aria-label"), what
    overflow = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(overflow) <= 360, overflow


def start_day(app, page: Page, world: World, *, download: bool = True, name: str = "Téléphone du Luzard") -> None:
    """Enrol the phone (as ``name``) from its link, sign Victor in with his passkey and a PIN, download and open the
    day's distribution: what a volunteer does before leaving, online."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        if admin is None:
            admin = User(email="admin@example.org", role="admin")
            db.session.add(admin)
        _offer, token = create_enrolment(admin, name, [db.session.get(Point, point_id(app))])
        db.session.commit()
    page.goto(f"/app/enrol#{token}")
    expect(page.get_by_role("status").filter(has_text="Téléphone enregistré")).to_be_visible()
    add_virtual_authenticator(page)
    register_passkey(app, page, "victor@example.org")
    page.get_by_role("button", name="Se connecter avec ma clé d’accès").click()
    page.get_by_label("Code (4 à 6 chiffres)").fill(PIN)
    page.get_by_label("Confirmer le code").fill(PIN)
    page.get_by_role("button", name="Se connecter avec ma clé d’accès").click()
    expect(page.get_by_role("heading", name="Bénévole : Victor")).to_be_visible()
    # The test reads the outbox through the app's store module (not precached as an entry of its own): load it now,
    # online; later imports come from the page's module map, offline too.
    page.evaluate("async () => { await import('/assets/store.js'); }")
    if not download:
        return
    distributions = page.get_by_role("list", name="Aujourd’hui")
    expect(distributions).to_contain_text("Pas encore téléchargée sur ce téléphone.")
    page.get_by_role("button", name=f"Télécharger : {POINT}").click()
    expect(page.get_by_role("status").filter(has_text=f"Distribution {POINT} téléchargée")).to_be_visible()
    expect(distributions).to_contain_text(re.compile(r"Téléchargée maintenant · 4 adhérents"))
    page.get_by_role("button", name=f"Ouvrir : {POINT}").click()
    expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()


def point_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Point.id).where(Point.name == POINT))


def outbox(page: Page) -> list[dict[str, Any]]:
    """The events waiting in the phone's outbox, oldest first, read through the app's own store module."""
    return page.evaluate(
        """async () => {
            const store = await import('/assets/store.js');
            const db = await store.database();
            return (await db.getAllFromIndex('outbox', 'order')).map((entry) => entry.event);
        }"""
    )


def open_by_code(page: Page, code: str) -> None:
    page.get_by_role("button", name="Scanner", exact=True).click()
    page.get_by_label("Code manuel").fill(code)
    page.get_by_role("button", name="Chercher le code").click()


def listed(name: str) -> re.Pattern:
    """The member ``name`` ("Élodie M.", as the pack's short name reads) as a result, a list entry or the member
    screen names them: in full ("Élodie Martin")."""
    first, initial = name.rsplit(" ", 1)
    return re.compile(rf"^{re.escape(first)} {re.escape(initial[0])}")


def open_by_name(page: Page, typed: str, name: str) -> None:
    page.get_by_role("button", name="Scanner", exact=True).click()
    page.get_by_label("Rechercher par nom").fill(typed)
    page.get_by_role("list", name="Résultats de la recherche").get_by_role("button", name=listed(name)).click()
    expect(page.get_by_role("heading", name=listed(name), level=1)).to_be_visible()


# When the screen says "Enregistré", every write to the outbox has already committed: a spy on IndexedDB records
# when each read-write transaction on the outbox completes, and an observer when the confirmation appears.
SPY = """() => {
    window.commits = [];
    window.confirmedAt = null;
    const transaction = IDBDatabase.prototype.transaction;
    IDBDatabase.prototype.transaction = function (stores, mode, ...rest) {
        const tx = transaction.call(this, stores, mode, ...rest);
        if (mode === 'readwrite' && [].concat(stores).includes('outbox')) {
            tx.addEventListener('complete', () => window.commits.push(performance.now()));
        }
        return tx;
    };
    const message = document.getElementById('message');
    new MutationObserver(() => {
        if (window.confirmedAt === null && message.textContent.startsWith('Enregistré')) {
            window.confirmedAt = performance.now();
        }
    }).observe(message, { childList: true, characterData: true, subtree: true });
}"""


# The day


def test_download_then_hand_over_all_with_cash_and_change(app, phone, world):
    start_day(app, phone, world)
    assert_made_for_one_hand(phone)
    phone.context.set_offline(True)  # at the point

    # The manual code, typed as read aloud (lower case, with dashes).
    open_by_code(phone, manual_codes.display(world.codes["Élodie M."]).lower())
    expect(phone.get_by_role("heading", name="Élodie Martin", level=1)).to_be_visible()
    expect(phone.get_by_text("Tarif solidaire")).to_have_count(0)  # no tier at the counter
    basket = phone.get_by_role("region", name="À remettre")
    expect(basket).to_contain_text("1 × Panier de légumes M")
    expect(basket).to_contain_text("2 × Œufs plein air ×6")
    expect(phone.locator("#to-collect")).to_have_text("14,28 €")
    expect(phone.get_by_text("Compte prépayé : 5,00 € · Allocation solidaire : 4,00 €")).to_be_visible()
    assert_made_for_one_hand(phone)
    phone.get_by_text("Autre paiement").click()
    expect(phone.locator("#due-amount")).to_have_text("14,28 €")
    assert_made_for_one_hand(phone)

    # Cash: the rest in cash, 20 € handed over, the change computed.
    phone.get_by_role("button", name="Le reste en espèces").click()
    expect(phone.get_by_label("Montant en espèces")).to_have_value("14,28")
    phone.get_by_label("Somme donnée en espèces").fill("20")
    expect(phone.locator("#pay-change")).to_have_text("Monnaie à rendre : 5,72 €")
    expect(phone.locator("#pay-summary")).to_have_text("Payé : 14,28 € · reste à payer : 0,00 €")

    phone.evaluate(SPY)
    phone.get_by_role("button", name="Valider la remise").click()
    confirmation = "Enregistré : Élodie Martin — tout remis, payé : 14,28 €, monnaie à rendre : 5,72 €."
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_have_text(confirmation)
    commits, confirmed = phone.evaluate("[window.commits, window.confirmedAt]")
    # The hand-over and its payment: one transaction, committed before the screen said so.
    assert len(commits) == 1 and confirmed is not None and commits[0] <= confirmed, (commits, confirmed)
    handover, payment = outbox(phone)
    assert handover["type"] == "handover" and handover["payload"] == {
        "order_id": world.orders["Élodie M."],
        "outcome": "all",
        "lines": [],
        "substitution_note": None,
    }
    assert payment["type"] == "payment" and payment["payload"] == {
        "order_id": world.orders["Élodie M."],
        "household_id": None,
        "amount_cents": 1428,
        "method": "cash",
        "method_details": None,
        "from_prepaid_cents": 0,
        "from_allowance_cents": 0,
        "solidarity_cents": 612,
    }
    assert handover["distribution_id"] == payment["distribution_id"] == world.distribution

    # Back on the scan screen; the sync bar counts what waits; the same member again is LOUD.
    expect(phone.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
    expect(phone.locator("#sync-text")).to_contain_text("1 à envoyer")  # the hand-over and its payment: one
    expect(phone.get_by_text(re.compile(r"Dernière action : remise à Élodie Martin \(tout remis\)"))).to_be_visible()
    open_by_name(phone, "elo", "Élodie M.")
    expect(phone.get_by_role("region", name="Déjà remis par ce téléphone")).to_be_visible()
    expect(phone.get_by_role("button", name="Valider la remise")).to_be_hidden()
    assert_made_for_one_hand(phone)
    phone.get_by_role("button", name="Fermer", exact=True).click()
    expect(phone.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()


# A store left inconsistent: an entry already holds the recording number the confirmation's second event takes, so
# writing that event fails (ConstraintError on the outbox's unique `order` index) inside the transaction.
BREAK_OUTBOX = """async (distribution) => {
    const db = await (await import('/assets/store.js')).database();
    const order = ((await db.get('meta', 'outboxCounter')) ?? 0) + 2;
    await db.put('outbox', {id: 'stray', distributionId: 0, order, event: null, hash: null, recordedAt: null});
}"""


def idb_state(page: Page, distribution: int) -> dict[str, Any]:
    """The phone's chain end for ``distribution``, its recording counter and the outbox's entries."""
    return page.evaluate(
        """async (distribution) => {
            const db = await (await import('/assets/store.js')).database();
            return {
                chain: (await db.get('chains', distribution)) ?? null,
                counter: (await db.get('meta', 'outboxCounter')) ?? null,
                outbox: await db.getAllFromIndex('outbox', 'order'),
            };
        }""",
        distribution,
    )


def test_a_confirmation_is_recorded_whole_or_not_at_all_and_never_with_a_nul(app, phone, world):
    """A hand-over paid with two cheques is three events: when writing the second one fails, nothing of the
    confirmation is kept and the screen says nothing was recorded; confirmed again, the three are written in one
    transaction as one unbroken piece of the chain. A NUL typed in the note or a cheque number is never recorded."""
    start_day(app, phone, world)
    phone.context.set_offline(True)
    open_by_name(phone, "awa", "Awa D.")
    phone.get_by_text("Remise partielle, remplacement ou refus").click()
    phone.get_by_label("Remplacement (facultatif)").fill("Pommes\u0000 bio")
    phone.get_by_text("Autre paiement").click()
    phone.get_by_label("Montant par chèque", exact=True).fill("10")
    phone.get_by_label("Numéro du chèque", exact=True).fill("000\u00001234")
    phone.get_by_role("button", name="Ajouter un chèque").click()
    phone.get_by_role("button", name="Le reste par chèque").nth(1).click()
    expect(phone.get_by_label("Montant du chèque n° 2")).to_have_value("10,40")
    phone.get_by_label("Numéro du chèque n° 2").fill("0005678")
    assert "\x00" in phone.get_by_label("Remplacement (facultatif)").input_value()
    assert "\x00" in phone.get_by_label("Numéro du chèque", exact=True).input_value()

    phone.evaluate(BREAK_OUTBOX)
    before = idb_state(phone, world.distribution)
    phone.get_by_role("button", name="Valider la remise").click()
    expect(phone.locator("#member-error")).to_contain_text("Rien n’a été enregistré")
    after = idb_state(phone, world.distribution)
    assert after == before and after["chain"] is None, after  # not the hand-over, not the first cheque
    assert [entry["id"] for entry in after["outbox"]] == ["stray"]
    expect(phone.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()

    phone.evaluate("async () => (await (await import('/assets/store.js')).database()).delete('outbox', 'stray')")
    phone.evaluate(SPY)
    phone.get_by_role("button", name="Valider la remise").click()
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_have_text(
        "Enregistré : Awa Diallo — tout remis, payé : 20,40 €."
    )
    commits, confirmed = phone.evaluate("[window.commits, window.confirmedAt]")
    assert len(commits) == 1 and confirmed is not None and commits[0] <= confirmed, (commits, confirmed)
    state = idb_state(phone, world.distribution)
    entries = state["outbox"]
    assert [entry["event"]["type"] for entry in entries] == ["handover", "payment", "payment"]
    assert [entry["order"] for entry in entries] == [1, 2, 3] and state["counter"] == 3
    assert [entry["event"]["seq"] for entry in entries] == [1, 2, 3]
    assert [entry["event"]["prev_hash"] for entry in entries] == [None, entries[0]["hash"], entries[1]["hash"]]
    assert state["chain"]["seq"] == 3 and state["chain"]["prevHash"] == entries[2]["hash"]
    events = [parse_event(entry["event"]) for entry in entries]
    assert check_chain(events) == [] and [event_hash(e) for e in events] == [entry["hash"] for entry in entries]
    handover, first, second = (entry["event"]["payload"] for entry in entries)
    assert handover["substitution_note"] == "Pommes bio"
    assert (first["method_details"], first["amount_cents"]) == ("0001234", 1000)
    assert (second["method_details"], second["amount_cents"]) == ("0005678", 1040)

    # Online, the server takes the three events.
    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    with app.app_context():
        stored = db.session.scalars(select(SyncedEvent).order_by(SyncedEvent.position)).all()
        assert [event.event_id for event in stored] == [entry["id"] for entry in entries]


def test_partial_and_refused_hand_overs_lists_and_undo(app, phone, world):
    start_day(app, phone, world)
    phone.context.set_offline(True)

    # Awa takes her basket and one box of eggs out of two; apples instead; paid by card.
    open_by_name(phone, "awa", "Awa D.")
    phone.get_by_text("Remise partielle, remplacement ou refus").click()
    phone.get_by_role("radio", name="En partie").check()
    phone.get_by_label("Quantité remise : Œufs plein air ×6").fill("1")
    expect(phone.locator("#due-amount")).to_have_text("17,70 €")  # 15,00 € + 1 × 2,70 € at the full tier
    phone.get_by_label("Remplacement (facultatif)").fill("Pommes à la place d’une boîte d’œufs")
    phone.get_by_role("button", name="Le reste par carte").click()
    phone.get_by_label("Référence du terminal de carte").fill("TPE-0042")
    assert_made_for_one_hand(phone)
    phone.get_by_role("button", name="Valider la remise").click()
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_have_text(
        "Enregistré : Awa Diallo — remis en partie, payé : 17,70 €."
    )
    handover, payment = outbox(phone)
    assert handover["payload"] == {
        "order_id": world.orders["Awa D."],
        "outcome": "partial",
        "lines": [
            {"product_id": world.basket, "quantity_received": 1},
            {"product_id": world.eggs, "quantity_received": 1},
        ],
        "substitution_note": "Pommes à la place d’une boîte d’œufs",
    }
    assert payment["payload"]["amount_cents"] == 1770 and payment["payload"]["method"] == "card"
    assert payment["payload"]["method_details"] == "TPE-0042"
    assert payment["payload"]["solidarity_cents"] == 0  # tarif plein

    # Jean-Luc refuses his basket: no payment asked.
    open_by_code(phone, world.codes["Jean-Luc N."])
    phone.get_by_text("Remise partielle, remplacement ou refus").click()
    phone.get_by_role("radio", name="Refusé : rien remis").check()
    expect(phone.get_by_role("group", name="Paiement")).to_be_hidden()
    phone.get_by_role("button", name="Valider la remise").click()
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_have_text(
        "Enregistré : Jean-Luc Ngô — refusé."
    )
    assert outbox(phone)[-1]["payload"]["outcome"] == "refused"

    # The lists: Awa collected (partly); Élodie, Elouan and Jean-Luc (who refused) not yet.
    phone.get_by_role("button", name="Listes").click()
    expect(phone.get_by_role("heading", name="Listes")).to_be_visible()
    expect(phone.locator("#lists-summary")).to_have_text("1 remis · 3 pas encore remis · 4 paniers")
    waiting = phone.get_by_role("list", name="Pas encore remis")
    expect(waiting.get_by_role("button")).to_have_count(3)
    expect(waiting.get_by_role("button", name=listed("Jean-Luc N."))).to_contain_text("a refusé")
    assert_made_for_one_hand(phone)
    phone.get_by_role("button", name="Remis (1)").click()
    done = phone.get_by_role("list", name="Remis")
    expect(done.get_by_role("button")).to_have_count(1)
    expect(done.get_by_role("button", name=listed("Awa D."))).to_contain_text("remis en partie")

    # Undo the last action (Jean-Luc's refusal), then the one before (Awa's hand-over and payment).
    phone.get_by_role("button", name="Annuler la dernière action").click()
    dialog = phone.get_by_role("dialog", name="Annuler cette action ?")
    expect(dialog).to_contain_text("remise à Jean-Luc Ngô (refusé)")
    dialog.get_by_role("button", name="Oui, annuler").click()
    expect(phone.get_by_role("status").filter(has_text="Annulé")).to_contain_text("Annulé : remise à Jean-Luc Ngô")
    events = outbox(phone)
    assert events[-1]["type"] == "void" and events[-1]["payload"]["event_id"] == events[2]["id"]
    phone.get_by_role("button", name="Annuler la dernière action").click()
    dialog.get_by_role("button", name="Oui, annuler").click()
    expect(phone.locator("#lists-summary")).to_have_text("0 remis · 4 pas encore remis · 4 paniers")
    voided = [event["payload"]["event_id"] for event in outbox(phone)[-2:]]
    assert voided == [events[1]["id"], events[0]["id"]]  # the payment, then the hand-over: newest first
    expect(phone.get_by_role("button", name="Pas encore remis (4)")).to_be_visible()


def test_collected_by_another_phone_shows_once_synced(app, phone, world):
    start_day(app, phone, world)
    with app.app_context():
        victor = db.session.scalar(select(User.id).where(User.email == "victor@example.org"))
    other = enrol_phone(app, [point_id(app)], victor, name="Téléphone de Sami")
    handover = other.record("handover", {"order_id": world.orders["Elouan B."], "outcome": "all"}, world.distribution)
    assert other.push([handover]).status_code == 200

    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.get_by_role("status").filter(has_text="des autres téléphones")).to_contain_text("1 reçu des autres")
    open_by_name(phone, "elouan", "Elouan B.")
    expect(phone.get_by_role("region", name="Déjà remis par un autre téléphone")).to_be_visible()
    expect(phone.get_by_role("button", name="Tout remis · payé en espèces")).to_be_hidden()
    phone.get_by_role("button", name="Remettre quand même (sera signalé)").click()
    expect(phone.get_by_role("alert").filter(has_text="DÉJÀ REMIS par un autre téléphone")).to_be_visible()
    expect(phone.get_by_role("button", name="Tout remis · payé en espèces")).to_be_visible()
    phone.get_by_role("button", name="Listes").click()
    phone.get_by_role("button", name="Remis (1)").click()
    expect(phone.get_by_role("list", name="Remis").get_by_role("button", name=listed("Elouan B."))).to_contain_text(
        "autre téléphone"
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_split_payment_cheque_prepaid_allowance_then_sync(app, phone, world, backend):
    start_day(app, phone, world)
    phone.context.set_offline(True)
    open_by_name(phone, "élodie", "Élodie M.")
    phone.get_by_text("Autre paiement").click()

    phone.get_by_label("Montant du compte prépayé").fill("6")
    phone.get_by_label("Montant de l’allocation solidaire").fill("4")
    phone.get_by_role("button", name="Le reste par chèque").click()
    expect(phone.get_by_label("Montant par chèque", exact=True)).to_have_value("4,28")
    phone.get_by_role("button", name="Valider la remise").click()
    # Each error next to its field, tied to it.
    number = phone.get_by_label("Numéro du chèque", exact=True)
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(phone.locator(f"#{number.get_attribute('aria-describedby')}")).to_have_text("Le numéro du chèque manque.")
    prepaid = phone.get_by_label("Montant du compte prépayé")
    expect(phone.locator(f"#{prepaid.get_attribute('aria-describedby')}")).to_have_text(
        "Le compte prépayé n’a que 5,00 € de disponible."
    )
    assert outbox(phone) == []  # nothing recorded on a refused form

    phone.get_by_label("Montant du compte prépayé").fill("5")
    phone.get_by_role("button", name="Le reste par chèque").click()
    expect(phone.get_by_label("Montant par chèque", exact=True)).to_have_value("5,28")
    phone.get_by_label("Numéro du chèque", exact=True).fill("0001234")
    phone.get_by_role("button", name="Valider la remise").click()
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_have_text(
        "Enregistré : Élodie Martin — tout remis, payé : 14,28 €."
    )
    handover, payment = outbox(phone)
    assert payment["payload"] == {
        "order_id": world.orders["Élodie M."],
        "household_id": None,
        "amount_cents": 1428,
        "method": "cheque",
        "method_details": "0001234",
        "from_prepaid_cents": 500,
        "from_allowance_cents": 400,
        "solidarity_cents": 612,
    }

    # Offline, "Envoyer" says why in plain words; online, the server gets both events.
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.get_by_role("alert").filter(has_text="Hors connexion")).to_contain_text(
        "rien n’est perdu, l’envoi se fera tout seul"
    )
    expect(phone.locator("#sync-text")).to_contain_text("1 à envoyer")  # the hand-over and its payment: one
    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    expect(phone.locator("#sync-details")).to_contain_text(re.compile(r"Dernier envoi réussi : \d\d:\d\d"))
    expect(phone.locator("#sync-error")).to_be_hidden()
    assert outbox(phone) == []
    with app.app_context():
        stored = db.session.scalars(select(SyncedEvent).order_by(SyncedEvent.position)).all()
        assert [event.event_id for event in stored] == [handover["id"], payment["id"]]
        assert [event.type for event in stored] == ["handover", "payment"]
        assert stored[1].payload == payment["payload"]


def test_a_revoked_ticket_read_by_the_camera_is_refused_loudly_and_recorded(app, browser, live_server, tmp_path, world):
    video = write_y4m(tmp_path / "revoked.y4m", [qr_image(world.revoked_ticket)])
    with camera_phone(browser, live_server, video) as page:
        start_day(app, page, world)
        page.context.set_offline(True)
        page.get_by_role("button", name="Allumer la caméra").click()
        expect(page.get_by_role("heading", name="Ticket refusé")).to_be_visible(timeout=15000)
        expect(page.get_by_role("alert").filter(has_text="Ticket révoqué.")).to_contain_text(
            "demandez la nouvelle carte ou cherchez la personne par son nom"
        )
        expect(page.get_by_text("Ce ticket est celui de Jean-Luc Ngô")).to_be_visible()
        expect(page.get_by_text("Le refus est enregistré.")).to_be_visible()
        [refused] = outbox(page)
        assert refused["type"] == "scan_refused"
        assert refused["payload"] == {"reason": "revoked", "member_id": world.members["Jean-Luc N."]}
        assert_made_for_one_hand(page)

        # Next: the same card still in front of the camera is not read twice.
        page.get_by_role("button", name="Ticket suivant").click()
        expect(page.get_by_role("button", name="Éteindre la caméra")).to_be_visible()
        expect(page.locator("#scan-video")).to_be_visible()
        expect(page.get_by_role("button", name="Allumer la lampe")).to_be_hidden()  # the fake camera has no torch
        page.wait_for_timeout(1000)
        assert len(outbox(page)) == 1
        page.get_by_role("button", name="Éteindre la caméra").click()

        # Found by name, the member carries the warning.
        open_by_name(page, "jean", "Jean-Luc N.")
        expect(page.get_by_role("alert").filter(has_text="un ticket révoqué de cette personne")).to_be_visible()
        page.get_by_role("button", name="Fermer sans enregistrer").click()

        # Awa shows her (valid) ticket: the camera reads it, her screen opens, the hand-over goes as usual.
        write_y4m(video, [qr_image(world.tickets["Awa D."])])
        page.get_by_role("button", name="Allumer la caméra").click()
        expect(page.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible(timeout=15000)
        expect(page.get_by_role("alert")).to_have_count(0)  # nothing to warn about
        mark = page.evaluate("performance.getEntriesByName('comptoir:scan-screen').at(-1).detail")
        assert mark["ok"] is True and mark["decodeMs"] >= 0
        page.get_by_role("button", name="Tout remis · payé en espèces").click()  # one tap
        expect(page.get_by_role("status").filter(has_text="Enregistré")).to_have_text(
            "Enregistré : Awa Diallo — tout remis, payé : 20,40 €."
        )
        page.wait_for_timeout(1000)  # still in front of the camera: not read again
        expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
        assert [event["type"] for event in outbox(page)] == ["scan_refused", "handover", "payment"]


def test_cash_box_opening_and_closing(app, phone, world):
    start_day(app, phone, world)
    phone.context.set_offline(True)
    phone.get_by_role("button", name="Caisse").click()
    expect(phone.get_by_role("heading", name="Caisse")).to_be_visible()
    summary = phone.get_by_role("definition")
    opening = phone.get_by_role("group", name="Ouverture")
    opening.get_by_label("Fond de caisse à l’ouverture").fill("50")
    assert_made_for_one_hand(phone)
    phone.get_by_role("button", name="Enregistrer le fond de caisse").click()
    expect(phone.get_by_role("status").filter(has_text="Fond de caisse")).to_have_text(
        "Fond de caisse enregistré : 50,00 €."
    )
    expect(summary).to_have_text(["50,00 €", "0,00 €", "50,00 €", "pas encore compté", "pas encore compté"])

    # A cash payment adds to what the box should hold.
    open_by_code(phone, world.codes["Élodie M."])
    phone.get_by_role("button", name="Tout remis · payé en espèces").click()
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_be_visible()

    # Closing, counted note by note and coin by coin: 64,00 €, so 0,28 € is missing.
    phone.get_by_role("button", name="Caisse").click()
    expect(summary).to_have_text(["50,00 €", "14,28 €", "64,28 €", "pas encore compté", "pas encore compté"])
    closing = phone.get_by_role("group", name="Clôture")
    closing.get_by_text("Compter billet par billet, pièce par pièce").click()
    closing.get_by_label("Billets de 50 €").fill("1")
    closing.get_by_label("Billets de 10 €").fill("1")
    closing.get_by_label("Pièces de 2 €").fill("2")
    expect(closing.get_by_label("Espèces comptées à la clôture")).to_have_value("64,00")
    assert_made_for_one_hand(phone)
    phone.get_by_role("button", name="Enregistrer le comptage de clôture").click()
    expect(phone.get_by_role("status").filter(has_text="Comptage")).to_have_text(
        "Comptage de clôture enregistré : 64,00 €."
    )
    expect(summary).to_have_text(["50,00 €", "14,28 €", "64,28 €", "64,00 €", "il manque 0,28 €"])
    counts = [event["payload"] for event in outbox(phone) if event["type"] == "cash_count"]
    assert counts == [
        {"kind": "opening", "total_cents": 5000, "denominations": None},
        {"kind": "closing", "total_cents": 6400, "denominations": {"5000": 1, "1000": 1, "200": 2}},
    ]


def test_language_switch_and_storage_status(app, phone, world):
    start_day(app, phone, world, download=False)
    expect(phone.get_by_text("Le navigateur pourrait effacer les enregistrements")).to_be_visible()
    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("heading", name="Today’s distributions")).to_be_visible()
    expect(phone.get_by_role("heading", name="Volunteer: Victor")).to_be_visible()
    expect(phone.get_by_role("button", name="Send", exact=True)).to_be_visible()
    assert phone.evaluate("document.documentElement.lang") == "en"
    assert_made_for_one_hand(phone)
    phone.get_by_role("button", name=f"Download: {POINT}").click()
    phone.get_by_role("button", name=f"Open: {POINT}").click()
    expect(phone.get_by_role("heading", name="Scan", exact=True)).to_be_visible()
    expect(phone.get_by_role("button", name="Turn the camera on")).to_be_visible()
    assert_made_for_one_hand(phone)

    # The choice is kept on the phone; the app reopens on the distribution it was running.
    phone.reload()
    expect(phone.get_by_role("heading", name="Scan", exact=True)).to_be_visible()
    phone.get_by_role("button", name="Français").click()
    expect(phone.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
    expect(phone.get_by_role("button", name="Allumer la caméra")).to_be_visible()
    assert phone.evaluate("document.documentElement.lang") == "fr"

    # Persistent storage granted (as an installed app gets it): the home screen says so.
    cdp = phone.context.new_cdp_session(phone)
    target = cdp.send("Target.getTargetInfo")["targetInfo"]
    cdp.send(
        "Browser.grantPermissions",
        {"permissions": ["durableStorage"], "browserContextId": target["browserContextId"]},
    )
    phone.reload()
    expect(phone.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()  # reopened where it was
    phone.get_by_role("button", name="Accueil").click()
    expect(phone.get_by_text("Les enregistrements restent sur ce téléphone")).to_be_visible()


def test_a_new_version_waits_for_the_member_on_screen(app, phone, world, dist):
    start_day(app, phone, world)
    wait_for_worker(phone)
    open_by_code(phone, world.codes["Awa D."])
    expect(phone.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()

    # A new build is deployed; the phone finds it while Awa is on screen: no banner yet.
    app_js = dist / "app.js"
    app_js.write_text(app_js.read_text() + '\ndocument.documentElement.dataset.build = "next";\n')
    subprocess.run(["node", str(ROOT / "pwa/build-sw.mjs"), str(dist)], cwd=ROOT, check=True, capture_output=True)
    phone.evaluate("async () => { await (await navigator.serviceWorker.getRegistration('/app/')).update(); }")
    wait_for(phone, "navigator.serviceWorker.getRegistration('/app/').then((r) => r.waiting !== null)")
    phone.wait_for_timeout(500)
    expect(phone.get_by_role("button", name="Nouvelle version — recharger")).to_be_hidden()

    # Awa is done: the banner shows; tapping it reloads into the new version.
    phone.get_by_role("button", name="Fermer sans enregistrer").click()
    banner = phone.get_by_role("button", name="Nouvelle version — recharger")
    expect(banner).to_be_visible()
    with phone.expect_navigation():
        banner.click()
    expect(phone.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
    assert phone.evaluate("document.documentElement.dataset.build") == "next"
    assert (
        phone.evaluate("async () => (await import('/assets/update.js')).currentVersion()") == precache(dist)["version"]
    )


def tab_to(page: Page, control, presses: int = 80) -> None:
    """Move the focus with the Tab key alone until it reaches ``control`` (a locator)."""
    for _ in range(presses):
        if control.evaluate("(e) => e === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{control} not reached with {presses} presses of Tab")


def test_a_day_without_a_mouse(app, phone, world):
    """Every step of a hand-over, its payment and its undo with the keyboard alone (Tab, arrows, Enter, Space)."""
    start_day(app, phone, world)
    phone.context.set_offline(True)

    tab_to(phone, phone.get_by_label("Code manuel"))
    phone.keyboard.type(world.codes["Awa D."])
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()

    # Partly handed over (the radio group moves with the arrows), one box of eggs, the rest by card.
    tab_to(phone, phone.get_by_text("Remise partielle, remplacement ou refus"))
    phone.keyboard.press("Enter")
    tab_to(phone, phone.get_by_role("radio", name="Tout remis"))
    phone.keyboard.press("ArrowDown")
    expect(phone.get_by_role("radio", name="En partie")).to_be_checked()
    tab_to(phone, phone.get_by_label("Quantité remise : Œufs plein air ×6"))
    phone.keyboard.press("ArrowDown")
    expect(phone.locator("#due-amount")).to_have_text("17,70 €")
    tab_to(phone, phone.get_by_role("button", name="Le reste par carte"))
    phone.keyboard.press("Space")
    expect(phone.get_by_label("Montant par carte")).to_have_value("17,70")
    tab_to(phone, phone.get_by_role("button", name="Valider la remise"))
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_have_text(
        "Enregistré : Awa Diallo — remis en partie, payé : 17,70 €."
    )
    assert [event["type"] for event in outbox(phone)] == ["handover", "payment"]

    # Undone from the keyboard: the dialog takes the focus, Enter on its confirmation.
    tab_to(phone, phone.get_by_role("button", name="Annuler la dernière action"))
    phone.keyboard.press("Enter")
    dialog = phone.get_by_role("dialog", name="Annuler cette action ?")
    expect(dialog).to_be_visible()
    tab_to(phone, dialog.get_by_role("button", name="Oui, annuler"))
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("status").filter(has_text="Annulé")).to_contain_text("Annulé : remise à Awa Diallo")
    assert [event["type"] for event in outbox(phone)] == ["handover", "payment", "void", "void"]
