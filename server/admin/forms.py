"""Admin forms. Each form checks what a person typed and hands the domain operation a plain dict (``values``)."""

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import false, or_, select, true
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp

from server.admin.fields import MoneyField
from server.extensions import db
from server.labels import DISTRIBUTION_STATUS_LABELS, HOUSEHOLD_STATUS_LABELS, SOLD_BY_LABELS
from server.models import Distribution, Household, NetworkSettings, Point, Producer, Tier, User
from server.models.people import user_points
from sync.vocabulary import DISTRIBUTION_STATUSES, HOUSEHOLD_STATUSES, SOLD_BY

NOTES_MAX = 2000
CHOOSE = _l("Choose an option from the list.")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _optional_id(value: Any) -> int | None:
    """Coerce a select's value to an id; the empty option means none."""
    if value in (None, ""):
        return None
    return int(value)


def network_timezone() -> ZoneInfo:
    """The timezone people type and read times in (the one ``local_datetime`` shows)."""
    return ZoneInfo(str(get_timezone()))


def managed(point_id: Any, actor: User | None) -> Any:
    """A SQL condition: ``point_id`` (a column) is a point ``actor`` manages, as ``manages_point`` decides it:
    every point for an admin (or the system, ``None``), a coordinator's own points, none for anyone else."""
    if actor is None or actor.role == "admin":
        return true()
    if actor.role != "coordinator":
        return false()
    return point_id.in_(select(user_points.c.point_id).where(user_points.c.user_id == actor.id))


def point_choices(current: Point | None = None, actor: User | None = None) -> list[SelectChoice]:
    """Active points ``actor`` manages, plus ``current`` even if it was deactivated since."""
    offered = Point.active.is_(True) if current is None else or_(Point.active.is_(True), Point.id == current.id)
    query = select(Point).where(offered, managed(Point.id, actor)).order_by(Point.name)
    return [SelectChoice(str(p.id), p.name) for p in db.session.scalars(query)]


class AdminForm(FlaskForm):
    """A form whose fields are named like the domain's data keys, unless ``field_for`` says otherwise."""

    field_for: dict[str, str] = {}

    def values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}

    def field_named(self, key: str | None) -> Any:
        """The field a domain error about ``key`` belongs next to, or None for a form-wide error."""
        name = self.field_for.get(key, key) if key else None
        return self._fields.get(name) if name else None


class PointForm(AdminForm):
    name = StringField(_l("Name"), [DataRequired(_l("Give the point a name.")), Length(max=120)], filters=[_strip])
    town = StringField(_l("Town"), [DataRequired(_l("Give the town of the point.")), Length(max=80)], filters=[_strip])
    address = StringField(_l("Address"), [Optional(), Length(max=200)], filters=[_strip])
    ephemeral = BooleanField(_l("Ephemeral point (open for a limited time)"))
    active = BooleanField(_l("Active (new distributions can be planned here)"), default=True)
    notes = TextAreaField(_l("Notes"), [Length(max=NOTES_MAX)], filters=[_strip])


class DistributionForm(AdminForm):
    point = SelectField(_l("Point"), coerce=int, invalid_value_message=CHOOSE, invalid_choice_message=CHOOSE)
    date = DateField(
        _l("Date"),
        [InputRequired(_l("Give the date of the distribution."))],
        invalid_value_message=_l("Enter a date such as 2025-03-18."),
    )
    start_time = TimeField(
        _l("Start time"),
        [InputRequired(_l("Give the start time."))],
        format=["%H:%M", "%H:%M:%S"],
        invalid_value_message=_l("Enter a time such as 17:30."),
    )
    end_time = TimeField(
        _l("End time"),
        [InputRequired(_l("Give the end time."))],
        format=["%H:%M", "%H:%M:%S"],
        invalid_value_message=_l("Enter a time such as 19:00."),
    )
    orders_close = DateTimeLocalField(
        _l("Orders close"),
        [Optional()],
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        invalid_value_message=_l("Enter a date and time such as 2025-03-16 12:00."),
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(code, DISTRIBUTION_STATUS_LABELS[code]) for code in DISTRIBUTION_STATUSES],
        default="planned",
        invalid_choice_message=CHOOSE,
    )
    notes = TextAreaField(_l("Notes"), [Length(max=NOTES_MAX)], filters=[_strip])

    field_for = {"starts_at": "start_time", "ends_at": "end_time", "orders_close_at": "orders_close"}

    def __init__(self, *args: Any, distribution: Distribution | None = None, actor: User | None = None, **kwargs: Any):
        if distribution is not None and "data" not in kwargs:
            kwargs["data"] = self._initial(distribution)
        super().__init__(*args, **kwargs)
        self.point.choices = point_choices(distribution.point if distribution else None, actor)
        settings = NetworkSettings.current()
        self.orders_close.description = _l(
            "Members change their season contracts' baskets until then; the producers' order forms are final from "
            "then on. Empty: %(days)d days before the distribution, at %(time)s (the network's setting).",
            days=settings.orders_close_days,
            time=settings.orders_close_time.strftime("%H:%M"),
        )

    @staticmethod
    def _initial(distribution: Distribution) -> dict[str, Any]:
        tz = network_timezone()
        starts, ends = distribution.starts_at.astimezone(tz), distribution.ends_at.astimezone(tz)
        return {
            "point": distribution.point_id,
            "date": starts.date(),
            "start_time": starts.time().replace(second=0, microsecond=0),
            "end_time": ends.time().replace(second=0, microsecond=0),
            "orders_close": distribution.orders_close_at.astimezone(tz).replace(tzinfo=None)
            if distribution.orders_close_at
            else None,
            "status": distribution.status,
            "notes": distribution.notes,
        }

    def values(self) -> dict[str, Any]:
        return {
            "point": db.session.get(Point, self.point.data),
            "starts_at": _utc(self.date.data, self.start_time.data),
            "ends_at": _utc(self.date.data, self.end_time.data),
            "orders_close_at": _utc(self.orders_close.data.date(), self.orders_close.data.time())
            if self.orders_close.data
            else None,
            "status": self.status.data,
            "notes": self.notes.data,
        }


def _utc(day: date, at: time) -> datetime:
    """A wall-clock date and time in the network's timezone, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=network_timezone()).astimezone(UTC)


class TierForm(AdminForm):
    name = StringField(_l("Name"), [DataRequired(_l("Give the tier a name.")), Length(max=80)], filters=[_strip])
    share_percent = IntegerField(
        _l("Share of the full price paid (%)"),
        [
            InputRequired(_l("Give the share of the full price, from 0 to 100.")),
            NumberRange(0, 100, _l("The share must be a whole number between 0 and 100 (100 is the full price).")),
        ],
        description=_l("100 is the full price (tarif plein); 70 means members of this tier pay 70 %."),
        invalid_value_message=_l("The share must be a whole number between 0 and 100 (100 is the full price)."),
    )
    description = TextAreaField(_l("Description"), [Length(max=NOTES_MAX)], filters=[_strip])


class HouseholdForm(AdminForm):
    first_name = StringField(
        _l("First name"),
        [DataRequired(_l("Give the first name of the household's contact person.")), Length(max=80)],
        filters=[_strip],
    )
    last_name = StringField(_l("Last name"), [Length(max=80)], filters=[_strip])
    email = EmailField(
        _l("E-mail"),
        [Optional(), Email(_l("Enter an e-mail address such as name@example.org.")), Length(max=254)],
        filters=[_strip],
    )
    phone = TelField(_l("Phone"), [Length(max=32)], filters=[_strip])
    tier = SelectField(_l("Tier"), coerce=int, invalid_value_message=CHOOSE, invalid_choice_message=CHOOSE)
    point = SelectField(
        _l("Home point"), coerce=_optional_id, invalid_value_message=CHOOSE, invalid_choice_message=CHOOSE
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(code, HOUSEHOLD_STATUS_LABELS[code]) for code in HOUSEHOLD_STATUSES],
        default="active",
        invalid_choice_message=CHOOSE,
    )
    notes = TextAreaField(_l("Notes"), [Length(max=NOTES_MAX)], filters=[_strip])

    def __init__(self, *args: Any, household: Household | None = None, actor: User | None = None, **kwargs: Any):
        """``actor``: a coordinator is offered only their points, and no "no home point"."""
        if household is not None and "data" not in kwargs:
            kwargs["data"] = {
                **{name: getattr(household, name) for name in ("first_name", "last_name", "phone", "notes")},
                "email": household.email or "",
                "tier": household.tier_id,
                "point": household.point_id,
                "status": household.status,
            }
        super().__init__(*args, **kwargs)
        tiers = db.session.scalars(select(Tier).order_by(Tier.name))
        self.tier.choices = [SelectChoice(str(t.id), t.name) for t in tiers]
        points = point_choices(household.point if household else None, actor)
        if actor is None or actor.role == "admin":
            points.insert(0, SelectChoice("", _l("No home point")))
        self.point.choices = points

    def values(self) -> dict[str, Any]:
        return {
            **super().values(),
            "email": self.email.data or None,
            "tier": db.session.get(Tier, self.tier.data),
            "point": db.session.get(Point, self.point.data) if self.point.data else None,
        }


class ProductForm(AdminForm):
    code = StringField(
        _l("Code"),
        [
            DataRequired(_l("Give the product a code.")),
            Length(max=32),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                message=_l("Use letters, digits, dots, dashes or underscores in the code, with no spaces."),
            ),
        ],
        filters=[_strip],
        description=_l("A short, unique reference used in order imports, such as LEG-10."),
    )
    name = StringField(_l("Name"), [DataRequired(_l("Give the product a name.")), Length(max=120)], filters=[_strip])
    unit = StringField(_l("Unit"), [Length(max=40)], filters=[_strip], description=_l("Such as: 1 kg, a dozen."))
    producer_id = SelectField(
        _l("Producer"), coerce=_optional_id, invalid_value_message=CHOOSE, invalid_choice_message=CHOOSE
    )
    sold_by = SelectField(
        _l("Sold by"),
        choices=[SelectChoice(code, SOLD_BY_LABELS[code]) for code in SOLD_BY],
        default="piece",
        invalid_choice_message=CHOOSE,
        description=_l("By weight: the price is per kg, orders give an estimated weight, the volunteer weighs it."),
    )
    unit_price_cents = MoneyField(
        _l("Full price (€)"),
        [InputRequired(_l("Give the full price of the product, in euros."))],
        description=_l(
            "The price at the full rate (tarif plein), per piece, per kg or per litre; each household pays its "
            "tier's share of it."
        ),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    allowance_eligible = BooleanField(_l("Can be paid from an allowance (SSA)"), default=True)
    active = BooleanField(_l("Active (can be ordered)"), default=True)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        producers = db.session.scalars(select(Producer).order_by(Producer.sort_name, Producer.id))
        self.producer_id.choices = [
            SelectChoice("", _l("No producer")),
            *(SelectChoice(str(p.id), p.name) for p in producers),
        ]
