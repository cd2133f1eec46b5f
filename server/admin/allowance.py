"""The solidarity allowance in the admin (SSA): the network's rule and contribution bands (admins), what each period
credited and what the next one will, and a household's size, band and enrolment (its staff). See
``docs/accounts.md``, "Allowance cycles"."""

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from server.admin import bp
from server.admin.allowance_forms import (
    PERIOD_LABELS,
    AllowanceRuleForm,
    ContributionBandForm,
    HouseholdAllowanceForm,
)
from server.admin.views import actor, form_page
from server.auth.access import admin_required, require_points, staff_required
from server.clock import utcnow
from server.domain import DomainError
from server.domain.allowance_cycles import (
    Period,
    has_allowance_account,
    network_zone,
    next_credit,
    next_to_credit,
    preview,
)
from server.domain.allowance_rules import (
    create_band,
    delete_band,
    save_rule,
    set_household_allowance,
    update_band,
)
from server.extensions import db
from server.models import AllowanceCycle, AllowanceRule, ContributionBand, Household

HISTORY = 12  # periods shown


def period_label(period: Period | AllowanceCycle, kind: str) -> str:
    """ "janvier 2031", or "semaine du 6 janv. 2031"."""
    if kind == "week":
        return _("week of %(day)s", day=format_date(period.starts_on, "medium"))
    return format_date(period.starts_on, "MMMM y")


@bp.app_template_global()
def household_allowance(household: Household) -> dict[str, Any]:
    """What the household page's allowance section shows: the small form, and the next credit."""
    enrolled = has_allowance_account(household)
    form = HouseholdAllowanceForm(
        enrolled=enrolled,
        formdata=None,
        data={"size": household.size, "contribution_band": household.contribution_band or ""},
    )
    if enrolled:
        form.enrolled.data = True
    return {"form": form, "next": next_credit(household), "enrolled": enrolled}


@bp.get("/allowance/")
@admin_required
def allowance():
    rule = AllowanceRule.current()
    today = utcnow().astimezone(network_zone()).date()
    found = next_to_credit(rule, today)
    coming = found.period if found is not None else None
    rows = preview(rule, coming) if coming is not None else []
    in_band = dict(
        db.session.execute(
            select(Household.contribution_band, func.count(Household.id))
            .where(Household.contribution_band.is_not(None))
            .group_by(Household.contribution_band)
        ).all()
    )
    cycles = db.session.scalars(select(AllowanceCycle).order_by(AllowanceCycle.starts_on.desc()).limit(HISTORY)).all()
    db.session.commit()  # the rule's row, made on first visit
    return render_template(
        "admin/allowance.html",
        rule=rule,
        period_labels=PERIOD_LABELS,
        coming=coming,
        coming_label=period_label(coming, rule.period) if coming else "",
        coming_on=found.on if found is not None else None,
        late=[period_label(period, rule.period) for period in found.late] if found is not None else [],
        rows=rows,
        total_households=sum(row.households for row in rows),
        total_cents=sum(row.total_cents for row in rows),
        bands=db.session.scalars(select(ContributionBand).order_by(ContributionBand.label)).all(),
        in_band=in_band,
        cycles=[(cycle, period_label(cycle, "week" if "W" in cycle.period else "month")) for cycle in cycles],
        form=FlaskForm(),
    )


@bp.route("/allowance/rule", methods=["GET", "POST"])
@admin_required
def allowance_rule():
    rule = AllowanceRule.current()
    return form_page(
        AllowanceRuleForm(obj=rule),
        lambda values: save_rule(values, actor=actor()),
        title=_("Solidarity allowance: the rule"),
        back=url_for(".allowance"),
        saved=_("Allowance rule saved."),
    )


@bp.route("/allowance/bands/new", methods=["GET", "POST"])
@admin_required
def band_new():
    return form_page(
        ContributionBandForm(),
        lambda values: create_band(values, actor=actor()),
        title=_("New contribution band"),
        back=url_for(".allowance"),
        saved=_("Contribution band created."),
    )


@bp.route("/allowance/bands/<id:band_id>/edit", methods=["GET", "POST"])
@admin_required
def band_edit(band_id: int):
    band = db.get_or_404(ContributionBand, band_id)
    return form_page(
        ContributionBandForm(obj=band),
        lambda values: update_band(band, values, actor=actor()),
        title=_("Contribution band: %(name)s", name=band.label),
        back=url_for(".allowance"),
        saved=_("Contribution band saved."),
    )


@bp.post("/allowance/bands/<id:band_id>/delete")
@admin_required
def band_delete(band_id: int):
    band = db.get_or_404(ContributionBand, band_id)
    if FlaskForm().validate_on_submit():
        try:
            delete_band(band, actor=actor())
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            flash(str(refused), "error")
        else:
            flash(_("Contribution band deleted."), "success")
    return redirect(url_for(".allowance"))


@bp.route("/members/<id:household_id>/allowance", methods=["GET", "POST"])
@staff_required
def member_allowance(household_id: int):
    """The household's size, band and enrolment: posted from the household page's small form; shown on its own
    page when it needs correcting."""
    household = db.get_or_404(Household, household_id)
    require_points([household.point_id])
    enrolled = has_allowance_account(household)
    data = {"size": household.size, "contribution_band": household.contribution_band or "", "enrolled": enrolled}
    return form_page(
        HouseholdAllowanceForm(enrolled=enrolled, data=data),
        lambda values: set_household_allowance(household, values, actor=actor()),
        title=_("Solidarity allowance: %(name)s", name=household.display_name),
        back=url_for(".member_edit", household_id=household.id),
        saved=_("Allowance settings saved."),
    )
