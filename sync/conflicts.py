"""Conflicts: synced events that cannot all be true, found by fixed rules and never dropped.

``detect`` is deterministic like the projection: the same events in any order and with any repeats give the same
conflicts, each with a stable ``key`` that a ``conflict_resolved`` event names. A conflict an admin resolved stays in
the list, with its resolution. Rules read the events the devices did not void themselves; a resolution that voids an
event (``void_event``) changes the projection but not the conflict it resolves. The rules are written down in
``docs/sync-protocol.md``, "Conflicts".
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import combinations
from typing import Any, Final

from sync.chain import check_chain, event_hash, sort_key, unique
from sync.events import (
    SERVER_DEVICE_ID,
    ConflictResolvedEvent,
    Event,
    HandoverEvent,
    PaymentEvent,
    SaleEvent,
    ScanRefusedEvent,
    TopUpEvent,
    format_time,
)
from sync.projection import Order, handover_due_cents, void_target, voided_ids
from sync.shortages import credit_back
from sync.substitutions import adjust

KINDS: Final = (
    "double_handover",  # one order handed over twice (two devices, or one device twice), with the overpayment it made
    "overpayment",  # more paid for an order than it was due (not by a double hand-over's payments)
    "revoked_ticket",  # a member handed over although their ticket was refused as revoked at this distribution
    "unknown_order",  # a hand-over or payment for an order not in the distribution
    "unknown_member",  # a payment or a top-up for a household with no order in the distribution
    "household_mismatch",  # a payment names an order and another household of the distribution
    "unknown_void",  # a void of an event not in the distribution's log
    "late_event",  # recorded long after the distribution closed
    "clock_skew",  # a device's clock is far off
    "chain_break",  # a gap, a duplicate or an altered link in a device's hash chain
    "id_reuse",  # one event id with two different contents
    "oversold",  # the phones sold more of an extra than its stock at the distribution
    "allowance_ineligible",  # an allowance paid more than the products it may pay for (docs/extras.md)
)

LATE_AFTER: Final = timedelta(hours=6)
CLOCK_TOLERANCE: Final = timedelta(minutes=15)


@dataclass(frozen=True)
class Context:
    """What the server knows beside the events: when the distribution opens and closes (aware datetimes), when
    it received each event (event id → aware datetime) and the hash it stored for each (so the chains are checked
    without hashing every event again)."""

    opens_at: datetime | None = None
    closed_at: datetime | None = None
    received_at: Mapping[str, datetime] = field(default_factory=dict)
    hashes: Mapping[str, str] = field(default_factory=dict)  # event id → hash computed when it was stored
    late_after: timedelta = LATE_AFTER  # after closed_at, an event is late
    early_before: timedelta = LATE_AFTER  # before opens_at, a device's clock is off
    clock_tolerance: timedelta = CLOCK_TOLERANCE
    stock: Mapping[int, int] = field(default_factory=dict)  # product id → stock of the extras with a limited stock
    not_allowance_eligible: frozenset[int] = frozenset()  # product ids an allowance may not pay for


@dataclass(frozen=True)
class Resolution:
    event_id: str
    action: str
    comment: str
    volunteer_id: int
    resolved_at: datetime
    target_event_id: str | None


@dataclass(frozen=True)
class Conflict:
    """``details`` is JSON-ready (strings, integers, lists); ``event_ids`` are sorted."""

    key: str
    kind: str
    event_ids: tuple[str, ...]
    details: Mapping[str, Any]
    resolution: Resolution | None = None

    @property
    def status(self) -> str:
        return "open" if self.resolution is None else "resolved"


def detect(orders: Iterable[Order], events: Iterable[Event], context: Context | None = None) -> list[Conflict]:
    """Every conflict in a distribution's ``events``, sorted by key, resolved ones with their resolution."""
    context = context or Context()
    by_order = {order.order_id: order for order in orders}
    received = list(events)
    ordered = unique(received)
    undone = voided_ids(ordered, resolutions=False)  # once: every rule below is one pass over the events
    facts = [event for event in ordered if event.id not in undone]
    found = [
        *_id_reuse(received),
        *_handovers_and_payments(by_order, facts),
        *_revoked_tickets(by_order, facts),
        *_unknown_references(by_order, {event.id for event in ordered}, facts),
        *_late_events(facts, context),
        *_clock_skew(ordered, context),
        *_chain_breaks(ordered, context.hashes),
        *_oversold(facts, context.stock),
        *_allowance_ineligible(by_order, facts, context.not_allowance_eligible),
    ]
    resolutions = _resolutions(ordered)
    return sorted((replace(c, resolution=resolutions.get(c.key)) for c in found), key=lambda c: c.key)


def _digest(ids: Iterable[str]) -> str:
    return hashlib.sha256(",".join(sorted(ids)).encode()).hexdigest()[:16]


def _giving(event: Event) -> bool:
    """A hand-over in which goods left the point."""
    return isinstance(event, HandoverEvent) and event.payload.outcome != "refused"


def _id_reuse(events: list[Event]) -> list[Conflict]:
    versions: dict[str, list[Event]] = {}
    reused: list[str] = []
    for event in events:
        seen = versions.setdefault(event.id, [])
        if seen and event not in seen and len(seen) == 1:
            reused.append(event.id)
        if event not in seen:
            seen.append(event)
    conflicts = []
    for event_id in reused:
        hashes = sorted({event_hash(event) for event in versions[event_id]})
        conflicts.append(Conflict(f"id_reuse:{event_id}", "id_reuse", (event_id,), {"hashes": hashes}))
    return conflicts


def _handovers_and_payments(by_order: Mapping[int, Order], facts: list[Event]) -> list[Conflict]:
    """Double hand-overs and overpayments, the overpayment a double hand-over made folded into it.

    Two phones that each hand over a basket and take its payment make one mistake, not two: the order is handed over
    twice *and* paid twice. When every payment of an overpaid order was recorded with one of the two hand-overs of
    a pair (``_payments_with``), the overpayment is part of that pair's conflict (its details say how much too much,
    and which payments came with the second hand-over), so one decision settles both. Otherwise (a payment made
    apart, or a third hand-over) the overpayment stays a conflict of its own, as before."""
    paired = _handover_pairs(facts)
    with_handover = _payments_with(facts, set(paired))  # only the few orders handed over twice
    overpaid = _overpaid(by_order, facts)
    conflicts = []
    for order_id, pairs in paired.items():
        for first, second in pairs:
            payments = overpaid.get(order_id)
            covered = {event.id for handover in (first, second) for event in with_handover.get(handover.id, ())}
            folded = payments is not None and {event.id for event in payments[0]} <= covered
            conflicts.append(_double_handover(order_id, first, second, with_handover, payments if folded else None))
            if folded:
                del overpaid[order_id]
    for order_id, (events, figures) in overpaid.items():
        ids = tuple(sorted(event.id for event in events))
        details = {"order_id": order_id, **figures}
        conflicts.append(Conflict(f"overpayment:{order_id}:{_digest(ids)}", "overpayment", ids, details))
    return conflicts


def _handover_pairs(facts: list[Event]) -> dict[int, list[tuple[HandoverEvent, HandoverEvent]]]:
    """Every pair of hand-overs that gave goods for the same order, by their ids: a pair's key never changes when a
    third arrives."""
    by_order: dict[int, list[HandoverEvent]] = defaultdict(list)
    for event in facts:
        if _giving(event):
            by_order[event.payload.order_id].append(event)
    return {
        order_id: list(combinations(sorted(handovers, key=lambda event: event.id), 2))
        for order_id, handovers in by_order.items()
        if len(handovers) > 1
    }


def _payments_with(facts: list[Event], order_ids: set[int]) -> dict[str, list[PaymentEvent]]:
    """Hand-over id → the payments recorded with it, for the orders ``order_ids``: by the same device, for the same
    order, after it in the device's own order and before that device's next hand-over of the order (the app records
    a hand-over and its payments in one go)."""
    by_device: dict[tuple[str, int], list[Event]] = defaultdict(list)
    if not order_ids:
        return {}
    for event in facts:
        if isinstance(event, HandoverEvent | PaymentEvent) and event.payload.order_id in order_ids:
            by_device[event.device_id, event.payload.order_id].append(event)
    attached: dict[str, list[PaymentEvent]] = defaultdict(list)
    for events in by_device.values():
        current: str | None = None
        for event in sorted(events, key=lambda event: (event.seq, event.id)):
            if isinstance(event, HandoverEvent):
                current = event.id if _giving(event) else None
            elif current is not None:
                attached[current].append(event)
    return attached


def _overpaid(by_order: Mapping[int, Order], facts: list[Event]) -> dict[int, tuple[list[PaymentEvent], dict]]:
    """Order id → its payments and what they overpaid, for the orders paid more than due: their total after the
    shortages and substitutions (``sync.substitutions.adjust``), or what a weighed hand-over or one that gave another
    product made them cost when that is more. What a shortage or a substitution credited back to the accounts
    (``credit_back``) is not counted as paid."""
    adjusted = adjust(by_order.values(), facts)
    by_order = {
        order_id: adjusted[order_id].order if order_id in adjusted else order for order_id, order in by_order.items()
    }
    payments: dict[int, list[PaymentEvent]] = defaultdict(list)
    weighed: dict[int, int] = {}  # the most a weighed hand-over made the order cost
    for event in facts:
        if isinstance(event, PaymentEvent) and event.payload.order_id in by_order:
            payments[event.payload.order_id].append(event)
        elif (
            isinstance(event, HandoverEvent)
            and (event.payload.weighed or event.payload.substituted)
            and event.payload.order_id in by_order
        ):
            order_id = event.payload.order_id
            weighed[order_id] = max(weighed.get(order_id, 0), handover_due_cents(by_order[order_id], event))
    overpaid = {}
    for order_id, events in payments.items():
        due = max(by_order[order_id].total_due_cents, weighed.get(order_id, 0))
        paid = sum(event.payload.amount_cents for event in events)
        if order_id in adjusted:  # what the shortage or substitution gave back to the accounts is no longer paid
            cuts = adjusted[order_id].cut_ids
            paid -= sum(credit_back(order_id, cuts, by_order[order_id].total_due_cents, facts).values())
        if paid > due:
            overpaid[order_id] = (events, {"due_cents": due, "paid_cents": paid, "excess_cents": paid - due})
    return overpaid


def _double_handover(
    order_id: int,
    first: HandoverEvent,
    second: HandoverEvent,
    with_handover: Mapping[str, list[PaymentEvent]],
    overpayment: tuple[list[PaymentEvent], dict] | None,
) -> Conflict:
    """One pair's conflict; ``handovers`` are in the order they were recorded (canonical order), so "keep the first"
    keeps the one recorded first, and ``second_payments`` are what undoing the second one undoes with it."""
    earlier, later = sorted((first, second), key=sort_key)
    details: dict[str, Any] = {
        "order_id": order_id,
        "devices": sorted({first.device_id, second.device_id}),
        "outcomes": [first.payload.outcome, second.payload.outcome],
        "handovers": [earlier.id, later.id],
        "second_payments": sorted(event.id for event in with_handover.get(later.id, ())),
    }
    ids = {first.id, second.id}
    if overpayment is not None:
        events, figures = overpayment
        details.update(figures)
        details["payments"] = sorted(event.id for event in events)
        ids.update(details["payments"])
    key = f"double_handover:{order_id}:{first.id}:{second.id}"
    return Conflict(key, "double_handover", tuple(sorted(ids)), details)


def _revoked_tickets(by_order: Mapping[int, Order], facts: list[Event]) -> list[Conflict]:
    refused: dict[int, list[str]] = defaultdict(list)
    for event in facts:
        if isinstance(event, ScanRefusedEvent) and event.payload.reason == "revoked" and event.payload.member_id:
            refused[event.payload.member_id].append(event.id)
    conflicts = []
    for event in facts:
        order = by_order.get(event.payload.order_id) if _giving(event) else None
        if order is not None and order.household_id in refused:
            ids = tuple(sorted((event.id, *refused[order.household_id])))
            details = {"order_id": order.order_id, "member_id": order.household_id}
            conflicts.append(Conflict(f"revoked_ticket:{event.id}", "revoked_ticket", ids, details))
    return conflicts


def _unknown_references(by_order: Mapping[int, Order], known_ids: set[str], facts: list[Event]) -> list[Conflict]:
    households = {order.household_id for order in by_order.values()}
    conflicts = []
    for event in facts:
        if isinstance(event, HandoverEvent | PaymentEvent):
            order_id = event.payload.order_id
            if order_id is not None and order_id not in by_order:
                details = {"order_id": order_id}
                conflicts.append(Conflict(f"unknown_order:{event.id}", "unknown_order", (event.id,), details))
        sale_buyer = event.payload.household_id if isinstance(event, SaleEvent) else None
        if sale_buyer is not None and sale_buyer not in households:
            details = {"household_id": sale_buyer}  # a member not expected here bought extras
            conflicts.append(Conflict(f"unknown_member:{event.id}", "unknown_member", (event.id,), details))
        if isinstance(event, TopUpEvent) and event.payload.household_id not in households:
            details = {"household_id": event.payload.household_id}  # a credit for a member not expected here
            conflicts.append(Conflict(f"unknown_member:{event.id}", "unknown_member", (event.id,), details))
        if isinstance(event, PaymentEvent) and event.payload.household_id is not None:
            household_id = event.payload.household_id
            order = by_order.get(event.payload.order_id)
            if household_id not in households:
                details = {"household_id": household_id}
                conflicts.append(Conflict(f"unknown_member:{event.id}", "unknown_member", (event.id,), details))
            elif order is not None and order.household_id != household_id:
                details = {"order_id": order.order_id, "order_household_id": order.household_id}
                details["household_id"] = household_id
                key = f"household_mismatch:{event.id}"
                conflicts.append(Conflict(key, "household_mismatch", (event.id,), details))
        target = void_target(event)
        if target is not None and target not in known_ids:
            details = {"target_event_id": target}
            conflicts.append(Conflict(f"unknown_void:{event.id}", "unknown_void", (event.id,), details))
    return conflicts


def _oversold(facts: list[Event], stock: Mapping[int, int]) -> list[Conflict]:
    """One conflict per extra the phones sold beyond its stock, naming every sale of it: each phone saw the stock
    its pack and the pulled sales left, so two offline phones can sell the last units twice. The key names the sales,
    so a later sale of the product makes a new conflict (as an overpayment does)."""
    sales: dict[int, list[SaleEvent]] = defaultdict(list)
    sold: dict[int, int] = defaultdict(int)
    for event in facts:
        if isinstance(event, SaleEvent):
            for line in event.payload.lines:
                if line.product_id in stock:
                    sales[line.product_id].append(event)
                    sold[line.product_id] += line.sold
    conflicts = []
    for product_id, events in sales.items():
        if sold[product_id] > stock[product_id]:
            ids = tuple(sorted(event.id for event in events))
            details = {
                "product_id": product_id,
                "stock": stock[product_id],
                "sold": sold[product_id],
                "excess": sold[product_id] - stock[product_id],
            }
            conflicts.append(Conflict(f"oversold:{product_id}:{_digest(ids)}", "oversold", ids, details))
    return conflicts


def _allowance_ineligible(
    by_order: Mapping[int, Order], facts: list[Event], ineligible: frozenset[int]
) -> list[Conflict]:
    """A sale, or an order's payments together, that took more from the allowance than the lines it may pay for
    were due (the phone caps it; an older phone or a wrong pack may not have)."""
    if not ineligible:
        return []
    conflicts = []
    from_allowance: dict[int, list[PaymentEvent]] = defaultdict(list)
    for event in facts:
        if isinstance(event, SaleEvent) and event.payload.from_allowance_cents:
            sale = event.payload
            eligible = sum(sale.line_due(line) for line in sale.lines if line.product_id not in ineligible)
            if sale.from_allowance_cents > eligible:
                details = _ineligible_figures(eligible, sale.from_allowance_cents, sale.household_id)
                key = f"allowance_ineligible:{event.id}"
                conflicts.append(Conflict(key, "allowance_ineligible", (event.id,), details))
        elif (
            isinstance(event, PaymentEvent)
            and event.payload.order_id in by_order
            and event.payload.from_allowance_cents
        ):
            from_allowance[event.payload.order_id].append(event)
    for order_id, events in from_allowance.items():
        order = by_order[order_id]
        eligible = sum(line.due_cents for line in order.lines if line.product_id not in ineligible)
        taken = sum(event.payload.from_allowance_cents for event in events)
        if taken > eligible:
            ids = tuple(sorted(event.id for event in events))
            details = {"order_id": order_id, **_ineligible_figures(eligible, taken, order.household_id)}
            key = f"allowance_ineligible:{order_id}:{_digest(ids)}"
            conflicts.append(Conflict(key, "allowance_ineligible", ids, details))
    return conflicts


def _ineligible_figures(eligible: int, taken: int, household_id: int | None) -> dict[str, Any]:
    return {
        "household_id": household_id,
        "eligible_cents": eligible,
        "allowance_cents": taken,
        "excess_cents": taken - eligible,
    }


def _late_events(facts: list[Event], context: Context) -> list[Conflict]:
    if context.closed_at is None:
        return []
    limit = context.closed_at + context.late_after
    conflicts = []
    for event in facts:
        if isinstance(event, ConflictResolvedEvent) or event.device_id == SERVER_DEVICE_ID:
            continue
        if event.device_time > limit:
            details = {
                "device_time": format_time(event.device_time),
                "closed_at": format_time(context.closed_at),
                "late_by_seconds": int((event.device_time - context.closed_at).total_seconds()),
            }
            conflicts.append(Conflict(f"late_event:{event.id}", "late_event", (event.id,), details))
    return conflicts


def _clock_skew(ordered: list[Event], context: Context) -> list[Conflict]:
    """One conflict per device and distribution, listing the events whose time cannot be right:

    - ``ahead``: recorded, says the device, later than the server received it or an event the device recorded
      after it (the sequence number says which);
    - ``backwards``: earlier than the event just before it in the device's sequence;
    - ``before_opening``: long before the distribution opens.
    """
    tolerance = context.clock_tolerance
    chains: dict[tuple[str, int], list[Event]] = defaultdict(list)
    for event in ordered:
        if event.device_id != SERVER_DEVICE_ID:
            chains[event.device_id, event.distribution_id].append(event)
    conflicts = []
    for (device_id, distribution_id), chain in chains.items():
        by_seq: dict[int, list[Event]] = defaultdict(list)
        for event in chain:
            by_seq[event.seq].append(event)
        flagged: list[dict[str, Any]] = []
        later: datetime | None = None  # the earliest time an event with a higher seq reached the server
        for seq in sorted(by_seq, reverse=True):
            arrivals = [context.received_at[event.id] for event in by_seq[seq] if event.id in context.received_at]
            for event in by_seq[seq]:
                bounds = [time for time in (later, context.received_at.get(event.id)) if time is not None]
                if bounds and event.device_time > min(bounds) + tolerance:
                    flagged.append(_skew(event, "ahead", event.device_time - min(bounds)))
            later = min([*arrivals, *([later] if later is not None else [])], default=None)
        latest_by_seq = {seq: max(event.device_time for event in events) for seq, events in by_seq.items()}
        for event in chain:
            before = latest_by_seq.get(event.seq - 1)
            if before is not None and event.device_time < before - tolerance:
                flagged.append(_skew(event, "backwards", before - event.device_time))
            if context.opens_at is not None and event.device_time < context.opens_at - context.early_before:
                flagged.append(_skew(event, "before_opening", context.opens_at - event.device_time))
        if flagged:
            flagged.sort(key=lambda item: (item["event_id"], item["reason"]))
            ids = tuple(sorted({item["event_id"] for item in flagged}))
            details = {"device_id": device_id, "events": flagged}
            conflicts.append(Conflict(f"clock_skew:{distribution_id}:{device_id}", "clock_skew", ids, details))
    return conflicts


def _skew(event: Event, reason: str, offset: timedelta) -> dict[str, Any]:
    return {"event_id": event.id, "reason": reason, "seconds": int(offset.total_seconds())}


def _chain_breaks(ordered: list[Event], hashes: Mapping[str, str]) -> list[Conflict]:
    conflicts = []
    for brk in check_chain(ordered, hashes):
        details = {
            "break": brk.kind,
            "device_id": brk.device_id,
            "seq": brk.seq,
            "missing": list(brk.missing) if brk.missing else None,
        }
        key = f"chain_break:{brk.distribution_id}:{brk.device_id}:{brk.kind}:{brk.seq}"
        conflicts.append(Conflict(key, "chain_break", brk.event_ids, details))
    return conflicts


def _resolutions(ordered: list[Event]) -> dict[str, Resolution]:
    """The latest resolution (in canonical order) of each key, among those not voided."""
    voided = voided_ids(ordered)
    resolutions = {}
    for event in ordered:
        if isinstance(event, ConflictResolvedEvent) and event.id not in voided:
            payload = event.payload
            resolutions[payload.conflict_key] = Resolution(
                event_id=event.id,
                action=payload.action,
                comment=payload.comment,
                volunteer_id=event.volunteer_id,
                resolved_at=event.device_time,
                target_event_id=payload.event_id,
            )
    return resolutions
