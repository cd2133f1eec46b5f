"""A season contract's line paid in advance by cheques on the volunteer's phone (360×640, offline, real server):
the member screen says "payé d'avance (contrat)" next to it and asks nothing for it; the hand-over records no
payment for it. The world is the volunteer app's, Elouan's order cut to its vegetable basket, marked paid in
advance."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, update

from server.extensions import db
from server.models import OrderLine
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist)
from tests.browser.test_volunteer_app import open_by_code, start_day
from tests.factories.volunteer_app import VolunteerAppWorld as World
from tests.factories.volunteer_app import volunteer_app_world


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        made = volunteer_app_world()
        order_id = made.orders["Elouan B."]
        db.session.execute(delete(OrderLine).where(OrderLine.order_id == order_id, OrderLine.product_id == made.eggs))
        db.session.execute(update(OrderLine).where(OrderLine.order_id == order_id).values(paid_in_advance=True))
        db.session.commit()
        return made


def test_a_line_paid_in_advance_is_shown_and_not_asked_for(app, phone, world):
    start_day(app, phone, world)
    phone.context.set_offline(True)
    open_by_code(phone, world.codes["Elouan B."])
    expect(phone.get_by_role("heading", name="Elouan Bréhat", level=1)).to_be_visible()
    basket = phone.get_by_role("region", name="À remettre")
    expect(basket).to_contain_text("1 × Panier de légumes M")
    expect(basket).to_contain_text("payé d’avance (contrat)")
    expect(phone.locator("#to-collect")).to_have_count(0)
    text = phone.locator("main").inner_text()
    assert "15,00 €" not in text and "null" not in text and "undefined" not in text, text
