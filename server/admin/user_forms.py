"""Forms of the users pages: what a person typed, checked and handed to ``server.domain.users`` as a plain dict.

The choices depend on who fills the form in: a coordinator is offered the volunteer role only and their own points.
The domain checks the same rules again; the form only keeps people from choosing what they cannot have.
"""

from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, ValidationError
from wtforms.widgets import CheckboxInput, html_params

from server.admin.forms import CHOOSE, AdminForm
from server.domain.users import offered_points, offered_roles
from server.models import Point, User
from sync.vocabulary import USER_ROLES

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "coordinator": _l("Coordinator"),
    "volunteer": _l("Volunteer"),
}
assert set(ROLE_LABELS) == set(USER_ROLES)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class CheckboxesWidget:
    """A group of labelled checkboxes, named after the field for screen readers."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("aria_label", str(field.label.text))
        boxes = "".join(Markup("<label>{} {}</label>").format(option(), option.label.text) for option in field)
        return Markup("<fieldset {}>{}</fieldset>").format(Markup(html_params(**kwargs)), Markup(boxes))


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (a phone shows them better than a multiple select)."""

    widget = CheckboxesWidget()
    option_widget = CheckboxInput()


def _points_field(description: Any) -> CheckboxesField:
    return CheckboxesField(
        _l("Points"),
        coerce=int,
        description=description,
        invalid_value_message=CHOOSE,
    )


class _UserForm(AdminForm):
    def _offer(self, actor: User, current: list[Point] | None = None) -> None:
        if "role" in self._fields:
            self.role.choices = [SelectChoice(code, ROLE_LABELS[code]) for code in offered_roles(actor)]
        points = offered_points(actor)
        if actor.role == "admin":  # keep a deactivated point the user already has, so saving does not drop it
            points += [p for p in current or [] if p not in points]
        self.points.choices = [SelectChoice(str(p.id), p.name) for p in points]
        self.points.pre_validate = self._pre_validate_points

    def _pre_validate_points(self, form: Any) -> None:
        allowed = {int(choice.value) for choice in self.points.choices}
        if any(value not in allowed for value in self.points.data or []):
            raise ValidationError(CHOOSE)


class InviteForm(_UserForm):
    email = EmailField(
        _l("E-mail"),
        [
            DataRequired(_l("Give the e-mail address of the person you invite.")),
            Email(_l("Enter an e-mail address such as name@example.org.")),
            Length(max=254),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "off"},
    )
    display_name = StringField(
        _l("Name"),
        [DataRequired(_l("Give the name of the person you invite.")), Length(max=120)],
        filters=[_strip],
        render_kw={"autocomplete": "off"},
    )
    role = SelectField(_l("Role"), default="volunteer", invalid_choice_message=CHOOSE)
    points = _points_field(_l("Where a coordinator coordinates or a volunteer runs distributions."))

    def __init__(self, *args: Any, actor: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._offer(actor)

    def values(self) -> dict[str, Any]:
        return {**super().values(), "points": [int(v) for v in self.points.data or []]}


class UserEditForm(_UserForm):
    display_name = StringField(
        _l("Name"), [DataRequired(_l("Give the person's name.")), Length(max=120)], filters=[_strip]
    )
    role = SelectField(_l("Role"), invalid_choice_message=CHOOSE)
    points = _points_field(_l("Where a coordinator coordinates or a volunteer runs distributions."))
    active = BooleanField(_l("Active (can sign in)"))

    def __init__(self, *args: Any, actor: User, user: User, **kwargs: Any):
        if "data" not in kwargs:
            kwargs["data"] = {
                "display_name": user.display_name,
                "role": user.role,
                "points": sorted(user.point_ids),
                "active": user.active,
            }
        super().__init__(*args, **kwargs)
        if actor.role != "admin":
            del self.role  # only an administrator changes roles
            if actor.id == user.id:  # a coordinator on their own account: only the name
                del self.points
                del self.active
                return
        self._offer(actor, user.points)
        if actor.role != "admin" and not self.is_submitted():  # a coordinator sees only their own points ticked
            self.points.data = [pid for pid in self.points.data or [] if pid in actor.point_ids]

    def values(self) -> dict[str, Any]:
        values = super().values()
        if "points" in values:
            values["points"] = [int(v) for v in values["points"] or []]
        return values
