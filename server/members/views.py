"""Member pages, public but addressed by a long random token (``/m/<page_token>``); nothing is shown for a wrong one."""

from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, jsonify, render_template, send_from_directory, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from server.account_words import MovementWords, has_receipt
from server.api.body import read_json
from server.api.errors import ApiError
from server.api.push import SubscribeBody, UnsubscribeBody, subscribe_from, subscription_json
from server.auth.access import member_link, public
from server.cheque_words import calendar_sentence
from server.clock import today, utcnow
from server.domain import contributions
from server.domain.cheque_calendar import household_calendars
from server.domain.push_subscriptions import find, remove
from server.domain.tickets import ticket_text
from server.extensions import csrf, db
from server.labels import ACCOUNT_KIND_LABELS
from server.members import bp
from server.members.contracts import has_contracts
from server.members.summary import summarise
from server.members.words import (
    collected_sentence,
    contribution_sentence,
    credited_sentence,
    fee_sentence,
    kept_copy_sentence,
    movement_line,
    not_collected_sentence,
    paid_sentence,
    place_line,
)
from server.models import Household, NetworkSettings
from server.qr import svg
from server.receipts import receipt_context
from sync import membership
from sync.manual_codes import display

PWA_MEMBER = Path(__file__).resolve().parent.parent.parent / "pwa" / "member"


def membership_line(household: Household) -> str:
    """The member's membership in one sentence, or nothing when the network asks no fee and none was paid."""
    settings = NetworkSettings.current()
    paid_until = household.membership_paid_until
    if membership.is_due(paid_until, today(ZoneInfo(settings.timezone)), settings.membership_fee_cents):
        return _("Membership to renew.")
    if paid_until is None:
        return ""
    return _("Membership up to date until %(date)s.", date=format_date(paid_until, "long"))


def _contribution_line(household: Household) -> str:
    """This period's SSA contribution in one sentence, or nothing when the member's band asks none."""
    status = contributions.status(household)
    return contribution_sentence(status) if status is not None else ""


@bp.get("/m/<page_token>")
@member_link
def page(household: Household):
    text = ticket_text(household) if household.status == "active" else None
    summary = summarise(household)
    response = Response(
        render_template(
            "members/page.html",
            token=household.page_token,
            summary=summary,
            qr_svg=svg(text) if text else None,
            manual_code=display(household.manual_code) if text and household.manual_code else None,
            account_kinds=ACCOUNT_KIND_LABELS,
            collected_sentence=collected_sentence,
            paid_sentence=paid_sentence,
            fee_sentence=fee_sentence,
            credited_sentence=credited_sentence,
            not_collected_sentence=not_collected_sentence,
            place_line=place_line,
            kept_copy=kept_copy_sentence(utcnow()),
            membership=membership_line(household),
            contribution=_contribution_line(household),
            words=MovementWords.for_movements(m for ms in summary.movements.values() for m in ms),
            movement_line=movement_line,
            has_receipt=has_receipt,
            has_contracts=has_contracts(household),
            cheque_sentences=[calendar_sentence(c, yours=True) for c in household_calendars(household.id)],
        )
    )
    # The page is the member's: never kept by a shared cache, always revalidated (the service worker keeps a copy).
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/m/<page_token>/receipts/<id:movement_id>")
@member_link
def receipt(household: Household, movement_id: int):
    """A top-up's receipt, as the admin printed it: only for this member's own movements."""
    context = receipt_context(household, movement_id)
    if context is None:
        abort(404)
    back = url_for("members.page", page_token=household.page_token)
    response = Response(render_template("members/receipt.html", back=back, **context))
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/m/<page_token>/manifest.webmanifest")
@member_link
def manifest(household: Household):
    token = household.page_token
    body = {
        "name": _("My Comptoir ticket"),
        "short_name": _("My ticket"),
        "description": _("Your ticket and your next pick-up, %(name)s.", name=household.first_name),
        "lang": "fr",
        "start_url": url_for("members.page", page_token=token),
        "scope": url_for("members.page", page_token=token),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d6b3a",
        "icons": [
            {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/m/sw.js")
@public
def service_worker():
    """Served under /m/ so it may control every member page (and nothing else). Built from ``pwa/member/sw.js`` by
    ``npm run build`` (``pwa/build-sw.mjs``), which bundles in the push handlers of ``pwa/src/push-worker.js``."""
    response = send_from_directory(current_app.config["PWA_DIST"], "member-sw.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/m/page.js")
@public
def page_script():
    return send_from_directory(PWA_MEMBER, "page.js", max_age=0)


# Notifications: the member's own browser subscribes (docs/push.md). JSON, no CSRF token: the page token in the
# URL is the credential, and no cookie is involved.


@bp.post("/m/<page_token>/push")
@csrf.exempt
@member_link
def push_subscribe(household: Household):
    body = read_json(SubscribeBody)
    subscription = subscribe_from(body, household=household)
    return jsonify(subscription=subscription_json(subscription)), 201


@bp.delete("/m/<page_token>/push")
@csrf.exempt
@member_link
def push_unsubscribe(household: Household):
    body = read_json(UnsubscribeBody)
    subscription = find(body.endpoint, household=household)
    if subscription is None:
        raise ApiError("subscription_unknown")
    remove(subscription)
    db.session.commit()
    return "", 204
