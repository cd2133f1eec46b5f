"""Season contracts in Chromium: an admin creates a contract at 1280×800, offers a basket and subscribes a member;
the member, on their phone (360×640), marks an absence on their page and sees the basket not due. Screens in
French, every word read."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server.domain.contract_orders import local_day
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Distribution, Household, Order
from tests.factories.contracts import contracts_world
from tests.helpers import make_sign_in_token

SHOTS = Path("/tmp/shots/contracts")
ADMIN = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def backend() -> str:
    """The pages read the same rows on both databases (the rules are tested on both in tests/test_contracts*.py)."""
    return "sqlite"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_slips(page) -> None:
    text = page.locator("body").inner_text()
    for slip in ("None", "null", "undefined", "Season", "Orders:", "Subscribers"):
        assert slip not in text, (slip, text)


def test_an_admin_creates_a_contract_and_a_member_marks_an_absence(app, browser, live_server):
    with app.app_context():
        world = contracts_world()
        first = db.session.get(Distribution, world.distributions[0])
        starts_on = local_day(first)
        member = db.session.get(Household, world.households[0])
        issue_ticket(member)
        db.session.commit()
        token, member_id = member.page_token, member.id

    context = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR")
    admin = context.new_page()
    admin.goto(f"/auth/link/{make_sign_in_token(app, 'admin@example.org')}")
    admin.get_by_role("button").first.click()
    admin.wait_for_url("**/admin/**")
    admin.goto("/admin/contracts/")
    admin.get_by_role("button", name="Nouveau contrat").click()
    admin.get_by_label("Point").select_option(label="AMAP du Luzard")
    admin.get_by_label("Producteur").select_option(label="Ferme des Quatre Vents")
    admin.get_by_label("Nom", exact=True).fill("Légumes été")
    admin.get_by_label("Premier jour de la saison").fill(starts_on.isoformat())
    admin.get_by_label("Dernier jour de la saison").fill((starts_on + timedelta(weeks=8)).isoformat())
    admin.get_by_label("Absences permises par abonné").fill("1")
    admin.get_by_role("button", name="Enregistrer").click()
    expect(admin.get_by_text("Contrat enregistré")).to_be_visible()
    admin.get_by_role("link", name="Légumes été").click()
    admin.locator("#add-product select[name=product_id]").select_option(label="Panier de légumes (LEG)")
    admin.get_by_label("Prix par livraison (€)").fill("15,00")
    admin.get_by_role("button", name="Ajouter ou modifier le produit").click()
    admin.get_by_label("Numéro d’adhérent ou e-mail", exact=True).fill(str(member_id))
    admin.get_by_role("button", name="Ajouter", exact=True).click()
    expect(admin.get_by_text("Commandes : 6 créées")).to_be_visible()
    no_slips(admin)
    shot(admin, "admin-contract")
    context.close()

    phone_context = browser.new_context(
        viewport={"width": 360, "height": 640}, base_url=live_server, locale="fr-FR", service_workers="block"
    )
    phone = phone_context.new_page()
    phone.goto(f"/m/{token}")
    phone.get_by_role("link", name="Mes contrats : abonnements et absences").click()
    expect(phone.get_by_role("heading", name="Légumes été")).to_be_visible()
    phone.get_by_text("Je ne viendrai pas").first.click()
    phone.get_by_role("button", name="M’inscrire absent").first.click()
    expect(phone.get_by_text("Votre absence est enregistrée.")).to_be_visible()
    expect(phone.get_by_text("absent : panier non dû")).to_be_visible()
    expect(phone.get_by_text("Absences restantes : 0 sur 1.")).to_be_visible()
    no_slips(phone)
    shot(phone, "member-absence")
    phone_context.close()
    with app.app_context():
        assert db.session.query(Order).filter_by(household_id=member_id).count() == 5
        assert re.match(r"^[\w-]+$", token)
