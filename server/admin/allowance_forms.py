"""Forms of the allowance pages: the network's rule, a contribution band, a household's size and band."""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from server.admin.fields import MoneyField
from server.admin.forms import CHOOSE, AdminForm, _strip
from server.domain.allowance_rules import MAX_SIZE
from server.extensions import db
from server.models import ContributionBand

PERIOD_LABELS = {"month": _l("Each month, on the 1st"), "week": _l("Each week, on Monday")}
UNSPENT_LABELS = {
    "keep": _l("Kept: it adds to the next allowance"),
    "cap": _l("Capped: what is above the cap is lost"),
    "expire": _l("Expired: it is lost at the end of the period"),
}
MONEY_INPUT = {"inputmode": "decimal", "autocomplete": "off"}


class AllowanceRuleForm(AdminForm):
    enabled = BooleanField(_l("Credit the allowance each period"))
    period = SelectField(
        _l("Period"),
        choices=[SelectChoice(code, label) for code, label in PERIOD_LABELS.items()],
        invalid_choice_message=CHOOSE,
    )
    base_cents = MoneyField(
        _l("Amount per household (€)"),
        [InputRequired(_l("Give the amount per household, in euros."))],
        render_kw=MONEY_INPUT,
    )
    per_person_cents = MoneyField(
        _l("Amount per additional person (€)"),
        [InputRequired(_l("Give the amount per additional person, in euros (0 for none)."))],
        description=_l("Added for each person beyond the first: a household of 3 receives the base and twice this."),
        render_kw=MONEY_INPUT,
    )
    unspent = SelectField(
        _l("Unspent balance at the end of a period"),
        choices=[SelectChoice(code, label) for code, label in UNSPENT_LABELS.items()],
        invalid_choice_message=CHOOSE,
    )
    cap_cents = MoneyField(
        _l("Cap (€)"),
        [Optional()],
        description=_l("Only when the unspent balance is capped: the most a household keeps into the next period."),
        render_kw=MONEY_INPUT,
    )
    starts_on = DateField(
        _l("First period"),
        [Optional()],
        description=_l("The first allowance is credited for the period that contains this day."),
        invalid_value_message=_l("Enter a date such as 2025-03-18."),
    )


class ContributionBandForm(AdminForm):
    code = StringField(
        _l("Code"),
        [
            InputRequired(_l("Give the band a short code.")),
            Length(max=40),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                message=_l("Use letters, digits, dots, dashes or underscores in the code, with no spaces."),
            ),
        ],
        filters=[_strip],
    )
    label = StringField(_l("Name"), [InputRequired(_l("Give the band a name.")), Length(max=80)], filters=[_strip])
    contribution_cents = MoneyField(
        _l("Contribution per period (€)"),
        [InputRequired(_l("Give the contribution, in euros (0 for none)."))],
        description=_l("What a household of this band pays into the scheme each period."),
        render_kw=MONEY_INPUT,
    )
    allowance_percent = IntegerField(
        _l("Share of the rule's allowance (%)"),
        [
            InputRequired(_l("Give a whole percentage between 0 and 1000.")),
            NumberRange(0, 1000, _l("Give a whole percentage between 0 and 1000.")),
        ],
        default=100,
        description=_l("100 gives the rule's amounts; 50 half of them."),
        invalid_value_message=_l("Give a whole percentage between 0 and 1000."),
    )
    base_cents = MoneyField(
        _l("Own amount per household (€)"),
        [Optional()],
        description=_l("Leave empty to use the rule's amount."),
        render_kw=MONEY_INPUT,
    )
    per_person_cents = MoneyField(
        _l("Own amount per additional person (€)"),
        [Optional()],
        description=_l("Leave empty to use the rule's amount."),
        render_kw=MONEY_INPUT,
    )


class HouseholdAllowanceForm(AdminForm):
    enrolled = BooleanField(_l("Receives the solidarity allowance"))
    size = IntegerField(
        _l("People in the household"),
        [
            InputRequired(_l("Give the number of people, from 1 to %(max)d.", max=MAX_SIZE)),
            NumberRange(1, MAX_SIZE, _l("Give the number of people, from 1 to %(max)d.", max=MAX_SIZE)),
        ],
        invalid_value_message=_l("Give the number of people, from 1 to %(max)d.", max=MAX_SIZE),
    )
    contribution_band = SelectField(
        _l("Contribution band"), invalid_value_message=CHOOSE, invalid_choice_message=CHOOSE
    )

    def __init__(self, *args: Any, enrolled: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        bands = db.session.scalars(select(ContributionBand).order_by(ContributionBand.label))
        self.contribution_band.choices = [SelectChoice("", _l("No band"))] + [
            SelectChoice(band.code, band.label) for band in bands
        ]
        if enrolled:  # an account is never closed: a household leaves the scheme by leaving the network
            self.enrolled.render_kw = {"disabled": True}
            self.enrolled.data = True
