"""A member pays from the solidarity allowance on a phone without a network; once the phone has sent it, the admin's
household page, the member's own page (/m/<token>) in Chromium and the pack another phone takes for the next
distribution all show the lower balance (issue 13)."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.clock import utcnow
from server.extensions import db
from server.models import Distribution, Household, Order
from tests.browser import test_volunteer_app as screens
from tests.browser.conftest import PHONE
from tests.browser.test_volunteer_app import open_by_name, point_id, start_day
from tests.browser.volunteer import page_text
from tests.helpers import sign_in_as_admin
from tests.phones import enrol_phone

world = screens.world  # Élodie holds 5,00 € prepaid and 4,00 € of allowance


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_an_allowance_spent_offline_is_lower_everywhere_once_sent(app, browser, phone, live_server, world):
    elodie = world.members["Élodie M."]
    start_day(app, phone, world)
    phone.context.set_offline(True)
    open_by_name(phone, "élodie", "Élodie M.")
    phone.get_by_text("Autre paiement").click()
    phone.get_by_label("Montant de l’allocation solidaire").fill("4")
    phone.get_by_role("button", name="Le reste en espèces").click()
    phone.get_by_role("button", name="Valider la remise").click()
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_contain_text("Élodie Martin")
    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")

    # The admin's household page.
    admin = app.test_client()
    sign_in_as_admin(app, admin, "admin@example.org")
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    text = page_text(admin.get(f"/admin/members/{elodie}/edit").get_data(as_text=True))
    assert "Allocation solidaire : 0,00 €" in text and "Solde prépayé : 5,00 €" in text

    # The member's page, in Chromium at phone size.
    with app.app_context():
        token = db.session.get(Household, elodie).page_token
    member = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR").new_page()
    member.goto(f"/m/{token}")
    balances = member.get_by_role("region", name="État des comptes")
    expect(balances.locator(".balance").first).to_have_text("Allocation solidaire : 0,00 €")
    expect(balances).to_contain_text("−4,00 € retrait du")
    member.context.close()

    # Another phone takes the pack of next week's distribution: it carries the posted balance.
    with app.app_context():
        now = utcnow()
        later = Distribution(
            point_id=point_id(app), starts_at=now + timedelta(days=7), ends_at=now + timedelta(days=7, hours=2)
        )
        db.session.add(later)
        db.session.add(Order(distribution=later, household_id=elodie, share_percent=100))
        db.session.commit()
        later_id = later.id
        volunteer = db.session.get(Order, world.orders["Élodie M."]).distribution.point.id
    other = enrol_phone(app, [volunteer], _victor(app), "Téléphone B")
    pack = other.client.get(f"/api/distributions/{later_id}/pack", headers=other.headers).get_json()
    (member_data,) = [m for m in pack["members"] if m["id"] == elodie]
    assert member_data["balances"] == {"allowance_cents": 0, "prepaid_cents": 500}


def _victor(app) -> int:
    from sqlalchemy import select

    from server.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == "victor@example.org"))
