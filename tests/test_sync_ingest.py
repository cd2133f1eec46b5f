"""``sync.ingest`` on its own: a plan made before the batch arrived on another connection, checked again."""

from sync.chain import event_hash
from sync.events import new_event_id, parse_event
from sync.ingest import plan_batch, recheck
from tests.test_sync_strategies import envelope


def note(text: str, seq: int = 1) -> dict:
    return envelope("note", {"text": text}, id=new_event_id(1_773_160_200_000 + seq, seq))


def allow(_event, _signature=None) -> None:
    return None


def test_events_stored_meanwhile_become_duplicates_or_reused_ids():
    first, second, third = note("a", 1), note("b", 2), note("c", 3)
    plan = plan_batch([first, second, "bad", third], {}, allow)
    assert [r.status for r in plan.results] == ["accepted", "accepted", "rejected", "accepted"]

    same = event_hash(parse_event(first))
    other = event_hash(parse_event(third | {"payload": {"text": "changed"}}))
    checked = recheck(plan, {first["id"]: same, third["id"]: other})

    assert [(r.index, r.status, r.reason) for r in checked.results] == [
        (0, "duplicate", None),
        (1, "accepted", None),
        (2, "rejected", "malformed"),
        (3, "rejected", "id_reused"),
    ]
    assert [event.id for event, _digest in checked.accepted] == [second["id"]]
    assert [(reuse.event.id, reuse.stored_hash) for reuse in checked.reused] == [(third["id"], other)]


def test_nothing_stored_meanwhile_keeps_the_plan():
    plan = plan_batch([note("a")], {}, allow)
    assert recheck(plan, {}) is plan
