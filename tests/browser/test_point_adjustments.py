"""Adjustments at the point, in real Chromium at 360×640 against the real server (docs/point-adjustments.md):
offline, the volunteer weighs Élodie's Comté (ordered ≈ 500 g at 24,50 €/kg, 480 g on the scale), the amount to
collect follows the weight by the one rule (pwa/src/pricing.js = sync/pricing.py) and is taken from her accounts;
once sent, the admin's log and the order page say the weight and her prepaid balance is down by what the weight
cost, not the estimate."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from server.domain.ledger import post
from server.extensions import db
from server.models import Account, NetworkSettings, Order, OrderLine, Point, Product
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist)
from tests.browser.test_volunteer_app import assert_made_for_one_hand, open_by_code, outbox, point_id, start_day
from tests.factories.primitives import member_of
from tests.factories.volunteer_app import VolunteerAppWorld, volunteer_app_world
from tests.helpers import make_sign_in_token
from tests.phones import enrol_phone

ADMIN = {"viewport": {"width": 1280, "height": 800}}
WORDS = re.compile(r"null|undefined|NaN|None|weight\.|member\.")


def shot(page: Page, name: str) -> None:
    if folder := os.environ.get("COMPTOIR_SHOTS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def world(app) -> VolunteerAppWorld:
    """The four-member distribution; Élodie (tarif solidaire, 70 %) also ordered about 500 g of Comté at
    24,50 €/kg and has 50,00 € on her prepaid account (4,00 € of allowance). The network lets a prepaid account go
    10,00 € below zero: what the phone says is left on the account is still what it holds, not that floor."""
    with app.app_context():
        found = volunteer_app_world()
        cheese = Product(code="COMTE", name="Comté", unit_price_cents=2450, sold_by="kg")
        order = db.session.get(Order, found.orders["Élodie M."])
        order.lines.append(OrderLine(product=cheese, quantity=500, unit_price_cents=2450))
        post(found.members["Élodie M."], "prepaid", 4500, "opening")
        NetworkSettings.current().prepaid_floor_cents = 1000
        db.session.commit()
        return found


def prepaid(app, household_id: int) -> int:
    with app.app_context():
        return db.session.query(Account).filter_by(household_id=household_id, kind="prepaid").one().balance_cents


def test_a_weighed_hand_over_offline(app, phone, world, browser, live_server):
    start_day(app, phone, world)
    phone.context.set_offline(True)  # at the point

    open_by_code(phone, world.codes["Élodie M."])
    expect(phone.get_by_role("heading", name="Élodie Martin", level=1)).to_be_visible()
    expect(phone.locator(".to-hand-over")).to_contain_text("Comté ≈ 500 g · 24,50 €/kg")
    # At the estimate: 10,50 € + 3,78 € + 8,58 € (12,25 € at 70 %).
    expect(phone.locator("#to-collect")).to_have_text("22,86 €")
    weight = phone.get_by_label("Poids de « Comté » (commandé ≈ 500 g)")
    quick = phone.get_by_role("button", name="Tout remis · sur l’allocation solidaire et le compte prépayé")

    # Not weighed, or not a weight: said under the field, nothing recorded.
    quick.click()
    expect(phone.get_by_text("Pesez « Comté » et tapez son poids (ex. 480 g ou 0,48 kg).")).to_be_visible()
    weight.fill("quatre cents")
    quick.click()
    expect(phone.get_by_text(re.compile(r"^Poids de «\sComté\s» : un nombre de grammes"))).to_be_visible()
    assert outbox(phone) == []

    # 480 g: 11,76 € full, 8,23 € at 70 %; 22,51 € in all.
    weight.fill("0,48 kg")
    expect(phone.locator("#to-collect")).to_have_text("22,51 €")
    assert phone.get_by_text(WORDS).count() == 0
    assert_made_for_one_hand(phone)
    shot(phone, "weighed-form")
    quick.click()
    expect(phone.locator("#message")).to_have_text(
        "Enregistré : Élodie Martin — tout remis, payé : 22,51 €, reste 0,00 € sur l’allocation, "
        "reste 31,49 € sur le compte prépayé."
    )
    handover, payment = outbox(phone)[:2]
    cheese = next(line["product_id"] for line in handover["payload"]["weighed"])
    assert handover["payload"]["weighed"] == [{"product_id": cheese, "grams": 480}]
    assert payment["payload"]["amount_cents"] == 2251
    assert (payment["payload"]["from_allowance_cents"], payment["payload"]["from_prepaid_cents"]) == (400, 1851)

    # The baker's eggs: 3 boxes came for the 6 the three others ordered (Élodie collected hers before): one each.
    phone.get_by_role("button", name="Listes", exact=True).click()
    phone.get_by_text("Manquants (livraison incomplète)", exact=True).click()
    phone.get_by_role("button", name="Enregistrer le manquant").click()
    expect(phone.get_by_text("Choisissez le produit manquant.")).to_be_visible()
    phone.get_by_label("Produit manquant").select_option(label="Œufs plein air ×6")
    delivered = phone.get_by_label("Quantité livrée pour ceux qui n’ont pas encore récupéré (0 : rien)")
    delivered.fill("trois")
    phone.get_by_role("button", name="Enregistrer le manquant").click()
    expect(phone.get_by_text("Quantité livrée : un nombre entier, 0 si rien n’est arrivé.")).to_be_visible()
    delivered.fill("3")
    shot(phone, "shortage-form")
    phone.get_by_role("button", name="Enregistrer le manquant").click()
    dialog = phone.get_by_role("dialog", name="Manquant : Œufs plein air ×6 ?")
    expect(dialog).to_contain_text("Livraison de 3, partagée entre les adhérents qui n’ont pas encore récupéré")
    dialog.get_by_role("button", name="Oui, enregistrer").click()
    expect(phone.locator("#message")).to_have_text("Manquant enregistré : Œufs plein air ×6.")
    expect(phone.get_by_role("list", name="Manquants enregistrés")).to_contain_text(
        "Œufs plein air ×6 : livraison de 3 pour ceux qui n’ont pas encore récupéré"
    )
    # Awa (full price) receives one box of two: 15,00 € + 2,70 €.
    open_by_code(phone, world.codes["Awa D."])
    expect(phone.locator(".to-hand-over")).to_contain_text("Manquant : Œufs plein air ×6, 1 sur la commande de 2.")
    expect(phone.locator(".to-hand-over")).to_contain_text("1 × Œufs plein air ×6")
    expect(phone.locator("#to-collect")).to_have_text("17,70 €")
    assert phone.get_by_text(WORDS).count() == 0
    shot(phone, "shortage-member")
    phone.get_by_role("button", name="Tout remis · payé en espèces").click()
    expect(phone.locator("#message")).to_contain_text("Enregistré : Awa Diallo — tout remis, payé : 17,70 €")
    shortage = next(event for event in outbox(phone) if event["type"] == "shortage")
    assert shortage["payload"] == {"product_id": world.eggs, "delivered": 3}

    # Sent: the log and the order page say the weight; the prepaid account paid what the weight cost.
    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    assert prepaid(app, world.members["Élodie M."]) == 5000 - 1851
    admin = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR").new_page()
    admin.goto(f"/auth/link/{make_sign_in_token(app, 'coordination@example.org')}")
    admin.get_by_role("button", name="Se connecter").click()
    admin.goto(f"/admin/distributions/{world.distribution}/log")
    expect(admin.locator("table.timeline")).to_contain_text("pesé : Comté (480 g)")
    shot(admin, "weighed-log")
    admin.goto(f"/admin/orders/{world.orders['Élodie M.']}")
    expect(admin.locator("main")).to_contain_text("Comté (480 g)")
    expect(admin.locator("main")).to_contain_text("22,51 €")
    expect(admin.locator("main")).to_contain_text("≈ 500 g × 24,50 €/kg")
    expect(admin.locator("main")).not_to_contain_text("Manquant :")  # collected before the shortage
    assert admin.get_by_text(re.compile(r"null|undefined|None")).count() == 0
    shot(admin, "weighed-order")
    admin.goto(f"/admin/orders/{world.orders['Awa D.']}")
    expect(admin.locator("main")).to_contain_text("Manquant : Œufs plein air ×6, 1 sur 2")
    expect(admin.locator("main")).to_contain_text("Dû pour ce qui a été pris : 17,70 €")
    shot(admin, "shortage-order")
    admin.context.close()


def test_paid_before_the_shortage_comes_back_on_the_phone_and_the_server(app, phone, world, live_server):
    """Awa (full price, 50,00 € prepaid) paid her whole order, 20,40 €, from her prepaid account on the other phone
    before the baker called; offline, no eggs came: her order owes 15,00 €, and the 5,40 € of eggs come back, on
    this phone at once and on the server once sent."""
    with app.app_context():
        post(world.members["Awa D."], "prepaid", 5000, "opening")
        point = db.session.get(Point, point_id(app))
        omar = member_of(point, "volunteer", "omar@example.org", "Omar")
        db.session.add(omar)
        db.session.commit()
        omar_id = omar.id
    other = enrol_phone(app, [point_id(app)], omar_id, "Téléphone d’Omar")
    paid = other.record(
        "payment",
        {"order_id": world.orders["Awa D."], "amount_cents": 2040, "method": "prepaid", "from_prepaid_cents": 2040},
        world.distribution,
    )
    assert other.push([paid]).status_code == 200
    assert prepaid(app, world.members["Awa D."]) == 5000 - 2040
    start_day(app, phone, world)  # the pack, and the other phone's payment pulled with it
    phone.context.set_offline(True)

    phone.get_by_role("button", name="Listes", exact=True).click()
    phone.get_by_text("Manquants (livraison incomplète)", exact=True).click()
    phone.get_by_label("Produit manquant").select_option(label="Œufs plein air ×6")
    phone.get_by_label("Quantité livrée pour ceux qui n’ont pas encore récupéré (0 : rien)").fill("0")
    phone.get_by_role("button", name="Enregistrer le manquant").click()
    phone.get_by_role("dialog").get_by_role("button", name="Oui, enregistrer").click()
    expect(phone.locator("#message")).to_have_text("Manquant enregistré : Œufs plein air ×6.")

    open_by_code(phone, world.codes["Awa D."])
    expect(
        phone.get_by_text("Produit manquant : 5,40 € payés avant reviennent sur les comptes du foyer.")
    ).to_be_visible()
    expect(phone.get_by_text("Déjà payé pour cette commande : 15,00 €.")).to_be_visible()
    assert phone.get_by_text(WORDS).count() == 0
    shot(phone, "shortage-credit-member")

    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    assert prepaid(app, world.members["Awa D."]) == 5000 - 2040 + 540


def test_a_hand_over_replaces_a_line_by_another_product_priced(app, phone, world, browser, live_server):
    """No Comté left for Élodie (70 %): she takes Brie de Meaux, 22,00 €/kg in the pack (Awa ordered some); the
    volunteer chooses it under "Remplacer « Comté » par…", weighs 480 g, and the amount follows: 10,50 € + 3,78 € +
    480 g × 22,00 €/kg = 10,56 €, 7,39 € at 70 %: 21,67 €. Once sent, the order page says it."""
    with app.app_context():
        brie = Product(code="BRIE", name="Brie de Meaux", unit_price_cents=2200, sold_by="kg")
        awa = db.session.get(Order, world.orders["Awa D."])
        awa.lines.append(OrderLine(product=brie, quantity=300, unit_price_cents=2200))
        db.session.commit()
        brie_id = brie.id
    start_day(app, phone, world)
    phone.context.set_offline(True)
    open_by_code(phone, world.codes["Élodie M."])
    phone.get_by_text("Remise partielle, remplacement ou refus").click()
    phone.get_by_role("radio", name="En partie").check()
    phone.get_by_label("Remplacer « Comté » par…").select_option(label="Brie de Meaux · 22,00 €/kg")
    phone.get_by_role("button", name="Valider la remise").click()
    expect(phone.get_by_text("Pesez « Brie de Meaux » et tapez son poids (ex. 480 g ou 0,48 kg).")).to_be_visible()
    phone.get_by_label("Poids de « Comté » (commandé ≈ 500 g)").fill("480")
    expect(phone.locator("#due-amount")).to_have_text("21,67 €")
    phone.get_by_role("button", name="Le reste par carte").click()
    assert phone.get_by_text(WORDS).count() == 0
    shot(phone, "substituted-form")
    phone.get_by_role("button", name="Valider la remise").click()
    expect(phone.get_by_role("status").filter(has_text="Élodie Martin")).to_contain_text("payé : 21,67 €")
    handover, payment = outbox(phone)[:2]
    cheese = next(line["product_id"] for line in handover["payload"]["substituted"])
    assert handover["payload"]["outcome"] == "all"  # every other line given whole: all, one line as another
    assert handover["payload"]["substituted"] == [
        {"product_id": cheese, "by_product_id": brie_id, "quantity": 480, "unit_price_cents": 2200}
    ]
    assert payment["payload"]["amount_cents"] == 2167

    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    admin = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR").new_page()
    admin.goto(f"/auth/link/{make_sign_in_token(app, 'coordination@example.org')}")
    admin.get_by_role("button", name="Se connecter").click()
    admin.goto(f"/admin/orders/{world.orders['Élodie M.']}")
    main = admin.locator("main")
    expect(main).to_contain_text("Remplacé : Comté → Brie de Meaux à 22,00 €/kg")
    expect(main).to_contain_text("Brie de Meaux (480 g)")
    expect(main).to_contain_text("Dû pour ce qui a été pris : 21,67 €")
    shot(admin, "substituted-order")
    admin.context.close()
