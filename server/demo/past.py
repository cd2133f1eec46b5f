"""The demo's past distributions, played by simulated phones (``server.demo.phones``) through the phones' ingest.

For each closed distribution the plan decides, from the seed: which volunteers hold the point's phones (they are
assigned to it), who comes and what they take (80–95 % collected, a few partial hand-overs and refusals), how each
member pays (cheques, cash, card, transfer, the prepaid account and the solidarity allowance, as the app splits
them), the opening and closing cash counts (a small gap now and then), refused scans, notes, top-ups, a payment
corrected by a void, and one double hand-over by two phones in some weeks. The phones record it all at the times
it happened and upload it; the coordinator then checks each distribution's conflicts, and resolves the older
double hand-overs (the most recent is left for the newcomer). ``DayPlan`` keeps what was planned, so a test can
count the logs against it.
"""

import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from server.demo import data
from server.demo.phones import DemoPhone
from server.domain.cheques import mark_cheques
from server.domain.conflicts import KEEP_FIRST, resolve_conflict
from server.domain.events import check_conflicts
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    Cheque,
    Contract,
    Distribution,
    Order,
    OrderLine,
    Point,
    Product,
    User,
)
from server.models.distribution import distribution_volunteers
from sync import pricing, shortages

MINUTE = timedelta(minutes=1)


def phone_count(point: int) -> int:
    """How many phones a point uses: two at the larger points."""
    return 2 if data.POINTS[point].households >= data.TWO_PHONES_FROM else 1


@dataclass
class DayPlan:
    """What one past distribution was made of: the reference the demo's tests count the logs against."""

    distribution_id: int
    point: int
    week: int
    orders: int = 0
    collected: int = 0  # handed over in full or in part
    events: Counter = field(default_factory=Counter)  # "handover:all", "payment:cheque", "cash_count:closing"…
    double_handover: bool = False
    resolved: bool = False
    rough: bool = False  # a cash box short beyond the threshold, a phone that kept actions unsent
    unsent: int = 0  # actions recorded and never uploaded (not in ``events``)


@dataclass(frozen=True)
class _Order:
    id: int
    household_id: int
    share_percent: int
    lines: tuple["_Line", ...]


# (product id, quantity — grams for a product sold by weight —, unit price, sold_by, paid in advance: False, or how
# the contract is paid, "cheques" or "prepaid")
_Line = tuple[int, int, int, str, bool | str]


def _priced(lines) -> list[tuple[int, int, str, bool]]:
    """The lines as ``sync.pricing`` reads them."""
    return [(quantity, price, sold_by, paid) for _, quantity, price, sold_by, paid in lines]


class _Balances:
    """What each household's prepaid and allowance accounts hold at a moment, as the phone's pack would show it:
    the credits dated before it, less what the demo's phones already took."""

    def __init__(self) -> None:
        rows = db.session.execute(
            select(Account.household_id, Account.kind, AccountMovement.occurred_at, AccountMovement.amount_cents)
            .join(AccountMovement.account)
            .where(AccountMovement.amount_cents > 0)
        ).all()
        self.credits: dict[tuple[int, str], list[tuple[datetime, int]]] = {}
        for household, kind, when, cents in rows:
            self.credits.setdefault((household, kind), []).append((when, cents))
        self.spent: Counter = Counter()
        self.added: Counter = Counter()

    def has(self, household_id: int, kind: str) -> bool:
        return (household_id, kind) in self.credits

    def available(self, household_id: int, kind: str, at: datetime) -> int:
        credited = sum(cents for when, cents in self.credits.get((household_id, kind), ()) if when <= at)
        return max(0, credited + self.added[household_id, kind] - self.spent[household_id, kind])


class PastPlayer:
    """Plays every closed distribution of the demo, in date order, through phones enrolled at each point."""

    def __init__(self, rng: random.Random, points: list[Point], past: list[tuple[int, int, int, datetime, datetime]]):
        """``past``: (distribution id, point index, week, starts_at, ends_at) of the closed distributions."""
        self.rng = rng
        self.points = points
        self.past = sorted(past, key=lambda slot: (slot[3], slot[0]))
        self.users = self._users()
        self.orders = self._orders([slot[0] for slot in self.past])
        self.balances = _Balances()
        # product id → its producer: a cheque is made out to the producer of the lines it pays
        self.producer_of = dict(db.session.execute(select(Product.id, Product.producer_id)).tuples().all())
        self.ineligible = set(db.session.scalars(select(Product.id).where(Product.allowance_eligible.is_(False))))
        by_code = {p.code: p for p in db.session.scalars(select(Product))}
        self.product_ids = {code: product.id for code, product in by_code.items()}
        self.prices = {code: product.unit_price_cents for code, product in by_code.items()}
        self.extras = [(by_code[code].id, by_code[code].unit_price_cents) for code, _ in data.EXTRA_STOCK]
        self.phones: dict[int, list[DemoPhone]] = {}
        self.plans: list[DayPlan] = []

    def _users(self) -> dict[int, tuple[User, list[User]]]:
        """Point index → (its coordinator, its volunteers), by e-mail so the choice is the same on every load."""
        users = db.session.scalars(select(User).order_by(User.email)).all()
        admin = next((user for user in users if user.role == "admin" and user.active), None)  # an e-mail taken
        found = {}
        for index, point in enumerate(self.points):
            mine = [user for user in users if point.id in user.point_ids and user.active]
            coordinator = next((user for user in mine if user.role == "coordinator"), None) or admin
            found[index] = (coordinator, [user for user in mine if user.role == "volunteer"])
        return found

    def _orders(self, distribution_ids: list[int]) -> dict[int, list[_Order]]:
        rows = db.session.execute(
            select(
                Order.distribution_id,
                Order.id,
                Order.household_id,
                Order.share_percent,
                OrderLine.product_id,
                OrderLine.quantity,
                OrderLine.unit_price_cents,
                Product.sold_by,
                OrderLine.paid_in_advance,
                Contract.payment,
            )
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(Product, Product.id == OrderLine.product_id)
            .outerjoin(Contract, Contract.id == OrderLine.contract_id)
            .where(Order.distribution_id.in_(distribution_ids))
            .order_by(Order.id, OrderLine.id)
        ).all()
        lines: dict[int, list] = {}
        heads: dict[int, tuple] = {}
        for distribution_id, order_id, household_id, share, product_id, quantity, price, sold_by, paid, how in rows:
            heads[order_id] = (distribution_id, household_id, share)
            paid = how if paid else False  # "cheques" or "prepaid" (truthy: due 0 at the point), or False
            lines.setdefault(order_id, []).append((product_id, quantity, price, sold_by, paid))
        orders: dict[int, list[_Order]] = {distribution_id: [] for distribution_id in distribution_ids}
        for order_id, (distribution_id, household_id, share) in heads.items():
            orders[distribution_id].append(_Order(order_id, household_id, share, tuple(lines[order_id])))
        return orders

    def play(self) -> list[DayPlan]:
        """Enrol the phones, play each closed distribution, upload, check conflicts and resolve the older doubles."""
        if not self.past:
            return []
        first = self.past[0][3]
        for index, point in enumerate(self.points):
            coordinator, _ = self.users[index]
            count = phone_count(index)
            self.phones[index] = [
                DemoPhone.enrol(
                    coordinator, f"Téléphone {n + 1} — {point.town}", point, first - timedelta(days=3), self.rng
                )
                for n in range(count)
            ]
        doubles = self._double_handover_days()
        rough = self._rough_day(doubles)
        for distribution_id, point, week, starts_at, ends_at in self.past:
            plan = DayPlan(distribution_id, point, week, double_handover=distribution_id in doubles)
            plan.rough = distribution_id == rough
            self._play_day(plan, starts_at, ends_at)
            self.plans.append(plan)
        self._check_and_resolve()
        return self.plans

    def _double_handover_days(self) -> set[int]:
        """One distribution with two phones in each of the weeks ``data.DOUBLE_HANDOVER_WEEKS``."""
        two_phones = [slot for slot in self.past if len(self.phones[slot[1]]) == 2]
        chosen = set()
        for week in data.DOUBLE_HANDOVER_WEEKS:
            candidates = [slot[0] for slot in two_phones if slot[2] == week]
            if candidates:
                chosen.add(self.rng.choice(candidates))
        return chosen

    def _rough_day(self, doubles: set[int]) -> int:
        """Last week's day of trouble: the one whose double hand-over is left open, else the latest with two phones."""
        latest = [slot for slot in self.past if slot[0] in doubles and slot[2] == max(data.DOUBLE_HANDOVER_WEEKS)]
        two_phones = [slot for slot in self.past if len(self.phones[slot[1]]) == 2]
        return max(latest or two_phones, key=lambda slot: slot[3])[0]

    def _play_day(self, plan: DayPlan, starts_at: datetime, ends_at: datetime) -> None:
        rng = self.rng
        phones = self.phones[plan.point]
        coordinator, volunteers = self.users[plan.point]
        available = [user for user in volunteers if user.created_at < starts_at - timedelta(days=1)] or [coordinator]
        crew = rng.sample(available, min(len(phones), len(available)))
        crew += [coordinator] * (len(phones) - len(crew))
        db.session.execute(
            insert(distribution_volunteers),
            [
                {"distribution_id": plan.distribution_id, "user_id": user.id}
                for user in {u.id: u for u in crew}.values()
            ],
        )
        day = _Day(self, plan, phones, starts_at, ends_at)
        for phone, volunteer in zip(phones, crew, strict=True):
            phone.sign_in(volunteer, starts_at - rng.randint(15, 30) * MINUTE)
        day.play()
        for phone in phones:
            phone.upload(ends_at + 9 * MINUTE)
        if plan.rough:  # the second phone took the pack, recorded a little more after its upload, never came back
            phones[1].hold_pack(plan.distribution_id)
            for minute in range(data.ROUGH_DAY_UNSENT):
                phones[1].record(plan.distribution_id, ends_at - (5 - minute) * MINUTE, "note", {"text": "À revoir"})
            plan.unsent = phones[1].report_pending(ends_at + 30 * MINUTE)
        for phone in phones:
            phone.sign_out(ends_at + rng.randint(10, 20) * MINUTE)

    def _check_and_resolve(self) -> None:
        """The coordinator checks every closed distribution, then settles the double hand-overs of the older weeks:
        the basket went out once, the second hand-over and its payment are undone."""
        distributions = {
            d.id: d
            for d in db.session.scalars(
                select(Distribution).where(Distribution.id.in_([plan.distribution_id for plan in self.plans]))
            )
        }
        newest = max(data.DOUBLE_HANDOVER_WEEKS)
        for plan in self.plans:
            conflicts = check_conflicts(distributions[plan.distribution_id])
            if not plan.double_handover or plan.week == newest:
                continue
            coordinator, _ = self.users[plan.point]
            decided = distributions[plan.distribution_id].ends_at + timedelta(hours=14)  # the next morning
            for conflict in conflicts:
                if conflict.kind == "double_handover" and conflict.status == "open":
                    resolve_conflict(conflict, KEEP_FIRST, data.DOUBLE_HANDOVER_COMMENT, coordinator, now=decided)
                    plan.resolved = True
                    plan.events["conflict_resolved"] += 1 + len((conflict.details or {}).get("second_payments", []))
        self._hand_cheques_over(distributions)

    def _hand_cheques_over(self, distributions: dict[int, Distribution]) -> None:
        """The coordinator hands the older weeks' cheques to their producers a week later (``mark_cheques``): the
        cheques page then shows each state (received, handed over)."""
        for plan in self.plans:
            coordinator, _ = self.users[plan.point]
            if plan.week not in data.CHEQUES_HANDED_WEEKS or coordinator is None:
                continue
            ids = db.session.scalars(
                select(Cheque.id).where(
                    Cheque.distribution_id == plan.distribution_id, Cheque.state == "received", Cheque.voided.is_(False)
                )
            ).all()
            if ids:
                on = (distributions[plan.distribution_id].starts_at + timedelta(days=7)).date()
                mark_cheques(ids, "handed_over", on, actor=coordinator)


@dataclass
class _Step:
    """One thing a phone records: when, what, and (for a void) which earlier step it undoes."""

    at: datetime
    kind: str
    payload: dict
    undoes: "_Step | None" = None
    event_id: str = ""


class _Day:
    """One distribution's steps per phone, recorded in time order."""

    def __init__(self, player: PastPlayer, plan: DayPlan, phones: list[DemoPhone], starts_at: datetime, ends_at):
        self.player, self.plan, self.phones = player, plan, phones
        self.rng = player.rng
        self.starts_at, self.ends_at = starts_at, ends_at
        self.steps: dict[int, list[_Step]] = {n: [] for n in range(len(phones))}
        self.cash: Counter = Counter()  # phone → cash taken

    def add(self, phone: int, at: datetime, kind: str, payload: dict, undoes: _Step | None = None) -> _Step:
        step = _Step(at, kind, payload, undoes)
        self.steps[phone].append(step)
        detail = payload.get("outcome") or payload.get("method") or payload.get("kind")
        self.plan.events[f"{kind}:{detail}" if detail and kind != "top_up" else kind] += 1
        return step

    def moment(self) -> datetime:
        """A moment while the point is open (the last five minutes are for packing up)."""
        span = int((self.ends_at - self.starts_at).total_seconds()) - 300
        return self.starts_at + timedelta(seconds=self.rng.randrange(span))

    def play(self) -> None:
        rng, plan = self.rng, self.plan
        floats = [rng.choice(data.CASH_FLOATS) for _ in self.phones]
        for phone, cents in enumerate(floats):
            self.add(
                phone,
                self.starts_at - rng.randint(2, 10) * MINUTE,
                "cash_count",
                {"kind": "opening", "total_cents": cents},
            )
        orders = self.substitutions(self.shortages(self.player.orders[plan.distribution_id]))
        plan.orders = len(orders)
        absent = set(rng.sample(range(len(orders)), round(rng.uniform(*data.ABSENT_RATE) * len(orders))))
        handed: list[tuple[int, _Order, _Step | None]] = []
        for number, order in enumerate(orders):
            if number in absent or not any(quantity for _, quantity, *_ in order.lines):
                continue  # away, or the shortage left it nothing to collect
            phone = rng.randrange(len(self.phones))
            paid = self.serve(phone, order)
            if paid is not None:
                handed.append((phone, order, paid))
        if plan.double_handover:
            self.hand_over_twice(handed)
        refusals = rng.choices((0, 1, 2), weights=data.SCAN_REFUSALS_WEIGHTS)[0]
        for _ in range(max(refusals, 1) if plan.rough else refusals):
            reason = rng.choices([r for r, _ in data.SCAN_REFUSALS], weights=[w for _, w in data.SCAN_REFUSALS])[0]
            self.add(rng.randrange(len(self.phones)), self.moment(), "scan_refused", {"reason": reason})
        if rng.random() < data.NOTE_RATE:
            self.add(0, self.moment(), "note", {"text": rng.choice(data.DAY_NOTES)})
        self.top_ups(orders)
        self.sales(orders)
        for phone, cents in enumerate(floats):
            gap = rng.choice(data.CASH_GAPS) if rng.random() < data.CASH_GAP_RATE else 0
            if plan.rough and phone == 0:
                gap = data.ROUGH_DAY_CASH_GAP
            counted = max(0, cents + self.cash[phone] + gap)
            closing = self.ends_at + rng.randint(1, 8) * MINUTE
            self.add(phone, closing, "cash_count", {"kind": "closing", "total_cents": counted})
        self.record()

    def serve(self, phone: int, order: _Order) -> _Step | None:
        """Hand ``order`` over (in full, in part or refused) and take its payment; the hand-over step if goods went."""
        rng, at = self.rng, self.moment()
        outcome = rng.choices(("all", "partial", "refused"), weights=data.OUTCOME_WEIGHTS)[0]
        lines = [line for line in order.lines if line[1]]
        by_piece = [n for n, line in enumerate(lines) if line[3] != pricing.WEIGHED]
        if outcome == "partial" and (sum(lines[n][1] for n in by_piece) < 2 or order.id in self.shorted):
            outcome = "all"  # one item only (or a shortage already cut it): nothing to hand over in part
        payload: dict = {"order_id": order.id, "outcome": outcome}
        if outcome == "refused":
            self.add(phone, at, "handover", payload)
            return None
        if outcome == "partial":
            short = rng.choice([n for n in by_piece if lines[n][1]])
            product, quantity, *rest = lines[short]
            lines[short] = (product, quantity - 1, *rest)
            payload["lines"] = [{"product_id": p, "quantity_received": q} for p, q, *_ in lines]
            payload["substitution_note"] = rng.choice(data.SHORTAGE_NOTES)
        weighed = []
        for n, (product, grams, price, sold_by, paid) in enumerate(lines):
            if sold_by == pricing.WEIGHED and grams:  # the scale gives the estimate, give or take a little
                grams = max(1, grams + rng.randint(-data.WEIGHED_SPREAD_GRAMS, data.WEIGHED_SPREAD_GRAMS))
                lines[n] = (product, grams, price, sold_by, paid)
                weighed.append({"product_id": product, "grams": grams})
        if weighed:
            payload["weighed"] = weighed
        handover = self.add(phone, at, "handover", payload)
        self.plan.collected += 1
        # A contract paid from the prepaid account: the server debits what was handed over; the phone keeps it aside.
        on_account = [(q, price, sold_by) for _p, q, price, sold_by, paid in lines if paid == "prepaid"]
        self.player.balances.spent[order.household_id, "prepaid"] += sum(
            pricing.line_due_cents(q, price, order.share_percent, sold_by) for q, price, sold_by in on_account
        )
        self.pay(phone, order, lines, at + 20 * timedelta(seconds=1))
        return handover

    def pay(self, phone: int, order: _Order, lines: list[_Line], at: datetime) -> None:
        """The app's split: the allowance first (for the products it may pay), then the prepaid account, the rest by
        one method; by cheque, one cheque per producer when the accounts gave nothing, as the phone proposes
        (``docs/producers.md``). Lines paid in advance are due nothing; weighed lines are priced by their weight."""
        rng, balances, household = self.rng, self.player.balances, order.household_id
        received = _priced(lines)
        due = pricing.order_due_cents(received, order.share_percent)
        solidarity = pricing.solidarity_share_cents(received, order.share_percent)
        if due <= 0 or rng.random() < data.UNPAID_RATE:
            return
        ineligible = self.player.ineligible
        eligible = min(
            pricing.order_due_cents(_priced(line for line in lines if line[0] not in ineligible), order.share_percent),
            pricing.order_due_cents(
                _priced(line for line in order.lines if line[0] not in ineligible), order.share_percent
            ),
        )
        allowance = min(eligible, balances.available(household, "allowance", at))
        prepaid = 0
        if balances.has(household, "prepaid") and rng.random() < data.PREPAID_USE_RATE:
            prepaid = min(due - allowance, balances.available(household, "prepaid", at))
        balances.spent[household, "allowance"] += allowance
        balances.spent[household, "prepaid"] += prepaid
        rest = due - allowance - prepaid
        payload = {"order_id": order.id, "from_prepaid_cents": prepaid, "from_allowance_cents": allowance}
        if solidarity:
            payload["solidarity_cents"] = solidarity
        if not rest:
            method = "allowance" if allowance else "prepaid"
            self.add(phone, at, "payment", payload | {"amount_cents": due, "method": method})
            return
        method = rng.choices([m for m, _ in data.METHOD_WEIGHTS], weights=[w for _, w in data.METHOD_WEIGHTS])[0]
        if method == "cheque":
            number = rng.randint(1_000_000, 9_999_999)
            payload["method_details"] = f"n° {number}"
            groups: dict[int | None, list[tuple[int, int, str, bool]]] = {}
            for product, quantity, price, sold_by, paid in lines:
                if quantity and not paid:
                    groups.setdefault(self.player.producer_of.get(product), []).append((quantity, price, sold_by, paid))
            if len(groups) == 1 and None not in groups:
                payload["payee_producer_id"] = next(iter(groups))
            elif len(groups) > 1 and not prepaid and not allowance:
                for i, (producer, pairs) in enumerate(groups.items()):  # the first carries the solidarity share
                    cheque = {"order_id": order.id, "method": "cheque", "method_details": f"n° {number + i}"}
                    cheque |= {"amount_cents": pricing.order_due_cents(pairs, order.share_percent)}
                    if producer is not None:
                        cheque["payee_producer_id"] = producer
                    if i == 0 and solidarity:
                        cheque["solidarity_cents"] = solidarity
                    if cheque["amount_cents"]:
                        self.add(phone, at, "payment", cheque)
                return
        if method == "cash" and rng.random() < data.CORRECTED_RATE:  # a wrong amount typed, undone, typed again
            wrong = self.add(phone, at, "payment", payload | {"amount_cents": due + 1000, "method": method})
            self.add(phone, at + 30 * timedelta(seconds=1), "void", {"event_id": "", "reason": "Montant erroné"}, wrong)
            at += timedelta(minutes=1)
        self.add(phone, at, "payment", payload | {"amount_cents": due, "method": method})
        if method == "cash":
            self.cash[phone] += rest

    def hand_over_twice(self, handed: list[tuple[int, _Order, _Step | None]]) -> None:
        """The other phone hands the same basket over again a few minutes later and takes its payment in cash."""
        candidates = [
            (phone, order, step)
            for phone, order, step in handed
            if step.payload["outcome"] == "all" and order.id not in self.shorted
        ]
        if not candidates:
            self.plan.double_handover = False
            return
        phone, order, first = self.rng.choice(candidates)
        other = 1 - phone
        at = first.at + self.rng.randint(3, 9) * MINUTE
        handover = {"order_id": order.id, "outcome": "all"}
        if "weighed" in first.payload:
            handover["weighed"] = first.payload["weighed"]
        self.add(other, at, "handover", handover)
        weights = {line["product_id"]: line["grams"] for line in first.payload.get("weighed", ())}
        lines = [(p, weights.get(p, q), *rest) for p, q, *rest in order.lines]
        due = pricing.order_due_cents(_priced(lines), order.share_percent)
        self.add(
            other,
            at + 15 * timedelta(seconds=1),
            "payment",
            {"order_id": order.id, "amount_cents": due, "method": "cash"},
        )
        self.cash[other] += due

    def shortages(self, orders: list[_Order]) -> list[_Order]:
        """``data.SHORTAGES`` of this day: a phone records, before the doors open, what the producer delivered of the
        product for the whole distribution; ``sync.shortages.share`` gives what each order then receives (the one
        rule the phones and the server apply), and the day plays the orders so cut."""
        self.shorted: set[int] = set()
        for week, point, code, delivered_share in data.SHORTAGES:
            if (week, point) != (self.plan.week, self.plan.point):
                continue
            product = self.player.product_ids[code]
            ordered = {o.id: q for o in orders for p, q, *_ in o.lines if p == product}
            delivered = int(sum(ordered.values()) * delivered_share)
            at = self.starts_at - self.rng.randint(5, 15) * MINUTE
            self.add(0, at, "shortage", {"product_id": product, "delivered": delivered})
            receives = shortages.share(delivered, ordered)
            self.shorted |= {order_id for order_id, quantity in receives.items() if quantity < ordered[order_id]}
            orders = [
                replace(
                    o, lines=tuple((p, receives.get(o.id, q) if p == product else q, *rest) for p, q, *rest in o.lines)
                )
                for o in orders
            ]
        return orders

    def substitutions(self, orders: list[_Order]) -> list[_Order]:
        """``data.SUBSTITUTIONS`` of this day: a phone records, before the doors open, that the producer brought
        another product instead, at the substitute's catalogue price (``sync/substitutions.py``); every order of the
        product then receives the substitute, same quantity, priced at the order's tier, and the day plays them so."""
        for week, point, code, by_code in data.SUBSTITUTIONS:
            if (week, point) != (self.plan.week, self.plan.point):
                continue
            product, by_product = self.player.product_ids[code], self.player.product_ids[by_code]
            price = self.player.prices[by_code]
            at = self.starts_at - self.rng.randint(5, 15) * MINUTE
            self.add(
                0, at, "substitution", {"product_id": product, "by_product_id": by_product, "unit_price_cents": price}
            )
            self.shorted |= {o.id for o in orders if any(p == product for p, *_ in o.lines)}
            orders = [
                replace(o, lines=tuple((p, q, price if p == product else unit, *rest) for p, q, unit, *rest in o.lines))
                for o in orders
            ]
        return orders

    def sales(self, orders: list[_Order]) -> None:
        """At a point selling extras (``data.EXTRA_POINTS``): a member pays a pot of honey or a juice from their prepaid
        account, the others are anonymous buyers paying cash (full price); a sale a phone records builds the basket
        and takes the payment in one event (docs/extras.md)."""
        if self.plan.point not in data.EXTRA_POINTS:
            return
        rng, balances = self.rng, self.player.balances
        for number in range(rng.randint(*data.SALES_PER_DAY)):
            product, price = rng.choice(self.player.extras)
            quantity = rng.randint(1, 2)
            phone, at = rng.randrange(len(self.phones)), self.moment()
            line = {"product_id": product, "quantity": quantity, "unit_price_cents": price}
            savers = [o for o in orders if balances.has(o.household_id, "prepaid")]
            if number == 0 and savers:
                buyer = rng.choice(savers)
                due = pricing.line_due_cents(quantity, price, buyer.share_percent)
                if 0 < due <= balances.available(buyer.household_id, "prepaid", at):
                    balances.spent[buyer.household_id, "prepaid"] += due
                    payload = {
                        "household_id": buyer.household_id,
                        "lines": [line],
                        "share_percent": buyer.share_percent,
                    }
                    self.add(
                        phone,
                        at,
                        "sale",
                        payload | {"amount_cents": due, "method": "prepaid", "from_prepaid_cents": due},
                    )
                    continue
            due = pricing.line_due_cents(quantity, price, 100)
            self.add(phone, at, "sale", {"lines": [line], "amount_cents": due, "method": "cash"})
            self.cash[phone] += due

    def top_ups(self, orders: list[_Order]) -> None:
        """Now and then a member credits their prepaid account at the point, by cheque."""
        balances = self.player.balances
        savers = sorted({o.household_id for o in orders if balances.has(o.household_id, "prepaid")})
        if not savers or self.rng.random() >= data.TOP_UP_RATE:
            return
        household = self.rng.choice(savers)
        cents = self.rng.choice(data.PREPAID_TOP_UPS)
        at = self.moment()
        number = f"n° {self.rng.randint(1_000_000, 9_999_999)}"
        payload = {"household_id": household, "amount_cents": cents, "method": "cheque", "method_details": number}
        self.add(self.rng.randrange(len(self.phones)), at, "top_up", payload)
        balances.added[household, "prepaid"] += cents

    def record(self) -> None:
        """Each phone records its steps in time order (a void after the payment it undoes)."""
        for phone, steps in self.steps.items():
            for step in sorted(steps, key=lambda step: step.at):
                payload = step.payload
                if step.undoes is not None:
                    payload = payload | {"event_id": step.undoes.event_id}
                step.event_id = self.phones[phone].record(self.plan.distribution_id, step.at, step.kind, payload)
