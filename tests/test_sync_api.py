"""Uploading and downloading events through the real endpoints, on SQLite and PostgreSQL."""

import gzip
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.clock import utcnow
from server.domain.events import refresh_conflicts
from server.extensions import db
from server.models import (
    Conflict,
    Device,
    Distribution,
    SyncedEvent,
    User,
)
from sync.chain import event_hash
from sync.events import parse_event
from tests.factories.sync_api import SyncWorld as World
from tests.factories.sync_api import sync_world
from tests.phones import Phone, enrol_phone


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        return sync_world()


@pytest.fixture
def phone(app, world) -> Phone:
    return enrol_phone(app, [world.point], world.volunteer, "Phone 1")


def handover(phone: Phone, world: World, order: int, **kwargs):
    return phone.record("handover", {"order_id": order, "outcome": "all"}, world.distribution, **kwargs)


def stored_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(SyncedEvent.position)))


def test_accepted_then_duplicate_on_retry(app, world, phone):
    events = [handover(phone, world, order) for order in world.orders]
    first = phone.push(events)
    assert first.status_code == 200, first.get_json()
    assert [r["status"] for r in first.get_json()["results"]] == ["accepted"] * 3
    assert int(first.get_json()["cursor"]) >= 3
    again = phone.push(events)
    assert [r["status"] for r in again.get_json()["results"]] == ["duplicate"] * 3
    assert stored_count(app) == 3
    with app.app_context():
        row = db.session.scalar(select(SyncedEvent).where(SyncedEvent.event_id == events[0]["id"]))
        assert row.received_at is not None and row.device_seq == 1 and row.prev_hash is None
        device = db.session.scalar(select(Device).where(Device.public_id == phone.device_id))
        assert device.last_sync_at is not None and device.last_user_id == world.volunteer


def test_a_bad_item_is_named_and_the_good_ones_are_taken(app, world, phone):
    good = handover(phone, world, world.orders[0])
    bad_amount = good | {
        "id": "0190f6e0-0000-7000-8000-000000000001",
        "type": "payment",
        "payload": {"amount_cents": -5},
    }
    later = handover(phone, world, world.orders[1])
    answer = phone.push([good, "not an event", bad_amount, {"type": "teleport"}, later])
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"]["reason"] == "events_rejected" and body["error"]["rejected"] == [1, 2, 3]
    statuses = [(r["index"], r["status"], r.get("reason")) for r in body["results"]]
    assert statuses == [
        (0, "accepted", None),
        (1, "rejected", "malformed"),
        (2, "rejected", "malformed"),
        (3, "rejected", "unknown_type"),
        (4, "accepted", None),
    ]
    assert body["results"][2]["errors"][0]["loc"][:2] == ["payload", "amount_cents"]
    assert stored_count(app) == 2


def test_the_same_id_with_other_content_is_refused_and_kept_as_a_conflict(app, world, phone):
    event = handover(phone, world, world.orders[0])
    assert phone.push([event]).status_code == 200
    altered = json.loads(json.dumps(event))
    altered["payload"]["outcome"] = "refused"
    answer = phone.push([altered])
    assert answer.get_json()["results"][0] == {
        "index": 0,
        "id": event["id"],
        "status": "rejected",
        "reason": "id_reused",
    }
    with app.app_context():
        conflict = db.session.scalar(select(Conflict).where(Conflict.kind == "id_reuse"))
        assert conflict.event_ids == [event["id"]] and conflict.details["sent"]["payload"]["outcome"] == "refused"
        assert conflict.status == "open"
        row = db.session.scalar(select(SyncedEvent).where(SyncedEvent.event_id == event["id"]))
        assert row.payload["outcome"] == "all"  # the first stays


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"device_id": "someone-else"}, "device_unknown"),
        ({"distribution_id": 999_999}, "distribution_unknown"),
        ({"volunteer_id": "second"}, "shift_not_valid"),
        ({"device_time": "2020-01-01T10:00:00.000Z"}, "shift_not_valid"),
        ({"distribution_id": "elsewhere"}, "forbidden_point"),
    ],
)
def test_unauthorised_events_are_rejected(app, world, phone, change, reason):
    event = handover(phone, world, world.orders[0])
    if change.get("volunteer_id") == "second":
        change = {"volunteer_id": world.second_volunteer}
    if change.get("distribution_id") == "elsewhere":
        change = {"distribution_id": world.other_distribution}
    answer = phone.push([event | change])
    assert answer.status_code == 422
    assert answer.get_json()["results"][0]["reason"] == reason
    assert stored_count(app) == 0


def test_a_phone_cannot_write_a_resolution(app, world, phone):
    event = phone.record(
        "conflict_resolved", {"conflict_key": "x", "action": "dismiss", "comment": "fine"}, world.distribution
    )
    assert phone.push([event]).get_json()["results"][0]["reason"] == "server_only"


def test_an_expired_shift_still_covers_what_it_recorded(app, world, phone):
    event = handover(phone, world, world.orders[0])
    with app.app_context():
        from server.models import Shift

        shift = db.session.scalar(select(Shift).where(Shift.user_id == world.volunteer))
        shift.valid_until = utcnow() - timedelta(seconds=1)  # the day ended before the upload
        db.session.commit()
    assert phone.push([event]).get_json()["results"][0]["status"] == "accepted"


def test_a_batch_of_five_hundred(app, world, phone):
    events = [phone.record("note", {"text": f"Note {n} " + "é" * 100}, world.distribution) for n in range(500)]
    answer = phone.push(events)
    assert answer.status_code == 200 and len(answer.get_json()["results"]) == 500
    assert stored_count(app) == 500


def test_gzip_upload_and_size_limits(app, world, phone):
    event = handover(phone, world, world.orders[0])
    assert phone.push([event], compress=True).get_json()["results"][0]["status"] == "accepted"
    too_many = phone.push([{}] * 1001)
    assert too_many.status_code == 413 and too_many.get_json()["error"]["reason"] == "too_many_events"
    huge = phone.client.post(
        "/api/events",
        data=b'{"events": [' + b" " * (5 * 1024 * 1024) + b"]}",
        content_type="application/json",
        headers=phone.headers,
    )
    assert huge.status_code == 413 and huge.get_json()["error"]["reason"] == "body_too_large"
    bomb = phone.client.post(
        "/api/events",
        data=gzip.compress(b" " * (50 * 1024 * 1024)),
        content_type="application/json",
        headers={**phone.headers, "Content-Encoding": "gzip"},
    )
    assert bomb.status_code == 413  # unzipped, it would be over the limit: refused without unzipping it all
    not_a_list = phone.client.post("/api/events", json={"events": {}}, headers=phone.headers)
    assert not_a_list.status_code == 400 and not_a_list.get_json()["error"]["field"] == "events"


def test_a_revoked_phone_is_refused_and_keeps_what_it_sent(app, world, phone):
    assert phone.push([handover(phone, world, world.orders[0])]).status_code == 200
    with app.app_context():
        from server.domain.devices import revoke_device

        device = db.session.scalar(select(Device).where(Device.public_id == phone.device_id))
        revoke_device(device, db.session.scalar(select(User).where(User.role == "admin")))
        db.session.commit()
    refused = phone.push([handover(phone, world, world.orders[1])])
    assert refused.status_code == 403 and refused.get_json()["error"]["reason"] == "device_revoked"
    assert stored_count(app) == 1


def test_pull_gives_the_other_phones_events_since_a_cursor(app, world, phone):
    other = enrol_phone(app, [world.point], world.second_volunteer, "Phone 2")
    mine = handover(phone, world, world.orders[0])
    theirs = [handover(other, world, order) for order in world.orders[1:]]
    assert phone.push([mine]).status_code == 200
    assert other.push(theirs).status_code == 200

    pulled = phone.pull(world.distribution, limit=1).get_json()
    assert [e["id"] for e in pulled["events"]] == [theirs[0]["id"]] and pulled["more"] is True
    rest = phone.pull(world.distribution, since=pulled["cursor"]).get_json()
    assert [e["id"] for e in rest["events"]] == [theirs[1]["id"]] and rest["more"] is False
    # Given back in canonical form (defaults filled in): the same event, with the same hash.
    assert event_hash(parse_event(rest["events"][0])) == event_hash(parse_event(theirs[1]))
    assert phone.pull(world.distribution, since=rest["cursor"]).get_json()["events"] == []
    assert [e["id"] for e in other.pull(world.distribution).get_json()["events"]] == [mine["id"]]

    unknown = phone.pull(world.distribution, since="99999999")
    assert unknown.status_code == 409 and unknown.get_json()["error"]["reason"] == "cursor_unknown"
    for bad in ({"since": "-1"}, {"since": "abc"}, {"limit": "0"}, {"limit": "5000"}):
        answer = phone.client.get(
            f"/api/distributions/{world.distribution}/events", query_string=bad, headers=phone.headers
        )
        assert answer.status_code == 400, bad
    elsewhere = phone.pull(world.other_distribution)
    assert elsewhere.status_code == 403 and elsewhere.get_json()["error"]["reason"] == "forbidden_point"


def test_conflicts_are_stored_and_never_dropped(app, world, phone):
    other = enrol_phone(app, [world.point], world.second_volunteer, "Phone 2")
    first = handover(phone, world, world.orders[0])
    assert phone.push([first]).status_code == 200
    assert other.push([handover(other, world, world.orders[0])]).status_code == 200
    with app.app_context():
        distribution = db.session.get(Distribution, world.distribution)
        found = refresh_conflicts(distribution)
        db.session.commit()
        assert [c.kind for c in found] == ["double_handover"] and found[0].status == "open"
    # The first hand-over is voided: the rule no longer sees the conflict, but the stored one stays to be resolved.
    assert phone.push([phone.record("void", {"event_id": first["id"]}, world.distribution)]).status_code == 200
    with app.app_context():
        assert [c.kind for c in refresh_conflicts(db.session.get(Distribution, world.distribution))] == [
            "double_handover"
        ]
        assert db.session.scalar(select(func.count(Conflict.id))) == 1
