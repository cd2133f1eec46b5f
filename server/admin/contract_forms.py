"""The season contract form, and the household a coordinator names by its member number or e-mail."""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from server.admin.forms import CHOOSE, NOTES_MAX, AdminForm, point_choices
from server.extensions import db
from server.models import Household, Point, Producer, User
from server.urls import MAX_ID

FREQUENCY_LABELS = {
    "every": _l("Every distribution"),
    "fortnightly": _l("Every two weeks"),
    "chosen": _l("Chosen dates"),
}
PAYMENT_LABELS = {
    "per_delivery": _l("At each delivery, at the point"),
    "cheques": _l("In advance, by cheques over the season"),
    "prepaid": _l("At each delivery, from the prepaid account"),
}
ABSENCE_LABELS = {
    "skip": _l("Basket not due"),
    "given": _l("Basket given to another household"),
    "offered": _l("Basket offered to the waiting list"),
}


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ContractForm(AdminForm):
    point_id = SelectField(_l("Point"), coerce=int, invalid_value_message=CHOOSE, invalid_choice_message=CHOOSE)
    producer_id = SelectField(_l("Producer"), coerce=int, invalid_value_message=CHOOSE, invalid_choice_message=CHOOSE)
    name = StringField(_l("Name"), [DataRequired(_l("Give the contract a name.")), Length(max=120)], filters=[_strip])
    starts_on = DateField(
        _l("First day of the season"),
        [InputRequired(_l("Give the first and last days of the season."))],
        invalid_value_message=_l("Enter a date such as 2025-03-18."),
    )
    ends_on = DateField(
        _l("Last day of the season"),
        [InputRequired(_l("Give the first and last days of the season."))],
        invalid_value_message=_l("Enter a date such as 2025-03-18."),
    )
    frequency = SelectField(
        _l("Deliveries"),
        choices=[SelectChoice(code, label) for code, label in FREQUENCY_LABELS.items()],
        default="every",
        invalid_choice_message=CHOOSE,
    )
    payment = SelectField(
        _l("Paid"),
        choices=[SelectChoice(code, label) for code, label in PAYMENT_LABELS.items()],
        default="per_delivery",
        invalid_choice_message=CHOOSE,
    )
    cheque_count = IntegerField(
        _l("Number of cheques"),
        [Optional(), NumberRange(0, 99, _l("Give a whole number from 0 to 99."))],
        default=0,
        description=_l("When paid in advance by cheques: in how many cheques the season is paid."),
    )
    absence_cap = IntegerField(
        _l("Absences allowed per subscriber"),
        [
            InputRequired(_l("Give a whole number from 0 to 99.")),
            NumberRange(0, 99, _l("Give a whole number from 0 to 99.")),
        ],
        default=2,
    )
    subscriptions_open = BooleanField(_l("Subscriptions open (members can subscribe from their page)"))
    notes = TextAreaField(_l("Notes"), [Length(max=NOTES_MAX)], filters=[_strip])

    def __init__(self, *args: Any, actor: User, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            del self.point_id
        else:
            self.point_id.choices = point_choices(actor=actor)
        producers = db.session.scalars(
            select(Producer).where(Producer.active.is_(True)).order_by(Producer.sort_name, Producer.id)
        )
        self.producer_id.choices = [SelectChoice(str(p.id), p.name) for p in producers]

    def values(self) -> dict[str, Any]:
        values = super().values()
        values["cheque_count"] = values.get("cheque_count") or 0
        values.pop("point_id", None)
        return values


def find_household(text: str, point: Point) -> Household | None:
    """A household of ``point`` by its member number or e-mail (what a coordinator types); None if none."""
    text = (text or "").strip()
    if text.isdigit() and 1 <= int(text) <= MAX_ID:
        household = db.session.get(Household, int(text))
    elif "@" in text:
        household = db.session.scalar(select(Household).where(func.lower(Household.email) == text.lower()).limit(1))
    else:
        return None
    return household if household is not None and household.point_id == point.id else None
