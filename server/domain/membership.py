"""Membership (adhésion): the fees households pay, and the paid-until date they give (``docs/accounts.md``).

A fee is a ``MembershipFee`` row: brought by a synced payment whose purpose is ``membership`` (``after_ingest``,
called once per upload by ``server.domain.events.store_upload`` and by a conflict's resolution), or recorded by an
admin for a fee paid outside the point (``record_fee``). A household's ``membership_paid_until`` is always derived
again from its fees that are not voided (``sync.membership.paid_until_after``): the same event stored twice is one
row (unique ``event_id``), a void takes the fee back, a void of that void gives it back, in any arrival order.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update
from sqlalchemy.orm import joinedload

from server.audit import record
from server.clock import today
from server.domain import DomainError, apply_changes
from server.domain.points import require_admin, require_manager
from server.domain.purpose_payments import insert_once, settle_voids
from server.extensions import db
from server.models import Household, MembershipFee, NetworkSettings, User
from sync import membership as rules
from sync.events import Event, PaymentEvent
from sync.projection import void_target
from sync.vocabulary import PAYMENT_METHODS

# What an admin may record a fee paid outside the point by (an account method moves a balance: not here).
ADMIN_METHODS = ("cash", "cheque", "transfer", "card")
DETAILS_REQUIRED = ("cheque", "transfer")
ENDING_WITHIN_DAYS = 30
MAX_FEE_CENTS = 1_000_000  # 10,000 euros: far above any yearly fee, far from a typing slip's harm


def _network_tz() -> ZoneInfo:
    return ZoneInfo(NetworkSettings.current().timezone)


def recompute(household_ids: Iterable[int]) -> None:
    """Derive each household's ``membership_paid_until`` again from its fees that are not voided. A household with
    no fee row keeps the date it has (brought from elsewhere)."""
    wanted = sorted(set(household_ids))
    if not wanted:
        return
    rows = db.session.execute(
        select(MembershipFee.household_id, MembershipFee.paid_on, MembershipFee.voided).where(
            MembershipFee.household_id.in_(wanted)
        )
    ).all()
    paid: dict[int, list[date]] = {household_id: [] for household_id in {row.household_id for row in rows}}
    for row in rows:
        if not row.voided:
            paid[row.household_id].append(row.paid_on)
    for household_id, days in paid.items():
        db.session.execute(
            update(Household)
            .where(Household.id == household_id)
            .values(membership_paid_until=rules.paid_until_after(days))
        )
    for obj in list(db.session.identity_map.values()):  # loaded households read their new date next time
        if isinstance(obj, Household) and obj.id in paid:
            db.session.expire(obj, ["membership_paid_until"])


def _is_fee(event: Event) -> bool:
    return isinstance(event, PaymentEvent) and event.payload.purpose == "membership"


def after_ingest(events: Sequence[Event]) -> None:
    """Keep memberships in step with newly stored events: a membership payment adds its fee (once per event id),
    a void (or a resolution that voids) of a fee's event, or of such a void, settles whether the fee counts."""
    fees = [event for event in events if _is_fee(event)]
    touched: set[int] = set()
    if fees:
        tz = _network_tz()
        db.session.execute(
            insert_once(MembershipFee.__table__),
            [
                {
                    "household_id": event.payload.household_id,
                    "amount_cents": event.payload.amount_cents,
                    "method": event.payload.method,
                    "method_details": event.payload.method_details,
                    "paid_on": event.device_time.astimezone(tz).date(),
                    "event_id": event.id,
                    "distribution_id": event.distribution_id,
                    "voided": False,
                }
                for event in fees
                if event.payload.household_id is not None
            ],
        )
        touched.update(event.payload.household_id for event in fees if event.payload.household_id is not None)
    voiding = {event.distribution_id for event in events if void_target(event) is not None}
    # A fee can arrive after its void (another phone sent first): settle the fees' own distributions too.
    voiding.update(event.distribution_id for event in fees)
    for distribution_id in voiding:
        touched.update(settle_voids(MembershipFee, distribution_id))
    recompute(touched)


# Fees paid outside the point


def update_settings(data: Mapping[str, Any], *, actor: User) -> NetworkSettings:
    """Set the yearly fee (``membership_fee_cents``, 0: none) and whether a household whose membership is due is
    refused at the point (``membership_required``); admins only, audited. Phones get them with their next pack."""
    require_admin(actor)
    fee = data.get("membership_fee_cents")
    if fee is None:
        fee = 0
    if not isinstance(fee, int) or fee < 0 or fee > MAX_FEE_CENTS:
        raise DomainError(_l("Type an amount between 0 and 10 000 euros."), field="membership_fee_cents")
    required = bool(data.get("membership_required"))
    if required and not fee:
        raise DomainError(
            _l("A membership can be required only when the network asks a fee: type the fee."),
            field="membership_required",
        )
    settings = NetworkSettings.current()
    changes = apply_changes(settings, {"membership_fee_cents": fee, "membership_required": required})
    if changes:
        db.session.flush()
        record("membership.settings", target="network", user=actor, changes=changes)
    return settings


def record_fee(household: Household, data: Mapping[str, Any], *, actor: User) -> MembershipFee:
    """Record a fee the household paid outside the point (cash at the office, a cheque with its number, a transfer
    with its reference), audited; the paid-until date follows. ``data``: ``amount_cents`` (None: the network's
    fee), ``method``, ``details``, ``paid_on`` (a date; None: today)."""
    require_manager(actor, household.point_id, field=None)
    settings = NetworkSettings.current()
    tz = ZoneInfo(settings.timezone)
    amount = data.get("amount_cents")
    if amount is None:
        amount = settings.membership_fee_cents
    if not isinstance(amount, int) or amount <= 0 or amount > MAX_FEE_CENTS:
        raise DomainError(_l("Type the amount paid, above zero."), field="amount_cents")
    method = str(data.get("method") or "")
    if method not in ADMIN_METHODS:
        raise DomainError(_l("Choose how the fee was paid."), field="method")
    details = str(data.get("details") or "").strip()
    if method in DETAILS_REQUIRED and not details:
        message = _l("Type the cheque number.") if method == "cheque" else _l("Type the transfer reference.")
        raise DomainError(message, field="details")
    if len(details) > 200:
        raise DomainError(_l("This is too long: at most %(max)d characters.", max=200), field="details")
    paid_on = data.get("paid_on") or today(tz)
    if paid_on > today(tz):
        raise DomainError(_l("The date cannot be in the future."), field="paid_on")
    before = household.membership_paid_until
    fee = MembershipFee(
        household_id=household.id,
        amount_cents=amount,
        method=method,
        method_details=details or None,
        paid_on=paid_on,
        recorded_by_id=actor.id,
    )
    db.session.add(fee)
    db.session.flush()
    recompute([household.id])
    db.session.refresh(household)
    record(
        "membership.fee",
        target=f"household:{household.id}",
        user=actor,
        fee=fee.id,
        amount_cents=amount,
        method=method,
        details=details or None,
        paid_on=paid_on.isoformat(),
        paid_until=[before.isoformat() if before else None, _iso(household.membership_paid_until)],
    )
    return fee


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# Who is due


def due_groups(point_ids: Sequence[int] | None = None) -> list[Select]:
    """Active households (never those suspended or who left the network) whose membership is due or ends within 30
    days, with their point, as three queries shown one after the other (``server.paging.ChainedPagination``): the
    never paid, then the ended, then the ending soon, each by last name then first name. Each is a range of the index
    ``ix_households_membership_due`` (or a name-ordered walk of ``ix_households_name``), so no page sorts every
    active household. ``point_ids`` narrows to the points a coordinator manages."""
    day = today(_network_tz())
    limit = day + timedelta(days=ENDING_WITHIN_DAYS)
    paid_until = Household.membership_paid_until
    groups = []
    for condition in (paid_until.is_(None), paid_until < day, (paid_until >= day) & (paid_until < limit)):
        query = (
            select(Household)
            .options(joinedload(Household.point))
            .where(Household.status == "active", condition)
            .order_by(Household.last_name, Household.first_name, Household.id)
        )
        if point_ids is not None:
            query = query.where(Household.point_id.in_(point_ids))
        groups.append(query)
    return groups


def fees_of(household_id: int, limit: int = 20) -> list[MembershipFee]:
    """The household's latest fees, newest first (the member and household pages)."""
    return list(
        db.session.scalars(
            select(MembershipFee)
            .where(MembershipFee.household_id == household_id)
            .order_by(MembershipFee.paid_on.desc(), MembershipFee.id.desc())
            .limit(limit)
        )
    )


# What a distribution's log and sheet say about fees


@dataclass(frozen=True)
class FeeLine:
    """Membership fees taken at a distribution for one season and one method: ``season`` as ``2026–2027``."""

    season: str
    method: str
    cents: int
    count: int


def fee_season(event: PaymentEvent, tz: ZoneInfo) -> str:
    """The season a fee taken at the point is for: the season of the day it was paid (``sync.membership``)."""
    return rules.season_label(rules.season_end(event.device_time.astimezone(tz).date()))


def fee_lines(payments: Iterable[PaymentEvent], tz: ZoneInfo) -> list[FeeLine]:
    """The fees among ``payments`` (those that count), by season and method, in the vocabulary's order of methods:
    the distribution log's "Adhésion 2026–2027 : 15,00 € en espèces"."""
    sums: dict[tuple[str, str], list[int]] = {}
    for event in payments:
        if not _is_fee(event):
            continue
        key = (fee_season(event, tz), event.payload.method)
        row = sums.setdefault(key, [0, 0])
        row[0] += event.payload.amount_cents
        row[1] += 1
    order = {method: index for index, method in enumerate(PAYMENT_METHODS)}
    keys = sorted(sums, key=lambda key: (key[0], order[key[1]]))
    return [FeeLine(season, method, *sums[season, method]) for season, method in keys]
