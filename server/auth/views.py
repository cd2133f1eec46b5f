"""Sign-in pages and passkey endpoints.

- Passkeys are the way in: username-less (the authenticator offers the discoverable passkeys it holds) or with an
  e-mail (the browser is told which passkeys of that account to use). An unknown e-mail, an inactive account and
  an account without a passkey all get the same answer: a decoy credential id derived from the e-mail with the
  secret key, stable across requests, so the answer never tells which e-mails exist. E-mail ceremonies are not
  bound to the account: whatever passkey verifies signs in its owner, so a crafted answer learns nothing either.
- An invitation link (72 h, single use) opens a page where the invitee creates their first passkey; the link is
  used up only when the passkey is verified, in the same transaction, and the invitee is then signed in.
- One-time sign-in links (``flask --app wsgi admin link``) stay the bootstrap and recovery path. A link's GET only
  shows a button: mail scanners that open links must not consume them.
- Signed-in users list, add, rename and remove their own passkeys. Removing the last one needs an explicit
  confirmation that they will sign in with a one-time link next time (the way to drop a passkey that may be
  compromised without waiting for an administrator); without it, the removal is refused.

JSON endpoints take a small JSON object, need the CSRF token in ``X-CSRFToken``, and always answer JSON: the
result, or ``{"error": {"status", "reason", "message"}}`` with a stable ``reason``. Refusals are audited.
"""

import hashlib
import hmac
import json
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from webauthn.helpers import bytes_to_base64url
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from server.audit import record
from server.auth import bp
from server.auth.access import STAFF_ROLES, public, signed_in
from server.auth.session import current_user, sign_in, sign_out
from server.auth.webauthn import (
    PasskeyRefused,
    begin_authentication,
    begin_registration,
    finish_authentication,
    finish_registration,
)
from server.domain.links import LinkRefused, find_link, redeem_link
from server.extensions import db
from server.models import Passkey, User

MAX_JSON_BYTES = 64 * 1024  # a WebAuthn response is a few kilobytes
DECOY_TRANSPORTS = ["hybrid", "internal"]  # what a phone's passkey usually reports

LINK_REFUSALS = {
    "unknown": lambda: _("This sign-in link is not valid. Ask an administrator for a new one."),
    "expired": lambda: _("This sign-in link has expired. Ask an administrator for a new one."),
    "used": lambda: _("This sign-in link has already been used. Ask an administrator for a new one."),
}

INVITATION_REFUSALS = {
    "unknown": lambda: _("This invitation link is not valid. Ask the person who invited you for a new one."),
    "expired": lambda: _("This invitation link has expired. Ask the person who invited you for a new one."),
    "used": lambda: _(
        "This invitation link has already been used. Sign in with your passkey, or ask the person who invited you "
        "for a new invitation."
    ),
}

PASSKEY_REFUSALS = {
    "unknown_ceremony": lambda: _("This attempt is not known or has expired. Try again."),
    "expired": lambda: _("This attempt has expired. Try again."),
    "used": lambda: _("This attempt was already used. Try again."),
    "invalid": lambda: _("The passkey's answer could not be verified. Try again."),
    "unknown_credential": lambda: _(
        "This passkey is not known here (it may have been removed). Use another passkey, or ask for a one-time link."
    ),
    "wrong_user": lambda: _("This passkey belongs to another account."),
    "inactive_user": lambda: _("This account is deactivated. Ask an administrator."),
    "sign_count": lambda: _(
        "This passkey was refused for your safety: it may have been copied. Use another passkey, or ask an "
        "administrator for a one-time link."
    ),
}


def passkey_message(reason: str) -> str:
    return PASSKEY_REFUSALS.get(reason, PASSKEY_REFUSALS["invalid"])()


class BadBody(Exception):
    """A JSON request that cannot be read: 400 (or 413) with a stable reason."""

    def __init__(self, reason: str, message: Any, status: int = 400):
        super().__init__(reason)
        self.reason, self.message, self.status = reason, message, status


def json_error(status: int, reason: str, message: Any):
    """The shape of ``server.errors.error_response``, always as JSON: these endpoints are called by scripts only."""
    return jsonify(error={"status": status, "reason": reason, "message": str(message)}), status


@bp.errorhandler(BadBody)
def bad_body(exc: BadBody):
    return json_error(exc.status, exc.reason, exc.message)


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body is ``{}``."""
    if not request.content_length:
        return {}
    if request.content_length > MAX_JSON_BYTES:
        raise BadBody("too_large", _l("This request is too large."), 413)
    if not request.is_json:
        raise BadBody("invalid_body", _l("Send a JSON object (Content-Type: application/json)."))
    try:
        body = json.loads(request.get_data())
    except (ValueError, RecursionError):
        raise BadBody("invalid_body", _l("The request body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise BadBody("invalid_body", _l("Send a JSON object."))
    return body


def text_field(body: dict[str, Any], name: str, max_length: int, *, required: bool = False) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or len(value) > max_length:
        raise BadBody("invalid_field", _l("The field “%(name)s” is missing or not valid.", name=name))
    return value.strip()


def ceremony_fields(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ceremony = text_field(body, "ceremony", 100, required=True)
    credential = body.get("credential")
    if not isinstance(credential, dict):
        raise BadBody("invalid_field", _l("The field “%(name)s” is missing or not valid.", name="credential"))
    return ceremony, credential


def home_url(user: User) -> str:
    """Where someone lands after signing in: the admin for admins and coordinators, the app for volunteers."""
    return url_for("admin.dashboard") if user.role in STAFF_ROLES else url_for("pwa.app")


def safe_next(value: Any) -> str | None:
    """A path on this site to return to after signing in, or None (never another site: no open redirect)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or len(value) > 2000:
        return None
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    return value.rstrip("?")


def _decoy_credentials(email: str) -> list[dict[str, Any]]:
    """A credential id that looks like a real one, the same for an e-mail every time, matching no authenticator."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, b"passkey-decoy:" + email.encode(), hashlib.sha256).digest()
    return [{"id": bytes_to_base64url(digest), "type": "public-key", "transports": DECOY_TRANSPORTS}]


def _credentials_of(user: User) -> list[dict[str, Any]]:
    credentials = []
    for passkey in user.passkeys:
        credential = {"id": bytes_to_base64url(passkey.credential_id), "type": "public-key"}
        if passkey.transports:
            credential["transports"] = passkey.transports
        credentials.append(credential)
    return credentials


# Sign-in page and passkey sign-in.


@bp.get("/sign-in")
@public
def sign_in_page():
    user = current_user()
    return render_template(
        "auth/sign_in.html",
        user=user,
        home=home_url(user) if user else None,
        next=safe_next(request.args.get("next")) or "",
    )


@bp.post("/passkey/options")
@public
def sign_in_options():
    """Options for ``navigator.credentials.get``: username-less, or for the passkeys of the e-mail given."""
    body = json_body()
    email = text_field(body, "email", 254).lower()
    started = begin_authentication(None)
    if email:
        user = db.session.scalar(select(User).where(User.email == email, User.active.is_(True)))
        has_passkeys = user is not None and bool(user.passkeys)
        started["options"]["allowCredentials"] = _credentials_of(user) if has_passkeys else _decoy_credentials(email)
    db.session.commit()
    return jsonify(started)


@bp.post("/passkey/verify")
@public
def sign_in_verify():
    body = json_body()
    ceremony, credential = ceremony_fields(body)
    try:
        passkey = finish_authentication(ceremony, credential)
    except PasskeyRefused as refused:
        record("sign_in.refused", method="passkey", reason=refused.reason, detail=refused.detail[:200])
        db.session.commit()  # the challenge stays used, the audit entry stays written
        return json_error(401, refused.reason, passkey_message(refused.reason))
    user = passkey.user
    record("sign_in.passkey", user=user, target=f"user:{user.id}", passkey=passkey.id)
    db.session.commit()
    sign_in(user)
    current_app.logger.info("user %s signed in with passkey %s", user.id, passkey.id)
    return jsonify(redirect=safe_next(body.get("next")) or home_url(user))


# One-time sign-in links (bootstrap and recovery).


@bp.route("/link/<token>", methods=["GET", "POST"])
@public
def link(token: str):
    form = FlaskForm()
    try:
        found = find_link(token)
    except LinkRefused as refused:
        return render_template("auth/link_refused.html", message=LINK_REFUSALS[refused.reason]()), 410
    if not form.validate_on_submit():
        return render_template("auth/link.html", form=form, email=found.user.email)
    try:
        user = redeem_link(token)
    except LinkRefused as refused:
        db.session.rollback()
        return render_template("auth/link_refused.html", message=LINK_REFUSALS[refused.reason]()), 410
    record("sign_in.link", user=user, target=f"user:{user.id}")
    db.session.commit()
    sign_in(user)
    current_app.logger.info("user %s signed in with a one-time link", user.id)
    if not user.passkeys:
        flash(_("You have no passkey yet: add one under “My passkeys” to sign in without a link next time."), "info")
    return redirect(home_url(user))


@bp.post("/sign-out")
@public
def sign_out_view():
    form = FlaskForm()
    if form.validate_on_submit():
        sign_out()
    return redirect(url_for("auth.sign_in_page"))


# Invitations: the invitee creates their first passkey.


def _invitation_link(token: str):
    try:
        return find_link(token, purpose="invitation"), None
    except LinkRefused as refused:
        return None, refused.reason


@bp.get("/invitation/<token>")
@public
def invitation(token: str):
    link, refused = _invitation_link(token)
    if link is None:
        return render_template(
            "auth/link_refused.html", heading=_("Invitation"), message=INVITATION_REFUSALS[refused]()
        ), 410
    from server.admin.user_forms import ROLE_LABELS  # late: the admin package imports this one's blueprint

    return render_template("auth/invitation.html", invitee=link.user, role=ROLE_LABELS[link.user.role], token=token)


@bp.post("/invitation/<token>/options")
@public
def invitation_options(token: str):
    json_body()
    link, refused = _invitation_link(token)
    if link is None:
        return json_error(410, f"invitation_{refused}", INVITATION_REFUSALS[refused]())
    started = begin_registration(link.user)
    db.session.commit()
    return jsonify(started)


@bp.post("/invitation/<token>/verify")
@public
def invitation_verify(token: str):
    ceremony, credential = ceremony_fields(json_body())
    link, refused = _invitation_link(token)
    if link is None:
        return json_error(410, f"invitation_{refused}", INVITATION_REFUSALS[refused]())
    user = link.user
    try:
        name = _("Passkey %(number)d", number=len(user.passkeys) + 1)  # more than one after a re-invitation
        passkey = finish_registration(user, ceremony, credential, name)
    except PasskeyRefused as refused_passkey:
        reason = refused_passkey.reason
        record("invitation.refused", target=f"user:{user.id}", reason=reason, detail=refused_passkey.detail[:200])
        db.session.commit()
        return json_error(400, reason, passkey_message(reason))
    try:
        redeem_link(token, purpose="invitation")  # same transaction: no passkey without the link, and vice versa
    except LinkRefused as refused_link:
        db.session.rollback()
        return json_error(410, f"invitation_{refused_link.reason}", INVITATION_REFUSALS[refused_link.reason]())
    record("invitation.accept", user=user, target=f"user:{user.id}", passkey=passkey.id)
    db.session.commit()
    sign_in(user)
    flash(_("Welcome! Your passkey is ready: use it to sign in next time."), "success")
    return jsonify(redirect=home_url(user))


# The signed-in user's own passkeys.


class PasskeyNameForm(FlaskForm):
    name = StringField(
        _l("Name"), [DataRequired(_l("Give the passkey a name.")), Length(max=80)], filters=[lambda v: v and v.strip()]
    )


class PasskeyDeleteForm(FlaskForm):
    confirm_last = BooleanField(_l("I will sign in with a one-time link from an administrator next time."))


def _own_passkey(passkey_id: int) -> Passkey:
    """One of the signed-in user's passkeys; anyone else's is a 404."""
    user = current_user()
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or user is None or passkey.user_id != user.id:
        abort(404)
    return passkey


@bp.get("/passkeys")
@signed_in
def passkeys():
    user = current_user()
    return render_template(
        "auth/passkeys.html",
        user=user,
        home=home_url(user),
        delete_form=PasskeyDeleteForm(formdata=None),
    )


@bp.post("/passkeys/options")
@signed_in
def passkey_add_options():
    json_body()
    started = begin_registration(current_user())
    db.session.commit()
    return jsonify(started)


@bp.post("/passkeys/verify")
@signed_in
def passkey_add_verify():
    body = json_body()
    ceremony, credential = ceremony_fields(body)
    user = current_user()
    name = text_field(body, "name", 200)[:80] or _("Passkey %(number)d", number=len(user.passkeys) + 1)
    try:
        passkey = finish_registration(user, ceremony, credential, name)
    except PasskeyRefused as refused:
        record("passkey.refused", target=f"user:{user.id}", reason=refused.reason, detail=refused.detail[:200])
        db.session.commit()
        return json_error(400, refused.reason, passkey_message(refused.reason))
    db.session.commit()  # finish_registration wrote the audit entry ``passkey.register``
    flash(_("Passkey “%(name)s” added.", name=passkey.name), "success")
    return jsonify(redirect=url_for("auth.passkeys"))


@bp.post("/passkeys/<id:passkey_id>/rename")
@signed_in
def passkey_rename(passkey_id: int):
    passkey = _own_passkey(passkey_id)
    form = PasskeyNameForm()
    if not form.validate_on_submit():
        flash(" ".join(map(str, form.name.errors)) or _("Give the passkey a name."), "error")
        return redirect(url_for("auth.passkeys"), 303)
    old = passkey.name
    if form.name.data != old:
        passkey.name = form.name.data
        record(
            "passkey.rename",
            target=f"user:{passkey.user_id}",
            passkey=passkey.id,
            changes={"name": [old, passkey.name]},
        )
        db.session.commit()
    flash(_("Passkey renamed “%(name)s”.", name=passkey.name), "success")
    return redirect(url_for("auth.passkeys"), 303)


@bp.post("/passkeys/<id:passkey_id>/delete")
@signed_in
def passkey_delete(passkey_id: int):
    passkey = _own_passkey(passkey_id)
    form = PasskeyDeleteForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.passkeys"), 303)
    user = passkey.user
    last = len(user.passkeys) == 1
    if last and not form.confirm_last.data:
        flash(
            _(
                "This is your only passkey: without it you can only sign in with a one-time link from an "
                "administrator. Tick the box to confirm, or add another passkey first."
            ),
            "error",
        )
        return redirect(url_for("auth.passkeys"), 303)
    record("passkey.delete", target=f"user:{user.id}", passkey=passkey.id, name=passkey.name, last=last)
    db.session.delete(passkey)
    db.session.commit()
    flash(_("Passkey “%(name)s” removed.", name=passkey.name), "success")
    return redirect(url_for("auth.passkeys"), 303)
