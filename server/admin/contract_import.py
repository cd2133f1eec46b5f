"""A season contract's subscriptions imported from a CSV file (docs/contracts-import.md): the whole file checked, then
imported in one transaction with the orders generated once, or nothing imported and every bad row shown."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectField

from server.admin import bp
from server.admin.contracts import generated_message, managed_contract
from server.admin.forms import CHOOSE, point_choices
from server.admin.orders import SHOWN_ERRORS, size_limit, skipped_lines
from server.auth.access import manages_point, require_points, staff_required
from server.auth.session import current_user
from server.domain import DomainError
from server.domain.contract_import import apply_subscriptions_import, parse_subscriptions_csv
from server.domain.contracts import MAX_QUANTITY
from server.domain.order_import import MAX_ROWS, RowError, SkippedRow
from server.domain.season_import import apply_season_import, parse_season_csv
from server.extensions import db
from server.models import Contract, Point, Subscription, User


class SeasonImportForm(FlaskForm):
    point = SelectField(_l("Point"), coerce=int, invalid_value_message=CHOOSE, invalid_choice_message=CHOOSE)
    file = FileField(_l("Contracts file (CSV)"), validators=[FileRequired(_l("Choose a CSV file to import."))])


@bp.route("/contracts/import", methods=["GET", "POST"])
@staff_required
def season_import():
    """A point's contracts from one file (one row per contract product): checked whole, then imported, or nothing."""
    user = current_user()
    form = SeasonImportForm()
    form.point.choices = point_choices(actor=user)
    errors: list[RowError] = []
    if form.validate_on_submit():
        point = db.session.get(Point, form.point.data)
        require_points([point.id])
        upload = form.file.data
        result = parse_season_csv(upload.read(), point)
        if isinstance(result, list):
            errors = result
        else:
            try:
                summary, done = apply_season_import(point, result, actor=user, filename=upload.filename or "")
                db.session.commit()
            except DomainError as refused:
                db.session.rollback()
                return render_template("admin/season_import.html", form=form, errors=[], refused=str(refused)), 409
            flash(
                _(
                    "Contracts imported. Created: %(created)d. Changed: %(updated)d. Unchanged: %(unchanged)d.",
                    created=summary.created,
                    updated=summary.updated,
                    unchanged=summary.unchanged,
                ),
                "success",
            )
            flash(generated_message(done), "success")
            return redirect(url_for("admin.contracts"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/season_import.html", form=form, errors=errors[:SHOWN_ERRORS], refused=None), status


class SubscriptionsImportForm(FlaskForm):
    file = FileField(_l("Subscriptions file (CSV)"), validators=[FileRequired(_l("Choose a CSV file to import."))])
    export = FileField(_l("CAMAP's subscriptions export (optional)"))


@bp.route("/contracts/<id:contract_id>/import", methods=["GET", "POST"])
@staff_required
def contract_import(contract_id: int):
    """Check the whole file (and CAMAP's export), then import it in one transaction, or import nothing."""
    contract = managed_contract(contract_id)
    user = current_user()
    form = SubscriptionsImportForm()
    if not form.validate_on_submit():
        return render_contract_import(contract, form), 422 if request.method == "POST" else 200
    upload = form.file.data
    export = form.export.data.read() if form.export.data else None
    result = parse_subscriptions_csv(upload.read(), contract, actor=user, export=export or None)
    if isinstance(result, list):
        return render_contract_import(contract, form, errors=result), 422
    try:
        summary, done = apply_subscriptions_import(contract, result, actor=user, filename=upload.filename or "")
        db.session.commit()
    except DomainError as refused:  # a product another contract of the point delivers on overlapping dates
        db.session.rollback()
        return render_contract_import(contract, form, refused=str(refused)), 409
    except IntegrityError:  # a subscription of one of these members was made by someone else meanwhile
        db.session.rollback()
        current_app.logger.warning("subscriptions import into contract %s raced another change", contract.id)
        message = _(
            "These subscriptions were changed by someone else at the same time. Nothing was imported: try again."
        )
        return render_contract_import(contract, form, refused=message), 409
    flash(
        _(
            "Subscriptions imported. Created: %(created)d. Changed: %(updated)d. Unchanged: %(unchanged)d.",
            created=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
        ),
        "success",
    )
    if summary.products_added or summary.prices_changed:
        flash(
            _(
                "Products added to the contract: %(added)d. New prices per delivery: %(repriced)d.",
                added=summary.products_added,
                repriced=summary.prices_changed,
            ),
            "success",
        )
    flash(generated_message(done), "success")
    if result.skipped:
        flash(skipped_sentence(result.skipped), "success")
    return redirect(url_for("admin.contract", contract_id=contract.id))


def too_large(contract_id: int | None, user: User):
    """The import page with the size limit, for staff who sent too large a file to a contract they manage."""
    contract = db.session.get(Contract, contract_id) if contract_id else None
    if contract is None or not manages_point(user, contract.point_id):
        return None
    message = _("The file is too large: at most %(size)s. Split it into smaller files.", size=size_limit())
    return render_contract_import(contract, SubscriptionsImportForm(formdata=None), refused=message), 413


def skipped_sentence(skipped: list[SkippedRow]) -> str:
    """The rows an import left out (an export's totals and headings), by line: people check none was a subscription."""
    return ngettext(
        "Skipped %(num)d row that is no subscription line (an export's total or heading): line %(lines)s.",
        "Skipped %(num)d rows that are no subscription lines (an export's totals or headings): lines %(lines)s.",
        len(skipped),
        lines=skipped_lines(skipped),
    )


def render_contract_import(
    contract: Contract,
    form: SubscriptionsImportForm,
    *,
    errors: list[RowError] | None = None,
    refused: str | None = None,
) -> str:
    errors = errors or []
    count = db.session.scalar(select(func.count(Subscription.id)).where(Subscription.contract_id == contract.id))
    return render_template(
        "admin/contract_import.html",
        contract=contract,
        form=form,
        errors=errors[:SHOWN_ERRORS],
        error_count=len(errors),
        refused=refused,
        subscription_count=count,
        subscriptions_label=ngettext("%(num)d subscription", "%(num)d subscriptions", count),
        max_rows=MAX_ROWS,
        max_quantity=MAX_QUANTITY,
    )
