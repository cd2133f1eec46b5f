"""Membership (adhésion) pages: the network's fee and rule, who is due, and a fee paid outside the point.

Views parse forms and call ``server.domain.membership``; they commit. See ``docs/accounts.md``, "Membership".
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from server.admin import bp
from server.admin.fields import MoneyField
from server.admin.forms import AdminForm, managed
from server.admin.views import PER_PAGE, actor, form_page, id_arg, managed_points
from server.auth.access import require_points, staff_required
from server.clock import today
from server.domain import DomainError
from server.domain.membership import ADMIN_METHODS, due_groups, fees_of, record_fee, update_settings
from server.extensions import db
from server.labels import LABELS
from server.models import Household, NetworkSettings
from server.paging import ChainedPagination, within_pages
from sync.membership import season_end


class MembershipSettingsForm(AdminForm):
    membership_fee_cents = MoneyField(
        _l("Yearly membership fee per household (€)"),
        [Optional()],
        description=_l("0 or empty: the network asks no fee. A fee covers the season, 1 September to 31 August."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    membership_required = BooleanField(
        _l("Refuse the basket while the membership is to be renewed"),
        description=_l(
            "Off: the volunteer's phone warns and hands the basket over. On: it refuses until the fee is paid."
        ),
    )


class FeeForm(AdminForm):
    amount_cents = MoneyField(
        _l("Amount paid (€)"),
        [Optional()],
        description=_l("Empty: the network's fee."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    method = SelectField(_l("Paid by"), choices=[])
    details = StringField(
        _l("Cheque number or transfer reference"),
        [Length(max=200)],
        description=_l("Required for a cheque or a transfer."),
    )
    paid_on = DateField(_l("Paid on"), [Optional()], description=_l("Empty: today."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = [(method, LABELS["payment_method"][method]) for method in ADMIN_METHODS]


@bp.route("/membership/", methods=["GET", "POST"])
@staff_required
def membership():
    """Who is to renew (due, or ending within 30 days), by point; an admin also sets the fee and the rule here."""
    user = actor()
    settings = NetworkSettings.current()
    form = MembershipSettingsForm(obj=settings) if user.role == "admin" else None
    status = 200
    if form is not None and request.method == "POST":
        if form.validate_on_submit():
            try:
                update_settings(form.values(), actor=user)
                db.session.commit()
            except DomainError as refused:
                db.session.rollback()
                field = form.field_named(refused.field)
                (field.errors if field is not None else form.form_errors).append(str(refused))
            else:
                flash(_("Membership settings saved."), "success")
                return redirect(url_for(".membership"))
        status = 400
    point_id = id_arg("point")
    points = managed_points()
    point_ids = [point.id for point in points] if user.role != "admin" else None
    if point_id and (point_ids is None or point_id in point_ids):
        point_ids = [point_id]
    else:
        point_id = None
    groups = [group.where(managed(Household.point_id, user)) for group in due_groups(point_ids)]
    page = within_pages(ChainedPagination(groups, page=id_arg("page") or 1, per_page=PER_PAGE))
    day = today(ZoneInfo(settings.timezone))
    season_start = season_end(day).replace(year=season_end(day).year - 1) + timedelta(days=1)
    fees_export = (
        url_for(".export_membership_fees", **{"from": season_start.isoformat(), "to": day.isoformat()})
        if user.role == "admin"
        else None
    )
    html = render_template(
        "admin/membership.html",
        fees_export=fees_export,
        form=form,
        settings=settings,
        page=page,
        points=points,
        point_id=point_id,
        today=today(ZoneInfo(settings.timezone)),
    )
    return html, status


@bp.route("/members/<id:household_id>/membership", methods=["GET", "POST"])
@staff_required
def member_membership(household_id: int):
    """Record a fee the household paid outside the point; the household's fees below."""
    household = db.get_or_404(Household, household_id)
    require_points([household.point_id])
    return form_page(
        FeeForm(),
        lambda values: record_fee(household, values, actor=actor()),
        title=_("Membership of %(name)s", name=household.display_name),
        back=url_for(".member_membership", household_id=household.id),
        saved=_("Membership fee recorded."),
        template="admin/member_membership.html",
        household=household,
        fees=fees_of(household.id),
        settings=NetworkSettings.current(),
    )
