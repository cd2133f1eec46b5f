"""The distribution pack read from the database: a fixed handful of queries, whatever the number of members.

The pack's rules (display names, amounts due, the canonical bytes and ETag) are ``sync.pack``'s; this module only
gathers plain data for it. Queries, for any number of members: the point, the network settings, the ticket keys,
the revocations a phone there can meet (``revocations``), the orders with their households, tiers and lines (one
statement, so lines and orders always agree), the balances of those households (one grouped statement), the
allowance period and the SSA contributions still due (one statement, ``server.domain.contributions``), the phones
enrolled for the point with their signing keys (``point_devices``).
See ``docs/packs.md``.

``inputs_digests`` hashes those same reads, for many distributions at once and without building the packs: the
"pack changed" notification (``server.domain.notifications``) builds a pack only when its inputs changed since the
phone downloaded it.
"""

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, Text, and_, cast, func, literal_column, select, tuple_, union
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import IntegrityError

from server.clock import utcnow
from server.domain.contributions import due_by_distribution, period_kind
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    Contract,
    Device,
    Distribution,
    Extra,
    HeldPack,
    Household,
    NetworkSettings,
    Order,
    OrderLine,
    Point,
    Producer,
    Product,
    Tier,
)
from server.models.sync import device_points
from server.ticket_keys import public_keys
from sync.pack import (
    FORMAT_VERSION,
    BuiltPack,
    DeviceData,
    ExtraData,
    LineData,
    MemberData,
    ProducerData,
    build_pack,
)


def distribution_pack(distribution: Distribution) -> BuiltPack:
    """The pack of ``distribution`` (who may have it is the caller's check: ``require_distribution``)."""
    point = distribution.point
    settings = NetworkSettings.current()
    period = period_kind()
    members = expected_members(distribution.id, _local_day(distribution.starts_at, settings.timezone), period)
    extras = catalogue(distribution.id)
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
            "show_tier_at_counter": bool(settings.show_tier_at_counter),
            "membership_fee_cents": settings.membership_fee_cents,
            "membership_required": bool(settings.membership_required),
            "prepaid_floor_cents": max(0, settings.prepaid_floor_cents),
            "allowance_period": period,
        },
        public_keys=public_keys(),
        min_serials=revocations([distribution.id]).get(distribution.id, {}),
        members=members,
        producers=pack_producers(
            {line.producer_id for m in members for line in m.lines} | {extra.producer_id for extra in extras}
        ),
        extras=extras,
        devices=point_devices([point.id]).get(point.id, []),
    )


def point_devices(point_ids: Sequence[int]) -> dict[int, list[DeviceData]]:
    """Point id → the phones that may record there: enrolled for it, not revoked, with a registered key (one
    statement). A phone receiving another's events checks their signatures with these keys (docs/packs.md,
    "Devices"); a phone enrolled, revoked or registering its key changes the pack."""
    if not point_ids:
        return {}
    rows = db.session.execute(
        select(device_points.c.point_id, Device.public_id, Device.name, Device.public_key)
        .join(Device, Device.id == device_points.c.device_id)
        .where(device_points.c.point_id.in_(point_ids), Device.revoked_at.is_(None), Device.public_key.is_not(None))
        .order_by(device_points.c.point_id, Device.public_id)
    )
    found: dict[int, list[DeviceData]] = defaultdict(list)
    for point_id, public_id, name, public_key in rows:
        found[point_id].append(DeviceData(public_id, name, public_key))
    return found


def pack_producers(producer_ids: set[int | None]) -> list[ProducerData]:
    """The producers of a pack's lines and extras (a few, by primary key): who the phone proposes as a cheque's
    payee."""
    producer_ids = producer_ids - {None}
    if not producer_ids:
        return []
    rows = db.session.scalars(select(Producer).where(Producer.id.in_(sorted(producer_ids))))
    return [ProducerData(p.id, p.name, p.payee) for p in rows]


def catalogue(distribution_id: int) -> list[ExtraData]:
    """The distribution's extras as the pack carries them: the product's price, eligibility and producer today."""
    rows = db.session.execute(
        select(
            Product.id,
            Product.name,
            Product.unit,
            Product.sold_by,
            Product.unit_price_cents,
            Extra.stock,
            Product.allowance_eligible,
            Product.producer_id,
        )
        .join(Product, Product.id == Extra.product_id)
        .where(Extra.distribution_id == distribution_id)
        .order_by(Product.id)
    ).tuples()
    return [ExtraData(*row) for row in rows]


def revocations(distribution_ids: Sequence[int]) -> dict[int, dict[int, int]]:
    """Distribution id → member id → lowest valid serial, for the members a phone at that distribution can meet whose
    ticket was ever revoked or re-issued: those with an order there and those of its point. One statement, by
    ``orders.distribution_id`` and the partial index of the revoked by point: a point's few, never the network's
    (a ticket of anyone else is checked against the list the phone downloads, ``GET /api/tickets/trust``)."""
    if not distribution_ids:
        return {}
    revoked = Household.ticket_min_serial > 0
    of_point = (
        select(Distribution.id, Household.id, Household.ticket_min_serial)
        .join(Household, Household.point_id == Distribution.point_id)
        .where(Distribution.id.in_(distribution_ids), revoked)
    )
    ordering = (
        select(Order.distribution_id, Household.id, Household.ticket_min_serial)
        .join(Household, Household.id == Order.household_id)
        .where(Order.distribution_id.in_(distribution_ids), revoked)
    )
    found: dict[int, dict[int, int]] = defaultdict(dict)
    for distribution_id, member_id, min_serial in db.session.execute(union(of_point, ordering)):
        found[distribution_id][member_id] = min_serial
    return found


def _member_query(distribution_ids: Sequence[int]) -> Select:
    """The orders of these distributions with their households, tiers and lines: one statement."""
    return (
        select(
            Order.distribution_id,
            Household.id.label("member_id"),
            Household.first_name,
            Household.last_name,
            Household.manual_code,
            Household.status,
            Household.membership_paid_until,
            Tier.id.label("tier_id"),
            Tier.name.label("tier_name"),
            Tier.share_percent.label("tier_share_percent"),
            Order.id.label("order_id"),
            Order.share_percent.label("order_share_percent"),
            OrderLine.product_id,
            Product.name.label("product_name"),
            OrderLine.quantity,
            OrderLine.unit_price_cents,
            Product.producer_id,
            Product.allowance_eligible,
            OrderLine.paid_in_advance,
            Product.sold_by,
            Contract.payment.label("contract_payment"),
        )
        .join(Household, Household.id == Order.household_id)
        .join(Tier, Tier.id == Household.tier_id)
        .outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .outerjoin(Contract, Contract.id == OrderLine.contract_id)
        .where(Order.distribution_id.in_(distribution_ids))
        .order_by(Order.distribution_id, Order.id, OrderLine.product_id)
    )


def _member_rows(distribution_ids: Sequence[int]):
    return db.session.execute(_member_query(distribution_ids)).all()


def _local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def expected_members(distribution_id: int, day: date, period: str | None = None) -> list[MemberData]:
    """Every household with an order in the distribution, with its order lines, balances and the SSA contribution
    still due for the period of ``day``, the distribution's local date (``period``: the network's period kind;
    three queries)."""
    rows = _member_rows([distribution_id])
    balances = _balances([distribution_id]).get(distribution_id, {})
    contributions_due = due_by_distribution({distribution_id: day}, period).get(distribution_id, {})
    first_rows = {}  # member id → the first row of its order (one order per member and distribution)
    lines: dict[int, list[LineData]] = defaultdict(list)
    for row in rows:
        first_rows.setdefault(row.member_id, row)
        if row.product_id is not None:  # an order without lines still expects its member
            lines[row.member_id].append(
                LineData(
                    row.product_id,
                    row.product_name,
                    row.quantity,
                    row.unit_price_cents,
                    producer_id=row.producer_id,
                    allowance_eligible=row.allowance_eligible,
                    paid_in_advance=row.paid_in_advance,
                    sold_by=row.sold_by,
                    paid_from="prepaid" if row.contract_payment == "prepaid" else None,
                )
            )
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
            membership_paid_until=row.membership_paid_until,
            contribution_due_cents=contributions_due.get(row.member_id, 0),
        )
        for row in first_rows.values()
    ]


def _balance_query(distribution_ids: Sequence[int]) -> Select:
    """(distribution id, household id, account kind, cents) for the households with an order in these
    distributions: each account's balance *before* that distribution, i.e. its posted balance less what was posted
    at that distribution (the phones subtract what they took there themselves, so a pack fetched after some of the
    day's payments were posted must not count them twice; the next distribution's pack carries them). One
    statement, by the indexes on ``orders.distribution_id``, ``accounts.household_id`` and
    ``account_movements.account_id``."""
    ordering = (
        select(Order.distribution_id, Order.household_id)
        .where(Order.distribution_id.in_(distribution_ids))
        .distinct()
        .subquery()
    )
    at_distribution = func.coalesce(func.sum(AccountMovement.amount_cents), 0)
    return (
        select(
            ordering.c.distribution_id,
            Account.household_id,
            Account.kind,
            (Account.balance_cents - at_distribution).label("cents"),
        )
        .join(Account, Account.household_id == ordering.c.household_id)
        .outerjoin(
            AccountMovement,
            and_(
                AccountMovement.account_id == Account.id,
                AccountMovement.distribution_id == ordering.c.distribution_id,
            ),
        )
        .group_by(ordering.c.distribution_id, Account.household_id, Account.kind, Account.balance_cents)
    )


def _balances(distribution_ids: Sequence[int]) -> dict[int, dict[int, dict[str, int]]]:
    """Distribution id → household id → account kind → balance in cents before that distribution, for the
    households with an order in these distributions."""
    rows = db.session.execute(_balance_query(distribution_ids))
    found: dict[int, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for distribution_id, household_id, kind, cents in rows:
        found[distribution_id][household_id][kind] = int(cents)
    return found


def inputs_digests(distribution_ids: Sequence[int]) -> dict[int, str]:
    """Distribution id → SHA-256 of everything its pack is built from, read as ``distribution_pack`` reads it (the
    network and the ticket keys once; the revocations of all these distributions in one statement, their orders in
    another, their balances in a third), without building a pack: about a tenth of the time. Equal inputs give an equal
    pack; a pack that changed has different inputs."""
    if not distribution_ids:
        return {}
    settings = NetworkSettings.current()
    period = period_kind()
    shared = repr(
        (
            FORMAT_VERSION,
            (
                settings.name,
                settings.currency,
                settings.timezone,
                list(settings.payment_methods),
                bool(settings.show_tier_at_counter),
                settings.membership_fee_cents,
                bool(settings.membership_required),
                settings.prepaid_floor_cents,
                period,
            ),
            sorted(public_keys().items()),
        )
    )
    slots = (
        select(Distribution.id, Distribution.starts_at, Distribution.ends_at, Distribution.status)
        .add_columns(Point.id, Point.name, Point.town, Point.address)
        .join(Point, Point.id == Distribution.point_id)
        .where(Distribution.id.in_(distribution_ids))
    )
    parts: dict[int, list[str]] = {}
    days: dict[int, date] = {}
    points: dict[int, int] = {}
    for row in db.session.execute(slots):
        parts[row[0]] = [shared, repr((row[0], row[1].isoformat(), row[2].isoformat(), *row[3:]))]
        days[row[0]] = _local_day(row[1], settings.timezone)
        points[row[0]] = row[4]
    ids = list(parts)
    devices = point_devices(sorted(set(points.values())))
    for distribution_id, point_id in points.items():
        parts[distribution_id].append(repr(devices.get(point_id, [])))
    for distribution_id, revoked in revocations(ids).items():
        parts[distribution_id].append(repr(sorted(revoked.items())))
    for distribution_id, due in due_by_distribution(days, period).items():  # few rows: the members who still owe one
        parts[distribution_id].append(repr(sorted(due.items())))
    if db.session.get_bind().dialect.name == "postgresql":
        for distribution_id, *digests in db.session.execute(_digests_in_database(ids)):
            parts[distribution_id].extend(str(digest) for digest in digests)
    else:
        members: dict[int, list[int]] = defaultdict(list)
        for row in _member_rows(ids):
            parts[row.distribution_id].append(repr(tuple(row)))
            members[row.distribution_id].append(row.member_id)
        balances = _balances(ids)
        for distribution_id, member_ids in members.items():
            theirs = balances.get(distribution_id, {})
            held = sorted((m, sorted(theirs.get(m, {}).items())) for m in set(member_ids))
            parts[distribution_id].append(repr(held))
    return {key: hashlib.sha256("\n".join(lines).encode()).hexdigest() for key, lines in parts.items()}


def _digests_in_database(distribution_ids: Sequence[int]) -> Select:
    """PostgreSQL: (distribution id, MD5 of its members' rows, MD5 of their balances) for each distribution, the
    rows hashed where they are (``string_agg`` of each row as text, in a fixed order): a few hundred rows cross
    the wire instead of one per order line."""
    members = _member_query(distribution_ids).order_by(None).subquery()
    row_text = cast(tuple_(*[column for column in members.c if column.name != "distribution_id"]), Text)
    in_order = aggregate_order_by(literal_column("','"), members.c.order_id, members.c.product_id)
    member_digests = (
        select(members.c.distribution_id, func.md5(func.string_agg(row_text, in_order)).label("digest"))
        .group_by(members.c.distribution_id)
        .subquery()
    )
    balances = _balance_query(distribution_ids).subquery()
    balance_text = cast(tuple_(balances.c.household_id, balances.c.kind, balances.c.cents), Text)
    balance_order = aggregate_order_by(literal_column("','"), balances.c.household_id, balances.c.kind)
    balance_digests = (
        select(balances.c.distribution_id, func.md5(func.string_agg(balance_text, balance_order)).label("digest"))
        .group_by(balances.c.distribution_id)
        .subquery()
    )
    return select(member_digests.c.distribution_id, member_digests.c.digest, balance_digests.c.digest).outerjoin(
        balance_digests, balance_digests.c.distribution_id == member_digests.c.distribution_id
    )


def remember_held_pack(device: Device, distribution: Distribution, digest: str, inputs_digest: str) -> None:
    """Note which version of the pack ``device`` now holds, and the digest of the inputs it was built from (read
    *before* the pack, so that a change in between shows at the next "pack changed" check), and commit."""
    if not note_held_pack(device, distribution, digest, inputs_digest):
        return
    try:
        db.session.commit()
    except IntegrityError:  # the same phone downloading twice at once: the other request wrote it
        db.session.rollback()


def note_held_pack(device: Device, distribution: Distribution, digest: str, inputs_digest: str) -> bool:
    """``remember_held_pack`` without the commit (the demo's phones, in the loader's transaction); False when the
    device already held that version."""
    held = db.session.get(HeldPack, (device.id, distribution.id))
    if held is None:
        db.session.add(
            HeldPack(device_id=device.id, distribution_id=distribution.id, digest=digest, inputs_digest=inputs_digest)
        )
    elif held.digest != digest or held.inputs_digest != inputs_digest:
        if held.digest != digest:
            held.fetched_at = utcnow()
        held.digest, held.inputs_digest = digest, inputs_digest
    else:
        return False
    return True
