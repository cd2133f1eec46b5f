"""The distribution pack read from the database: a fixed handful of queries, whatever the number of members.

The pack's rules (display names, amounts due, the canonical bytes and ETag) are ``sync.pack``'s; this module only
gathers plain data for it. Queries, for any number of members: the point, the network settings, the ticket keys,
the revocation list, the orders with their households, tiers and lines (one statement, so lines and orders always
agree), and the balances of those households (one grouped statement). See ``docs/packs.md``.
"""

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.clock import utcnow
from server.domain.tickets import revocation_list
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    Device,
    Distribution,
    HeldPack,
    Household,
    NetworkSettings,
    Order,
    OrderLine,
    Product,
    Tier,
)
from server.ticket_keys import public_keys
from sync.pack import BuiltPack, LineData, MemberData, build_pack


def distribution_pack(distribution: Distribution) -> BuiltPack:
    """The pack of ``distribution`` (who may have it is the caller's check: ``require_distribution``)."""
    point = distribution.point
    settings = NetworkSettings.current()
    return build_pack(
        distribution={
            "id": distribution.id,
            "starts_at": distribution.starts_at,
            "ends_at": distribution.ends_at,
            "status": distribution.status,
        },
        point={"id": point.id, "name": point.name, "town": point.town, "address": point.address},
        network={
            "name": settings.name,
            "currency": settings.currency,
            "timezone": settings.timezone,
            "payment_methods": settings.payment_methods,
        },
        public_keys=public_keys(),
        min_serials=revocation_list(),
        members=expected_members(distribution.id),
    )


def expected_members(distribution_id: int) -> list[MemberData]:
    """Every household with an order in the distribution, with its order lines and balances (two queries)."""
    rows = db.session.execute(
        select(
            Household.id.label("member_id"),
            Household.first_name,
            Household.last_name,
            Household.manual_code,
            Household.status,
            Tier.id.label("tier_id"),
            Tier.name.label("tier_name"),
            Tier.share_percent.label("tier_share_percent"),
            Order.id.label("order_id"),
            Order.share_percent.label("order_share_percent"),
            OrderLine.product_id,
            Product.name.label("product_name"),
            OrderLine.quantity,
            OrderLine.unit_price_cents,
        )
        .join(Household, Household.id == Order.household_id)
        .join(Tier, Tier.id == Household.tier_id)
        .outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .where(Order.distribution_id == distribution_id)
    ).all()
    balances = _balances(distribution_id)
    first_rows = {}  # member id → the first row of its order (one order per member and distribution)
    lines: dict[int, list[LineData]] = defaultdict(list)
    for row in rows:
        first_rows.setdefault(row.member_id, row)
        if row.product_id is not None:  # an order without lines still expects its member
            lines[row.member_id].append(LineData(row.product_id, row.product_name, row.quantity, row.unit_price_cents))
    return [
        MemberData(
            id=row.member_id,
            first_name=row.first_name,
            last_name=row.last_name,
            manual_code=row.manual_code,
            status=row.status,
            tier_id=row.tier_id,
            tier_name=row.tier_name,
            tier_share_percent=row.tier_share_percent,
            order_id=row.order_id,
            order_share_percent=row.order_share_percent,
            lines=lines[row.member_id],
            balances=balances.get(row.member_id, {}),
        )
        for row in first_rows.values()
    ]


def _balances(distribution_id: int) -> dict[int, dict[str, int]]:
    """Household id → account kind → balance in cents, for the households with an order in the distribution."""
    rows = db.session.execute(
        select(Account.household_id, Account.kind, func.coalesce(func.sum(AccountMovement.amount_cents), 0))
        .join(Order, Order.household_id == Account.household_id)
        .outerjoin(AccountMovement, AccountMovement.account_id == Account.id)
        .where(Order.distribution_id == distribution_id)
        .group_by(Account.household_id, Account.kind)
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for household_id, kind, cents in rows:
        found[household_id][kind] = int(cents)
    return found


def remember_held_pack(device: Device, distribution: Distribution, digest: str) -> None:
    """Note which version of the pack ``device`` now holds (for the "pack changed" notification), and commit."""
    held = db.session.get(HeldPack, (device.id, distribution.id))
    if held is None:
        db.session.add(HeldPack(device_id=device.id, distribution_id=distribution.id, digest=digest))
    elif held.digest != digest:
        held.digest, held.fetched_at = digest, utcnow()
    else:
        return
    try:
        db.session.commit()
    except IntegrityError:  # the same phone downloading twice at once: the other request wrote it
        db.session.rollback()
