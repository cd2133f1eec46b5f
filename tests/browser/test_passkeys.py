"""Passkeys through the real UI in Chromium with the virtual authenticator: invitation → first passkey → sign-out →
sign-in (username-less and with the e-mail) → a second passkey added, renamed, the first removed; then replayed,
tampered and cloned (sign-count regression) assertions refused. English UI (``locale="en-US"``) throughout."""

import base64
import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from server.domain.users import invite_user
from server.extensions import db
from server.models import AuditEntry, Passkey, Point, User
from tests.browser.webauthn import add_virtual_authenticator

LAPTOP = {"viewport": {"width": 1280, "height": 800}}

# Keeps a copy of every assertion the page gets from the authenticator, across navigations (as a script injected
# into the page could): the test then replays it.
CAPTURE_ASSERTIONS = """
(() => {
  const get = navigator.credentials.get.bind(navigator.credentials);
  navigator.credentials.get = async (options) => {
    const credential = await get(options);
    const kept = JSON.parse(localStorage.getItem('assertions') || '[]');
    kept.push(credential.toJSON());
    localStorage.setItem('assertions', JSON.stringify(kept));
    return credential;
  };
})();
"""


@pytest.fixture
def laptop(browser, live_server) -> Iterator[Page]:
    context = browser.new_context(**LAPTOP, base_url=live_server, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def make_invitation(app, email: str, role: str = "volunteer") -> str:
    """An admin invites ``email`` (the domain operation the admin page calls); returns the invitation path."""
    with app.app_context():
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        admin = User(email="admin@example.org", display_name="Ada", role="admin")
        db.session.add_all([point, admin])
        db.session.flush()
        invitation = invite_user(admin, {"email": email, "display_name": "Vincent", "role": role, "points": [point]})
        db.session.commit()
        return f"/auth/invitation/{invitation.token}"


def audit(app, action: str) -> list[dict]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEntry.details).where(AuditEntry.action == action).order_by(AuditEntry.id))
        )


def accept_invitation(app, page: Page, email: str) -> None:
    page.goto(make_invitation(app, email))
    expect(page.get_by_role("heading", name="Welcome, Vincent")).to_be_visible()
    page.get_by_role("button", name="Create my passkey").click()
    page.wait_for_url("**/app/")


def sign_out(page: Page) -> None:
    page.goto("/auth/passkeys")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()


def signed_in_email(page: Page) -> str | None:
    page.goto("/auth/passkeys")
    if "/auth/sign-in" in page.url:
        return None
    return page.get_by_text("Signed in as").inner_text().split()[3].rstrip(".")


def csrf(page: Page) -> str:
    return page.locator('meta[name="csrf-token"]').get_attribute("content")


def post(page: Page, path: str, body: dict):
    """A JSON POST from the page's context (its cookies and CSRF token), as the page's script would send it."""
    return page.request.post(
        path,
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf(page)},
    )


def flip(b64url: str, index: int = -1) -> str:
    raw = bytearray(base64.urlsafe_b64decode(b64url + "=" * (-len(b64url) % 4)))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def tampering(field: str):
    """A route handler that flips one byte of the assertion's ``field`` before it reaches the server."""

    def handler(route) -> None:
        body = route.request.post_data_json
        body["credential"]["response"][field] = flip(body["credential"]["response"][field], 10)
        route.continue_(post_data=json.dumps(body))

    return handler


def test_invitation_sign_in_and_passkey_management(app, laptop):
    page = laptop
    page.goto("/auth/sign-in")
    cdp, first_authenticator = add_virtual_authenticator(page)

    # Invitation → "Create my passkey" → signed in, in the volunteer app.
    accept_invitation(app, page, "vincent@example.org")
    assert signed_in_email(page) == "vincent@example.org"
    expect(page.get_by_role("heading", name="Passkey 1")).to_be_visible()
    assert [e["passkey"] for e in audit(app, "invitation.accept")] == [1]

    # Sign out, then back in username-less.
    sign_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url("**/app/")
    assert signed_in_email(page) == "vincent@example.org"

    # An e-mail without a passkey here: the browser finds none, the page says so (and the server told nothing).
    sign_out(page)
    page.get_by_label("Or with your e-mail").fill("ghost@example.org")
    page.get_by_role("button", name="Sign in with your e-mail").click()
    expect(page.get_by_role("alert")).to_contain_text("no passkey for this site was found", timeout=15_000)

    # …and with the e-mail (typed in capitals: e-mails are compared lower-cased).
    page.get_by_label("Or with your e-mail").fill("Vincent@Example.org")
    page.get_by_role("button", name="Sign in with your e-mail").click()
    page.wait_for_url("**/app/")
    assert len(audit(app, "sign_in.passkey")) == 2

    # A second passkey, on another authenticator (the first one already holds this account's passkey).
    page.goto("/auth/passkeys")
    first_credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": first_authenticator})["credentials"]
    assert len(first_credentials) == 1
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": first_authenticator})
    add_virtual_authenticator(page)
    page.get_by_label("Name of the new passkey").fill("Laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey “Laptop” added.")).to_be_visible()
    expect(page.get_by_role("heading", name="Laptop")).to_be_visible()

    # Rename it, remove the first one.
    page.get_by_role("textbox", name="New name for “Laptop”").fill("Work laptop")
    page.get_by_role("button", name="Rename “Laptop”").click()
    expect(page.get_by_role("heading", name="Work laptop")).to_be_visible()
    page.get_by_role("button", name="Remove “Passkey 1”").click()
    expect(page.get_by_text("Passkey “Passkey 1” removed.")).to_be_visible()
    expect(page.get_by_role("heading", name="Passkey 1")).to_have_count(0)

    # The last one is not removed without the confirmation.
    page.get_by_role("button", name="Remove “Work laptop”").click()
    expect(page.get_by_role("alert")).to_contain_text("This is your only passkey")
    expect(page.get_by_role("heading", name="Work laptop")).to_be_visible()
    with app.app_context():
        assert db.session.scalars(select(Passkey.name)).all() == ["Work laptop"]
    assert [len(audit(app, a)) for a in ("passkey.register", "passkey.rename", "passkey.delete")] == [2, 1, 1]

    # The remaining passkey signs in.
    sign_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url("**/app/")
    assert signed_in_email(page) == "vincent@example.org"


def test_used_invitation_shows_a_clear_page(app, laptop):
    page = laptop
    page.goto("/auth/sign-in")
    add_virtual_authenticator(page)
    path = make_invitation(app, "once@example.org")
    page.goto(path)
    page.get_by_role("button", name="Create my passkey").click()
    page.wait_for_url("**/app/")
    response = page.goto(path)
    assert response.status == 410
    expect(page.get_by_role("alert")).to_contain_text("already been used")


def test_replayed_tampered_and_cloned_assertions_are_refused(app, laptop):
    page = laptop
    page.add_init_script(CAPTURE_ASSERTIONS)
    page.goto("/auth/sign-in")
    add_virtual_authenticator(page)
    accept_invitation(app, page, "vincent@example.org")
    sign_out(page)

    # A real sign-in, its request kept.
    with page.expect_request("**/auth/passkey/verify") as sent:
        page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url("**/app/")
    ceremony = sent.value.post_data_json["ceremony"]
    captured = page.evaluate("JSON.parse(localStorage.getItem('assertions'))")
    assert len(captured) == 1
    assertion = captured[0]
    assert assertion["id"] == sent.value.post_data_json["credential"]["id"]
    sign_out(page)

    # Replayed as it was: the ceremony is spent.
    replay = post(page, "/auth/passkey/verify", {"ceremony": ceremony, "credential": assertion})
    assert (replay.status, replay.json()["error"]["reason"]) == (401, "used")
    # Replayed against a new ceremony: it signed the old challenge.
    fresh = post(page, "/auth/passkey/options", {}).json()["ceremony"]
    replay = post(page, "/auth/passkey/verify", {"ceremony": fresh, "credential": assertion})
    assert (replay.status, replay.json()["error"]["reason"]) == (401, "invalid")
    assert signed_in_email(page) is None

    # Tampered on its way to the server: a flipped byte in the signature, then in clientDataJSON.
    for field in ("signature", "clientDataJSON"):
        page.goto("/auth/sign-in")

        page.route("**/auth/passkey/verify", tampering(field))
        with page.expect_response("**/auth/passkey/verify") as answered:
            page.get_by_role("button", name="Sign in with a passkey").click()
        assert answered.value.status == 401
        assert answered.value.json()["error"]["reason"] == "invalid", field
        expect(page.get_by_role("alert")).to_contain_text("could not be verified")
        page.unroute("**/auth/passkey/verify")
    assert signed_in_email(page) is None

    # Sign-count regression: the server has seen a higher counter than this authenticator now gives (a clone).
    with app.app_context():
        db.session.execute(update(Passkey).values(sign_count=1_000_000))
        db.session.commit()
    page.goto("/auth/sign-in")
    with page.expect_response("**/auth/passkey/verify") as answered:
        page.get_by_role("button", name="Sign in with a passkey").click()
    assert (answered.value.status, answered.value.json()["error"]["reason"]) == (401, "sign_count")
    expect(page.get_by_role("alert")).to_contain_text("it may have been copied")
    assert signed_in_email(page) is None
    assert len(audit(app, "passkey.sign_count_regression")) == 1
    reasons = [entry["reason"] for entry in audit(app, "sign_in.refused")]
    assert reasons == ["used", "invalid", "invalid", "invalid", "sign_count"]


def test_passkey_buttons_wait_for_their_script(app, laptop):
    """A tap before the page's script has run would do nothing: the buttons stay disabled until it is wired."""
    page = laptop
    held = []
    page.route("**/admin.js", lambda route: held.append(route))
    page.goto("/auth/sign-in", wait_until="commit")  # a module script holds DOMContentLoaded back
    passkey = page.get_by_role("button", name="Sign in with a passkey")
    email = page.get_by_role("button", name="Sign in with your e-mail")
    expect(passkey).to_be_disabled()
    expect(email).to_be_disabled()
    page.wait_for_timeout(200)
    assert held, "the page asks for its script"
    held[0].continue_()
    expect(passkey).to_be_enabled()
    expect(email).to_be_enabled()
