"""A credit paid at the point from the volunteer app, in real Chromium at 360×640 against the real server: offline,
the volunteer credits Awa's prepaid account with 20,00 € in cash (50,00 € given, 30,00 € back); her available balance
includes it at once, the cash box expects it; a cheque credited by mistake is undone like any action; once sent, the
admin's distribution log says it in words."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_cash_after_count import count, summary
from tests.browser.test_volunteer_app import (  # noqa: F401
    app_config,
    assert_made_for_one_hand,
    dist,
    open_by_code,
    start_day,
    world,
)
from tests.helpers import make_sign_in_token

ADMIN = {"viewport": {"width": 1280, "height": 800}}
WORDS = re.compile(r"null|undefined|NaN|None|topup\.|top_up")


@pytest.fixture
def backend() -> str:
    """The browser path on SQLite only: the API test holds the same on PostgreSQL."""
    return "sqlite"


def shot(page: Page, name: str) -> None:
    if folder := os.environ.get("COMPTOIR_SHOTS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def credit(page: Page, amount: str, method: str, **fields: str) -> None:
    """Open "Créditer le compte prépayé" on the member screen, fill it in and confirm."""
    section = page.locator("#top-up")
    if section.get_attribute("open") is None:
        page.get_by_text("Créditer le compte prépayé", exact=True).click()
    page.get_by_label("Montant à créditer").fill(amount)
    page.get_by_role("group", name="Versé par").get_by_label(method, exact=True).check()
    for label, value in fields.items():
        page.get_by_label(label.replace("_", " "), exact=True).fill(value)


def test_a_volunteer_credits_a_prepaid_account_offline(app, phone, world, browser, live_server):  # noqa: F811
    start_day(app, phone, world)
    phone.context.set_offline(True)  # at the point
    count(phone, "opening", "30")

    open_by_code(phone, world.codes["Awa D."])
    expect(phone.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()
    phone.get_by_text("Créditer le compte prépayé", exact=True).click()
    expect(phone.locator("#top-up-balance")).to_have_text("Solde disponible : 0,00 €")
    credit(phone, "20", "Espèces", **{"Somme donnée pour le versement": "50"})
    expect(phone.locator("#top-up-change")).to_have_text("Monnaie à rendre : 30,00 €")
    assert_made_for_one_hand(phone)
    shot(phone, "top-up-form")
    phone.get_by_role("button", name="Créditer le compte").click()
    dialog = phone.get_by_role("dialog", name="Créditer le compte prépayé ?")
    expect(dialog).to_contain_text("Versement de 20,00 € en espèces sur le compte prépayé d’Awa Diallo.")
    dialog.get_by_role("button", name="Oui, créditer").click()
    expect(phone.locator("#message")).to_have_text(
        "Enregistré : Versement de 20,00 € en espèces sur le compte prépayé d’Awa Diallo — monnaie à rendre : 30,00 €."
    )
    # The same member, with the credit in what is available at once.
    expect(phone.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()
    expect(phone.locator("#top-up-balance")).to_have_text("Solde disponible : 20,00 €")
    assert phone.get_by_text(WORDS).count() == 0
    shot(phone, "top-up-recorded")

    # A cheque without its number is asked for it; recorded by mistake, it is undone like any action.
    credit(phone, "15", "Chèque")
    phone.get_by_role("button", name="Créditer le compte").click()
    expect(phone.locator("#top-up-details-error")).to_have_text("Le numéro du chèque manque.")
    shot(phone, "top-up-cheque-error")
    phone.get_by_label("Numéro du chèque", exact=True).fill("0004567")
    phone.get_by_role("button", name="Créditer le compte").click()
    phone.get_by_role("dialog", name="Créditer le compte prépayé ?").get_by_role("button", name="Oui, créditer").click()
    expect(phone.locator("#top-up-balance")).to_have_text("Solde disponible : 35,00 €")
    phone.locator("#member-close").click()

    # The cash box expects the cash credit (not the cheque).
    phone.get_by_role("button", name="Caisse", exact=True).click()
    expect(phone.locator("#cash-top-ups")).to_have_text("Dont 20,00 € de versements sur les comptes prépayés.")
    figures = summary(phone)
    assert figures["Espèces encaissées"] == "20,00 €", figures
    assert figures["Attendu en caisse"] == "50,00 €", figures
    expect(phone.locator("#cash-body").get_by_text(re.compile("^Dernière action : "))).to_contain_text(
        "versement de 15,00 € sur le compte d’Awa Diallo"
    )
    shot(phone, "top-up-cash")
    phone.locator("#cash-body").get_by_role("button", name="Annuler la dernière action").click()
    phone.get_by_role("dialog", name="Annuler cette action ?").get_by_role("button", name="Oui, annuler").click()
    expect(phone.locator("#message")).to_contain_text("Annulé : versement de 15,00 €")
    assert summary(phone)["Attendu en caisse"] == "50,00 €"

    open_by_code(phone, world.codes["Awa D."])
    phone.get_by_text("Créditer le compte prépayé", exact=True).click()
    expect(phone.locator("#top-up-balance")).to_have_text("Solde disponible : 20,00 €")
    phone.locator("#member-close").click()

    # Sent, the admin's log says it.
    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    admin = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR").new_page()
    admin.goto(f"/auth/link/{make_sign_in_token(app, 'coordination@example.org')}")
    admin.get_by_role("button", name="Se connecter").click()
    admin.goto(f"/admin/distributions/{world.distribution}/log")
    expect(admin.locator("table.timeline")).to_contain_text(
        "Versement de 20,00 € en espèces sur le compte prépayé d'Awa Diallo"
    )
    expect(admin.locator('[data-figure="top-ups"]')).to_have_text("20,00 €")
    shot(admin, "top-up-log")
    admin.context.close()


def test_cash_given_short_for_a_credit_is_said_once_under_its_field(app, phone, world):  # noqa: F811
    """20 € to credit, 5 € given: the error is said once, in the field's note, not again in the change line."""
    start_day(app, phone, world)
    open_by_code(phone, world.codes["Awa D."])
    expect(phone.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()
    credit(phone, "20", "Espèces", **{"Somme donnée pour le versement": "5"})
    short = "La somme donnée est inférieure au montant à créditer."
    given = phone.get_by_label("Somme donnée pour le versement", exact=True)
    expect(phone.get_by_text(short)).to_have_count(1)
    expect(phone.locator("#top-up-change")).to_have_text("")
    expect(phone.locator(f"#{given.get_attribute('aria-describedby')}")).to_have_text(short)
    phone.get_by_role("button", name="Créditer le compte").click()
    expect(phone.get_by_text(short)).to_have_count(1)
    expect(phone.get_by_role("dialog")).to_have_count(0)
    given.fill("50")
    expect(phone.get_by_text(short)).to_have_count(0)
    expect(phone.locator("#top-up-change")).to_have_text("Monnaie à rendre : 30,00 €")
