"""The producer form: what an admin typed, checked and handed to ``server.domain.producers`` as a plain dict."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from server.admin.forms import NOTES_MAX, AdminForm


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ProducerForm(AdminForm):
    name = StringField(_l("Name"), [DataRequired(_l("Give the producer a name.")), Length(max=120)], filters=[_strip])
    contact = StringField(_l("Contact person"), [Length(max=120)], filters=[_strip])
    email = EmailField(
        _l("E-mail"),
        [Optional(), Email(_l("Enter an e-mail address such as name@example.org.")), Length(max=254)],
        filters=[_strip],
    )
    phone = TelField(_l("Phone"), [Length(max=40)], filters=[_strip])
    cheque_payee = StringField(
        _l("Cheques made out to"),
        [Length(max=120)],
        filters=[_strip],
        description=_l("The name members write on their cheques (often the farm's name); empty: the producer's name."),
    )
    iban = StringField(
        _l("IBAN (optional)"),
        [Length(max=50)],
        filters=[_strip],
        description=_l("Checked before it is saved, such as FR76 3000 6000 0112 3456 7890 189."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    notes = TextAreaField(_l("Notes"), [Length(max=NOTES_MAX)], filters=[_strip])
    active = BooleanField(_l("Active (their products can be ordered)"), default=True)
