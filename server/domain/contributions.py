"""SSA contributions: what a household of a contribution band pays into the scheme each allowance period, taken at
the point as a payment whose purpose is ``contribution`` (``docs/accounts.md``, "Contributions").

A ``Contribution`` row is kept per such payment, with the period it pays: the allowance period (by the network's
rule, monthly by default) of the day it was paid. ``after_ingest`` is called once per upload by
``server.domain.events.store_upload``, in its transaction, like ``server.domain.membership.after_ingest``: the same
event stored twice is one row (unique ``event_id``), a void marks it voided and a void of that void restores it, in
any arrival order. A household's period is paid when it has a row for it that is not voided.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, exists, false, select

from server.clock import today
from server.domain.allowance_cycles import Period, network_zone, period_containing
from server.domain.purpose_payments import insert_once, settle_voids
from server.extensions import db
from server.models import AllowanceRule, Contribution, ContributionBand, Household, Order
from sync.events import Event, PaymentEvent
from sync.projection import void_target


def period_kind() -> str:
    """The network's allowance period ("month" or "week"), read without creating the rule's row (a pack download
    and an upload only read it): a month when no rule was set."""
    return db.session.scalar(select(AllowanceRule.period).where(AllowanceRule.id == 1)) or "month"


def period_of(day: date) -> Period:
    """The allowance period ``day`` falls in, by the network's rule (a month unless it says a week)."""
    return period_containing(day, period_kind())


def _is_contribution(event: Event) -> bool:
    return (
        isinstance(event, PaymentEvent)
        and event.payload.purpose == "contribution"
        and event.payload.household_id is not None
    )


def after_ingest(events: Sequence[Event]) -> None:
    """Keep contributions in step with newly stored events: a contribution payment adds its row (once per event
    id), and the voids of the distributions concerned settle which rows count."""
    paid = [event for event in events if _is_contribution(event)]
    if paid:
        tz = network_zone()
        kind = period_kind()
        rows = []
        for event in paid:
            day = event.device_time.astimezone(tz).date()
            rows.append(
                {
                    "household_id": event.payload.household_id,
                    "period": period_containing(day, kind).code,
                    "amount_cents": event.payload.amount_cents,
                    "method": event.payload.method,
                    "method_details": event.payload.method_details,
                    "paid_on": day,
                    "event_id": event.id,
                    "distribution_id": event.distribution_id,
                    "voided": False,
                }
            )
        db.session.execute(insert_once(Contribution.__table__), rows)
    voiding = {event.distribution_id for event in events if void_target(event) is not None}
    voiding.update(event.distribution_id for event in paid)  # a contribution can arrive after its void
    for distribution_id in voiding:
        settle_voids(Contribution, distribution_id)


@dataclass(frozen=True)
class ContributionStatus:
    """A household's contribution for ``period``: what its band asks (``asked_cents``), and the payment that paid
    it (``paid``, None while due)."""

    period: Period
    asked_cents: int
    paid: Contribution | None

    @property
    def due_cents(self) -> int:
        return 0 if self.paid is not None else self.asked_cents


def status(household: Household, day: date | None = None) -> ContributionStatus | None:
    """The household's contribution for the period of ``day`` (None: today, in the network's zone); None when its
    band asks nothing and it paid nothing this period (two small reads, by the band's code and the index on
    (household, period))."""
    period = period_of(day or today(network_zone()))
    asked = 0
    if household.contribution_band:
        asked = db.session.scalar(
            select(ContributionBand.contribution_cents).where(ContributionBand.code == household.contribution_band)
        )
        asked = asked or 0
    paid = db.session.scalars(
        select(Contribution)
        .where(
            Contribution.household_id == household.id,
            Contribution.period == period.code,
            Contribution.voided.is_(false()),
        )
        .order_by(Contribution.paid_on, Contribution.id)
        .limit(1)
    ).first()
    if not asked and paid is None:
        return None
    return ContributionStatus(period, asked, paid)


def due_by_distribution(days: Mapping[int, date], kind: str | None = None) -> dict[int, dict[int, int]]:
    """Distribution id → household id → contribution still due for the period of that distribution's day (``days``:
    distribution id → its local date; ``kind``: the network's period, when the caller read it), for the households
    with an order there whose band asks one: one statement, whatever the number of members (the period of each
    distribution is a ``CASE`` on its id)."""
    if not days:
        return {}
    kind = kind or period_kind()
    codes = {distribution_id: period_containing(day, kind).code for distribution_id, day in days.items()}
    period = case(codes, value=Order.distribution_id)
    paid = exists().where(
        and_(
            Contribution.household_id == Order.household_id,
            Contribution.period == period,
            Contribution.voided.is_(false()),
        )
    )
    rows = db.session.execute(
        select(Order.distribution_id, Order.household_id, ContributionBand.contribution_cents)
        .join(Household, Household.id == Order.household_id)
        .join(ContributionBand, ContributionBand.code == Household.contribution_band)
        .where(Order.distribution_id.in_(list(codes)), ContributionBand.contribution_cents > 0, ~paid)
        .order_by(Order.distribution_id, Order.household_id)
    )
    found: dict[int, dict[int, int]] = defaultdict(dict)
    for distribution_id, household_id, cents in rows:
        found[distribution_id][household_id] = cents
    return found
