"""The server's passkey ceremonies against Chromium's virtual authenticator: register, sign in, replay refused."""

import json

import pytest

from server.auth.webauthn import PasskeyRefused, begin_authentication, finish_authentication
from server.extensions import db
from server.models import Passkey, User
from tests.browser.webauthn import add_virtual_authenticator, register_passkey

GET_ASSERTION = """async (options) => {
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
    const credential = await navigator.credentials.get({ publicKey });
    return credential.toJSON();
}"""


def test_register_then_sign_in_discoverable_and_replay_is_refused(app, phone):
    with app.app_context():
        db.session.add(User(email="vol@example.org", role="volunteer", display_name="Vol"))
        db.session.commit()
    phone.goto("/auth/sign-in")
    add_virtual_authenticator(phone)
    register_passkey(app, phone, "vol@example.org")

    with app.app_context():
        started = begin_authentication(None)  # username-less: the authenticator picks the discoverable passkey
        db.session.commit()
    assertion = phone.evaluate(GET_ASSERTION, started["options"])
    with app.app_context():
        passkey = finish_authentication(started["ceremony"], json.dumps(assertion))
        assert passkey.user.email == "vol@example.org"
        assert passkey.sign_count >= 1
        db.session.commit()

    with app.app_context(), pytest.raises(PasskeyRefused) as refused:
        finish_authentication(started["ceremony"], json.dumps(assertion))
    assert refused.value.reason == "used"

    # The same assertion against a fresh challenge: the signature covers the old one.
    with app.app_context():
        again = begin_authentication(None)
        db.session.commit()
        with pytest.raises(PasskeyRefused) as refused:
            finish_authentication(again["ceremony"], json.dumps(assertion))
        assert refused.value.reason in ("invalid", "sign_count")
        assert db.session.query(Passkey).count() == 1
