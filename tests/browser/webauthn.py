"""Chromium's virtual WebAuthn authenticator (through CDP), and registering a real passkey with it."""

import json
from typing import Any

from flask import Flask
from playwright.sync_api import Page

from server.auth.webauthn import begin_registration, finish_registration
from server.extensions import db
from server.models import User


def add_virtual_authenticator(page: Page) -> tuple[Any, str]:
    """A platform authenticator with resident keys and user verification; returns (cdp session, authenticator id).

    It lives as long as the page's target; after a browser restart re-seed it with ``WebAuthn.addCredential``.
    """
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    result = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, result["authenticatorId"]


def register_passkey(app: Flask, page: Page, email: str, name: str = "Test passkey") -> None:
    """Run a real registration ceremony in ``page`` (already on the app's origin) for the user ``email``.

    Options come from the server's own ``begin_registration``; the browser's authenticator answers; the server's
    ``finish_registration`` verifies. Nothing is mocked: this is what an invitation page does, minus its UI.
    """
    with app.app_context():
        user = db.session.query(User).filter_by(email=email).one()
        started = begin_registration(user)
        db.session.commit()
    credential = page.evaluate(
        """async (options) => {
            const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
            const credential = await navigator.credentials.create({ publicKey });
            return credential.toJSON();
        }""",
        started["options"],
    )
    with app.app_context():
        user = db.session.query(User).filter_by(email=email).one()
        finish_registration(user, started["ceremony"], json.dumps(credential), name)
        db.session.commit()
