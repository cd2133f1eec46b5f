"""A newcomer volunteer on an enrolled phone, with no passkey yet: the sign-in screen says where a passkey comes from
(the invitation link a coordinator sends), and says it again with the error when no passkey answers; the admin's
enrolment page says it too, with a link to the users page. Real Chromium at 360×640, SQLite (phone_fixtures)."""

import os
from html import unescape
from pathlib import Path

from playwright.sync_api import Page, expect

from server.domain.devices import create_enrolment
from server.extensions import db
from server.models import Point, User
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist, world)
from tests.browser.test_volunteer_app import point_id
from tests.browser.webauthn import add_virtual_authenticator

HINT = (
    "Pas encore de clé d’accès ? Demandez un lien d’invitation à l’équipe de coordination : "
    "il sert à en créer une sur ce téléphone."
)
HINT_EN = "No passkey yet? Ask a coordinator for an invitation link: it is used to create one on this phone."


def shot(page: Page, name: str) -> None:
    if folder := os.environ.get("COMPTOIR_SHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_a_volunteer_without_a_passkey_is_told_where_one_comes_from(app, phone, world):
    with app.app_context():
        admin = User(email="admin@example.org", role="admin")
        db.session.add(admin)
        _offer, token = create_enrolment(admin, "Téléphone du Luzard", [db.session.get(Point, point_id(app))])
        db.session.commit()
    phone.goto(f"/app/enrol#{token}")
    expect(phone.get_by_role("status").filter(has_text="Téléphone enregistré")).to_be_visible()
    add_virtual_authenticator(phone)  # an authenticator with no passkey for this site: a newcomer's phone
    phone.get_by_role("button", name="Se connecter avec ma clé d’accès").click()
    expect(phone.get_by_role("heading", name="Se connecter")).to_be_visible()
    expect(phone.get_by_text(HINT, exact=True)).to_be_visible()
    shot(phone, "sign-in-hint")

    phone.get_by_label("Code (4 à 6 chiffres)").fill("2468")
    phone.get_by_label("Confirmer le code").fill("2468")
    phone.get_by_role("button", name="Se connecter avec ma clé d’accès").click()
    alert = phone.get_by_role("alert")
    expect(alert).to_have_text(f"La clé d’accès n’a pas été utilisée. Réessayez. {HINT}", timeout=70_000)
    shot(phone, "sign-in-no-passkey")

    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_text(HINT_EN, exact=True)).to_be_visible()


def test_the_enrolment_page_says_each_volunteer_needs_a_passkey_first(app, admin_client, world):
    page = admin_client.get("/admin/devices/enrol", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "chaque bénévole doit d'abord créer sa clé d'accès" in unescape(page)
    assert 'href="/admin/users/"' in page
    english = admin_client.get("/admin/devices/enrol?lang=en").get_data(as_text=True)
    assert "each volunteer first needs a passkey" in english


def test_the_enrolment_page_line_reads_well(app, browser, live_server, world):
    """The admin reads the line on the enrolment page, its link leads to the users page."""
    from tests.helpers import make_sign_in_token

    token = make_sign_in_token(app, "admin@example.org")
    laptop = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": 1280, "height": 800}
    ).new_page()
    laptop.goto(f"/auth/link/{token}")
    laptop.get_by_role("button", name="Se connecter").click()
    laptop.wait_for_url("**/admin/**")
    laptop.goto("/admin/devices/enrol")
    line = laptop.locator("#passkey-first")
    expect(line).to_have_text(
        "Avant de se connecter sur le téléphone, chaque bénévole doit d'abord créer sa clé d'accès, depuis son lien "
        "d'invitation (« Nouveau lien d'invitation » sur la page des utilisateurs)."
    )
    shot(laptop, "admin-enrol-passkey-first")
    line.get_by_role("link", name="page des utilisateurs").click()
    laptop.wait_for_url("**/admin/users/")
    laptop.context.close()
