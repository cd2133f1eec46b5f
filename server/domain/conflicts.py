"""Resolving a conflict: an admin's or coordinator's decision, written as an event of the server's own chain.

A resolution never edits what the devices sent (``docs/sync-protocol.md``, "Conflicts"): it is a new
``conflict_resolved`` event, stored beside theirs with ``device_id`` NULL (``"server"`` in the event), chained per
distribution like a device's events, and read by the projection (``void_event`` voids the conflict's first event)
and by conflict detection (the conflict is listed as resolved). The stored ``Conflict`` row is marked resolved at
once, the distribution's stored conflicts are brought up to date (``refresh_conflicts``), and the decision goes to
the audit log. The caller commits.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from server.audit import record
from server.clock import utcnow
from server.domain import DomainError, cheques, contract_debits, contributions, membership, shortage_credits
from server.domain.event_order import lock_event_log
from server.domain.events import refresh_conflicts
from server.domain.ledger_events import OVERDRAWN, post_synced_events
from server.domain.points import NotAllowed, manages_point
from server.extensions import db
from server.models import Conflict, Distribution, SyncedEvent, User
from sync.chain import event_hash
from sync.events import (
    RESOLUTION_ACTIONS,
    SCHEMA_VERSION,
    SERVER_DEVICE_ID,
    Event,
    InvalidEvent,
    format_time,
    new_event_id,
    parse_event,
)
from sync.projection import void_target

COMMENT_MAX = 2000  # sync.events.ConflictResolved.comment
KEEP_FIRST = "keep_first"  # a double hand-over's decision: undo the second hand-over and its payments
DOUBLE_HANDOVER_DECISIONS = (KEEP_FIRST, "accept", "adjust", "dismiss")
# A payment beyond what its account held: it stands and the household owes it, it is cancelled (its money comes
# back), or it was settled otherwise (a top-up posted apart). It is never "not a real problem".
OVERDRAWN_DECISIONS = ("accept", "void_event", "adjust")


# A prepaid contract's debit beyond the floor (``server.domain.contract_debits``): the basket was handed over, so
# there is no payment to cancel; it stands, or it was settled otherwise.
CONTRACT_OVERDRAWN_DECISIONS = ("accept", "adjust")


def decisions_for(kind: str, details: dict | None = None) -> tuple[str, ...]:
    """The decisions a conflict of this kind offers: a double hand-over's and an overdraft's own (``details``: a
    prepaid contract's overdraft has no payment to cancel), the protocol's actions otherwise."""
    if kind == "double_handover":
        return DOUBLE_HANDOVER_DECISIONS
    if kind == OVERDRAWN:
        return CONTRACT_OVERDRAWN_DECISIONS if (details or {}).get("contract") else OVERDRAWN_DECISIONS
    return RESOLUTION_ACTIONS


def undone_by_keep_first(conflict: Conflict) -> list[str]:
    """The events "keep the first hand-over" undoes: the second hand-over, then the payments recorded with it."""
    details = conflict.details or {}
    handovers = details.get("handovers") or list(conflict.event_ids[:2])
    return [handovers[-1], *details.get("second_payments", [])]


def conflicts_naming(distribution_id: int, event_ids: set[str]) -> list[Conflict]:
    """The conflicts of one distribution that name one of ``event_ids`` (an order's events), open ones first. Reads
    only that distribution's conflicts (indexed by ``distribution_id``): a day has a handful."""
    if not event_ids:
        return []
    found = db.session.scalars(select(Conflict).where(Conflict.distribution_id == distribution_id)).all()
    naming = [conflict for conflict in found if event_ids.intersection(conflict.event_ids or ())]
    return sorted(naming, key=lambda c: (c.status != "open", c.detected_at, c.id))


def server_chain_end(distribution_id: int) -> tuple[int, str | None]:
    """The sequence number and hash of the last event of the server's chain for a distribution ((0, None): none
    yet). The server's events are the stored events without a device."""
    last = db.session.execute(
        select(SyncedEvent.device_seq, SyncedEvent.hash)
        .where(SyncedEvent.distribution_id == distribution_id, SyncedEvent.device_id.is_(None))
        .order_by(SyncedEvent.device_seq.desc(), SyncedEvent.event_id)
        .limit(1)
    ).first()
    return (last.device_seq, last.hash) if last is not None else (0, None)


def resolve_conflict(
    conflict: Conflict, action: str, comment: str, actor: User, now: datetime | None = None
) -> SyncedEvent:
    """Write the ``conflict_resolved`` event deciding ``conflict`` and mark it resolved; refuse a conflict already
    resolved, an unknown action, an empty comment, and an actor who does not manage the distribution's point.

    ``now`` is when the decision is made (the server's clock by default; the demo dates its past resolutions)."""
    comment = (comment or "").strip()
    if action not in decisions_for(conflict.kind, conflict.details):
        raise DomainError(_l("Choose an action from the list."), field="action")
    if not comment:
        raise DomainError(_l("Say in a comment what was decided and why."), field="comment")
    if len(comment) > COMMENT_MAX:
        raise DomainError(_l("This is too long: at most %(max)d characters.", max=COMMENT_MAX), field="comment")
    lock_event_log()  # first: the event is inserted below, and the distribution is locked next (see event_order)
    # Lock the distribution (the server's chain gets one next link at a time) and read the conflict again, locked,
    # so that two people resolving it at the same moment cannot both succeed (PostgreSQL; SQLite writes one at a time).
    distribution = db.session.execute(
        select(Distribution)
        .where(Distribution.id == conflict.distribution_id)
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE: event inserts (key share) do not wait for it
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if distribution is None:
        raise DomainError(_l("This conflict belongs to no distribution and cannot be resolved here."))
    if not manages_point(actor, distribution.point_id):
        raise NotAllowed(_l("Only an administrator or a coordinator of this point can resolve its conflicts."))
    conflict = db.session.execute(
        select(Conflict).where(Conflict.id == conflict.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    if conflict.status == "resolved":
        raise DomainError(_l("This conflict is already resolved."))
    if action == KEEP_FIRST:
        steps = [("void_event", target) for target in undone_by_keep_first(conflict)]
    else:
        target = conflict.event_ids[0] if conflict.event_ids else None
        if action == "void_event" and target is None:
            raise DomainError(_l("This conflict names no event to void: choose another action."), field="action")
        steps = [(action, target)]

    seq, prev_hash = server_chain_end(distribution.id)
    now = now or utcnow()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # events keep milliseconds
    written = []
    for step_action, target in steps:
        payload = {"conflict_key": conflict.key, "action": step_action, "comment": comment, "event_id": target}
        row, parsed = _server_event(distribution, actor, payload, seq + 1, prev_hash, now)
        seq, prev_hash = row.device_seq, row.hash
        written.append((row, parsed))
    db.session.flush()
    decisions = [parsed for _row, parsed in written]
    post_synced_events(decisions, None)  # a void's reverse on the accounts, at once
    shortage_credits.after_ingest(decisions)  # a voided shortage or payment: its credit-back follows
    contract_debits.after_ingest(decisions)  # a voided hand-over: its prepaid contract debit comes back
    event = written[0][0]
    conflict.status = "resolved"
    conflict.resolution_event_id = event.event_id
    conflict.resolved_by_id = actor.id
    conflict.resolved_at = event.device_time
    conflict.comment = comment
    db.session.flush()
    membership.after_ingest(decisions)  # a voided fee no longer counts
    contributions.after_ingest(decisions)  # nor a voided contribution
    cheques.after_ingest(decisions)  # nor a voided cheque
    refresh_conflicts(distribution)  # the decision is an event too: the stored conflicts follow it
    record(
        "conflict.resolve",
        target=f"conflict:{conflict.id}",
        user=actor,
        distribution=distribution.id,
        key=conflict.key,
        kind=conflict.kind,
        decision=action,
        comment=comment,
        event=event.event_id,
        voided=[target for step_action, target in steps if step_action == "void_event"] or None,
    )
    return event


def _server_event(
    distribution: Distribution, actor: User, payload: dict, seq: int, prev_hash: str | None, now
) -> tuple[SyncedEvent, Event]:
    """A ``conflict_resolved`` event of the server's chain, validated and hashed like a phone's, added to the
    session; with the event it stores."""
    data = {
        "id": new_event_id(int(now.timestamp() * 1000)),
        "type": "conflict_resolved",
        "schema_version": SCHEMA_VERSION,
        "device_id": SERVER_DEVICE_ID,
        "volunteer_id": actor.id,
        "distribution_id": distribution.id,
        "device_time": format_time(now),
        "seq": seq,
        "prev_hash": prev_hash,
        "payload": payload,
    }
    try:
        event = parse_event(data)
    except InvalidEvent as invalid:
        fields = {str(error.loc[-1]) for error in invalid.errors if error.loc}
        if "comment" in fields:
            raise DomainError(_l("The comment holds characters that cannot be kept."), field="comment") from None
        raise  # anything else is a bug of the server, not a person's mistake
    row = SyncedEvent(
        event_id=event.id,
        type=event.type,
        schema_version=event.schema_version,
        device_id=None,
        user_id=actor.id,
        distribution_id=distribution.id,
        device_seq=event.seq,
        prev_hash=event.prev_hash,
        hash=event_hash(event),
        device_time=event.device_time,
        received_at=now,
        payload=event.payload.model_dump(mode="json"),
        target_event_id=void_target(event),
    )
    db.session.add(row)
    return row, event
