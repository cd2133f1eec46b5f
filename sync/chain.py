"""The per-device hash chain: each event carries the hash of the one its device recorded before it.

A chain is the events of one device for one distribution, numbered by ``seq`` from 1. A missing event shows as a gap
in ``seq``; an altered or replaced one as a ``prev_hash`` that no longer matches. The hash is SHA-256 over the
event's canonical encoding (``docs/sync-protocol.md``, "Hash chain"), which devices compute the same way.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sync.events import Event

BREAK_KINDS: Final = (
    "gap",  # sequence numbers are missing (an event never arrived, or was dropped)
    "prev_hash_mismatch",  # prev_hash is not the hash of the event before it (altered, replaced, or a fork)
    "duplicate_seq",  # two different events carry the same sequence number
)


def canonical_json(event: Event) -> bytes:
    """The bytes that are hashed: every field of the event, defaults filled in and nulls kept, as JSON with keys
    sorted and no white space, non-ASCII characters as themselves, in UTF-8; times as ``format_time`` writes them."""
    return json.dumps(
        event.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def event_hash(event: Event) -> str:
    """SHA-256, in lower-case hex, of the event's canonical encoding (its own ``prev_hash`` included)."""
    return hashlib.sha256(canonical_json(event)).hexdigest()


def sort_key(event: Event) -> tuple[datetime, str, int, str]:
    """The canonical order of a distribution's events: device time, then device, sequence number and id, so that
    every tie is broken and the order depends on the events alone, never on when they arrived."""
    return (event.device_time, event.device_id, event.seq, event.id)


def unique(events: Iterable[Event]) -> list[Event]:
    """The events in canonical order, each id once. Should one id come with different contents (the server refuses
    the second, so only a forged input does this), the version with the smallest hash is kept, whatever the order."""
    kept: dict[str, Event] = {}
    for event in events:
        other = kept.get(event.id)
        if other is None or (other != event and event_hash(event) < event_hash(other)):
            kept[event.id] = event
    return sorted(kept.values(), key=sort_key)


@dataclass(frozen=True)
class ChainBreak:
    """A break in one device's chain for one distribution. ``seq`` is where the break shows (the event after a gap,
    the event whose ``prev_hash`` does not match, the duplicated number); ``missing`` the first and last sequence
    numbers of a gap."""

    kind: str
    device_id: str
    distribution_id: int
    seq: int
    event_ids: tuple[str, ...]
    missing: tuple[int, int] | None = None


def check_chain(events: Iterable[Event], hashes: Mapping[str, str] | None = None) -> list[ChainBreak]:
    """Every break in the chains of ``events`` (one device's, or several: they are grouped by device and
    distribution), sorted, at most one of each kind per sequence number. A gap after the last event received cannot
    be seen; it shows when a later event arrives. ``hashes`` (event id → ``event_hash``) saves hashing again what
    the server hashed when it stored the events; an event missing from it is hashed here."""
    known = hashes or {}

    def hash_of(event: Event) -> str:
        found = known.get(event.id)
        return found if found is not None else event_hash(event)

    chains: dict[tuple[str, int], dict[int, list[Event]]] = defaultdict(lambda: defaultdict(list))
    for event in unique(events):
        chains[event.device_id, event.distribution_id][event.seq].append(event)
    breaks: list[ChainBreak] = []
    for (device_id, distribution_id), by_seq in chains.items():
        previous = 0
        for seq in sorted(by_seq):
            here = sorted(by_seq[seq], key=lambda event: event.id)
            ids = tuple(event.id for event in here)
            if len(here) > 1:
                breaks.append(ChainBreak("duplicate_seq", device_id, distribution_id, seq, ids))
            if seq > previous + 1:
                before = tuple(event.id for event in by_seq.get(previous, ()))
                gap = (previous + 1, seq - 1)
                breaks.append(ChainBreak("gap", device_id, distribution_id, seq, tuple(sorted(before + ids)), gap))
            elif seq > 1:
                expected = {hash_of(event): event.id for event in by_seq[previous]}
                unlinked = [event.id for event in here if event.prev_hash not in expected]
                if unlinked:
                    involved = tuple(sorted((*unlinked, *expected.values())))
                    breaks.append(ChainBreak("prev_hash_mismatch", device_id, distribution_id, seq, involved))
            previous = seq
    return sorted(breaks, key=lambda b: (b.device_id, b.distribution_id, b.seq, b.kind, b.event_ids))
