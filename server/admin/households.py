"""A household's money in the admin: each account's statement with its running balance, the household's pick-up
history, and the top-up, refund and correction forms (``docs/accounts.md``, "Seeing it" and "Admin actions").

Every read names this household and is paginated: a statement page is one indexed query and one indexed sum
(``server.statements``); a page of pick-ups reads the orders of the household (``orders.household_id``) and, for
each, only what the phones recorded about that order (``server.members.collection``).
"""

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.account_words import MovementWords, has_receipt
from server.admin import bp
from server.admin.account_forms import CorrectionForm, RefundForm, TopUpForm
from server.admin.forms import network_timezone
from server.admin.views import actor, id_arg
from server.auth.access import require_points, staff_required
from server.cheque_words import calendar_sentence, cheque_words
from server.clock import today, utcnow
from server.domain import DomainError, contributions
from server.domain.account_actions import correct, refund, top_up
from server.domain.cheque_calendar import household_calendars
from server.extensions import db
from server.formatting import signed_money
from server.members.collection import collection_of
from server.members.words import contribution_sentence, fee_sentence
from server.models import Account, Distribution, Household, NetworkSettings, Order, OrderLine
from server.receipts import receipt_context
from server.statements import statement
from sync import membership
from sync.vocabulary import ACCOUNT_KINDS

PICKUPS_PER_PAGE = 10


def _household(household_id: int) -> Household:
    household = db.get_or_404(Household, household_id)
    require_points([household.point_id])
    return household


def _pickups(household: Household, page: int) -> tuple[list[tuple[Order, Any]], bool]:
    """A page of the household's orders, newest distribution first, each with what the phones recorded."""
    orders = list(
        db.session.scalars(
            select(Order)
            .join(Order.distribution)
            .where(Order.household_id == household.id)
            .order_by(Distribution.starts_at.desc(), Order.id.desc())
            .options(selectinload(Order.lines).selectinload(OrderLine.product), selectinload(Order.distribution))
            .offset((page - 1) * PICKUPS_PER_PAGE)
            .limit(PICKUPS_PER_PAGE + 1)
        )
    )
    shown = orders[:PICKUPS_PER_PAGE]
    return [(order, collection_of(order)) for order in shown], len(orders) > PICKUPS_PER_PAGE


def render_household(household: Household, status: int = 200, **forms: Any):
    accounts = {
        account.kind: account
        for account in db.session.scalars(select(Account).where(Account.household_id == household.id))
    }
    statements = {
        kind: statement(accounts[kind], id_arg(f"{kind}_page") or 1) for kind in ACCOUNT_KINDS if kind in accounts
    }
    words = MovementWords.for_movements(row.movement for page in statements.values() for row in page.rows)
    pickups_page = id_arg("pickups_page") or 1
    pickups, more_pickups = _pickups(household, pickups_page)
    forms = {
        "top_up_form": forms.get("top_up_form") or TopUpForm(prefix="top_up"),
        "refund_form": forms.get("refund_form") or RefundForm(prefix="refund"),
        "correction_form": forms.get("correction_form") or CorrectionForm(prefix="correction"),
    }
    return (
        render_template(
            "admin/household_accounts.html",
            household=household,
            accounts=accounts,
            statements=statements,
            words=words,
            signed_money=signed_money,
            has_receipt=has_receipt,
            pickups=pickups,
            fee_sentence=fee_sentence,
            pickups_page=pickups_page,
            more_pickups=more_pickups,
            membership_due=membership_due(household),
            contribution=_contribution_line(household),
            calendars=household_calendars(household.id),
            calendar_sentence=calendar_sentence,
            cheque_words=cheque_words,
            now=utcnow(),
            **forms,
        ),
        status,
    )


def _contribution_line(household: Household) -> str:
    """This period's SSA contribution: paid (when, how much, by what) or still to pay; nothing without one."""
    status = contributions.status(household)
    return contribution_sentence(status, detailed=True) if status is not None else ""


def membership_due(household: Household) -> bool:
    """As the member page and the phone say it: due only when the network asks a fee (``sync.membership``)."""
    fee = NetworkSettings.current().membership_fee_cents
    return membership.is_due(household.membership_paid_until, today(network_timezone()), fee)


@bp.get("/members/<id:household_id>/accounts")
@staff_required
def household_accounts(household_id: int):
    return render_household(_household(household_id))


def _act(household: Household, form: Any, name: str, action, saved: str):
    """Run ``action`` on a valid form; commit and go to ``then(posted)``; else the page again with the errors."""
    if form.validate_on_submit():
        try:
            posted = action(form)
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            field = form.field_named(refused.field)
            (field.errors if field is not None else form.form_errors).append(str(refused))
        else:
            flash(saved, "success")
            if posted.movement.kind == "top_up":
                return redirect(url_for(".receipt", household_id=household.id, movement_id=posted.movement.id))
            return redirect(url_for(".household_accounts", household_id=household.id) + "#statements")
    return render_household(household, 400, **{name: form})


@bp.post("/members/<id:household_id>/top-up")
@staff_required
def household_top_up(household_id: int):
    household = _household(household_id)
    form = TopUpForm(prefix="top_up")
    return _act(
        household,
        form,
        "top_up_form",
        lambda f: top_up(household, f.amount.data, f.method.data, f.reference.data, actor=actor()),
        _("Top-up recorded. Here is its receipt."),
    )


@bp.post("/members/<id:household_id>/refund")
@staff_required
def household_refund(household_id: int):
    household = _household(household_id)
    form = RefundForm(prefix="refund")
    return _act(
        household,
        form,
        "refund_form",
        lambda f: refund(household, f.amount.data, f.method.data, f.reason.data, actor=actor()),
        _("Refund recorded."),
    )


@bp.post("/members/<id:household_id>/correction")
@staff_required
def household_correction(household_id: int):
    household = _household(household_id)
    form = CorrectionForm(prefix="correction")
    return _act(
        household,
        form,
        "correction_form",
        lambda f: correct(
            household, f.account.data, f.amount.data, f.direction.data, f.reason.data, f.corrects.data, actor=actor()
        ),
        _("Correction recorded."),
    )


@bp.get("/members/<id:household_id>/receipts/<id:movement_id>")
@staff_required
def receipt(household_id: int, movement_id: int):
    context = receipt_context(_household(household_id), movement_id)
    if context is None:
        abort(404)
    back = url_for(".household_accounts", household_id=household_id)
    return render_template("members/receipt.html", back=back, **context)
