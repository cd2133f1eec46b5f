"""The member's receipt on a phone (issue 13's walk: 440 px wide at 360 px, values outside the card)."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.domain.ledger import post
from server.extensions import db
from server.models import Household, User
from tests.browser.test_member_pages import make_members


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_the_receipt_fits_a_phone(app, phone):
    """A top-up's receipt at 360 px: every label and value inside the card, no sideways scrolling."""
    (member,) = make_members(app)
    with app.app_context():
        household = db.session.scalar(select(Household).where(Household.page_token == member["token"]))
        admin = User(email="admin@example.org", display_name="Valérie Roux-Lefèvre", role="admin")
        db.session.add(admin)
        db.session.flush()
        number = post(
            household.id,
            "prepaid",
            2500,
            "top_up",
            reason="Versement",
            method="cheque",
            method_details="0004567",
            actor=admin,
        )
        db.session.commit()
    phone.goto(f"/m/{member['token']}/receipts/{number}")
    expect(phone.get_by_text("Solde prépayé après ce mouvement")).to_be_visible()
    phone.screenshot(path="/tmp/cycle-fixes-receipt-360.png", full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    card = phone.locator("article.receipt").bounding_box()
    for box in phone.locator("article.receipt dd, article.receipt dt").evaluate_all(
        "els => els.map(el => el.getBoundingClientRect().right)"
    ):
        assert box <= card["x"] + card["width"]
