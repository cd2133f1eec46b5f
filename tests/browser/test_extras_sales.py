"""Extras sold at the point, in real Chromium at 360×640 against the real server: offline, the volunteer sells
Élodie (tarif solidaire, 70 %; allowance 4,00 €) the last two jars of honey and a bottle of wine; the stock left
shows on the phone at once; the allowance pays only the honey (the wine is not an agreed product), and her basket's
allowance is capped at its eligible lines. Meanwhile another phone sold a jar of the same honey: once both are sent,
the sale beyond the stock is an ``oversold`` conflict the admin's log says in a sentence, and the allowance's part is
on Élodie's account once (docs/extras.md)."""

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.domain.events import refresh_conflicts
from server.domain.extras import set_extra
from server.domain.ledger import account_for
from server.extensions import db
from server.models import Distribution, Product, User
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist, world)
from tests.browser.test_volunteer_app import assert_made_for_one_hand, open_by_name, outbox, point_id, start_day
from tests.helpers import make_sign_in_token
from tests.phones import enrol_phone

ADMIN = {"viewport": {"width": 1280, "height": 800}}
WORDS = re.compile(r"null|undefined|NaN|None|sale\.|\bsale\b")


def shot(page: Page, name: str) -> None:
    if folder := os.environ.get("COMPTOIR_SHOTS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def catalogue(app, world) -> dict[str, int]:
    """Honey (6,50 €, stock 2) and wine (8,00 €, stock 5, not payable by the allowance) as extras; the basket of
    every order no longer payable by the allowance (the eggs still are)."""
    with app.app_context():
        honey = Product(code="MIEL", name="Miel de fleurs", unit="pot de 500 g", unit_price_cents=650)
        wine = Product(code="VIN", name="Vin rouge", unit_price_cents=800, allowance_eligible=False)
        db.session.add_all([honey, wine])
        db.session.flush()
        db.session.get(Product, world.basket).allowance_eligible = False
        distribution = db.session.get(Distribution, world.distribution)
        set_extra(distribution, honey.id, 2, actor=None)
        set_extra(distribution, wine.id, 5, actor=None)
        db.session.commit()
        return {"honey": honey.id, "wine": wine.id}


def quantity(page: Page, name: str, value: str) -> None:
    page.locator("#sale").get_by_label(re.compile(f"^{name}")).fill(value)


def test_two_phones_sell_the_last_units_offline_and_the_allowance_pays_only_agreed_products(
    app, phone, world, browser, live_server
):
    products = catalogue(app, world)
    start_day(app, phone, world)
    phone.context.set_offline(True)  # at the point

    open_by_name(phone, "élodie", "Élodie M.")
    # Her basket: the vegetables are not an agreed product; only the eggs (2 × 2,70 € at 70 % = 3,78 €) may be paid
    # from the allowance.
    expect(phone.locator("#allowance-cap")).to_have_text(
        "L’allocation ne paie que les produits agréés : au plus 3,78 € pour ce panier."
    )
    # The balances are what the accounts hold (4,00 € on the allowance), not the basket's cap; the allowance's payment
    # row says both, apart.
    expect(phone.locator(".balances")).to_have_text("Compte prépayé : 5,00 € · Allocation solidaire : 4,00 €")
    phone.get_by_text("Autre paiement", exact=True).click()
    expect(phone.locator(".method[data-method=allowance] small")).to_have_text(
        "Pour ce panier : au plus 3,78 € (produits agréés) · solde de l’allocation : 4,00 €"
    )
    phone.get_by_label("Montant de l’allocation solidaire").fill("4")
    phone.locator("#member-confirm").click()
    expect(
        phone.get_by_text("Pour ce panier, l’allocation ne paie que les produits agréés : au plus 3,78 €.")
    ).to_be_visible()
    phone.get_by_label("Montant de l’allocation solidaire").fill("")
    phone.get_by_text("Autre paiement", exact=True).click()
    phone.get_by_text("Vendre des extras", exact=True).click()
    expect(phone.locator(f"#sale-about-{products['honey']}")).to_have_text("4,55 € pièce · reste 2")
    expect(phone.locator(f"#sale-about-{products['wine']}")).to_have_text("5,60 € pièce · reste 5 · hors allocation")

    # Wine alone cannot be paid from the allowance: said under the field, nothing recorded.
    quantity(phone, "Vin rouge", "1")
    phone.get_by_label("Depuis l’allocation").fill("1")
    phone.get_by_role("button", name="Enregistrer la vente").click()
    allowance = phone.get_by_label("Depuis l’allocation")
    expect(phone.locator(f"#{allowance.get_attribute('aria-describedby')}")).to_have_text(
        "L’allocation ne paie que les produits agréés : au plus 0,00 € pour cette vente."
    )
    # Three jars is more than the stock this phone sees.
    quantity(phone, "Miel de fleurs", "3")
    phone.get_by_role("button", name="Enregistrer la vente").click()
    honey = phone.locator("#sale").get_by_label(re.compile("^Miel de fleurs"))
    expect(phone.locator(f"#{honey.get_attribute('aria-describedby')}")).to_contain_text(
        "Il n’en reste que 2 : vendez-en 2 au plus."
    )
    assert outbox(phone) == []

    # Two jars and the wine: 9,10 € + 5,60 € = 14,70 €; 4,00 € from the allowance (all it holds), the rest in cash.
    quantity(phone, "Miel de fleurs", "2")
    expect(phone.get_by_text("Il n’en reste que 2 : vendez-en 2 au plus.")).to_have_count(0)  # mended: gone
    allowance.fill("4")
    expect(phone.locator("#sale-total")).to_have_text("14,70 €")
    expect(phone.locator("#sale-allowance-hint")).to_have_text(
        "Pour ces extras : au plus 4,00 € (produits agréés) · solde de l’allocation : 4,00 €"
    )
    assert_made_for_one_hand(phone)
    assert phone.get_by_text(WORDS).count() == 0, phone.get_by_text(WORDS).all_inner_texts()
    shot(phone, "extras-sale-form")
    phone.get_by_role("button", name="Enregistrer la vente").click()
    dialog = phone.get_by_role("dialog", name="Enregistrer la vente ?")
    expect(dialog).to_contain_text("Vente d’extras de 14,70 € à Élodie Martin.")
    dialog.get_by_role("button", name="Oui, enregistrer").click()
    expect(phone.locator("#message")).to_have_text("Enregistré : Vente d’extras de 14,70 € à Élodie Martin.")
    (sale,) = outbox(phone)
    assert sale["type"] == "sale"
    assert sale["payload"] == {
        "household_id": world.members["Élodie M."],
        "lines": [
            {"product_id": products["honey"], "quantity": 2, "unit_price_cents": 650},
            {"product_id": products["wine"], "quantity": 1, "unit_price_cents": 800},
        ],
        "share_percent": 70,
        "amount_cents": 1470,
        "method": "cash",
        "method_details": None,
        "from_prepaid_cents": 0,
        "from_allowance_cents": 400,
    }
    # The stock goes down on the phone at once.
    phone.get_by_text("Vendre des extras", exact=True).click()
    expect(phone.locator(f"#sale-about-{products['honey']}")).to_have_text("4,55 € pièce · reste 0")
    shot(phone, "extras-after-sale")

    # Someone who is not a member buys a bottle of wine from the scan screen: the full price, in cash.
    phone.locator("#member-close").click()
    phone.get_by_role("button", name="Scanner", exact=True).click()
    phone.get_by_text("Vente d’extras sans adhérent", exact=True).click()
    expect(phone.locator(f"#anon-sale-about-{products['honey']}")).to_have_text("6,50 € pièce · reste 0")
    expect(phone.locator("#anon-sale-allowance")).to_have_count(0)  # no account, no allowance
    phone.locator(f"#anon-sale-qty-{products['wine']}").fill("1")
    expect(phone.locator("#anon-sale-total")).to_have_text("8,00 €")
    assert phone.get_by_text(WORDS).count() == 0, phone.get_by_text(WORDS).all_inner_texts()
    shot(phone, "extras-anonymous-sale")
    phone.locator("#anon-sale-confirm").click()
    dialog = phone.get_by_role("dialog", name="Enregistrer la vente ?")
    expect(dialog).to_contain_text("Vente d’extras de 8,00 € à un acheteur anonyme, au prix plein.")
    dialog.get_by_role("button", name="Oui, enregistrer").click()
    expect(phone.locator("#message")).to_contain_text("Enregistré : Vente d’extras de 8,00 € à un acheteur anonyme")
    _, anonymous_wine = outbox(phone)
    assert anonymous_wine["payload"]["household_id"] is None and anonymous_wine["payload"]["amount_cents"] == 800
    phone.get_by_text("Vente d’extras sans adhérent", exact=True).click()
    expect(phone.locator(f"#anon-sale-about-{products['wine']}")).to_have_text(
        "8,00 € pièce · reste 3 · hors allocation"
    )

    # Another phone of the point, offline too, sold a jar of the same honey to an anonymous buyer, and sent it.
    with app.app_context():
        victor = db.session.scalar(select(User.id).where(User.email == "victor@example.org"))
    other = enrol_phone(app, [point_id(app)], victor, name="Téléphone de Sami")
    jar = {"lines": [{"product_id": products["honey"], "quantity": 1, "unit_price_cents": 650}]}
    anonymous = other.record("sale", {**jar, "amount_cents": 650, "method": "cash"}, world.distribution)
    assert other.push([anonymous]).status_code == 200

    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    with app.app_context():
        refresh_conflicts(db.session.get(Distribution, world.distribution))
        db.session.commit()
        assert account_for(world.members["Élodie M."], "allowance").balance_cents == 0  # 4,00 € taken, once

    admin = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR").new_page()
    admin.goto(f"/auth/link/{make_sign_in_token(app, 'coordination@example.org')}")
    admin.get_by_role("button", name="Se connecter").click()
    admin.goto(f"/admin/distributions/{world.distribution}/log")
    expect(admin.get_by_text("Extras vendus au-delà du stock").first).to_be_visible()
    expect(admin.locator("body")).to_contain_text(
        "Miel de fleurs : 3 vendus par les téléphones pour un stock de 2, 1 de trop."
    )
    expect(admin.locator("table.timeline")).to_contain_text("Acheteur anonyme")
    shot(admin, "extras-oversold-log")
    admin.goto(f"/admin/distributions/{world.distribution}/extras")
    expect(admin.locator("table")).to_contain_text("1 de trop")
    assert admin.get_by_text(re.compile(r"null|undefined|None")).count() == 0
    shot(admin, "extras-catalogue")
    admin.context.close()


def test_an_extra_sold_by_weight_is_weighed_on_the_phone_offline(app, phone, world, live_server):
    """A Tomme at 24,50 €/kg, 1 kg in stock: offline, the phone asks its weight (typed as the hand-over's weighing
    reads it), prices 480 g by the kg rule at Élodie's 70 % (8,23 €), refuses more than what is left, records the
    grams on the sale line, and counts the stock down in grams; the server takes the sale as it is."""
    with app.app_context():
        tomme = Product(code="TOM", name="Tomme", unit_price_cents=2450, sold_by="kg")
        db.session.add(tomme)
        db.session.flush()
        set_extra(db.session.get(Distribution, world.distribution), tomme.id, 1000, actor=None)
        db.session.commit()
        tomme_id = tomme.id
    start_day(app, phone, world)
    phone.context.set_offline(True)
    open_by_name(phone, "élodie", "Élodie M.")
    phone.get_by_text("Vendre des extras", exact=True).click()
    expect(phone.locator(f"#sale-about-{tomme_id}")).to_have_text("17,15 € le kg · reste 1 kg")
    weight = phone.locator(f"#sale-qty-{tomme_id}")
    expect(weight).to_have_attribute("placeholder", "ex. 480 g ou 0,48 kg")
    weight.fill("1,2 kg")
    phone.locator("#sale-confirm").click()
    expect(phone.locator(f"#{weight.get_attribute('aria-describedby')}")).to_have_text(
        "Il n’en reste que 1 kg : vendez-en 1 kg au plus."
    )
    weight.fill("beaucoup")
    expect(phone.locator(f"#{weight.get_attribute('aria-describedby')}")).to_contain_text("Poids de « Tomme »")
    weight.fill("0,48")
    expect(phone.locator("#sale-total")).to_have_text("8,23 €")
    assert_made_for_one_hand(phone)
    assert phone.get_by_text(WORDS).count() == 0, phone.get_by_text(WORDS).all_inner_texts()
    shot(phone, "extras-sale-by-weight")
    phone.locator("#sale-confirm").click()
    phone.get_by_role("dialog", name="Enregistrer la vente ?").get_by_role("button", name="Oui, enregistrer").click()
    expect(phone.locator("#message")).to_have_text("Enregistré : Vente d’extras de 8,23 € à Élodie Martin.")
    (sale,) = outbox(phone)
    assert sale["payload"]["lines"] == [{"product_id": tomme_id, "quantity": 1, "unit_price_cents": 2450, "grams": 480}]
    assert sale["payload"]["amount_cents"] == 823
    phone.get_by_text("Vendre des extras", exact=True).click()
    expect(phone.locator(f"#sale-about-{tomme_id}")).to_have_text("17,15 € le kg · reste 520 g")
    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
