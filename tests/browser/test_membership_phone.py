"""Membership at the point, in real Chromium at 360×640 against the real server: a member whose membership is due
is found offline, the phone warns ("ADHÉSION À RENOUVELER", the basket may still be handed over), the volunteer
takes the fee in cash in one tap; once sent, the server has the membership paid, the admin's distribution log counts
the fee in the cash and in the membership lines, and the admin no longer lists the member as due. Then the network
requires the membership: the hand-over is refused with its reason until the fee is taken."""

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.extensions import db
from server.models import Household, MembershipFee, NetworkSettings
from sync import membership as rules
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist)
from tests.browser.test_admin_pages import signed_in
from tests.browser.test_member_screen import assert_no_swipe
from tests.browser.test_volunteer_app import open_by_code, outbox, start_day
from tests.factories.volunteer_app import VolunteerAppWorld as World
from tests.factories.volunteer_app import volunteer_app_world

NO_WORDS = re.compile(r"\b(null|undefined|NaN|None)\b")
TAKE = "Encaisser l’adhésion : 15,00 €"


def with_fee(app, required: bool) -> World:
    with app.app_context():
        made = volunteer_app_world()
        settings = NetworkSettings.current()
        settings.membership_fee_cents = 1500
        settings.membership_required = required
        db.session.commit()
        return made


def shot(page: Page, name: str) -> None:
    if folder := os.environ.get("COMPTOIR_SHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_a_due_membership_is_a_warning_and_the_fee_is_taken_in_cash(app, phone, live_server):
    world = with_fee(app, required=False)
    start_day(app, phone, world)
    phone.context.set_offline(True)

    # Found by name, the result already says it; opened (as after a scan), the member screen warns.
    phone.get_by_label("Rechercher par nom").fill("élodie")
    expect(phone.locator("#search-results")).to_contain_text("adhésion à renouveler")
    shot(phone, "membership-0-search")
    open_by_code(phone, world.codes["Élodie M."])
    expect(phone.get_by_role("heading", name="Élodie Martin", level=1)).to_be_visible()
    warning = phone.locator("#membership-due")
    expect(warning).to_have_text(
        "Adhésion à renouveler : proposez de la régler (15,00 €), en bas de l’écran. Le panier peut être remis."
    )
    expect(phone.get_by_label("Adhésion réglée par")).to_have_value("cash")
    assert_no_swipe(phone, "Tout remis · payé en espèces")  # a warning only: the basket first, in one tap
    shot(phone, "membership-1-due")
    assert not NO_WORDS.search(phone.locator("main").inner_text())

    # A cheque needs its number, next to the field.
    phone.get_by_label("Adhésion réglée par").select_option("cheque")
    phone.get_by_role("button", name=TAKE).click()
    expect(phone.locator("#membership-error")).to_have_text("Le numéro du chèque manque.")
    expect(phone.get_by_label("N° du chèque d’adhésion")).to_have_attribute("aria-invalid", "true")
    assert outbox(phone) == []

    phone.get_by_label("Adhésion réglée par").select_option("cash")
    phone.get_by_role("button", name=TAKE).click()
    expect(phone.locator("#membership-paid")).to_have_text("Adhésion encaissée aujourd’hui : 15,00 € (espèces).")
    expect(warning).to_have_count(0)
    shot(phone, "membership-2-taken")
    (fee,) = outbox(phone)
    assert fee["type"] == "payment" and fee["payload"] == {
        "order_id": None,
        "household_id": world.members["Élodie M."],
        "amount_cents": 1500,
        "method": "cash",
        "method_details": None,
        "from_prepaid_cents": 0,
        "from_allowance_cents": 0,
        "solidarity_cents": 0,
        "purpose": "membership",
    }
    phone.get_by_role("button", name="Fermer sans enregistrer").click()

    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    with app.app_context():
        household = db.session.get(Household, world.members["Élodie M."])
        stored = db.session.scalar(select(MembershipFee).where(MembershipFee.household_id == household.id))
        assert household.membership_paid_until == rules.season_end(stored.paid_on)
        season = rules.season_label(household.membership_paid_until)

    admin = signed_in(phone.context.browser, app, live_server)
    admin.goto(f"/admin/distributions/{world.distribution}/log")
    expect(admin.locator("#membership-fees")).to_contain_text(f"Adhésion {season} : 15,00 € en espèces")
    expect(admin.get_by_text("Aucun paiement enregistré.")).to_have_count(0)
    expect(admin.locator('[data-figure="method-cash"]')).to_have_text("15,00 €")  # in the money collected
    expect(admin.locator('[data-figure="due"]')).not_to_contain_text("15,00")
    expect(admin.locator("#cash-not-counted td").last).to_have_text("15,00 €")  # expected in the box
    shot(admin, "membership-3-log")
    admin.goto("/admin/membership/")
    expect(admin.locator("main")).not_to_contain_text("Martin Élodie")
    expect(admin.locator("main")).to_contain_text("Jamais réglée")  # the others are still due
    shot(admin, "membership-4-due-list")


def test_a_required_membership_refuses_the_hand_over_until_the_fee_is_taken(app, phone):
    world = with_fee(app, required=True)
    start_day(app, phone, world)
    phone.context.set_offline(True)
    open_by_code(phone, world.codes["Élodie M."])
    expect(phone.locator("#membership-due")).to_contain_text(
        "L’association demande l’adhésion à jour avant de remettre le panier."
    )
    expect(phone.locator("#membership-refused")).to_have_text(
        "Remise impossible tant que l’adhésion n’est pas réglée : encaissez-la ci-dessus, "
        "ou voyez avec la coordination."
    )
    expect(phone.get_by_role("button", name="Tout remis · payé en espèces")).to_have_count(0)
    shot(phone, "membership-5-required")
    phone.get_by_role("button", name=TAKE).click()
    expect(phone.locator("#membership-paid")).to_be_visible()
    expect(phone.locator("#membership-refused")).to_have_count(0)
    expect(phone.get_by_role("button", name="Tout remis · payé en espèces")).to_be_visible()
    shot(phone, "membership-6-required-paid")


def test_after_the_hand_over_the_fee_can_still_be_taken(app, phone):
    """The basket first, then the member says they will pay the membership: reopened, the handed-over screen still
    warns and takes the fee."""
    world = with_fee(app, required=False)
    start_day(app, phone, world)
    phone.context.set_offline(True)
    open_by_code(phone, world.codes["Élodie M."])
    phone.get_by_role("button", name="Tout remis · payé en espèces").click()
    expect(phone.get_by_role("status").filter(has_text="Élodie Martin")).to_contain_text("tout remis")
    open_by_code(phone, world.codes["Élodie M."])
    expect(phone.locator(".handed-over")).to_be_visible()
    expect(phone.locator("#membership-due")).to_have_text(
        "Adhésion à renouveler : proposez de la régler (15,00 €), en bas de l’écran."
    )
    shot(phone, "membership-7-after-hand-over")
    assert not NO_WORDS.search(phone.locator("main").inner_text())
    phone.get_by_role("button", name=TAKE).click()
    expect(phone.locator("#membership-paid")).to_have_text("Adhésion encaissée aujourd’hui : 15,00 € (espèces).")
    expect(phone.locator(".handed-over")).to_be_visible()
    fees = [event for event in outbox(phone) if event["payload"].get("purpose") == "membership"]
    assert len(fees) == 1 and fees[0]["payload"]["household_id"] == world.members["Élodie M."]
