"""A phone's day, in real Chromium with a virtual passkey authenticator: enrolled from the admin's QR page, two
volunteers sign in with their passkeys and PINs, switch offline with the PIN, then the phone is revoked."""

from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Device, Point, Shift, User
from tests.browser.conftest import PHONE
from tests.browser.webauthn import add_virtual_authenticator, register_passkey
from tests.helpers import make_sign_in_token

PHONE_NAME = "Téléphone de la permanence"


def csp_violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text) if "Content Security Policy" in message.text else 0)
    return found


def assert_made_for_one_hand(page) -> None:
    """Every visible button is a large touch target, and nothing overflows a 360 px screen."""
    for button in page.get_by_role("button").all():
        if button.is_visible():
            box = button.bounding_box()
            assert box["height"] >= 48 and box["width"] >= 48, (button.text_content(), box)
            assert button.text_content().strip() or button.get_attribute("aria-label")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_enrol_sign_in_switch_offline_and_revoke(app, browser, live_server, phone):
    with app.app_context():
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        db.session.add_all(
            [
                point,
                User(email="victor@example.org", role="volunteer", display_name="Victor", points=[point]),
                User(email="sami@example.org", role="volunteer", display_name="Sami", points=[point]),
            ]
        )
        db.session.commit()
    token = make_sign_in_token(app, "admin@example.org")

    # The admin, on a laptop, makes an enrolment QR code.
    laptop = browser.new_context(base_url=live_server, locale="en-US").new_page()
    laptop_csp = csp_violations(laptop)
    laptop.goto(f"/auth/link/{token}")
    laptop.get_by_role("button", name="Sign in").click()
    laptop.wait_for_url("**/admin/**")
    laptop.goto("/admin/devices/enrol")
    laptop.get_by_label("Name of the phone").fill(PHONE_NAME)
    laptop.get_by_label("Maison de quartier du Luzard, Noisiel").check()
    laptop.get_by_role("button", name="Make the enrolment code").click()
    qr = laptop.get_by_role("img", name="Enrolment QR code")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 200 and box["height"] >= 200
    link = laptop.locator("#enrol-link").input_value()
    assert link.startswith(f"{live_server}/app/enrol#")
    assert not laptop_csp, laptop_csp

    # The phone opens the link: enrolled.
    phone_csp = csp_violations(phone)
    phone.goto(link)
    expect(phone.get_by_text(f"Téléphone : {PHONE_NAME}")).to_be_visible()
    expect(phone.get_by_role("status").filter(has_text="Téléphone enregistré")).to_be_visible()
    assert "#" not in phone.url  # the token left the address bar
    expect(phone.get_by_role("heading", name="Personne n’utilise ce téléphone pour l’instant.")).to_be_visible()
    assert_made_for_one_hand(phone)

    # Victor signs in with his passkey (username-less) and chooses a PIN.
    add_virtual_authenticator(phone)
    register_passkey(app, phone, "victor@example.org")
    phone.get_by_role("button", name="Se connecter avec ma clé d’accès").click()
    phone.get_by_label("Code (4 à 6 chiffres)").fill("12")
    phone.get_by_label("Confirmer le code").fill("12")
    phone.get_by_role("button", name="Se connecter avec ma clé d’accès").click()
    expect(phone.get_by_role("alert")).to_contain_text("4 à 6 chiffres")
    phone.get_by_label("Code (4 à 6 chiffres)").fill("1234")
    phone.get_by_label("Confirmer le code").fill("1234")
    phone.get_by_role("button", name="Se connecter avec ma clé d’accès").click()
    expect(phone.get_by_role("heading", name="Bénévole : Victor")).to_be_visible()

    # Sami signs in on the same phone (by e-mail: two passkeys now live on it).
    register_passkey(app, phone, "sami@example.org")
    phone.get_by_role("button", name="Ajouter une personne bénévole").click()
    phone.get_by_label("Code (4 à 6 chiffres)").fill("567890")
    phone.get_by_label("Confirmer le code").fill("567890")
    phone.get_by_label("E-mail (facultatif)").fill("sami@example.org")
    phone.get_by_role("button", name="Se connecter avec ma clé d’accès").click()
    expect(phone.get_by_role("heading", name="Bénévole : Sami")).to_be_visible()
    assert_made_for_one_hand(phone)
    with app.app_context():
        shifts = db.session.scalars(select(Shift).order_by(Shift.id)).all()
        assert [s.user.email for s in shifts] == ["victor@example.org", "sami@example.org"]
        assert all(s.ended_at is None for s in shifts)
        assert db.session.scalar(select(Device)).last_user.email == "sami@example.org"

    # Offline: back to Victor with his PIN; a wrong PIN changes nothing.
    phone.context.set_offline(True)
    expect(phone.locator("#network")).to_contain_text("Hors connexion")
    phone.get_by_role("button", name="Passer à Victor").click()
    dialog = phone.get_by_role("dialog")
    dialog.get_by_label("Code").fill("0000")
    dialog.get_by_role("button", name="Valider").click()
    expect(dialog.get_by_role("alert")).to_have_text("Code incorrect. Encore 4 essais.")
    dialog.get_by_label("Code").fill("1234")
    dialog.get_by_role("button", name="Valider").click()
    expect(dialog).to_be_hidden()
    expect(phone.get_by_role("heading", name="Bénévole : Victor")).to_be_visible()
    expect(phone.get_by_role("button", name="Passer à Sami")).to_be_visible()
    phone.context.set_offline(False)

    # The admin revokes the phone; the app's next call shows why it stopped.
    laptop.goto("/admin/devices/")
    expect(laptop.get_by_role("cell", name="Victor")).to_be_hidden()  # Sami signed in last
    expect(laptop.get_by_role("cell", name="Sami")).to_be_visible()
    laptop.get_by_role("button", name=f"Revoke the phone {PHONE_NAME}").click()
    expect(laptop.get_by_text("Revoked on")).to_be_visible()

    phone.get_by_role("button", name="Déconnecter Victor").click()
    expect(phone.get_by_role("heading", name="Téléphone révoqué")).to_be_visible()
    expect(phone.get_by_text("révoqué par l’équipe de coordination")).to_be_visible()
    with app.app_context():
        device = db.session.scalar(select(Device))
        assert device.revoked_at is not None
        assert db.session.query(Shift).count() == 2  # kept, ended by the revocation
        assert all(s.ended_at is not None for s in db.session.scalars(select(Shift)))
    phone.reload()
    expect(phone.get_by_role("heading", name="Téléphone révoqué")).to_be_visible()
    assert not phone_csp, phone_csp
    laptop.context.close()


def test_app_shell_fits_a_phone_when_not_enrolled(browser, live_server):
    context = browser.new_context(**PHONE, base_url=live_server, locale="en-GB")
    page = context.new_page()
    page.goto("/app/")
    expect(page.get_by_role("heading", name="Phone not enrolled")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    page.goto("/app/enrol#forged-token")
    expect(page.get_by_role("alert")).to_contain_text("This enrolment code is not valid")
    context.close()
