"""The admin's money forms: a top-up, a refund, a correction. Each checks what was typed and hands the domain verb
(``server.domain.account_actions``) plain values; the verb's refusals come back next to the field they name."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from server.admin.fields import MoneyField
from server.admin.forms import CHOOSE, AdminForm
from server.domain.account_actions import REASON_MAX, REFERENCE_MAX, TOP_UP_METHODS
from server.labels import ACCOUNT_KIND_LABELS, PAYMENT_METHOD_LABELS
from server.urls import MAX_ID
from sync.vocabulary import ACCOUNT_KINDS


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


AMOUNT_KW = {"inputmode": "decimal", "autocomplete": "off"}


def _amount_field() -> MoneyField:
    return MoneyField(_l("Amount (€)"), [InputRequired(_l("Give an amount, such as 20,00."))], render_kw=AMOUNT_KW)


def _method_field(label: Any) -> SelectField:
    return SelectField(
        label,
        choices=[SelectChoice(code, PAYMENT_METHOD_LABELS[code]) for code in TOP_UP_METHODS],
        invalid_choice_message=CHOOSE,
    )


class TopUpForm(AdminForm):
    amount = _amount_field()
    method = _method_field(_l("Paid by"))
    reference = StringField(
        _l("Cheque number or reference"),
        [Length(max=REFERENCE_MAX)],
        filters=[_strip],
        description=_l("The cheque number, the transfer reference or the card terminal's reference."),
    )


class RefundForm(AdminForm):
    amount = _amount_field()
    method = _method_field(_l("Given back by"))
    reason = StringField(_l("Reason (optional)"), [Length(max=REASON_MAX)], filters=[_strip])


class CorrectionForm(AdminForm):
    account = SelectField(
        _l("Account"),
        choices=[SelectChoice(code, ACCOUNT_KIND_LABELS[code]) for code in ACCOUNT_KINDS],
        invalid_choice_message=CHOOSE,
    )
    direction = RadioField(
        _l("Correction"),
        choices=[SelectChoice("credit", _l("Add to the balance")), SelectChoice("debit", _l("Take from the balance"))],
        default="credit",
        validate_choice=True,
        invalid_choice_message=CHOOSE,
    )
    amount = _amount_field()
    reason = StringField(
        _l("Reason"),
        [InputRequired(_l("Say why: the member and the accountant will read it.")), Length(max=REASON_MAX)],
        filters=[_strip],
    )
    corrects = IntegerField(
        _l("Number of the movement it corrects (optional)"),
        [Optional(), NumberRange(1, MAX_ID, _l("Give a movement number from the statement."))],
        description=_l("The number shown in the statement's first column."),
        invalid_value_message=_l("Give a movement number from the statement."),
    )
