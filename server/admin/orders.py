"""Admin pages for orders: a distribution's orders, one order's lines, and the CSV import.

Admins and the coordinators of the distribution's point (another point's distribution or order is a 404). A
coordinator's import may name only the members whose home point is one of theirs (``server.domain.order_import``).
"""

from dataclasses import dataclass

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from server.admin import bp
from server.admin.log import SEPARATOR, Words, timeline_row
from server.auth.access import STAFF_ROLES, manages_point, require_points, staff_required
from server.auth.session import current_user
from server.clock import utcnow
from server.domain import DomainError
from server.domain.conflicts import conflicts_naming
from server.domain.contract_debits import debited_cents
from server.domain.distribution_log import load_order_log
from server.domain.order_import import (
    CLOSED,
    MAX_QUANTITY,
    MAX_ROWS,
    RowError,
    SkippedRow,
    apply_import,
    parse_orders_csv,
)
from server.errors import error_response
from server.extensions import db
from server.members.collection import collection_of
from server.models import Distribution, Household, Order, OrderLine
from sync import pricing
from sync.events import PaymentEvent

SHOWN_ERRORS = 1_000  # a wrong file can have thousands of bad rows; the first thousand say what is wrong


@dataclass(frozen=True)
class Amounts:
    """Full price, what the member owes at their tier, and the solidarity share the network covers."""

    full: int
    due: int

    @property
    def solidarity(self) -> int:
        return self.full - self.due

    def __add__(self, other: "Amounts") -> "Amounts":
        return Amounts(self.full + other.full, self.due + other.due)


def order_amounts(order: Order) -> Amounts:
    return Amounts(order.full_cents, order.due_cents)


def line_amounts(line: OrderLine, share_percent: int) -> Amounts:
    return Amounts(
        pricing.line_full_cents(line.quantity, line.unit_price_cents, line.product.sold_by),
        pricing.line_due_cents(
            line.quantity, line.unit_price_cents, share_percent, line.product.sold_by, line.paid_in_advance
        ),
    )


@bp.get("/distributions/<id:distribution_id>/orders")
@staff_required
def distribution_orders(distribution_id: int):
    distribution = db.get_or_404(Distribution, distribution_id)
    require_points([distribution.point_id])
    orders = db.session.scalars(
        select(Order)
        .join(Order.household)
        .where(Order.distribution_id == distribution.id)
        .options(
            joinedload(Order.household).joinedload(Household.tier),
            selectinload(Order.lines).joinedload(OrderLine.product),
        )
        .order_by(Household.last_name, Household.first_name, Household.id)
    ).all()
    rows = [(order, order_amounts(order)) for order in orders]
    total = sum((amounts for _order, amounts in rows), Amounts(0, 0))
    return render_template("admin/orders.html", distribution=distribution, rows=rows, total=total)


@dataclass(frozen=True)
class PaymentRow:
    """A payment recorded for this order (or its household) at the distribution, as the order page lists it."""

    event_id: str
    time: str
    amount_cents: int
    how: str  # the log's words: methods, the parts from the accounts, the cheque's number
    purpose: str  # "" for the basket; else what it paid (a membership fee…)
    device: str
    volunteer: str
    voided: bool


@bp.get("/orders/<id:order_id>")
@staff_required
def order_detail(order_id: int):
    """An order's lines, and what the phones recorded about it: its pick-up (the one projection's status, as on the
    distribution's log), the conflicts that name its events (linked to the log), what was paid and how, and the events
    behind them, each linked to the log."""
    order = db.get_or_404(Order, order_id)
    require_points([order.distribution.point_id])  # where it is collected, whatever the member's home point
    share = order.share_percent
    lines = [(line, line_amounts(line, share)) for line in order.lines]
    log = load_order_log(order)
    words = Words(log)
    collection = collection_of(order, [entry.event for entry in log.entries])
    (state,) = log.state.orders
    decider = log.by_id.get(state.decided_by or "")
    payments = [
        PaymentRow(
            event_id=entry.event.id,
            time=words.when(entry.event.device_time),
            amount_cents=entry.event.payload.amount_cents,
            how=SEPARATOR.join(words.payment_parts(entry.event.payload)),
            purpose="" if entry.event.payload.purpose == "order" else words.purpose(entry.event.payload, entry.event),
            device=words.device(entry.event.device_id),
            volunteer=words.person(entry.event.volunteer_id),
            voided=entry.voided,
        )
        for entry in log.entries_of(PaymentEvent)
    ]
    ended = utcnow() >= order.distribution.ends_at
    return render_template(
        "admin/order_detail.html",
        order=order,
        contract_debit=debited_cents(order.distribution_id, order.household_id),
        lines=lines,
        total=order_amounts(order),
        collection=collection,
        pickup=collection.pickup(ended),
        ended=ended,
        conflicts=conflicts_naming(order.distribution_id, {entry.event.id for entry in log.entries}),
        decided=timeline_row(decider, words) if decider is not None else None,
        taken=words.lines(state.received, state.swaps),  # the log's names: a product given instead is named too
        shortages=[words.shortage(short) for short in state.shortages],
        swaps=[words.swap(swap) for swap in state.swaps],
        payments=payments,
        events=[timeline_row(entry, words) for entry in log.entries],
    )


class OrdersImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file to import."))])


@bp.route("/distributions/<id:distribution_id>/orders/import", methods=["GET", "POST"])
@staff_required
def orders_import(distribution_id: int):
    """Check the whole file, then import it in one transaction, or import nothing and show every bad row."""
    distribution = db.get_or_404(Distribution, distribution_id)
    require_points([distribution.point_id])
    user = current_user()
    form = OrdersImportForm()
    posted = request.method == "POST"
    if distribution.status == "closed":
        return render_import(distribution, form, refused=str(CLOSED)), 409 if posted else 200
    if not form.validate_on_submit():
        return render_import(distribution, form), 422 if posted else 200
    upload = form.file.data
    result = parse_orders_csv(upload.read(), actor=user)
    if isinstance(result, list):
        return render_import(distribution, form, errors=result), 422
    try:
        summary = apply_import(distribution, result, actor=user, filename=upload.filename or "")
        db.session.commit()
    except DomainError as refused:  # ImportRefused (a closed distribution) or a rule about who may import
        db.session.rollback()
        return render_import(distribution, form, refused=str(refused)), 409
    except IntegrityError:  # an order for one of these members was created by someone else meanwhile
        db.session.rollback()
        current_app.logger.warning("orders import into distribution %s raced another change", distribution.id)
        message = _("These orders were changed by someone else at the same time. Nothing was imported: try again.")
        return render_import(distribution, form, refused=message), 409
    flash(
        _(
            "Orders imported. Created: %(created)d. Replaced: %(replaced)d. Lines: %(lines)d.",
            created=summary.created,
            replaced=summary.replaced,
            lines=summary.lines,
        ),
        "success",
    )
    if result.skipped:
        flash(skipped_sentence(result.skipped), "success")
    return redirect(url_for("admin.distribution_orders", distribution_id=distribution.id))


SHOWN_SKIPPED = 20


def skipped_lines(skipped: list[SkippedRow]) -> str:
    """The lines of the rows an import left out, the first few: "3, 4, 28…"."""
    return ", ".join(str(row.line) for row in skipped[:SHOWN_SKIPPED]) + ("…" if len(skipped) > SHOWN_SKIPPED else "")


def skipped_sentence(skipped: list[SkippedRow]) -> str:
    """The rows an import left out (an export's totals and headings), by line: people check none was an order."""
    return ngettext(
        "Skipped %(num)d row that is no order line (an export's total or heading): line %(lines)s.",
        "Skipped %(num)d rows that are no order lines (an export's totals or headings): lines %(lines)s.",
        len(skipped),
        lines=skipped_lines(skipped),
    )


def render_import(
    distribution: Distribution,
    form: OrdersImportForm,
    *,
    errors: list[RowError] | None = None,
    refused: str | None = None,
) -> str:
    errors = errors or []
    order_count = db.session.scalar(select(func.count(Order.id)).where(Order.distribution_id == distribution.id))
    return render_template(
        "admin/orders_import.html",
        distribution=distribution,
        form=form,
        errors=errors[:SHOWN_ERRORS],
        error_count=len(errors),
        refused=refused,
        order_count=order_count,
        max_rows=MAX_ROWS,
        max_quantity=MAX_QUANTITY,
    )


def size_limit() -> str:
    """``MAX_CONTENT_LENGTH`` as people read it: "8 MiB", "512 KiB"."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.3g} MiB"
    return f"{max(limit // 1024, 1)} KiB"


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(exc: RequestEntityTooLarge):
    """A body above ``MAX_CONTENT_LENGTH``, refused before any view runs: say so in words.

    Staff who sent a file to the import page of a distribution they manage get that page back with the limit;
    anyone else a plain 413 (this runs before the view and its access checks).
    """
    distribution_id = (request.view_args or {}).get("distribution_id")
    user = current_user()
    if request.endpoint == "admin.orders_import" and user is not None and user.role in STAFF_ROLES:
        distribution = db.session.get(Distribution, distribution_id)
        if distribution is not None and manages_point(user, distribution.point_id):
            message = _("The file is too large: at most %(size)s. Split it into smaller files.", size=size_limit())
            return render_import(distribution, OrdersImportForm(formdata=None), refused=message), 413
    if request.endpoint == "admin.contract_import" and user is not None and user.role in STAFF_ROLES:
        from server.admin.contract_import import too_large  # it imports this module

        answer = too_large((request.view_args or {}).get("contract_id"), user)
        if answer is not None:
            return answer
    return error_response(
        413, "request_entity_too_large", _("What was sent is too large: at most %(size)s.", size=size_limit())
    )
