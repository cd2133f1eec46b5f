"""The cheque calendar in Chromium at 1280×800: the treasurer opens a contract paid by cheques, its calendar (one row
per member, one column per month), marks a cheque received with its number and bank, then hands it to the producer.
Screens in French, every word read."""

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server.domain.contract_orders import local_day
from server.domain.contracts import create_contract, set_contract_product, subscribe
from server.extensions import db
from server.models import Cheque, Distribution, Household, Point, Product
from tests.factories.contracts import contracts_world
from tests.helpers import make_sign_in_token

SHOTS = Path("/tmp/shots/cheque-calendar")


@pytest.fixture
def backend() -> str:
    """The page reads the same rows on both databases (the rules and pages are tested on both)."""
    return "sqlite"


def no_slips(page) -> None:
    text = page.locator("body").inner_text()
    for slip in ("None", "null", "undefined", "Expected", "Received", "Cheque calendar", "%("):
        assert slip not in text, (slip, text)


def test_the_treasurer_marks_a_cheque_received_then_handed_over(app, browser, live_server):
    with app.app_context():
        world = contracts_world()
        first = local_day(db.session.get(Distribution, world.distributions[0]))
        contract = create_contract(
            db.session.get(Point, world.point),
            {
                "name": "Légumes été",
                "producer_id": world.farmer,
                "starts_on": first,
                "ends_on": first + timedelta(weeks=5, days=1),
                "payment": "cheques",
                "cheque_count": 3,
            },
        )
        set_contract_product(contract, db.session.get(Product, world.basket), 1500)
        for i in (0, 1):
            subscribe(contract, db.session.get(Household, world.households[i]))
        db.session.commit()
        contract_id, member = contract.id, world.households[0]

    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    page.goto(f"/auth/link/{make_sign_in_token(app, 'admin@example.org')}")
    page.get_by_role("button").first.click()
    page.wait_for_url("**/admin/**")
    page.goto(f"/admin/contracts/{contract_id}")
    page.get_by_role("link", name="Calendrier des chèques").click()
    expect(page.get_by_role("heading", name="Calendrier des chèques · Légumes été")).to_be_visible()
    row = page.locator(f"#member-{member}")
    expect(row).to_contain_text("H0 Martin")
    expect(row).to_contain_text("30,00 €")
    expect(page.locator("#member-" + str(world.households[1]))).to_contain_text("21,00 €")  # 70 %
    no_slips(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "calendar.png"), full_page=True)

    row.get_by_role("link", name="Attendu · marquer reçu").first.click()
    expect(page.get_by_role("heading", name="Recevoir un chèque")).to_be_visible()
    page.get_by_label("Numéro du chèque").fill("0004567")
    page.get_by_label("Banque").fill("Crédit Agricole Brie Picardie")
    page.get_by_label("Date de réception").fill(first.isoformat())
    no_slips(page)
    page.screenshot(path=str(SHOTS / "receive.png"), full_page=True)
    page.get_by_role("button", name="Marquer reçu").click()
    expect(page.get_by_text("Chèque reçu : 30,00 €")).to_be_visible()
    expect(row).to_contain_text("Reçu · n° 0004567")

    row.get_by_label("Cocher le chèque de 30,00 €").check()
    page.get_by_label("Les chèques cochés ont été").select_option(label="Remis au producteur")
    page.get_by_role("button", name="Marquer les chèques cochés").click()
    expect(page.get_by_text("Chèques marqués : 1.")).to_be_visible()
    expect(row).to_contain_text("Remis au producteur · n° 0004567")
    no_slips(page)
    page.screenshot(path=str(SHOTS / "handed-over.png"), full_page=True)
    context.close()
    with app.app_context():
        cheque = db.session.scalars(
            db.select(Cheque).where(Cheque.household_id == member, Cheque.state != "expected")
        ).one()
        assert (cheque.state, cheque.number, cheque.bank) == ("handed_over", "0004567", "Crédit Agricole Brie Picardie")
