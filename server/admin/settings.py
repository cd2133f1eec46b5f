"""The network's settings page (admins): name, the tier at the counter, the prepaid floor, the dashboard's
thresholds."""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, StringField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from server.admin import bp
from server.admin.fields import MoneyField
from server.admin.forms import AdminForm
from server.admin.views import actor, form_page
from server.auth.access import admin_required
from server.domain.network import update_network_settings
from server.models import NetworkSettings


class NetworkSettingsForm(AdminForm):
    name = StringField(_l("Name of the network"), [DataRequired(_l("Give the network a name.")), Length(max=120)])
    show_tier_at_counter = BooleanField(
        _l("Show the member's tier on the volunteer's phone"),
        description=_l(
            "Off: the phone says what to hand over and what to collect, never which tier a household is on."
        ),
    )
    prepaid_floor_cents = MoneyField(
        _l("How far a prepaid balance may go below zero (€)"),
        [Optional()],
        description=_l(
            "0 or empty: never below zero. A solidarity allowance never goes below zero. A payment offline beyond "
            "this is kept and shown as a conflict to settle in the distribution log."
        ),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )

    cash_gap_threshold_cents = MoneyField(
        _l("Cash gap to check, beyond (€)"),
        [Optional()],
        description=_l(
            "A phone whose cash counted at closing differs from what was expected by more is listed on the dashboard."
        ),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    low_balance_cents = MoneyField(
        _l("Balance to check, below (€)"),
        [Optional()],
        description=_l(
            "A prepaid or allowance balance below this is listed on the dashboard. 0 or empty: only balances below "
            "zero."
        ),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    orders_close_days = IntegerField(
        _l("Orders close, days before the distribution"),
        [Optional(), NumberRange(0, 30, _l("Give a whole number of days from 0 to 30."))],
        description=_l(
            "Until then members change their season contracts' baskets from their page; then the producers' order "
            "forms are final. A distribution may set its own moment. Empty: unchanged."
        ),
        invalid_value_message=_l("Give a whole number of days from 0 to 30."),
    )
    orders_close_time = TimeField(
        _l("Orders close at"),
        [Optional()],
        format=["%H:%M", "%H:%M:%S"],
        invalid_value_message=_l("Enter a time such as 12:00."),
    )


@bp.route("/settings/", methods=["GET", "POST"])
@admin_required
def network_settings():
    return form_page(
        NetworkSettingsForm(obj=NetworkSettings.current()),
        lambda values: update_network_settings(values, actor=actor()),
        title=_("Network settings"),
        back=url_for(".network_settings"),
        saved=_("Network settings saved."),
    )
