"""What the server answers for each item of an upload, framework-free: ``accepted``, ``duplicate`` or ``rejected``.

Events are facts: a well-formed event that the device and its volunteer were allowed to record is accepted even
when it breaks a rule (that becomes a conflict later). Only malformed or unauthorised items are rejected, each on
its own: a rejected item never blocks the ones after it. An id already stored with the same content is a
``duplicate`` (the device may forget it); the same id with other content is rejected as ``id_reused`` and kept as
a conflict, never stored in place of the first. The server stores the accepted events and commits before answering.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sync.chain import event_hash
from sync.events import Event, validate_batch
from sync.signatures import split_signature

ACCEPTED: Final = "accepted"
DUPLICATE: Final = "duplicate"
REJECTED: Final = "rejected"

# Why the server refuses a well-formed event (besides the validation reasons of ``sync.events``).
AUTHORISATION_REASONS: Final = (
    # (``wrong_device``, an event of another device than the uploader's, is gone: such an event is relayed, checked
    # by its device's signature, ``sync.signatures.SIGNATURE_REASONS``; an app may still show it for old refusals.)
    "distribution_unknown",
    "forbidden_point",  # the device or the volunteer may not act at the distribution's point
    "shift_not_valid",  # no shift of this volunteer on this device covered the event's device time
    "server_only",  # a type only the server writes (conflict resolutions)
)
ID_REUSED: Final = "id_reused"


@dataclass(frozen=True)
class Result:
    """The answer for one item of the upload, by its index in the batch."""

    index: int
    event_id: str | None
    status: str
    reason: str | None = None
    errors: tuple[dict[str, Any], ...] = ()

    def json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"index": self.index, "id": self.event_id, "status": self.status}
        if self.reason is not None:
            answer["reason"] = self.reason
        if self.errors:
            answer["errors"] = list(self.errors)
        return answer


@dataclass(frozen=True)
class Reuse:
    """An id sent again with other content: what was sent, and the hash already stored under that id."""

    event: Event
    hash: str
    stored_hash: str


@dataclass
class Plan:
    results: list[Result] = field(default_factory=list)
    accepted: list[tuple[Event, str]] = field(default_factory=list)  # with their hashes, in the batch's order
    reused: list[Reuse] = field(default_factory=list)
    # The signature that came with each accepted event (id → base64url), once ``authorise`` let it through.
    signatures: dict[str, str] = field(default_factory=dict)

    @property
    def rejected(self) -> list[Result]:
        return [result for result in self.results if result.status == REJECTED]


def plan_batch(
    items: Sequence[Any],
    stored_hashes: Mapping[str, str],
    authorise: Callable[[Event, Any], str | None],
) -> Plan:
    """Classify every item of an upload. ``stored_hashes`` maps the ids of the batch already stored to their hashes;
    ``authorise(event, signature)`` answers None for an event its device and volunteer may record (``signature``:
    the item's ``signature`` field, None when absent; ``sync.signatures``), or the reason it may not. The signature
    is no field of the event: it is taken off each item before validation and is neither hashed nor compared."""
    split = [split_signature(item) for item in items]
    events, rejections = validate_batch([item for item, _signature in split])
    plan = Plan()
    for rejection in rejections:
        plan.results.append(
            Result(
                rejection.index,
                rejection.event_id,
                REJECTED,
                rejection.reason,
                tuple(e.to_json() for e in rejection.errors),
            )
        )
    rejected_indexes = {rejection.index for rejection in rejections}
    indexes = [index for index in range(len(items)) if index not in rejected_indexes]
    seen = dict(stored_hashes)
    for index, event in zip(indexes, events, strict=True):
        digest = event_hash(event)
        known = seen.get(event.id)
        if known is not None:
            if known == digest:
                plan.results.append(Result(index, event.id, DUPLICATE))
            else:
                plan.results.append(Result(index, event.id, REJECTED, ID_REUSED))
                plan.reused.append(Reuse(event, digest, known))
            continue
        signature = split[index][1]
        refused = authorise(event, signature)
        if refused is not None:
            plan.results.append(Result(index, event.id, REJECTED, refused))
            continue
        if signature is not None:
            plan.signatures[event.id] = signature
        seen[event.id] = digest
        plan.accepted.append((event, digest))
        plan.results.append(Result(index, event.id, ACCEPTED))
    plan.results.sort(key=lambda result: result.index)
    return plan


def recheck(plan: Plan, stored_hashes: Mapping[str, str]) -> Plan:
    """``plan`` again, knowing that the ids of ``stored_hashes`` were stored since it was made (the same batch sent
    on another connection at the same time): each such accepted event becomes ``duplicate`` (same hash) or
    ``rejected`` ``id_reused`` (other content), so an event is ``accepted`` in exactly one answer."""
    late = {event.id for event, _digest in plan.accepted if event.id in stored_hashes}
    if not late:
        return plan
    result_of = {result.event_id: result for result in plan.results if result.status == ACCEPTED}
    changed: dict[int, Result] = {}
    checked = Plan(reused=list(plan.reused), signatures=plan.signatures)
    for event, digest in plan.accepted:
        if event.id not in late:
            checked.accepted.append((event, digest))
            continue
        index = result_of[event.id].index
        if stored_hashes[event.id] == digest:
            changed[index] = Result(index, event.id, DUPLICATE)
        else:
            changed[index] = Result(index, event.id, REJECTED, ID_REUSED)
            checked.reused.append(Reuse(event, digest, stored_hashes[event.id]))
    checked.results = [changed.get(result.index, result) for result in plan.results]
    return checked
