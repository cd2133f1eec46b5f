"""Membership (adhésion): what a yearly fee covers, as pure functions the server and the pack share.

Networks of the AMAP kind count memberships by **season**, 1 September to 31 August (the growing season and the
contracts with the farmers follow it), not twelve months from the day paid: everybody renews at the same time and a
fee paid in December covers the season it was paid in, to 31 August. A fee paid while the household is already
covered past that day covers the next season. See ``docs/accounts.md``, "Membership".
"""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Final

SEASON_START_MONTH: Final = 9  # September


def season_end(day: date) -> date:
    """The last day (31 August) of the season ``day`` falls in."""
    year = day.year + 1 if day.month >= SEASON_START_MONTH else day.year
    return date(year, SEASON_START_MONTH, 1) - timedelta(days=1)


def season_label(paid_until: date) -> str:
    """The season that ends on ``paid_until``, as members name it: ``2026–2027`` (with an en dash)."""
    return f"{paid_until.year - 1}–{paid_until.year}"


def extended(paid_until: date | None, paid_on: date) -> date:
    """The paid-until date after a fee paid on ``paid_on``: the end of the season of ``paid_on``, or of the season
    after the one already covered when the household was covered on that day."""
    start = paid_on if paid_until is None or paid_until < paid_on else paid_until + timedelta(days=1)
    return season_end(start)


def paid_until_after(paid_days: Iterable[date], base: date | None = None) -> date | None:
    """The paid-until date the fees paid on ``paid_days`` give, in the order paid (``base``: what was covered
    before any of them, e.g. a date brought from elsewhere)."""
    paid_until = base
    for day in sorted(paid_days):
        paid_until = extended(paid_until, day)
    return paid_until


def is_due(paid_until: date | None, on: date, fee_cents: int) -> bool:
    """Whether the household's membership is to be renewed on ``on``: the network asks a fee and it is not paid
    for that day."""
    return fee_cents > 0 and (paid_until is None or paid_until < on)
