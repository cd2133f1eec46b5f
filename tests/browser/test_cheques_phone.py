"""One cheque per producer, in real Chromium at 360×640 against the real server: offline, Awa's order holds a
vegetable basket (15,00 €, Ferme du Luzard, cheques to "EARL du Luzard") and two boxes of eggs (5,40 €, Les Œufs de
Brou); the phone proposes two cheques, each for its producer's lines, records one payment per cheque with its payee
and number; the cash screen lists the cheques to hand over by producer. Élodie pays by one cheque whose payee the
volunteer changes. Once sent, the admin's cheques page lists them by producer."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.extensions import db
from server.models import Cheque, Producer, Product
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist, world)
from tests.browser.test_volunteer_app import assert_made_for_one_hand, open_by_code, outbox, start_day
from tests.helpers import make_sign_in_token

ADMIN = {"viewport": {"width": 1280, "height": 800}}
WORDS = re.compile(r"null|undefined|NaN|None|member\.|pay\.|cash\.")


def shot(page: Page, name: str) -> None:
    if folder := os.environ.get("COMPTOIR_SHOTS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def producers(app, world) -> dict[str, int]:
    """The basket is the farm's, the eggs the hen house's: set before the phone downloads the pack."""
    with app.app_context():
        farm = Producer(name="Ferme du Luzard", cheque_payee="EARL du Luzard")
        hens = Producer(name="Les Œufs de Brou")
        db.session.add_all([farm, hens])
        db.session.flush()
        db.session.get(Product, world.basket).producer_id = farm.id
        db.session.get(Product, world.eggs).producer_id = hens.id
        db.session.commit()
        return {"farm": farm.id, "hens": hens.id}


def test_a_member_pays_one_cheque_per_producer_offline(app, phone, world, producers, browser, live_server):
    start_day(app, phone, world)
    phone.context.set_offline(True)  # at the point

    # Awa (tarif plein): 15,00 € to the farm, 5,40 € to the hen house: two cheques, one tap.
    open_by_code(phone, world.codes["Awa D."])
    expect(phone.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()
    cheques = phone.get_by_role("group", name="Un chèque par producteur")
    expect(cheques).to_be_visible()
    # (French elides "de" before a vowel; the amounts end in a no-break space and the euro sign)
    farm_field = phone.get_by_label(re.compile("^N° du chèque à l’ordre d’EARL du Luzard : 15,00\\s€$"))
    hens_field = phone.get_by_label(re.compile("^N° du chèque à l’ordre de Les Œufs de Brou : 5,40\\s€$"))
    farm_field.fill("0001234")
    phone.get_by_role("button", name="Tout remis · payé par 2 chèques").click()
    expect(phone.locator("#quick-cheque-2-error")).to_have_text("Le numéro du chèque manque.")  # the second one
    expect(hens_field).to_be_focused()
    hens_field.fill("0001235")
    assert_made_for_one_hand(phone)
    assert phone.get_by_text(WORDS).count() == 0
    shot(phone, "cheques-per-producer")
    phone.get_by_role("button", name="Tout remis · payé par 2 chèques").click()
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_have_text(
        "Enregistré : Awa Diallo — tout remis, payé : 20,40 €."
    )
    payments = [e["payload"] for e in outbox(phone) if e["type"] == "payment"]
    assert [(p["amount_cents"], p["method_details"], p["payee_producer_id"]) for p in payments] == [
        (1500, "0001234", producers["farm"]),
        (540, "0001235", producers["hens"]),
    ]

    # Élodie (tarif solidaire, 14,28 €) pays it all by one cheque made out to the farm: the volunteer says so.
    open_by_code(phone, world.codes["Élodie M."])
    expect(phone.get_by_role("heading", name="Élodie Martin", level=1)).to_be_visible()
    phone.get_by_text("Autre paiement", exact=True).click()
    payment = phone.locator("#payment")
    expect(payment.get_by_label("Montant par chèque")).to_be_visible()
    expect(payment.get_by_label("Montant du chèque n° 2")).to_be_visible()  # one row per producer, proposed
    payment.get_by_label("Montant par chèque").fill("14,28")
    payment.get_by_label("Numéro du chèque", exact=True).fill("0009999")
    payee = payment.get_by_label("À l’ordre de").first
    expect(payee).to_have_value(str(producers["farm"]))
    payee.select_option(label="Les Œufs de Brou")
    payee.select_option(label="EARL du Luzard")
    shot(phone, "cheque-payee-changed")
    phone.get_by_role("button", name="Valider la remise").click()
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_contain_text("Élodie Martin")
    last = [e["payload"] for e in outbox(phone) if e["type"] == "payment"][-1]
    assert (last["amount_cents"], last["payee_producer_id"]) == (1428, producers["farm"])

    # The cash box: the cheques to hand over, by producer.
    phone.get_by_role("button", name="Caisse", exact=True).click()
    section = phone.locator("#cash-cheques")
    expect(section.get_by_role("heading", name="Chèques à remettre")).to_be_visible()
    expect(section.locator("li").nth(0)).to_have_text("EARL du Luzard : 2 chèques, 29,28 €N° 0001234, 0009999")
    expect(section.locator("li").nth(1)).to_have_text("Les Œufs de Brou : 1 chèque, 5,40 €N° 0001235")
    assert phone.get_by_text(WORDS).count() == 0
    shot(phone, "cash-cheques")

    # Sent, the server keeps each cheque with its payee; the admin's page lists them by producer.
    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    with app.app_context():
        kept = db.session.scalars(select(Cheque).order_by(Cheque.number)).all()
        assert [(c.number, c.payee_producer_id, c.amount_cents) for c in kept] == [
            ("0001234", producers["farm"], 1500),
            ("0001235", producers["hens"], 540),
            ("0009999", producers["farm"], 1428),
        ]
    admin = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR").new_page()
    admin.goto(f"/auth/link/{make_sign_in_token(app, 'coordination@example.org')}")
    admin.get_by_role("button", name="Se connecter").click()
    admin.goto("/admin/cheques/")
    totals = admin.locator("#cheques-by-producer tbody tr")
    expect(totals.nth(0)).to_contain_text("Ferme du Luzard")
    expect(totals.nth(0)).to_contain_text("29,28")
    expect(totals.nth(1)).to_contain_text("Les Œufs de Brou")
    expect(totals.nth(1)).to_contain_text("5,40")
    expect(admin.locator("#cheques tbody tr")).to_have_count(3)
    assert admin.get_by_text(WORDS).count() == 0
    shot(admin, "admin-cheques")
    admin.get_by_label("Sélectionner le chèque 0001235").check()
    admin.get_by_label("Les chèques cochés ont été").select_option(label="Remis au producteur")
    admin.get_by_role("button", name="Marquer les chèques cochés").click()
    expect(admin.get_by_role("status")).to_contain_text("Chèques marqués : 1.")
    expect(admin.locator("#cheques tbody tr")).to_have_count(3)  # back to the same selection
    expect(admin.locator("#cheques")).to_contain_text("Remis au producteur")
    shot(admin, "admin-cheques-marked")

    # The distribution's producers: what each was to deliver and is owed (Awa's and Élodie's baskets and eggs).
    admin.goto(f"/admin/distributions/{world.distribution}/producers")
    farm = admin.locator("section.producer-report").filter(has_text="Ferme du Luzard")
    expect(farm.locator("tfoot")).to_contain_text("30,00")  # two baskets handed over, at full price
    assert admin.get_by_text(WORDS).count() == 0
    shot(admin, "admin-distribution-producers")
    admin.context.close()
