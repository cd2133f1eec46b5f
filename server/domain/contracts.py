"""Season contracts, their subscribers and absences (docs/contracts.md). Every change re-generates the orders it
affects (``server.domain.contract_orders``) and returns what that did.

Who (``actor``: see ``server.domain.points``): admins manage every contract, coordinators those of the points they
manage. ``actor=None`` is the system, or the member page acting for the member its link belongs to (the view checks
the link, and the rules for members, open subscriptions and the absence cap, hold for every caller).
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from server.audit import record
from server.clock import utcnow
from server.domain import DomainError, apply_changes, audit_value, clean, require_text
from server.domain.contract_orders import (
    Generated,
    generate_distribution,
    regenerate_contract,
    season_distributions,
    turns,
)
from server.domain.orders_close import closes_at, orders_closed
from server.domain.points import require_manager
from server.extensions import db
from server.models import (
    Absence,
    Contract,
    ContractProduct,
    Distribution,
    Household,
    Point,
    Producer,
    Product,
    Subscription,
    SubscriptionQuantity,
    User,
)
from sync.pricing import WEIGHED, parse_grams
from sync.vocabulary import ABSENCE_KINDS, CONTRACT_FREQUENCIES, CONTRACT_PAYMENTS

CONTRACT_FIELDS = (
    "name",
    "producer_id",
    "starts_on",
    "ends_on",
    "frequency",
    "payment",
    "cheque_count",
    "subscriptions_open",
    "absence_cap",
    "notes",
)
MAX_QUANTITY = 99
MAX_GRAMS = 99_000  # a product sold by weight: at most 99 kg per delivery (the estimate; weighed at the point)


# Contracts -------------------------------------------------------------------------------------------------------


def create_contract(point: Point, data: Mapping[str, Any], *, actor: User | None = None) -> Contract:
    require_manager(actor, point.id)
    values = _checked(data, None)
    contract = Contract(point=point, **values)
    db.session.add(contract)
    db.session.flush()
    record(
        "contract.create",
        target=f"contract:{contract.id}",
        point=point.id,
        producer=contract.producer_id,
        starts_on=audit_value(contract.starts_on),
        ends_on=audit_value(contract.ends_on),
    )
    return contract


def update_contract(contract: Contract, data: Mapping[str, Any], *, actor: User | None = None) -> Generated:
    """Change a contract's terms; its orders follow (the dates, frequency and payment change what it delivers)."""
    require_manager(actor, contract.point_id, field=None)
    values = _checked(data, contract)
    _check_overlaps(
        contract,
        [p.product_id for p in contract.products],
        values.get("starts_on", contract.starts_on),
        values.get("ends_on", contract.ends_on),
    )
    changes = apply_changes(contract, values)
    if not changes:
        return Generated()
    db.session.flush()
    record("contract.update", target=f"contract:{contract.id}", changes=changes)
    return regenerate_contract(contract)


def _checked(data: Mapping[str, Any], contract: Contract | None) -> dict[str, Any]:
    values = clean(Contract, data, CONTRACT_FIELDS)
    if contract is None:
        for name in ("name", "producer_id", "starts_on", "ends_on"):
            values.setdefault(name, None)
    require_text(values, "name", _l("Give the contract a name."))
    if "producer_id" in values and (
        values["producer_id"] is None or db.session.get(Producer, values["producer_id"]) is None
    ):
        raise DomainError(_l("Choose a producer from the list."), field="producer_id")
    for name in ("starts_on", "ends_on"):
        if name in values and not isinstance(values[name], date):
            raise DomainError(_l("Give the first and last days of the season."), field=name)
    starts_on = values.get("starts_on", contract.starts_on if contract else None)
    ends_on = values.get("ends_on", contract.ends_on if contract else None)
    if ends_on < starts_on:
        raise DomainError(_l("The season must end on or after its first day."), field="ends_on")
    if "frequency" in values and values["frequency"] not in CONTRACT_FREQUENCIES:
        raise DomainError(_l("Choose how often the contract delivers."), field="frequency")
    if "payment" in values and values["payment"] not in CONTRACT_PAYMENTS:
        raise DomainError(_l("Choose how the contract is paid."), field="payment")
    for name in ("cheque_count", "absence_cap"):
        if name in values and (not isinstance(values[name], int) or not 0 <= values[name] <= 99):
            raise DomainError(_l("Give a whole number from 0 to 99."), field=name)
    payment = values.get("payment", contract.payment if contract else "per_delivery")
    cheques = values.get("cheque_count", contract.cheque_count if contract else 0)
    if payment == "cheques" and not cheques:
        raise DomainError(_l("Say in how many cheques the season is paid."), field="cheque_count")
    return values


def _check_overlaps(contract: Contract, product_ids: list[int], starts_on: date, ends_on: date) -> None:
    """One line per product per order: another contract of the point may not deliver one of these products on
    overlapping dates."""
    if not product_ids:
        return
    clash = db.session.execute(
        select(Contract.name, Product.name)
        .join(ContractProduct, ContractProduct.contract_id == Contract.id)
        .join(Product, Product.id == ContractProduct.product_id)
        .where(
            Contract.point_id == contract.point_id,
            Contract.id != contract.id,
            Contract.starts_on <= ends_on,
            Contract.ends_on >= starts_on,
            ContractProduct.product_id.in_(product_ids),
        )
        .limit(1)
    ).first()
    if clash is not None:
        raise DomainError(
            _l(
                "The contract “%(contract)s” already delivers “%(product)s” at this point on overlapping dates.",
                contract=clash[0],
                product=clash[1],
            ),
            field="product_id",
        )


def set_contract_product(
    contract: Contract,
    product: Product,
    unit_price_cents: int,
    default_quantity: int = 1,
    *,
    actor: User | None = None,
    regenerate: bool = True,
) -> Generated:
    """Offer ``product`` in the contract at ``unit_price_cents`` per delivery (or change its price).

    A product sold by weight is priced per kg and ``default_quantity`` is its estimated weight per delivery, in
    grams: the lines carry grams and are weighed at the point (``sync.pricing``). ``regenerate=False`` leaves the
    orders to the caller, who changes more and regenerates once (the import)."""
    require_manager(actor, contract.point_id, field=None)
    if not isinstance(unit_price_cents, int) or not 0 <= unit_price_cents <= 1_000_000:
        raise DomainError(_l("Give the price per delivery, in euros."), field="unit_price_cents")
    if not valid_quantity(product, default_quantity) or not default_quantity:
        raise DomainError(quantity_error(product, 1), field="default_quantity")
    offered = next((p for p in contract.products if p.product_id == product.id), None)
    if offered is None:
        _check_overlaps(contract, [product.id], contract.starts_on, contract.ends_on)
        offered = ContractProduct(product=product, unit_price_cents=unit_price_cents)
        contract.products.append(offered)
    offered.unit_price_cents = unit_price_cents
    offered.default_quantity = default_quantity
    db.session.flush()
    record(
        "contract.product",
        target=f"contract:{contract.id}",
        product=product.id,
        unit_price_cents=unit_price_cents,
        default_quantity=default_quantity,
    )
    return regenerate_contract(contract) if regenerate else Generated()


def remove_contract_product(contract: Contract, offered: ContractProduct, *, actor: User | None = None) -> Generated:
    require_manager(actor, contract.point_id, field=None)
    contract.products.remove(offered)
    db.session.flush()
    record("contract.product_removed", target=f"contract:{contract.id}", product=offered.product_id)
    return regenerate_contract(contract)


def set_chosen_dates(contract: Contract, distribution_ids: list[int], *, actor: User | None = None) -> Generated:
    """The distributions a "chosen dates" contract delivers at (of its point, within its season)."""
    require_manager(actor, contract.point_id, field=None)
    season = {d.id: d for d in season_distributions(contract.point_id, contract.starts_on, contract.ends_on)}
    if any(i not in season for i in distribution_ids):
        raise DomainError(_l("Choose distributions of the contract's point within its season."), field="chosen")
    contract.chosen = [season[i] for i in sorted(set(distribution_ids))]
    db.session.flush()
    record("contract.dates", target=f"contract:{contract.id}", distributions=sorted(set(distribution_ids)))
    return regenerate_contract(contract)


# Subscriptions ---------------------------------------------------------------------------------------------------


def subscribe(
    contract: Contract,
    household: Household,
    quantities: Mapping[int, int] | None = None,
    *,
    partner: Household | None = None,
    partner_starts: bool = False,
    waiting: bool = False,
    actor: User | None = None,
    by_member: bool = False,
) -> tuple[Subscription, Generated]:
    """Subscribe ``household`` (or put it on the waiting list) with ``quantities``: contract product id → quantity
    per delivery (default: each product's default quantity). A member subscribes only while subscriptions are open,
    and their baskets start at the first delivery whose orders are still open (``orders_from``)."""
    require_manager(actor, contract.point_id, field=None)
    if by_member and not contract.subscriptions_open:
        raise DomainError(_l("Subscriptions to this contract are closed."))
    if household.status != "active":
        raise DomainError(_l("This member is not active."), field="household")
    _require_same_point(contract, household, "household")
    if db.session.scalar(
        select(Subscription.id).where(
            Subscription.contract_id == contract.id, Subscription.household_id == household.id
        )
    ):
        raise DomainError(_l("This household already subscribes to this contract (or waits for it)."))
    if partner is not None:
        _check_partner(contract, household, partner)
    subscription = Subscription(
        contract=contract,
        household=household,
        status="waiting" if waiting else "active",
        partner=partner,
        partner_starts=partner_starts,
        orders_from=utcnow() if by_member else None,
    )
    subscription.quantities = _quantities(contract, quantities)
    db.session.add(subscription)
    db.session.flush()
    record(
        "contract.subscribe",
        target=f"contract:{contract.id}",
        household=household.id,
        partner=partner.id if partner else None,
        status=subscription.status,
    )
    return subscription, regenerate_contract(contract)


def update_subscription(
    subscription: Subscription,
    *,
    quantities: Mapping[int, int] | None = None,
    status: str | None = None,
    actor: User | None = None,
) -> Generated:
    """Change a subscription's quantities, or move it from the waiting list to the subscribers (``status``)."""
    contract = subscription.contract
    require_manager(actor, contract.point_id, field=None)
    if quantities is not None:
        subscription.quantities = _quantities(contract, quantities, subscription)
    if status is not None:
        if status not in ("active", "waiting"):
            raise DomainError(_l("Choose a status from the list."), field="status")
        subscription.status = status
    db.session.flush()
    record(
        "contract.subscription",
        target=f"contract:{contract.id}",
        household=subscription.household_id,
        status=subscription.status,
    )
    return regenerate_contract(contract)


def unsubscribe(subscription: Subscription, *, actor: User | None = None) -> Generated:
    contract = subscription.contract
    require_manager(actor, contract.point_id, field=None)
    household = subscription.household_id
    db.session.delete(subscription)
    db.session.flush()
    record("contract.unsubscribe", target=f"contract:{contract.id}", household=household)
    return regenerate_contract(contract)


def _require_same_point(contract: Contract, household: Household, field: str) -> None:
    if household.point_id != contract.point_id:
        raise DomainError(_l("Choose a household of the contract's point."), field=field)


def _check_partner(contract: Contract, household: Household, partner: Household) -> None:
    if partner.id == household.id:
        raise DomainError(_l("A shared basket is shared with another household."), field="partner")
    _require_same_point(contract, partner, "partner")
    if partner.status != "active":
        raise DomainError(_l("This member is not active."), field="partner")


def _quantities(
    contract: Contract, quantities: Mapping[int, int] | None, subscription: Subscription | None = None
) -> list[SubscriptionQuantity]:
    offered = {p.id: p for p in contract.products}
    if quantities is None:
        quantities = {p.id: p.default_quantity for p in contract.products}
    kept = {q.contract_product_id: q for q in (subscription.quantities if subscription else [])}
    made: list[SubscriptionQuantity] = []
    for offered_id, quantity in sorted(quantities.items()):
        if offered_id not in offered:
            raise DomainError(_l("Choose products the contract offers."), field="quantities")
        if not valid_quantity(offered[offered_id].product, quantity):
            raise DomainError(quantity_error(offered[offered_id].product), field="quantities")
        if quantity:
            line = kept.get(offered_id) or SubscriptionQuantity(contract_product=offered[offered_id])
            line.quantity = quantity
            made.append(line)
    if not made:
        raise DomainError(_l("Choose at least one product, with a quantity."), field="quantities")
    return made


def valid_quantity(product: Product, quantity: object) -> bool:
    """A quantity per delivery (0: none): pieces up to 99, or for a product sold by weight grams up to 99 kg."""
    top = MAX_GRAMS if product.sold_by == WEIGHED else MAX_QUANTITY
    return isinstance(quantity, int) and not isinstance(quantity, bool) and 0 <= quantity <= top


def typed_quantity(product: Product, text: str | None, default: int = 0) -> int:
    """A quantity per delivery as typed on a form: pieces ("2"), or for a product sold by weight a weight ("500",
    "500 g", "0,5 kg": ``sync.pricing.parse_grams``), in grams; empty: ``default``; "0": none."""
    text = (text or "").strip()
    if not text:
        return default
    if text in ("0", "0 g", "0 kg"):
        return 0
    if product.sold_by == WEIGHED:
        grams = parse_grams(text)
        if grams is None or grams > MAX_GRAMS:
            raise DomainError(quantity_error(product), field="quantities")
        return grams
    if not text.isdigit() or int(text) > MAX_QUANTITY:
        raise DomainError(quantity_error(product), field="quantities")
    return int(text)


def quantity_error(product: Product, least: int = 0) -> str:
    """What to type instead, for ``product``."""
    if product.sold_by == WEIGHED:
        return _l(
            "“%(product)s” is sold by weight: give the weight per delivery, about, from 1 g to 99 kg (500, 500 g or "
            "0,5 kg).",
            product=product.name,
        )
    if least:
        return _l("The quantity must be a whole number from 1 to 99.")
    return _l("The quantity must be a whole number from 0 to 99.")


# Absences --------------------------------------------------------------------------------------------------------


def _require_orders_open(distribution: Distribution) -> None:
    """A member changes a distribution's basket from their page only until its orders close."""
    if orders_closed(distribution):
        raise DomainError(
            _l(
                "Orders for this distribution closed on %(when)s: the producer already has the order form. Ask a "
                "coordinator of your point.",
                when=format_datetime(closes_at(distribution), "EEEE d MMMM, HH:mm"),
            ),
            field="distribution",
        )


def absences_left(subscription: Subscription) -> int:
    """How many more dates the subscription may be marked absent (the contract's cap)."""
    used = db.session.scalar(select(func.count(Absence.id)).where(Absence.subscription_id == subscription.id))
    return max(0, subscription.contract.absence_cap - (used or 0))


def mark_absence(
    subscription: Subscription,
    distribution: Distribution,
    kind: str = "skip",
    *,
    given_to: Household | None = None,
    actor: User | None = None,
    by_household: Household | None = None,
) -> Generated:
    """Mark the subscription absent at ``distribution``: its basket is not due (``skip``), goes to ``given_to``
    (``given``) or to the first household waiting (``offered``). Within the contract's cap (one cap per
    subscription, shared by a shared basket's two households), before the day. A member acting from their page
    (``by_household``) is absent on their own turns only, and before the distribution's orders close; an admin on
    any date, closed or not."""
    contract = subscription.contract
    require_manager(actor, contract.point_id, field=None)
    if by_household is not None:
        _require_orders_open(distribution)
    if subscription.status != "active":
        raise DomainError(_l("Only a subscriber can be absent."))
    if kind not in ABSENCE_KINDS:
        raise DomainError(_l("Choose what happens to the basket."), field="kind")
    _require_turn(subscription, distribution, by_household)
    if distribution.starts_at <= utcnow() or distribution.status == "closed":
        raise DomainError(_l("This distribution has started: it is too late to be absent."), field="distribution")
    if kind == "given":
        if given_to is None:
            raise DomainError(_l("Choose the household the basket is given to."), field="given_to")
        if given_to.id in (subscription.household_id, subscription.partner_id):
            raise DomainError(_l("Give the basket to another household."), field="given_to")
        _require_same_point(contract, given_to, "given_to")
    else:
        given_to = None
    absence = db.session.scalar(
        select(Absence).where(Absence.subscription_id == subscription.id, Absence.distribution_id == distribution.id)
    )
    if absence is None:
        if absences_left(subscription) <= 0:
            raise DomainError(
                _l(
                    "The contract allows at most %(cap)d absences, and they are all used: remove one first.",
                    cap=contract.absence_cap,
                ),
                field="distribution",
            )
        absence = Absence(subscription=subscription, distribution=distribution)
        db.session.add(absence)
    absence.kind = kind
    absence.given_to = given_to
    db.session.flush()
    record(
        "contract.absence",
        target=f"contract:{contract.id}",
        household=subscription.household_id,
        distribution=distribution.id,
        kind=kind,
        given_to=given_to.id if given_to else None,
    )
    return generate_distribution(distribution)


def remove_absence(absence: Absence, *, actor: User | None = None, by_household: Household | None = None) -> Generated:
    """Take the absence back (the basket is due again, one of the cap freed); a member on their own turns only, and
    before the distribution's orders close."""
    subscription = absence.subscription
    require_manager(actor, subscription.contract.point_id, field=None)
    distribution = absence.distribution
    _require_turn(subscription, distribution, by_household)
    if by_household is not None:
        _require_orders_open(distribution)
    if distribution.starts_at <= utcnow() or distribution.status == "closed":
        raise DomainError(_l("This distribution has started: the absence can no longer be removed."))
    subscription.absences.remove(absence)
    db.session.flush()
    record(
        "contract.absence_removed",
        target=f"contract:{subscription.contract_id}",
        household=subscription.household_id,
        distribution=distribution.id,
    )
    return generate_distribution(distribution)


def _require_turn(subscription: Subscription, distribution: Distribution, household: Household | None) -> None:
    """The contract delivers at ``distribution``, and, for a member acting (``household``), on their turn."""
    holder = next((h for d, h in turns(subscription) if d.id == distribution.id), None)
    if holder is None:
        raise DomainError(_l("The contract delivers nothing at this distribution."), field="distribution")
    if household is not None and holder != household.id:
        other = db.session.get(Household, holder)
        raise DomainError(
            _l(
                "That day the shared basket goes to %(name)s: it is theirs to be absent.",
                name=other.display_name if other else "",
            ),
            field="distribution",
        )
