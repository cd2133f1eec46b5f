"""Load the demo network into an empty database: deterministic for a given seed and day.

Each part draws from its own ``random.Random`` seeded with ``"{seed}:{part}"``, so adding a product does not
reshuffle the households. The few dozen settings, tiers, products, points and users go through the ORM; the
thousands of households, orders, lines and movements go in as bulk inserts (one multi-row statement per
thousand rows on both engines, ids returned in order). The allowance months are credited by the allowance cycles,
and the closed distributions are played by simulated phones through the phones' ingest (``server.demo.past``): a
full load takes a few seconds (``bench/demo.py``).
"""

import random
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text, update

from server.clock import today as today_in
from server.clock import utcnow
from server.demo import data
from server.demo.past import DayPlan, PastPlayer, phone_count
from server.domain.allowance_cycles import credit_due
from server.domain.cheque_calendar import plan_contract, receive_cheque
from server.domain.cheques import mark_cheques
from server.domain.contract_orders import RunCache, deliveries, generate_distribution
from server.domain.contracts import create_contract, mark_absence, set_contract_product, subscribe
from server.domain.extras import set_extra
from server.domain.ledger import accounts_for, post_many
from server.domain.tickets import issue_missing_tickets
from server.extensions import db
from server.models import (
    AllowanceRule,
    Cheque,
    Contract,
    Distribution,
    Household,
    NetworkSettings,
    Order,
    OrderLine,
    Point,
    Producer,
    Product,
    Subscription,
    Tier,
    User,
)
from server.models.distribution import distribution_volunteers

LOCAL = ZoneInfo(data.TIMEZONE)
WEEKS = range(-4, 4)  # four past weeks, then this week's distribution (today or later) and three more


class DemoRefused(Exception):
    """The database already holds a network: the demo loads only into an empty one."""


@dataclass(frozen=True)
class _Slot:
    """A loaded distribution, with what ordering needs to know about it."""

    id: int
    point: int  # index into ``data.POINTS``
    week: int  # 0 = this week's (today or later), negative = past
    starts_at: datetime
    ends_at: datetime
    status: str


@dataclass
class _Member:
    """A loaded household and its habits (basket size, favourite extras, how often it orders)."""

    point: int
    tier: str
    status: str
    first_name: str
    last_name: str
    email: str | None
    created_at: datetime
    order_rate: float
    basket: str
    favourites: tuple[str, ...]  # one product code per ``data.EXTRAS`` entry
    id: int = 0
    contracted: frozenset[str] = frozenset()  # product codes its season contracts deliver (not ordered apart)


@dataclass(frozen=True)
class LoadedDemo:
    """What ``load_demo_network`` loaded: the summary it prints, and the plan of each past distribution."""

    summary: str
    past: list[DayPlan]


def load_demo(today: date | None = None, seed: int = 2026) -> str:
    """Load the demo network and return a one-paragraph summary; flushes, the caller commits."""
    return load_demo_network(today, seed).summary


def load_demo_network(today: date | None = None, seed: int = 2026) -> LoadedDemo:
    """Load the demo network, its past played by phones (``server.demo.past``); flushes, the caller commits."""
    today = today or today_in(LOCAL)
    _refuse_unless_empty()
    loaded_at = _local(today, time(7))  # when the demo pretends its data was entered
    _configure_network()
    tiers = _load_tiers()
    products = _load_products()
    points = _load_points()
    members = _load_households(random.Random(f"{seed}:households"), points, tiers, today)
    contracts = _load_contracts(random.Random(f"{seed}:contracts"), points, members, products, today)
    slots = _load_distributions(points, today)
    shares = {name: tier.share_percent for name, tier in tiers.items()}
    generated = _generate_contract_orders(contracts, today)
    orders, lines = _load_orders(random.Random(f"{seed}:orders"), members, slots, products, shares, loaded_at)
    orders += generated
    _offer_extras(points, slots, products)
    _close_past(slots)
    absences = _mark_absences(random.Random(f"{seed}:absences"), contracts, members, slots)
    prepaid, allowances, movements = _load_accounts(random.Random(f"{seed}:accounts"), members, today)
    users = _load_users(random.Random(f"{seed}:users"), points, members, today)
    db.session.flush()
    season_cheques = _season_cheques(random.Random(f"{seed}:season-cheques"), contracts, today)
    ticket_count = issue_missing_tickets(today)
    _analyze()
    past = [(s.id, s.point, s.week, s.starts_at, s.ends_at) for s in slots if s.status == "closed"]
    plans = PastPlayer(random.Random(f"{seed}:past"), points, past).play()
    _assign_coming(random.Random(f"{seed}:assignments"), points, [s for s in slots if s.status != "closed"])
    counts = users + Counter(
        orders=orders,
        lines=lines,
        contracts=len(contracts),
        absences=absences,
        season_cheques=season_cheques,
        prepaid=prepaid,
        allowance=allowances,
        movements=movements,
        tickets=ticket_count,
    )
    return LoadedDemo(_summary(points, slots, members, products, counts, plans), plans)


def _refuse_unless_empty() -> None:
    households = db.session.scalar(select(func.count(Household.id)))
    points = db.session.scalar(select(func.count(Point.id)))
    if households or points:
        raise DemoRefused(
            f"The database already has {households} households and {points} points: the demo network loads only "
            "into an empty database. Point COMPTOIR_DATABASE_URL at a new database to try the demo."
        )


def _local(day: date, at: time) -> datetime:
    """A local wall-clock time in the network's timezone, as an aware datetime (stored as UTC)."""
    return datetime.combine(day, at, tzinfo=LOCAL)


def _daytime(rng: random.Random, day: date) -> datetime:
    """Some moment of ``day`` when people are up: records are not entered at 3 a.m."""
    return _local(day, time(rng.randint(9, 20), rng.randrange(0, 60, 5)))


def _configure_network() -> None:
    settings = NetworkSettings.current()
    settings.name = data.NETWORK_NAME
    settings.currency = "EUR"
    settings.timezone = data.TIMEZONE
    settings.payment_methods = list(data.PAYMENT_METHODS)
    settings.low_balance_cents = data.LOW_BALANCE_CENTS


def _load_tiers() -> dict[str, Tier]:
    """The three tiers, reusing any an admin already created under the same name."""
    tiers = {tier.name: tier for tier in db.session.scalars(select(Tier))}
    for spec in data.TIERS:
        if spec.name not in tiers:
            tiers[spec.name] = Tier(name=spec.name, share_percent=spec.share_percent, description=spec.description)
            db.session.add(tiers[spec.name])
    db.session.flush()
    return tiers


def _load_producers() -> dict[str, Producer]:
    """The producers, reusing any already there under the same name."""
    producers = {producer.name: producer for producer in db.session.scalars(select(Producer))}
    for spec in data.PRODUCERS:
        if spec.name not in producers:
            producers[spec.name] = Producer(name=spec.name, contact=spec.contact, cheque_payee=spec.cheque_payee)
            db.session.add(producers[spec.name])
    db.session.flush()
    return producers


def _load_products() -> dict[str, Product]:
    """The catalogue, reusing any product already there under the same code (its price then wins)."""
    producers = _load_producers()
    products = {product.code: product for product in db.session.scalars(select(Product))}
    for spec in data.PRODUCTS:
        if spec.code not in products:
            products[spec.code] = Product(
                code=spec.code,
                name=spec.name,
                unit=spec.unit,
                producer=producers[spec.producer],
                unit_price_cents=spec.price_cents,
                sold_by=spec.sold_by,
                allowance_eligible=spec.allowance_eligible,
            )
            db.session.add(products[spec.code])
    db.session.flush()
    return {spec.code: products[spec.code] for spec in data.PRODUCTS}


def _load_points() -> list[Point]:
    points = [
        Point(
            name=spec.name,
            town=spec.town,
            address=spec.address,
            ephemeral=spec.ephemeral,
            notes=_slot_note(spec),
        )
        for spec in data.POINTS
    ]
    db.session.add_all(points)
    db.session.flush()
    return points


def _slot_note(spec: data.PointSpec) -> str:
    """The weekly slot, in words: points have no schedule column (yet), so the demo says it in the notes."""
    note = f"Distribution chaque {data.WEEKDAYS_FR[spec.weekday]} de {spec.opens:%H:%M} à {spec.closes:%H:%M}."
    if spec.ephemeral:
        note += " Point éphémère : tables et caisses apportées par l'équipe de permanence."
    return note


def _load_distributions(points: list[Point], today: date) -> list[_Slot]:
    """Eight weekly distributions per point around ``today``: closed before it, open on it, planned after. The past
    ones go in as planned and are closed by ``_close_past`` once their contract orders and extras are in (the
    domain generates and offers only at distributions not closed yet)."""
    rows = []
    for index, spec in enumerate(data.POINTS):
        this_week = today + timedelta(days=(spec.weekday - today.weekday()) % 7)
        for week in WEEKS:
            day = this_week + timedelta(weeks=week)
            status = "closed" if day < today else "open" if day == today else "planned"
            closes = max(spec.closes, data.TODAY_CLOSES) if status == "open" else spec.closes
            rows.append(
                {
                    "point_id": points[index].id,
                    "starts_at": _local(day, spec.opens),
                    "ends_at": _local(day, closes),
                    "status": "planned" if status == "closed" else status,
                    "notes": data.TODAY_NOTE if status == "open" else "",
                    "_point": index,
                    "_week": week,
                    "_status": status,
                }
            )
    ids = _insert_returning_ids(Distribution, rows)
    return [
        _Slot(id_, row["_point"], row["_week"], row["starts_at"], row["ends_at"], row["_status"])
        for id_, row in zip(ids, rows, strict=True)
    ]


def _load_households(rng: random.Random, points: list[Point], tiers: dict[str, Tier], today: date) -> list[_Member]:
    """About 500 households spread over the points (fixed sizes), with exact tier quotas and unique contacts."""
    home_points = [index for index, spec in enumerate(data.POINTS) for _ in range(spec.households)]
    rng.shuffle(home_points)
    count = len(home_points)
    tier_names = [spec.name for spec in data.TIERS for _ in range(spec.households)]
    tier_names += [data.FULL_TIER] * (count - len(tier_names))
    rng.shuffle(tier_names)
    phones = rng.sample(range(10_000), count)
    taken: set[str] = set()
    members = [_new_member(rng, point, tier, taken, today) for point, tier in zip(home_points, tier_names, strict=True)]
    rows = [
        {
            "first_name": member.first_name,
            "last_name": member.last_name,
            "email": member.email,
            "phone": f"{data.PHONE_PREFIX} {phone // 100:02d} {phone % 100:02d}",
            "tier_id": tiers[member.tier].id,
            "point_id": points[member.point].id,
            "status": member.status,
            "notes": _household_note(rng, member),
            "created_at": member.created_at,
        }
        for member, phone in zip(members, phones, strict=True)
    ]
    for member, id_ in zip(members, _insert_returning_ids(Household, rows), strict=True):
        member.id = id_
    return members


def _new_member(rng: random.Random, point: int, tier: str, taken: set[str], today: date) -> _Member:
    first_name, last_name = random_name(rng)
    email = None if rng.random() < data.NO_EMAIL_RATE else _unique_email(first_name, last_name, taken)
    status = rng.choices([s for s, _ in data.STATUS_WEIGHTS], weights=[w for _, w in data.STATUS_WEIGHTS])[0]
    return _Member(
        point=point,
        tier=tier,
        status=status,
        first_name=first_name,
        last_name=last_name,
        email=email,
        created_at=_daytime(rng, today - timedelta(days=rng.randint(45, 1500))),
        order_rate=rng.uniform(*data.ORDER_RATE),
        basket=rng.choices(data.BASKETS, weights=data.BASKET_WEIGHTS)[0],
        favourites=tuple(rng.choice(extra.codes) for extra in data.EXTRAS),
    )


def random_name(rng: random.Random) -> tuple[str, str]:
    """First and last name from one group of names, or now and then from two (families mix)."""
    weights = [group.weight for group in data.NAME_GROUPS]
    group = rng.choices(data.NAME_GROUPS, weights=weights)[0]
    family = rng.choices(data.NAME_GROUPS, weights=weights)[0] if rng.random() < data.MIXED_NAME_RATE else group
    return rng.choice(group.first_names), rng.choice(family.last_names)


def _unique_email(first_name: str, last_name: str, taken: set[str]) -> str:
    """``prenom.nom@example.org`` in plain ASCII, with a number when the name is already taken."""
    local = f"{_ascii_slug(first_name)}.{_ascii_slug(last_name)}"
    candidate, number = local, 1
    while candidate in taken:
        number += 1
        candidate = f"{local}{number}"
    taken.add(candidate)
    return f"{candidate}@{data.EMAIL_DOMAIN}"


def _ascii_slug(name: str) -> str:
    """ASCII for an e-mail: "Aïssatou" → "aissatou", "N'Diaye" → "ndiaye", "Le Gall" → "le-gall"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ascii_name.lower().replace("'", "").replace(" ", "-")


def _household_note(rng: random.Random, member: _Member) -> str:
    if member.email is None:
        return data.HOUSEHOLD_NOTES[0]
    return rng.choice(data.HOUSEHOLD_NOTES[1:]) if rng.random() < 0.05 else ""


def _load_orders(
    rng: random.Random,
    members: list[_Member],
    slots: list[_Slot],
    products: dict[str, Product],
    shares: dict[str, int],
    loaded_at: datetime,
) -> tuple[int, int]:
    """Each active household orders most weeks at its home point, in its contract order when generation made one
    (the lines go into it); returns (new orders, lines) counts."""
    generated = {
        (distribution_id, household_id): order_id
        for distribution_id, household_id, order_id in db.session.execute(
            select(Order.distribution_id, Order.household_id, Order.id)
        )
    }
    by_point: dict[int, list[_Member]] = {}
    for member in members:
        if member.status == "active":
            by_point.setdefault(member.point, []).append(member)
    order_rows, basket_lines, added_lines = [], [], []
    for slot in slots:
        for member in by_point.get(slot.point, []):
            if rng.random() >= member.order_rate:
                continue
            basket = _basket(rng, member, slot.week)
            if not basket:
                continue  # all it takes comes from its contracts
            if (slot.id, member.id) in generated:
                added_lines.append((generated[slot.id, member.id], basket))
                continue
            taken_at = _daytime(rng, slot.starts_at.date() - timedelta(days=rng.randint(2, 9)))
            order_rows.append(
                {
                    "distribution_id": slot.id,
                    "household_id": member.id,
                    "share_percent": shares[member.tier],
                    "created_at": min(taken_at, loaded_at),
                }
            )
            basket_lines.append(basket)
    order_ids = _insert_returning_ids(Order, order_rows)
    line_rows = [
        {
            "order_id": order_id,
            "product_id": products[code].id,
            "quantity": quantity,
            "unit_price_cents": products[code].unit_price_cents,
        }
        for order_id, lines in [*zip(order_ids, basket_lines, strict=True), *added_lines]
        for code, quantity in lines
    ]
    _insert(OrderLine, line_rows)
    return len(order_rows), len(line_rows)


def _basket(rng: random.Random, member: _Member, week: int) -> list[tuple[str, int]]:
    """(product code, quantity) pairs: a vegetable basket almost always, plus a few of the household's extras; grams
    for a product sold by weight. What the household's season contracts deliver is left out (they generate it); a
    household with contracts may order nothing more."""
    lines = [(member.basket, 1)] if rng.random() < data.BASKET_RATE else []
    for extra, favourite in zip(data.EXTRAS, member.favourites, strict=True):
        if week % extra.every_weeks == 0 and rng.random() < extra.rate:
            quantity = _quantity(rng, extra.max_quantity)
            lines.append((favourite, quantity * data.WEIGHED_ESTIMATE_GRAMS if favourite in _WEIGHED else quantity))
    lines = [(code, quantity) for code, quantity in lines if code not in member.contracted]
    if member.contracted:
        return lines
    return lines or [(member.basket, 1)]


_WEIGHED = {spec.code for spec in data.PRODUCTS if spec.sold_by == "kg"}


def _quantity(rng: random.Random, most: int) -> int:
    """1 usually, more now and then: each extra unit is half as likely as the one before."""
    choices = range(1, most + 1)
    return rng.choices(choices, weights=[2 ** (most - q) for q in choices])[0]


def _load_contracts(
    rng: random.Random, points: list[Point], members: list[_Member], products: dict[str, Product], today: date
) -> list[Contract]:
    """The season contracts of ``data.CONTRACTS``, made and subscribed through the domain (``server.domain.contracts``)
    before the distributions exist, so each subscription does not regenerate the season: the orders are generated
    once, by ``_generate_contract_orders``. Each subscriber takes its usual size (its basket, its favourite eggs or
    bread); the first contract at its first point has a shared basket and a waiting list."""
    producers = {producer.name: producer for producer in db.session.scalars(select(Producer))}
    starts_on = today + timedelta(weeks=data.CONTRACT_WEEKS[0], days=-today.weekday())
    ends_on = today + timedelta(weeks=data.CONTRACT_WEEKS[1], days=6 - today.weekday())
    signed_at = _local(starts_on - timedelta(days=14), time(19))
    contracts = []
    for number, spec in enumerate(data.CONTRACTS):
        for index in spec.points:
            contract = create_contract(
                points[index],
                {
                    "name": spec.name,
                    "producer_id": producers[spec.producer].id,
                    "starts_on": starts_on,
                    "ends_on": ends_on,
                    "frequency": spec.frequency,
                    "payment": spec.payment,
                    "cheque_count": spec.cheque_count,
                    "absence_cap": spec.absence_cap,
                    "subscriptions_open": spec.subscriptions_open,
                    "notes": data.CONTRACT_NOTES,
                },
            )
            contract.created_at = signed_at
            offered = {}
            for code in spec.codes:
                set_contract_product(contract, products[code], products[code].unit_price_cents)
                offered[code] = next(p for p in contract.products if p.product_id == products[code].id)
            here = [m for m in members if m.point == index and m.status == "active"]
            chosen = sorted(rng.sample(here, round(spec.share * len(here))), key=lambda m: m.id)
            first = number == 0 and index == spec.points[0]
            partner = chosen.pop() if first else None  # a neighbour alternating one basket with the first subscriber
            for member in chosen:
                code = _contracted_code(member, spec.codes)
                household = db.session.get(Household, member.id)
                shared = db.session.get(Household, partner.id) if partner and member is chosen[0] else None
                subscription, _ = subscribe(contract, household, {offered[code].id: 1}, partner=shared)
                subscription.created_at = signed_at
                member.contracted |= set(spec.codes)
            if partner is not None:
                partner.contracted |= set(spec.codes)
                others = [m for m in here if m not in chosen and m is not partner]
                for member in sorted(rng.sample(others, data.CONTRACT_WAITING), key=lambda m: m.id):
                    waiting, _ = subscribe(contract, db.session.get(Household, member.id), waiting=True)
                    waiting.created_at = signed_at
            contracts.append(contract)
    db.session.flush()
    return contracts


def _season_cheques(rng: random.Random, contracts: list[Contract], today: date) -> int:
    """The cheque calendar of the contracts paid by cheques (``server.domain.cheque_calendar``), planned once the
    distributions exist: most subscribers gave all their cheques at the signing (received that day, numbered in a
    row, with their bank); the others still owe them. The point's coordinator handed the cheques of the months
    already begun to the producer on the 5th (or today). Returns the cheques received."""
    received = 0
    this_month = today.replace(day=1)
    for contract in contracts:
        if contract.payment != "cheques":
            continue
        plan_contract(contract, len(deliveries(contract)))
        signed_on = contract.created_at.astimezone(LOCAL).date()
        mine: dict[int, list[Cheque]] = {}
        for cheque in db.session.scalars(
            select(Cheque).where(Cheque.contract_id == contract.id).order_by(Cheque.household_id, Cheque.planned_month)
        ):
            mine.setdefault(cheque.household_id, []).append(cheque)
        for cheques in mine.values():
            if rng.random() >= data.SEASON_CHEQUES_GIVEN:
                continue
            first, bank = rng.randint(1_000_000, 9_000_000), rng.choice(data.BANKS)
            for offset, cheque in enumerate(cheques):
                receive_cheque(cheque, signed_on, number=f"{first + offset:07d}", bank=bank)
                received += 1
        coordinator = db.session.scalar(
            select(User)
            .where(User.role == "coordinator", User.points.any(Point.id == contract.point_id))
            .order_by(User.id)
            .limit(1)
        )
        for month in sorted({c.planned_month for cs in mine.values() for c in cs if c.planned_month <= this_month}):
            ids = [c.id for cs in mine.values() for c in cs if c.planned_month == month and c.state == "received"]
            if ids and coordinator is not None:
                mark_cheques(ids, "handed_over", min(today, month.replace(day=5)), actor=coordinator)
    return received


def _contracted_code(member: _Member, codes: tuple[str, ...]) -> str:
    """The size a subscriber takes: its usual basket, or its favourite among the contract's products."""
    for code in (member.basket, *member.favourites):
        if code in codes:
            return code
    return codes[0]


def _generate_contract_orders(contracts: list[Contract], today: date) -> int:
    """Generate the contracts' orders over their season once the distributions exist (what
    ``regenerate_contract`` does, each distribution once however many contracts it has), before the households'
    other orders, which then add their lines to them (generating into orders already there flushes order by order:
    three times slower). Returns the orders it created; their ``created_at`` is the day the contract was signed, as
    if generated then."""
    cache = RunCache()  # each contract's deliveries and subscriptions, read once for all its distributions
    distribution_ids = sorted({d.id for contract in contracts for d in deliveries(contract)})
    created = 0
    for distribution_id in distribution_ids:
        created += generate_distribution(db.session.get(Distribution, distribution_id), cache).created
    db.session.flush()
    signed = {contract.id: contract.created_at for contract in contracts}
    for contract_id, at in signed.items():
        db.session.execute(
            update(Order)
            .where(Order.id.in_(select(OrderLine.order_id).where(OrderLine.contract_id == contract_id)))
            .where(Order.created_at > at)
            .values(created_at=at)
        )
    return created


def _offer_extras(points: list[Point], slots: list[_Slot], products: dict[str, Product]) -> None:
    """Extras sold without a pre-order (``data.EXTRA_STOCK``) at the points of ``data.EXTRA_POINTS``, this week and
    the past weeks (``server.domain.extras.set_extra``)."""
    for slot in slots:
        if slot.point in data.EXTRA_POINTS and slot.week <= 0:
            distribution = db.session.get(Distribution, slot.id)
            for code, stock in data.EXTRA_STOCK:
                set_extra(distribution, products[code].id, stock, actor=None)


def _close_past(slots: list[_Slot]) -> None:
    closed = [slot.id for slot in slots if slot.status == "closed"]
    if closed:
        db.session.execute(update(Distribution).where(Distribution.id.in_(closed)).values(status="closed"))
        db.session.expire_all()


def _mark_absences(rng: random.Random, contracts: list[Contract], members: list[_Member], slots: list[_Slot]) -> int:
    """Next week, at the first contract's first point: one subscriber gives its basket to a named neighbour, one
    skips it (``mark_absence``, within the contract's cap). Only at distributions not started yet by the clock: a
    demo loaded for a past day has none."""
    if not contracts:
        return 0
    contract = contracts[0]
    point = data.CONTRACTS[0].points[0]
    coming = [slot for slot in slots if slot.week == 1 and slot.point == point and slot.starts_at > utcnow()]
    if not coming:
        return 0
    distribution = db.session.get(Distribution, coming[0].id)
    subscriptions = db.session.scalars(
        select(Subscription).where(Subscription.contract_id == contract.id).order_by(Subscription.id)
    ).all()
    subscribers = [s for s in subscriptions if s.status == "active" and s.partner_id is None]
    giver, skipper = rng.sample(subscribers, 2)
    subscribed = {s.household_id for s in subscriptions} | {s.partner_id for s in subscriptions}
    neighbours = sorted(
        m.id for m in members if m.status == "active" and m.id not in subscribed and m.point == coming[0].point
    )
    mark_absence(giver, distribution, "given", given_to=db.session.get(Household, rng.choice(neighbours)))
    mark_absence(skipper, distribution, "skip")
    return 2


def _load_accounts(rng: random.Random, members: list[_Member], today: date) -> tuple[int, int, int]:
    """Prepaid balances topped up now and then, and a monthly solidarity allowance.

    Returns how many prepaid accounts, allowance accounts and movements were loaded.
    """
    current = [member for member in members if member.status != "left"]
    prepaid = sorted(rng.sample(current, round(data.PREPAID_SHARE * len(members))), key=lambda m: m.id)
    allowance = [member for member in members if member.tier != data.FULL_TIER]
    top_ups = {member.id: _top_ups(rng, member, today) for member in prepaid}
    # A contract paid from the prepaid account: its subscribers put the season on the account when signing.
    on_account = {code for spec in data.CONTRACTS if spec.payment == "prepaid" for code in spec.codes}
    signed_at = _local(today + timedelta(weeks=data.CONTRACT_WEEKS[0], days=-today.weekday() - 14), time(19))
    for member in current:
        if member.contracted & on_account:
            top_ups.setdefault(member.id, []).insert(
                0,
                {
                    "amount_cents": data.CONTRACT_PREPAID_CENTS,
                    "kind": "top_up",
                    "reason": data.CONTRACT_PREPAID_REASON,
                    "created_at": signed_at,
                    "occurred_at": signed_at,
                },
            )
    signers = [member for member in current if member.contracted & on_account and member not in prepaid]
    prepaid = sorted([*prepaid, *signers], key=lambda m: m.id)
    post_many("prepaid", top_ups)
    credits = _allowance_cycles([member.id for member in allowance], today)
    return len(prepaid), len(allowance), sum(len(rows) for rows in top_ups.values()) + credits


def _allowance_cycles(household_ids: list[int], today: date) -> int:
    """The solidarity allowance: a monthly rule of ``data.ALLOWANCE_MONTHLY_CENTS``, its accounts opened for the
    solidarity tiers, and each of the last ``data.ALLOWANCE_MONTHS`` months credited by the allowance cycles (what
    ``flask --app wsgi accounts credit-due`` runs), dated the first of the month at 6:00; returns the credits."""
    accounts_for(household_ids, "allowance")
    firsts = []
    for back in reversed(range(data.ALLOWANCE_MONTHS)):
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        firsts.append(date(year, month + 1, 1))
    rule = AllowanceRule.current()
    rule.enabled, rule.period, rule.unspent = True, "month", "keep"
    rule.base_cents, rule.per_person_cents, rule.starts_on = data.ALLOWANCE_MONTHLY_CENTS, 0, firsts[0]
    credited = 0
    for first in firsts:
        for report in credit_due(_local(first, time(6)), commit=db.session.flush, dated=True):
            credited += report.credited_households
    return credited


def _top_ups(rng: random.Random, member: _Member, today: date) -> list[dict]:
    """One to four top-ups over the last four months, never before the household joined."""
    moments = []
    for _ in range(rng.randint(1, 4)):
        moments.append(max(_daytime(rng, today - timedelta(days=rng.randint(3, 120))), member.created_at))
    moments.sort()
    return [
        {
            "amount_cents": rng.choice(data.PREPAID_TOP_UPS),
            "kind": "top_up",
            "reason": rng.choice(data.PREPAID_REASONS),
            "created_at": moment,
            "occurred_at": moment,
        }
        for moment in moments
    ]


def _load_users(rng: random.Random, points: list[Point], members: list[_Member], today: date) -> Counter:
    """Coordinators (one per point or pair of neighbouring points) and volunteers picked among each point's members.

    No admin: ``flask --app wsgi admin link`` creates one. E-mails already in use are left alone.
    """
    existing = set(db.session.scalars(select(User.email)))
    users = []
    for slug, indexes in data.COORDINATORS:
        first_name, last_name = random_name(rng)
        users.append(
            User(
                email=f"coordination.{slug}@{data.EMAIL_DOMAIN}",
                display_name=f"{first_name} {last_name}",
                role="coordinator",
                points=[points[i] for i in indexes],
                created_at=_daytime(rng, today - timedelta(days=rng.randint(200, 900))),
            )
        )
    for index, point in enumerate(points):
        candidates = [m for m in members if m.point == index and m.status == "active" and m.email]
        for member in rng.sample(candidates, rng.choice(data.VOLUNTEERS_PER_POINT)):
            users.append(
                User(
                    email=member.email,
                    display_name=f"{member.first_name} {member.last_name}",
                    role="volunteer",
                    points=[point],
                    created_at=member.created_at + timedelta(days=rng.randint(7, 30)),
                )
            )
    users = [user for user in users if user.email not in existing]
    db.session.add_all(users)
    db.session.flush()
    return Counter(user.role for user in users)


def _assign_coming(rng: random.Random, points: list[Point], slots: list[_Slot]) -> None:
    """Today's and the coming distributions get their volunteers too (one per phone the point uses)."""
    users = db.session.scalars(select(User).where(User.role == "volunteer").order_by(User.email)).all()
    rows = []
    for slot in slots:
        point_id = points[slot.point].id
        volunteers = [user for user in users if point_id in user.point_ids]
        rows += [
            {"distribution_id": slot.id, "user_id": user.id} for user in rng.sample(volunteers, phone_count(slot.point))
        ]
    if rows:
        db.session.execute(insert(distribution_volunteers), rows)


_FILLED = ("households", "distributions", "orders", "order_lines", "products", "accounts", "account_movements")


def _analyze() -> None:
    """On PostgreSQL, refresh the planner's statistics of the tables just filled, before the phones' ingest queries
    them: statistics taken while they were empty (autovacuum, or none yet) make it join thousands of lines by nested
    loops, and the load then takes minutes. Only the current schema's tables, by name."""
    if db.session.get_bind().dialect.name == "postgresql":
        for table in _FILLED:
            db.session.execute(text(f"ANALYZE {table}"))


def _insert_returning_ids(model: type[db.Model], rows: list[dict]) -> list[int]:
    """Bulk insert; the new ids in the order of ``rows``. Keys starting with "_" are loader-only and dropped."""
    if not rows:
        return []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(db.session.scalars(statement, [_columns(row) for row in rows]))


def _insert(model: type[db.Model], rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(model), [_columns(row) for row in rows])


def _columns(row: dict) -> dict:
    return {key: value for key, value in row.items() if not key.startswith("_")}


def _summary(
    points: list[Point],
    slots: list[_Slot],
    members: list[_Member],
    products: dict[str, Product],
    counts: Counter,
    plans: list[DayPlan],
) -> str:
    statuses = Counter(slot.status for slot in slots)
    first, last = min(s.starts_at for s in slots).date(), max(s.starts_at for s in slots).date()
    active = sum(m.status == "active" for m in members)
    solidarity = sum(m.tier != data.FULL_TIER for m in members)
    return (
        f"Loaded the demo network “{data.NETWORK_NAME}”: {len(points)} points in "
        f"{len({p.town for p in points})} towns ({sum(p.ephemeral for p in points)} ephemeral); "
        f"{len(slots)} weekly distributions from {first} to {last} ({statuses['closed']} closed, "
        f"{statuses['open']} open today, {statuses['planned']} planned); {len(members)} households "
        f"({active} active, {solidarity} on a solidarity tier); {len(products)} products; {counts['orders']} "
        f"orders with {counts['lines']} lines; {counts['prepaid']} prepaid and {counts['allowance']} solidarity "
        f"allowance accounts with {counts['movements']} credits; {counts['coordinator']} coordinators and "
        f"{counts['volunteer']} volunteers; {counts['tickets']} member tickets; {_past_summary(plans)}. "
        "Create an admin with: flask --app wsgi admin link EMAIL"
    )


def _past_summary(plans: list[DayPlan]) -> str:
    events = sum((plan.events for plan in plans), Counter())
    orders = sum(plan.orders for plan in plans)
    collected = sum(plan.collected for plan in plans)
    doubles = [plan for plan in plans if plan.double_handover]
    return (
        f"the {len(plans)} past distributions played by phones: {sum(events.values())} events, {collected} of "
        f"{orders} orders collected ({100 * collected / max(orders, 1):.0f} %), "
        f"{sum(n for key, n in events.items() if key.startswith('payment:'))} payments, "
        f"{len(doubles)} double hand-overs ({sum(p.resolved for p in doubles)} resolved)"
    )
