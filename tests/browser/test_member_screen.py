"""The member screen for one hand in a queue (issue 12, items 3, 5 and 7), in real Chromium at 360×640 against the
real server: after the scan, the common cases take one tap ("Tout remis · payé en espèces", "… par chèque", "… sur
l'allocation solidaire", naming the account), nothing needs a swipe for a one-line basket, errors sit next to their
field, no "null" on any screen, the tier only where the network asks for it, a warning before recording after the
closing count, and
an order already handed over by another phone shown as one clear state.

The world is the volunteer app's (tests/factories/volunteer_app.py) with Elouan's order cut to one line (the
vegetable basket, 15,00 €) and a 20,00 € allowance for him: the one-line basket his account covers."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from server.extensions import db
from server.models import Household, NetworkSettings, OrderLine, User
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist; world below)
from tests.browser.shell import camera_phone, qr_image, write_y4m
from tests.browser.test_volunteer_app import SPY, open_by_code, outbox, point_id, start_day
from tests.factories.primitives import account
from tests.factories.volunteer_app import VolunteerAppWorld as World
from tests.factories.volunteer_app import volunteer_app_world
from tests.phones import enrol_phone

CASH = "Tout remis · payé en espèces"
CHEQUE = "Tout remis · payé par chèque"
ACCOUNT = "Tout remis · sur l’allocation solidaire"  # names the account it takes from
NO_WORDS = re.compile(r"\b(null|undefined|NaN)\b")


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        made = volunteer_app_world()
        db.session.execute(
            delete(OrderLine).where(OrderLine.order_id == made.orders["Elouan B."], OrderLine.product_id == made.eggs)
        )
        db.session.add(account(db.session.get(Household, made.members["Elouan B."]), "allowance", (2000, "test")))
        db.session.commit()
        return made


def shot(page: Page, name: str) -> None:
    """A full-page screenshot under ``COMPTOIR_SHOTS`` when set (to look at each state), else nothing."""
    if folder := os.environ.get("COMPTOIR_SHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def visible_text(page: Page) -> str:
    return page.locator("main").inner_text()


def assert_no_swipe(page: Page, *buttons: str) -> None:
    """Unscrolled, each button sits whole on screen above the tab bar: no swipe to reach the confirmation."""
    assert page.evaluate("window.scrollY") == 0
    tabs_top = page.locator("#tabs").bounding_box()["y"]
    for name in buttons:
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box is not None and box["y"] + box["height"] <= tabs_top, (name, box, tabs_top)


def recorded(page: Page) -> list[tuple[str, dict]]:
    return [(event["type"], event["payload"]) for event in outbox(page)]


def test_no_null_on_the_member_screen_nor_on_a_refused_ticket(app, browser, live_server, tmp_path, world):
    video = write_y4m(tmp_path / "revoked.y4m", [qr_image(world.revoked_ticket)])
    with camera_phone(browser, live_server, video) as page:
        start_day(app, page, world)
        page.context.set_offline(True)
        # Awa has no account: nothing under the total.
        open_by_code(page, world.codes["Awa D."])
        expect(page.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()
        shot(page, "0-no-account")
        assert not NO_WORDS.search(visible_text(page)), visible_text(page)
        page.get_by_role("button", name="Fermer sans enregistrer").click()
        page.get_by_role("button", name="Allumer la caméra").click()
        expect(page.get_by_role("heading", name="Ticket refusé")).to_be_visible(timeout=15000)
        shot(page, "0-ticket-refused")
        assert not NO_WORDS.search(visible_text(page)), visible_text(page)


def test_the_common_cases_take_one_tap_and_no_swipe(app, phone, world):
    start_day(app, phone, world)
    phone.context.set_offline(True)

    # Elouan: a one-line basket his allowance covers. The three ways sit on the first screen; one tap records.
    open_by_code(phone, world.codes["Elouan B."])
    expect(phone.get_by_role("heading", name="Elouan Bréhat", level=1)).to_be_visible()
    expect(phone.get_by_role("region", name="À remettre")).to_contain_text("1 × Panier de légumes M")
    expect(phone.get_by_text("À encaisser")).to_be_visible()
    expect(phone.locator("#to-collect")).to_have_text("15,00 €")
    shot(phone, "1-one-line-basket")
    assert_no_swipe(phone, CASH, CHEQUE, ACCOUNT)
    phone.evaluate(SPY)
    phone.get_by_role("button", name=ACCOUNT).click()
    confirmation = phone.get_by_role("status").filter(has_text="Elouan Bréhat")
    expect(confirmation).to_contain_text("tout remis")
    expect(confirmation).to_contain_text("reste 5,00 € sur l’allocation")  # 20,00 − 15,00: what is left, said
    commits = phone.evaluate("window.commits")
    assert len(commits) == 1, commits  # the hand-over and its payment: one transaction
    [(kind, handover), (_, payment)] = recorded(phone)
    assert kind == "handover" and handover["outcome"] == "all"
    assert payment["method"] == "allowance" and payment["amount_cents"] == 1500
    assert payment["from_allowance_cents"] == 1500 and payment["from_prepaid_cents"] == 0

    # Élodie: no tier name on the phone; her accounts do not cover 14,28 €, so no account button; cash with change.
    open_by_code(phone, world.codes["Élodie M."])
    expect(phone.get_by_role("heading", name="Élodie Martin", level=1)).to_be_visible()
    expect(phone.get_by_text("Tarif solidaire")).to_have_count(0)
    expect(phone.get_by_text("Part solidaire")).to_have_count(0)
    expect(phone.get_by_role("button", name=ACCOUNT)).to_have_count(0)
    phone.get_by_label("Somme donnée", exact=True).fill("20")
    expect(phone.locator("#quick-change")).to_have_text("Monnaie à rendre : 5,72 €")
    shot(phone, "2-cash-with-change")
    phone.get_by_role("button", name=CASH).click()
    expect(phone.get_by_role("status").filter(has_text="Élodie Martin")).to_contain_text("monnaie à rendre : 5,72 €")
    _, payment = recorded(phone)[-1]
    assert (payment["method"], payment["amount_cents"]) == ("cash", 1428)

    # Awa: by cheque; the missing number is said next to its field, nothing recorded.
    open_by_code(phone, world.codes["Awa D."])
    before = len(outbox(phone))
    phone.get_by_role("button", name=CHEQUE).click()
    number = phone.get_by_label("N° du chèque", exact=True)
    expect(number).to_have_attribute("aria-invalid", "true")
    described = number.get_attribute("aria-describedby")
    expect(phone.locator(f"#{described}")).to_have_text("Le numéro du chèque manque.")
    shot(phone, "3-cheque-number-missing")
    assert len(outbox(phone)) == before
    number.fill("0001234")
    phone.get_by_role("button", name=CHEQUE).click()
    expect(phone.get_by_role("status").filter(has_text="Awa Diallo")).to_contain_text("tout remis")
    _, payment = recorded(phone)[-1]
    assert (payment["method"], payment["method_details"], payment["amount_cents"]) == ("cheque", "0001234", 2040)


def test_other_payments_and_hand_overs_sit_behind_their_controls(app, phone, world):
    start_day(app, phone, world)
    phone.context.set_offline(True)
    open_by_code(phone, world.codes["Awa D."])
    expect(phone.get_by_role("button", name="Le reste par carte")).to_be_hidden()
    expect(phone.get_by_role("radio", name="En partie")).to_be_hidden()
    phone.get_by_text("Autre paiement").click()
    summary = phone.locator("#pay-summary")
    expect(summary).to_have_text("Payé : 0,00 € · reste à payer : 20,40 €")
    expect(summary).not_to_have_class(re.compile("warning"))  # not red before anything is typed
    phone.get_by_label("Montant par chèque", exact=True).fill("5")
    expect(summary).to_have_class(re.compile("warning"))
    phone.get_by_label("Montant par chèque", exact=True).fill("")
    phone.get_by_role("button", name="Le reste par carte").click()
    expect(phone.get_by_role("button", name=CASH)).to_be_hidden()
    expect(phone.get_by_role("button", name="Valider la remise")).to_be_visible()
    shot(phone, "4-other-payment")

    # The hand-over's other outcomes: behind their own control; the confirm bar stays above the tab bar.
    phone.get_by_text("Remise partielle, remplacement ou refus").click()
    phone.get_by_role("radio", name="En partie").check()
    phone.get_by_label("Quantité remise : Œufs plein air ×6").fill("1")
    phone.get_by_role("button", name="Le reste par carte").click()
    shot(phone, "5-partial")
    confirm = phone.get_by_role("button", name="Valider la remise")
    phone.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")  # the form runs far below: the bar sticks
    assert phone.evaluate("document.documentElement.scrollHeight") > 1200
    box, tabs = confirm.bounding_box(), phone.locator("#tabs").bounding_box()
    assert box["y"] > 0 and box["y"] + box["height"] <= tabs["y"], (box, tabs)
    confirm.click()
    expect(phone.get_by_role("status").filter(has_text="Awa Diallo")).to_contain_text("remis en partie, payé : 17,70 €")
    handover, payment = (payload for _, payload in recorded(phone))
    assert handover["outcome"] == "partial" and payment["method"] == "card" and payment["amount_cents"] == 1770


def test_after_the_closing_count_the_phone_asks_before_recording(app, phone, world):
    start_day(app, phone, world)
    phone.context.set_offline(True)
    phone.get_by_role("button", name="Caisse").click()
    phone.get_by_role("group", name="Clôture").get_by_label("Espèces comptées à la clôture").fill("0")
    phone.get_by_role("button", name="Enregistrer le comptage de clôture").click()
    expect(phone.get_by_role("status").filter(has_text="Comptage")).to_be_visible()

    open_by_code(phone, world.codes["Awa D."])
    phone.get_by_role("button", name=CASH).click()
    dialog = phone.get_by_role("dialog", name="La caisse est déjà comptée")
    expect(dialog).to_contain_text("comptage de clôture")
    expect(dialog).to_contain_text("il faudra recompter la caisse")
    shot(phone, "6-after-closing-dialog")
    dialog.get_by_role("button", name="Non").click()
    assert [kind for kind, _ in recorded(phone)] == ["cash_count"]
    expect(phone.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()

    phone.get_by_role("button", name=CASH).click()
    dialog.get_by_role("button", name="Enregistrer quand même").click()
    expect(phone.get_by_role("status").filter(has_text="Awa Diallo")).to_contain_text("tout remis")
    assert [kind for kind, _ in recorded(phone)] == ["cash_count", "handover", "payment"]
    phone.get_by_role("button", name="Caisse").click()
    expect(phone.get_by_role("alert").filter(has_text="après le comptage")).to_contain_text("20,40 €")
    shot(phone, "7-cash-after-closing")


def test_handed_over_by_another_phone_is_one_clear_state(app, phone, world):
    start_day(app, phone, world)
    with app.app_context():
        victor = db.session.scalar(select(User.id).where(User.email == "victor@example.org"))
    other = enrol_phone(app, [point_id(app)], victor, name="Téléphone de Sami")
    handover = other.record("handover", {"order_id": world.orders["Elouan B."], "outcome": "all"}, world.distribution)
    assert other.push([handover]).status_code == 200
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")

    open_by_code(phone, world.codes["Elouan B."])
    state = phone.get_by_role("region", name="Déjà remis par un autre téléphone")
    expect(state).to_contain_text(re.compile(r"À \d\d:\d\d : tout remis"))
    expect(state).to_contain_text("Rien n’a été payé pour cette commande.")
    shot(phone, "8-handed-over-by-another-phone")
    for name in (CASH, CHEQUE, ACCOUNT):
        expect(phone.get_by_role("button", name=name)).to_be_hidden()
    expect(phone.get_by_text("Autre paiement")).to_be_hidden()
    expect(phone.get_by_role("button", name="Fermer", exact=True)).to_be_visible()
    phone.get_by_role("button", name="Remettre quand même (sera signalé)").click()
    expect(phone.get_by_role("button", name=CASH)).to_be_visible()


def test_the_tier_shows_only_where_the_network_asks(app, phone, world):
    with app.app_context():
        NetworkSettings.current().show_tier_at_counter = True
        db.session.commit()
    start_day(app, phone, world)
    open_by_code(phone, world.codes["Élodie M."])
    expect(phone.get_by_text("Tarif solidaire (70 %)")).to_be_visible()
    shot(phone, "9-tier-shown")


def test_the_member_screen_in_english(app, phone, world):
    start_day(app, phone, world)
    phone.get_by_role("button", name="English").click()
    phone.get_by_role("button", name="Scan", exact=True).click()
    phone.get_by_label("Manual code").fill(world.codes["Elouan B."])
    phone.get_by_role("button", name="Find the code").click()
    expect(phone.get_by_role("heading", name="Elouan Bréhat", level=1)).to_be_visible()
    expect(phone.get_by_role("region", name="To hand over")).to_contain_text("1 × Panier de légumes M")
    for name in (
        "All handed over · from the solidarity allowance",
        "All handed over · paid in cash",
        "All handed over · paid by cheque",
    ):
        expect(phone.get_by_role("button", name=name)).to_be_visible()
    expect(phone.get_by_label("Cash given", exact=True)).to_be_visible()
    expect(phone.get_by_text("Other payment")).to_be_visible()
    expect(phone.get_by_text("Partial hand-over, substitution or refusal")).to_be_visible()
    shot(phone, "10-english")
    assert not NO_WORDS.search(visible_text(phone))


def test_opening_a_member_clears_an_earlier_search(app, phone, world):
    """A name searched earlier ("Awa") and its results do not stay on the Scanner screen once a member is opened."""
    start_day(app, phone, world)
    phone.context.set_offline(True)
    phone.get_by_role("button", name="Scanner", exact=True).click()
    phone.get_by_label("Rechercher par nom").fill("awa")
    expect(phone.locator("#search-results")).to_contain_text("Awa")
    phone.get_by_label("Code manuel").fill(world.codes["Elouan B."])
    phone.get_by_role("button", name="Chercher le code").click()
    expect(phone.get_by_role("heading", name="Elouan Bréhat", level=1)).to_be_visible()
    phone.get_by_role("button", name="Fermer sans enregistrer").click()
    expect(phone.get_by_label("Rechercher par nom")).to_have_value("")
    expect(phone.locator("#search-results")).to_be_empty()


def test_mettre_a_jour_shows_the_new_times_everywhere(app, phone, world):
    """The coordinator moves the end of the distribution: "Mettre à jour" shows the new end on the home screen's
    list and on the Scanner's header, without a reload."""
    from datetime import timedelta

    from server.models import Distribution

    start_day(app, phone, world)
    with app.app_context():
        distribution = db.session.get(Distribution, world.distribution)
        distribution.ends_at = distribution.ends_at + timedelta(hours=2, minutes=7)
        db.session.commit()
        new_end = distribution.ends_at.isoformat()
    end = phone.evaluate(
        "(iso) => new Intl.DateTimeFormat('fr-FR', {hour: '2-digit', minute: '2-digit'}).format(new Date(iso))",
        new_end,
    )
    phone.get_by_role("button", name="Accueil").click()
    today = phone.get_by_role("list", name="Aujourd’hui")
    expect(today).not_to_contain_text(f"–{end}")
    today.get_by_role("button", name=re.compile(r"^Mettre à jour")).click()
    expect(today).to_contain_text(f"–{end}")
    phone.get_by_role("button", name="Scanner", exact=True).click()
    expect(phone.locator("#scan-distribution")).to_contain_text(f"–{end}")


def test_cash_of_a_payment_the_coordination_cancelled_is_said_on_the_cash_screen(app, phone, world):
    """Sami's phone handed Elouan's basket over first; this phone did too, and took 15,00 € in cash. The coordinator
    keeps the first hand-over: this phone's Caisse says the 15,00 € are to give back to Elouan."""
    from datetime import timedelta

    from server.clock import utcnow
    from server.domain.conflicts import resolve_conflict
    from server.models import Conflict
    from tests.test_distribution_log import cron_checks_conflicts

    start_day(app, phone, world)
    with app.app_context():
        victor = db.session.scalar(select(User.id).where(User.email == "victor@example.org"))
    other = enrol_phone(app, [point_id(app)], victor, name="Téléphone de Sami")
    earlier = utcnow() - timedelta(minutes=1)
    first = other.record(
        "handover", {"order_id": world.orders["Elouan B."], "outcome": "all"}, world.distribution, at=earlier
    )
    phone.context.set_offline(True)
    open_by_code(phone, world.codes["Elouan B."])
    phone.get_by_role("button", name=CASH).click()
    expect(phone.get_by_role("status").filter(has_text="Elouan Bréhat")).to_contain_text("tout remis")
    assert other.push([first]).status_code == 200
    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    cron_checks_conflicts(app)
    with app.app_context():
        conflict = db.session.scalar(select(Conflict).where(Conflict.kind == "double_handover"))
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        resolve_conflict(conflict, "keep_first", "Sami l'a remis d'abord.", admin)
        db.session.commit()
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    phone.get_by_role("button", name="Caisse", exact=True).click()
    expect(phone.locator(".cancelled-payment")).to_have_text(
        "15,00 € d’un paiement annulé par la coordination : à rendre à Elouan Bréhat (ou à compter comme gardé)."
    )
    shot(phone, "11-cash-cancelled-payment")


def test_at_200_percent_the_confirm_bar_sits_on_the_tab_bar_and_stays_compact(app, phone, world):
    """Android's large text (200 %) on "Autre paiement": the confirm bar sits right on the tab bar (nothing scrolls
    through a gap), the two take less than 30 % of the screen, the bar says what is left to pay, and the tab labels
    grow with the text."""
    start_day(app, phone, world)
    phone.context.set_offline(True)
    open_by_code(phone, world.codes["Elouan B."])
    tab_font = "parseFloat(getComputedStyle(document.querySelector('#tabs button')).fontSize)"
    normal = phone.evaluate(tab_font)
    phone.get_by_text("Autre paiement").click()
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    phone.wait_for_function("getComputedStyle(document.documentElement).fontSize === '32px'")
    phone.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    phone.evaluate("window.scrollTo(0, 200)")  # the list scrolls under the bar
    phone.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    shot(phone, "12-other-payment-200")
    bar, tabs = phone.locator(".confirm-bar").bounding_box(), phone.locator("#tabs").bounding_box()
    assert abs(bar["y"] + bar["height"] - tabs["y"]) <= 1, (bar, tabs)  # on the tab bar, no gap
    assert bar["height"] + tabs["height"] <= 0.3 * 640, (bar, tabs)
    expect(phone.locator(".confirm-bar")).to_contain_text("reste à payer : 15,00 €")
    assert phone.evaluate(tab_font) > normal


def test_cash_given_short_is_said_once_under_its_field(app, phone, world):
    """2 € given for 14,28 € due: the error is said once, in the field's own note (aria-describedby, read out), not
    again in the large change line; the same in "Autre paiement"; nothing is recorded."""
    start_day(app, phone, world)
    open_by_code(phone, world.codes["Élodie M."])
    expect(phone.get_by_role("heading", name="Élodie Martin", level=1)).to_be_visible()
    before = len(outbox(phone))
    short = "La somme donnée est inférieure à ce qui est à encaisser."
    given = phone.get_by_label("Somme donnée", exact=True)
    given.fill("2")
    expect(phone.get_by_text(short)).to_have_count(1)
    expect(phone.locator("#quick-change")).to_have_text("")
    expect(given).to_have_attribute("aria-invalid", "true")
    expect(phone.locator(f"#{given.get_attribute('aria-describedby')}")).to_have_text(short)
    expect(phone.get_by_role("alert").filter(has_text=short)).to_have_count(1)
    phone.get_by_role("button", name=CASH).click()
    expect(phone.get_by_text(short)).to_have_count(1)
    expect(phone.locator(f"#{given.get_attribute('aria-describedby')}")).to_have_text(short)
    shot(phone, "given-short-once")
    given.fill("20")  # enough: the note goes, the change shows
    expect(phone.get_by_text(short)).to_have_count(0)
    expect(given).not_to_have_attribute("aria-invalid", "true")
    expect(phone.locator("#quick-change")).to_have_text("Monnaie à rendre : 5,72 €")
    assert len(outbox(phone)) == before

    phone.get_by_text("Autre paiement").click()
    phone.get_by_role("button", name="Le reste en espèces").click()
    detailed = phone.get_by_label("Somme donnée en espèces")
    detailed.fill("2")
    detailed_short = "La somme donnée est inférieure au montant en espèces."
    expect(phone.get_by_text(detailed_short)).to_have_count(1)
    expect(phone.locator("#pay-change")).to_have_text("")
    expect(phone.locator(f"#{detailed.get_attribute('aria-describedby')}")).to_have_text(detailed_short)
    phone.get_by_role("button", name="Valider la remise").click()
    expect(phone.get_by_text(detailed_short)).to_have_count(1)
    assert len(outbox(phone)) == before
