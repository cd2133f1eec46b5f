"""The season's cheque calendar (calendrier des chèques) of a contract paid by cheques (docs/producers.md, "The
season's cheque calendar").

Each active subscriber's **season total** is what its baskets cost over the contract's deliveries at the
subscriber's tier share (``sync.pricing.line_due_cents``, line by line, per delivery): the member pays their share
by cheque, the network the solidarity share, as at the point. Absences change nothing (the total is fixed at
subscription, as in CAMAP and Amapress: the basket is not due, given or offered, but paid). The total is split
into ``cheque_count`` cheques over the season's months, the remainder on the first, kept as ``expected`` cheques
made out to the contract's producer (``plan_contract``). A cheque received (or handed over, deposited) is never
rewritten: the next planning takes what it paid from the total and spreads the rest over the months left.

``plan_contract`` runs after every change that re-generates a contract's orders
(``server.domain.contract_orders.regenerate_contract``): terms, products, prices, dates, subscriptions and their
quantities, the calendar of distributions. It reads one contract: its subscriptions and its cheques
(``ix_cheques_contract_household``).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from server.audit import record
from server.domain import DomainError
from server.domain.points import require_manager
from server.extensions import db
from server.models import Cheque, Contract, ContractProduct, Household, Subscription, User
from sync.pricing import line_due_cents

MAX_BANK = 120
MAX_NUMBER = 200


# The rule, on plain values ---------------------------------------------------------------------------------------


def season_months(starts_on: date, ends_on: date) -> list[date]:
    """The first day of each month of the season, from the month of ``starts_on`` to that of ``ends_on``."""
    months = []
    month = starts_on.replace(day=1)
    while month <= ends_on:
        months.append(month)
        month = (
            month.replace(year=month.year + 1, month=1) if month.month == 12 else month.replace(month=month.month + 1)
        )
    return months


def planned_months(months: list[date], count: int) -> list[date]:
    """The month of each of ``count`` cheques, spread over ``months``: cheque i in month ``i × len(months) // count``
    (3 cheques over October–December: one a month; 3 over six months: every other month; 4 over two months: two a
    month)."""
    if not months or count <= 0:
        return []
    return [months[i * len(months) // count] for i in range(count)]


def split(total_cents: int, count: int) -> list[int]:
    """``total_cents`` in ``count`` cheques of whole cents, the remainder on the first: 100,01 € in 3 → 33,35 +
    33,33 + 33,33."""
    if count <= 0:
        return []
    base, remainder = divmod(total_cents, count)
    return [base + remainder, *[base] * (count - 1)]


def plan(total_cents: int, months: list[date], kept: list[tuple[date | None, int]]) -> list[tuple[date, int]]:
    """The expected cheques (month, amount) still to come, given the planned ``months`` of the ``cheque_count``
    cheques and the cheques ``kept`` (received or further: month planned, amount). Each kept cheque takes its month's
    place (or the first left); the rest of the total is split over the places left, the remainder on the first; when
    every place is taken and something is still owed, one more cheque in the last month asks it. Nothing is asked
    when the kept cheques pay the total or more; no cheque of 0."""
    left = list(months)
    for month, _amount in kept:
        if month in left:
            left.remove(month)
        elif left:
            left.pop(0)
    rest = total_cents - sum(amount for _month, amount in kept)
    if rest <= 0 or not months:
        return []
    if not left:
        left = [months[-1]]
    return [(month, amount) for month, amount in zip(left, split(rest, len(left)), strict=True) if amount > 0]


def season_total(prices: list[tuple[int, int, str]], share_percent: int, delivery_count: int) -> int:
    """What a subscription costs over the season: for each delivery, each line (quantity, price per delivery,
    sold by) at the tier's share, rounded per line as at the point."""
    per_delivery = sum(line_due_cents(q, price, share_percent, sold_by) for q, price, sold_by in prices)
    return per_delivery * delivery_count


# One contract ----------------------------------------------------------------------------------------------------


@dataclass
class Planned:
    """What a planning changed, in expected cheques."""

    created: int = 0
    changed: int = 0
    removed: int = 0

    @property
    def touched(self) -> int:
        return self.created + self.changed + self.removed


def subscription_totals(contract: Contract, delivery_count: int) -> dict[int, int]:
    """Household id → season total of its active subscription (a contract paid by cheques; else nobody)."""
    if contract.payment != "cheques" or not contract.cheque_count:
        return {}
    offered = {
        p.id: (p.unit_price_cents, p.product.sold_by)
        for p in db.session.scalars(
            select(ContractProduct)
            .options(selectinload(ContractProduct.product))
            .where(ContractProduct.contract_id == contract.id)
        )
    }
    subscriptions = db.session.scalars(
        select(Subscription)
        .options(
            selectinload(Subscription.quantities), selectinload(Subscription.household).selectinload(Household.tier)
        )
        .where(Subscription.contract_id == contract.id, Subscription.status == "active")
    )
    totals = {}
    for subscription in subscriptions:
        lines = [
            (q.quantity, *offered[q.contract_product_id])
            for q in subscription.quantities
            if q.contract_product_id in offered
        ]
        totals[subscription.household_id] = season_total(
            lines, subscription.household.tier.share_percent, delivery_count
        )
    return totals


def plan_contract(contract: Contract, delivery_count: int) -> Planned:
    """Make the contract's expected cheques what its subscriptions owe now (``delivery_count``: its deliveries);
    received cheques stay as they are. Flushes; audited when something changed."""
    done = Planned()
    totals = subscription_totals(contract, delivery_count)
    months = planned_months(season_months(contract.starts_on, contract.ends_on), contract.cheque_count)
    cheques: dict[int, list[Cheque]] = defaultdict(list)
    for cheque in db.session.scalars(
        select(Cheque)
        .where(Cheque.contract_id == contract.id)
        .order_by(Cheque.household_id, Cheque.planned_month, Cheque.id)
    ):
        cheques[cheque.household_id].append(cheque)
    for household_id in sorted(set(totals) | set(cheques)):
        mine = cheques.get(household_id, [])
        kept = [(c.planned_month, c.amount_cents) for c in mine if c.state != "expected" and not c.voided]
        wanted = plan(totals.get(household_id, 0), months, kept)
        expected = [c for c in mine if c.state == "expected"]
        for cheque, (month, amount) in zip(expected, wanted, strict=False):
            if (cheque.planned_month, cheque.amount_cents, cheque.payee_producer_id) != (
                month,
                amount,
                contract.producer_id,
            ):
                cheque.planned_month, cheque.amount_cents = month, amount
                cheque.payee_producer_id = contract.producer_id
                done.changed += 1
        for month, amount in wanted[len(expected) :]:
            db.session.add(
                Cheque(
                    contract_id=contract.id,
                    household_id=household_id,
                    payee_producer_id=contract.producer_id,
                    amount_cents=amount,
                    planned_month=month,
                    state="expected",
                )
            )
            done.created += 1
        surplus = [c.id for c in expected[len(wanted) :]]
        if surplus:
            db.session.execute(
                delete(Cheque).where(Cheque.id.in_(surplus)).execution_options(synchronize_session=False)
            )
            for cheque in expected[len(wanted) :]:
                db.session.expunge(cheque)
            done.removed += len(surplus)
    db.session.flush()
    if done.touched:
        record(
            "cheque_calendar.plan",
            target=f"contract:{contract.id}",
            created=done.created,
            changed=done.changed,
            removed=done.removed,
        )
    return done


# The treasurer ---------------------------------------------------------------------------------------------------


def receive_cheque(
    cheque: Cheque,
    on: date,
    *,
    number: str = "",
    bank: str = "",
    amount_cents: int | None = None,
    actor: User | None = None,
) -> Planned:
    """Mark an expected cheque of a season received on ``on`` (its number, bank, and the amount written on it when
    it differs from the one expected); the subscriber's other expected cheques are planned again around it."""
    if cheque.contract is None:
        raise DomainError(_l("This cheque belongs to no season contract."))
    contract = cheque.contract
    require_manager(actor, contract.point_id, field=None)
    if cheque.state != "expected":
        raise DomainError(_l("This cheque was already received: reload the page."))
    number, bank = (number or "").strip(), (bank or "").strip()
    if len(number) > MAX_NUMBER:
        raise DomainError(_l("The cheque number is too long."), field="number")
    if len(bank) > MAX_BANK:
        raise DomainError(_l("The bank's name is too long."), field="bank")
    if amount_cents is not None:
        if not isinstance(amount_cents, int) or not 0 < amount_cents <= 10_000_000:
            raise DomainError(_l("Give the cheque's amount, in euros."), field="amount")
        cheque.amount_cents = amount_cents
    cheque.state, cheque.received_on = "received", on
    cheque.number, cheque.bank = number, bank
    cheque.state_on, cheque.state_by_id = on, actor.id if actor else None
    db.session.flush()
    record(
        "cheque_calendar.receive",
        target=f"contract:{contract.id}",
        cheque=cheque.id,
        household=cheque.household_id,
        amount_cents=cheque.amount_cents,
        on=on.isoformat(),
    )
    from server.domain.contract_orders import deliveries  # the calendar is planned after the orders

    return plan_contract(contract, len(deliveries(contract)))


@dataclass
class HouseholdCalendar:
    """A household's cheques for one contract, for its admin page and its member page."""

    contract: Contract
    cheques: list[Cheque] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(c.amount_cents for c in self.cheques if not c.voided)

    @property
    def same_amount(self) -> bool:
        return len({c.amount_cents for c in self.cheques}) == 1


def household_calendars(household_id: int) -> list[HouseholdCalendar]:
    """The household's season cheques, contract by contract (its subscriptions: a few contracts)."""
    calendars: dict[int, HouseholdCalendar] = {}
    for cheque in db.session.scalars(
        select(Cheque)
        .options(selectinload(Cheque.contract))
        .where(Cheque.household_id == household_id, Cheque.contract_id.is_not(None), Cheque.voided.is_(False))
        .order_by(Cheque.contract_id, Cheque.planned_month, Cheque.id)
    ):
        calendars.setdefault(cheque.contract_id, HouseholdCalendar(cheque.contract)).cheques.append(cheque)
    return sorted(calendars.values(), key=lambda c: (c.contract.starts_on, c.contract.id))


def replan_household(household: Household) -> int:
    """After the household's tier changed: plan again the calendars of the contracts paid by cheques it subscribes
    to (its share of the season changed); received cheques stay. The expected cheques touched."""
    from server.domain.contract_orders import deliveries  # the generation imports this module

    contracts = db.session.scalars(
        select(Contract)
        .join(Subscription, Subscription.contract_id == Contract.id)
        .where(
            Subscription.household_id == household.id,
            Subscription.status == "active",
            Contract.payment == "cheques",
        )
        .order_by(Contract.id)
    ).all()
    return sum(plan_contract(contract, len(deliveries(contract))).touched for contract in contracts)
