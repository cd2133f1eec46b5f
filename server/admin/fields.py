"""Form fields shared by admin forms."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from server.money_input import format_cents_plain, parse_cents


class MoneyField(StringField):
    """An amount in euros typed by a person, held as integer cents in ``data``."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_cents_plain(self.data) if isinstance(self.data, int) else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_cents(valuelist[0])
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("Enter an amount in euros, such as 12,50.")) from exc
