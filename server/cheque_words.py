"""A household's season cheques in words, for its admin page and its member page: « Vos chèques pour « Légumes
été » : 3 × 40,00 €, octobre, novembre, décembre » and each cheque's state (docs/producers.md, "The season's cheque
calendar")."""

from flask_babel import gettext as _

from server.domain.cheque_calendar import HouseholdCalendar
from server.formatting import day_month, local_date, money
from server.labels import CHEQUE_STATE_LABELS
from server.models import Cheque


def _month(cheque: Cheque) -> str:
    return local_date(cheque.planned_month, "LLLL") if cheque.planned_month else ""


def calendar_sentence(calendar: HouseholdCalendar, *, yours: bool = False) -> str:
    """The cheques of one contract in a sentence: 3 × 40,00 € over their months, or each amount with its month."""
    cheques = calendar.cheques
    if calendar.same_amount:
        what = _(
            "%(count)d × %(amount)s, %(months)s",
            count=len(cheques),
            amount=money(cheques[0].amount_cents),
            months=", ".join(_month(c) for c in cheques),
        )
    else:
        what = ", ".join(_("%(amount)s in %(month)s", amount=money(c.amount_cents), month=_month(c)) for c in cheques)
    if yours:
        return _("Your cheques for “%(contract)s”: %(cheques)s", contract=calendar.contract.name, cheques=what)
    return _("Cheques for “%(contract)s”: %(cheques)s", contract=calendar.contract.name, cheques=what)


def cheque_words(cheque: Cheque) -> str:
    """One cheque: its month, amount and state (« novembre : 40,00 €, reçu le 3 novembre, n° 0001234 »)."""
    state = str(CHEQUE_STATE_LABELS[cheque.state])
    if cheque.state_on and cheque.state != "expected":
        state = _("%(state)s on %(day)s", state=state, day=day_month(cheque.state_on))
    if cheque.number:
        state = _("%(state)s, no. %(number)s", state=state, number=cheque.number)
    return _("%(month)s: %(amount)s, %(state)s", month=_month(cheque), amount=money(cheque.amount_cents), state=state)
