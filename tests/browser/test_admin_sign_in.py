"""The bootstrap path in a real browser on a phone-sized screen: one-time link → dashboard, in French."""

from playwright.sync_api import expect

from tests.helpers import make_sign_in_token


def test_sign_in_link_opens_the_dashboard(app, phone):
    token = make_sign_in_token(app, "coordination@example.org")
    phone.goto(f"/auth/link/{token}")
    phone.get_by_role("button", name="Se connecter").click()
    expect(phone.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    # Nothing overflows a 360 px screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.goto(f"/auth/link/{token}")
    expect(phone.get_by_role("alert")).to_contain_text("déjà été utilisé")
