"""Admin page of a distribution's catalogue of extras: what the point sells without a pre-order, and the stock.

Admins and the coordinators of the distribution's point (another point's distribution is a 404); the rules are
``server.domain.extras``. What was sold is read from the one projection of the log, so the page says how much stock
the phones have left as far as the server knows (docs/extras.md).
"""

from collections import defaultdict

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from server.admin import bp
from server.admin.forms import CHOOSE, AdminForm, _optional_id
from server.admin.views import actor
from server.auth.access import require_points, staff_required
from server.domain import DomainError
from server.domain.distribution_log import distribution_events
from server.domain.extras import MAX_STOCK, distribution_extras, remove_extra, set_extra
from server.extensions import db
from server.models import Distribution, Extra, Product
from sync.events import SaleEvent
from sync.projection import voided_ids

STOCK_WORDS = _l("The stock is a whole number from 0 to %(max)d, or empty for no limit.", max=MAX_STOCK)


class ExtraForm(AdminForm):
    product_id = SelectField(_l("Product"), [InputRequired(CHOOSE)], coerce=_optional_id, validate_choice=False)
    stock = IntegerField(
        _l("Stock"),
        [Optional(), NumberRange(0, MAX_STOCK, STOCK_WORDS)],
        description=_l(
            "How many pieces there are to sell, in grams for a product sold by the kg (5000 for 5 kg); leave empty "
            "for no limit. Offering a product again changes its stock."
        ),
        invalid_value_message=STOCK_WORDS,
    )


def _product_choices() -> list[tuple[str, str]]:
    products = db.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.name, Product.id))
    return [("", _("Choose a product"))] + [(str(p.id), f"{p.name} ({p.code})") for p in products]


def _sold(distribution_id: int) -> dict[int, int]:
    """Product id → pieces sold at the distribution by the sales not voided (as the log's projection counts)."""
    events = [item.event for item in distribution_events(distribution_id)]
    voided = voided_ids(events)
    sold: dict[int, int] = defaultdict(int)
    for event in events:
        if isinstance(event, SaleEvent) and event.id not in voided:
            for line in event.payload.lines:
                sold[line.product_id] += line.sold
    return sold


@bp.route("/distributions/<id:distribution_id>/extras", methods=["GET", "POST"])
@staff_required
def distribution_extras_page(distribution_id: int):
    distribution = db.get_or_404(Distribution, distribution_id)
    require_points([distribution.point_id])
    form = ExtraForm()
    form.product_id.choices = _product_choices()
    status = 200
    if form.validate_on_submit():
        try:
            set_extra(distribution, form.product_id.data, form.stock.data, actor=actor())
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            field = form.field_named(refused.field)
            (field.errors if field is not None else form.form_errors).append(str(refused))
        else:
            flash(_("The catalogue of extras is saved."), "success")
            return redirect(url_for(".distribution_extras_page", distribution_id=distribution.id))
    if form.errors or form.form_errors:
        status = 400
    sold = _sold(distribution.id)
    rows = [(extra, sold.get(extra.product_id, 0)) for extra in distribution_extras(distribution.id)]
    return (
        render_template("admin/extras.html", distribution=distribution, rows=rows, form=form, remove_form=FlaskForm()),
        status,
    )


@bp.post("/extras/<id:extra_id>/remove")
@staff_required
def extra_remove(extra_id: int):
    extra = db.get_or_404(Extra, extra_id)
    require_points([extra.distribution.point_id])
    back = url_for(".distribution_extras_page", distribution_id=extra.distribution_id)
    if FlaskForm().validate_on_submit():
        try:
            remove_extra(extra, actor=actor())
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            flash(str(refused), "error")
        else:
            flash(_("The product is no longer offered as an extra."), "success")
    return redirect(back)
