"""A season contract paid from the prepaid account on the volunteer's phone (360×640, offline, real server, real
Chromium): the member screen says « sur le compte prépayé (contrat) » next to the basket and asks only for the eggs;
after the sync the server has debited the prepaid account the basket at the member's tier, once, and the admin's
statement and the member page say so. The world is the volunteer app's: Élodie (tarif solidaire, 70 %) has 20,00 €
prepaid and her vegetable basket (15,00 €) comes from « Légumes été », paid from the prepaid account."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from server.domain.ledger import post
from server.extensions import db
from server.models import Account, Contract, Distribution, Household, OrderLine, Producer
from sync.pricing import line_due_cents
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist)
from tests.browser.test_volunteer_app import open_by_code, start_day
from tests.factories.volunteer_app import VolunteerAppWorld as World
from tests.factories.volunteer_app import volunteer_app_world
from tests.helpers import sign_in_as_admin
from tests.test_distribution_log import text_of

NAME = "Élodie M."


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        made = volunteer_app_world()
        here = db.session.get(Distribution, made.distribution)
        day = here.starts_at.date()
        contract = Contract(
            producer=Producer(name="Ferme des Quatre Vents"),
            point_id=here.point_id,
            name="Légumes été",
            starts_on=day,
            ends_on=day,
            payment="prepaid",
        )
        db.session.add(contract)
        db.session.flush()
        db.session.execute(
            update(OrderLine)
            .where(OrderLine.order_id == made.orders[NAME], OrderLine.product_id == made.basket)
            .values(contract_id=contract.id, paid_in_advance=True)
        )
        post(made.members[NAME], "prepaid", 1500, "opening", reason="test")  # 5,00 € + 15,00 €
        db.session.commit()
        return made


def prepaid(app, world: World) -> int:
    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(
            select(Account.balance_cents).where(Account.household_id == world.members[NAME], Account.kind == "prepaid")
        )


def test_the_basket_is_taken_from_the_prepaid_account_after_the_sync(app, client, live_server, phone, world):
    basket_cents = line_due_cents(1, 1500, 70)  # 10,50 €
    eggs_cents = line_due_cents(2, 270, 70)  # 3,78 €
    before = prepaid(app, world)
    assert before == 2000
    start_day(app, phone, world)
    phone.context.set_offline(True)
    open_by_code(phone, world.codes[NAME])
    expect(phone.get_by_role("heading", name="Élodie Martin", level=1)).to_be_visible()
    basket = phone.get_by_role("region", name="À remettre")
    expect(basket).to_contain_text("1 × Panier de légumes M")
    expect(basket).to_contain_text("sur le compte prépayé (contrat)")
    expect(basket).not_to_contain_text("payé d’avance")
    expect(phone.locator("#to-collect")).to_contain_text("3,78 €")  # the eggs only
    phone.screenshot(path="/tmp/prepaid-contract-phone.png")
    phone.get_by_text("Autre paiement").click()  # the basket is kept aside: 20,00 € − 10,50 € may pay the eggs
    expect(phone.locator("main")).to_contain_text("Disponible : 9,50 €")
    phone.get_by_text("Autre paiement").click()
    phone.get_by_role("button", name="Tout remis · payé en espèces").click()
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_contain_text("3,78 €")
    assert prepaid(app, world) == before  # nothing reached the server yet
    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    assert prepaid(app, world) == before - basket_cents == 950
    assert eggs_cents == 378

    with app.app_context():
        token = db.session.get(Household, world.members[NAME]).page_token
    member = phone.context.new_page()
    member.goto(f"{live_server}/m/{token}")
    words = member.locator("main").inner_text().replace("\u00a0", " ")
    assert "Solde prépayé : 9,50 €" in words, words
    assert "−10,50 € panier « Légumes été » du" in words, words
    member.close()

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    sign_in_as_admin(app, client, "admin@example.org")
    admin = text_of(client.get(f"/admin/members/{world.members[NAME]}/accounts")).replace("\u00a0", " ")
    assert "9,50 €" in admin and "Panier « Légumes été » du" in admin and "sur le compte prépayé" in admin, admin
