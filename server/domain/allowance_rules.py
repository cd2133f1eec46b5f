"""Setting up allowance cycles (SSA): the network's rule and contribution bands (admins), and a household's size,
band and enrolment (its staff). Each verb checks the actor, flushes and audits; callers commit."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from server.audit import record
from server.clock import utcnow
from server.domain import DomainError, apply_changes, clean, is_taken, require_text
from server.domain.allowance_cycles import has_allowance_account, network_zone, period_containing
from server.domain.ledger import accounts_for
from server.domain.points import require_admin, require_manager
from server.extensions import db
from server.models import AllowanceRule, ContributionBand, Household, User
from server.models.allowance import ALLOWANCE_PERIODS, UNSPENT_RULES

RULE_FIELDS = ("enabled", "period", "base_cents", "per_person_cents", "unspent", "cap_cents", "starts_on")
BAND_FIELDS = ("code", "label", "contribution_cents", "base_cents", "per_person_cents", "allowance_percent")
MAX_SIZE = 30
MAX_CENTS = 10_000_000  # 100 000 €: more is a typing mistake


def _audited(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {k: [v.isoformat() if isinstance(v, date) else v for v in pair] for k, pair in changes.items()}


def _cents(values: dict[str, Any], name: str, *, required: bool, message: Any) -> None:
    if name not in values:
        return
    value = values[name]
    if value is None:
        if required:
            raise DomainError(message, field=name)
        return
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_CENTS:
        raise DomainError(_l("Enter an amount between 0 and 100 000 €."), field=name)


def save_rule(data: Mapping[str, Any], *, actor: User | None = None, today: date | None = None) -> AllowanceRule:
    """Change the network's rule. A new first period may not lie in the past (``today``: the network's date), so
    turning the rule on never credits months gone by."""
    require_admin(actor)
    rule = AllowanceRule.current()
    values = {name: data[name] for name in RULE_FIELDS if name in data}
    if values.get("period", rule.period) not in ALLOWANCE_PERIODS:
        raise DomainError(_l("Choose an option from the list."), field="period")
    if values.get("unspent", rule.unspent) not in UNSPENT_RULES:
        raise DomainError(_l("Choose an option from the list."), field="unspent")
    _cents(values, "base_cents", required=True, message=_l("Give the amount per household, in euros."))
    _cents(
        values,
        "per_person_cents",
        required=True,
        message=_l("Give the amount per additional person, in euros (0 for none)."),
    )
    _cents(values, "cap_cents", required=False, message="")
    if values.get("unspent", rule.unspent) == "cap" and values.get("cap_cents", rule.cap_cents) is None:
        raise DomainError(_l("Give the most a balance may keep from one period to the next."), field="cap_cents")
    if values.get("unspent", rule.unspent) != "cap":
        values["cap_cents"] = None
    starts_on = values.get("starts_on", rule.starts_on)
    if values.get("enabled", rule.enabled) and starts_on is None:
        raise DomainError(_l("Give the day the first allowance is credited."), field="starts_on")
    if "starts_on" in values and values["starts_on"] != rule.starts_on and values["starts_on"] is not None:
        today = today or utcnow().astimezone(network_zone()).date()
        current = period_containing(today, values.get("period", rule.period))
        if values["starts_on"] < current.starts_on:
            raise DomainError(
                _l("The first period cannot lie in the past: choose a day in the current period or later."),
                field="starts_on",
            )
    changes = apply_changes(rule, values)
    if changes:
        db.session.flush()
        record("allowance_rule.update", target="allowance_rule:1", changes=_audited(changes))
    return rule


def _checked_band(data: Mapping[str, Any], band: ContributionBand | None) -> dict[str, Any]:
    values = clean(ContributionBand, data, BAND_FIELDS)
    if band is None:
        values.setdefault("code", "")
        values.setdefault("label", "")
    require_text(values, "code", _l("Give the band a short code."))
    require_text(values, "label", _l("Give the band a name."))
    if "code" in values and is_taken(ContributionBand, ContributionBand.code, values["code"], band):
        raise DomainError(_l("Another band already has this code."), field="code")
    if band is not None and "code" in values and values["code"] != band.code and _households_in(band):
        raise DomainError(_l("Households are in this band: its code cannot change."), field="code")
    _cents(values, "contribution_cents", required=True, message=_l("Give the contribution, in euros (0 for none)."))
    _cents(values, "base_cents", required=False, message="")
    _cents(values, "per_person_cents", required=False, message="")
    if "allowance_percent" in values:
        percent = values["allowance_percent"]
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 1000:
            raise DomainError(_l("Give a whole percentage between 0 and 1000."), field="allowance_percent")
    return values


def _households_in(band: ContributionBand) -> int:
    return db.session.scalar(select(func.count(Household.id)).where(Household.contribution_band == band.code))


def create_band(data: Mapping[str, Any], *, actor: User | None = None) -> ContributionBand:
    require_admin(actor)
    band = ContributionBand(**_checked_band(data, None))
    db.session.add(band)
    db.session.flush()
    record("contribution_band.create", target=f"contribution_band:{band.id}", code=band.code)
    return band


def update_band(band: ContributionBand, data: Mapping[str, Any], *, actor: User | None = None) -> ContributionBand:
    require_admin(actor)
    changes = apply_changes(band, _checked_band(data, band))
    if changes:
        db.session.flush()
        record("contribution_band.update", target=f"contribution_band:{band.id}", changes=changes)
    return band


def delete_band(band: ContributionBand, *, actor: User | None = None) -> None:
    require_admin(actor)
    used_by = _households_in(band)
    if used_by:
        raise DomainError(
            ngettext(
                "%(num)d household is still in this band: move it to another band first.",
                "%(num)d households are still in this band: move them to another band first.",
                used_by,
            )
        )
    record("contribution_band.delete", target=f"contribution_band:{band.id}", code=band.code)
    db.session.delete(band)
    db.session.flush()


def set_household_allowance(household: Household, data: Mapping[str, Any], *, actor: User | None = None) -> None:
    """Set the household's size and band, and enrol it (opens its allowance account). An account is never removed
    (its movements stay): a household leaves the scheme by leaving the network (status)."""
    require_manager(actor, household.point_id, field=None)
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_SIZE:
        raise DomainError(_l("Give the number of people, from 1 to %(max)d.", max=MAX_SIZE), field="size")
    code = data.get("contribution_band") or None
    if code is not None and db.session.scalar(select(ContributionBand.id).where(ContributionBand.code == code)) is None:
        raise DomainError(_l("Choose an option from the list."), field="contribution_band")
    changes = apply_changes(household, {"size": size, "contribution_band": code})
    if data.get("enrolled") and not has_allowance_account(household):
        accounts_for([household.id], "allowance")
        changes["enrolled"] = [False, True]
    if changes:
        db.session.flush()
        record("household.allowance", target=f"household:{household.id}", changes=changes)
