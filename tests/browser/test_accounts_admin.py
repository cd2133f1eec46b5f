"""An admin tops up 20 € by cheque in real Chromium at 1280×800; the receipt shows it, and the member's own page
then shows the new balance and the top-up in words, with a link to the same receipt."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server.domain.ledger import post
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Household, Point, Tier
from tests.helpers import make_sign_in_token

ADMIN = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 360, "height": 640}}
SHOTS = Path("/tmp/shots/accounts")


@pytest.fixture
def backend() -> str:
    return "sqlite"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_an_admin_tops_up_by_cheque_and_the_member_page_shows_it(app, browser, live_server):
    with app.app_context():
        point = Point(name="Le Buisson", town="Lognes")
        household = Household(
            first_name="Awa", last_name="Diallo", tier=Tier(name="Tarif plein", share_percent=100), point=point
        )
        db.session.add(household)
        db.session.flush()
        issue_ticket(household)
        post(household.id, "prepaid", 550, "opening", reason="Reprise du cahier")
        db.session.commit()
        household_id, token = household.id, household.page_token

    context = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"/auth/link/{make_sign_in_token(app, 'admin@example.org')}")
    page.get_by_role("button").first.click()
    page.wait_for_url("**/admin/**")
    page.goto("/admin/members/")
    shot(page, "members")
    page.get_by_role("link", name="5,50 €").click()
    expect(page.get_by_role("heading", name="Comptes d'Awa Diallo")).to_be_visible()

    form = page.locator("form[action*='/top-up']")
    form.get_by_label("Montant (€)").fill("20")
    form.get_by_label("Payé par").select_option(label="Chèque")
    form.get_by_role("button", name="Enregistrer le versement").click()
    # A cheque needs its number: said next to the field, the amount kept.
    expect(form.get_by_label("Numéro de chèque ou référence")).to_have_accessible_description(
        re.compile("Indiquez le numéro du chèque")
    )
    expect(form.get_by_label("Montant (€)")).to_have_value("20")
    shot(page, "top-up-error")
    form.get_by_label("Numéro de chèque ou référence").fill("1234567")
    form.get_by_role("button", name="Enregistrer le versement").click()

    expect(page.get_by_role("heading", name=re.compile(r"Reçu n°"))).to_be_visible()
    receipt = page.locator("article.receipt")
    expect(receipt).to_contain_text("Versement par chèque n°\u00a01234567")
    expect(receipt).to_contain_text("20,00\u00a0€")
    expect(receipt).to_contain_text("25,50\u00a0€")  # the prepaid balance after it
    shot(page, "receipt")
    page.goto(f"/admin/members/{household_id}/accounts")
    expect(page.locator("#statements")).to_contain_text("+20,00\u00a0€")
    shot(page, "household")
    context.close()

    member = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR").new_page()
    member.goto(f"/m/{token}")
    balances = member.locator("section[aria-labelledby=balances]")
    expect(balances).to_contain_text("Solde prépayé\u00a0: 25,50\u00a0€")
    link = balances.get_by_role("link", name=re.compile(r"versement par chèque n°\s1234567, reçu n°"))
    expect(link).to_contain_text("+20,00\u00a0€")
    shot(member, "member-page")
    link.click()
    expect(member.locator("article.receipt")).to_contain_text("1234567")
    shot(member, "member-receipt")
    member.context.close()
