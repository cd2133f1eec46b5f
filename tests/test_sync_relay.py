"""Store and forward through the real endpoints, on SQLite and PostgreSQL: a phone uploads events another phone
recorded and signed; the server checks the recording device's signature and authorises the event as that device's.
And the device key itself: registered at enrolment, or once afterwards."""

import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from server.clock import utcnow
from server.domain.devices import create_enrolment, revoke_device
from server.extensions import db
from server.models import Device, Point, SyncedEvent, User
from sync.events import parse_event
from sync.signatures import public_key_text, sign
from tests.factories.sync_api import SyncWorld as World
from tests.factories.sync_api import sync_world
from tests.phones import Phone, enrol_phone


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        return sync_world()


@pytest.fixture
def phone_a(app, world) -> Phone:
    return enrol_phone(app, [world.point], world.volunteer, "Phone A", keyed=True)


@pytest.fixture
def phone_b(app, world) -> Phone:
    return enrol_phone(app, [world.point], world.second_volunteer, "Phone B", keyed=True)


def handover(phone: Phone, world: World, order: int, **kwargs) -> dict:
    return phone.record("handover", {"order_id": order, "outcome": "all"}, world.distribution, **kwargs)


def results(answer) -> list[tuple[str, str | None]]:
    return [(r["status"], r.get("reason")) for r in answer.get_json()["results"]]


def stored(app, event_id: str) -> SyncedEvent | None:
    with app.app_context():
        row = db.session.scalar(select(SyncedEvent).where(SyncedEvent.event_id == event_id))
        if row is not None:
            db.session.expunge(row)
        return row


def device_pk(app, phone: Phone) -> int:
    with app.app_context():
        return db.session.scalar(select(Device.id).where(Device.public_id == phone.device_id))


def test_a_phone_uploads_another_phones_signed_events_stored_once_as_the_recorders(app, world, phone_a, phone_b):
    events = [phone_a.signed(handover(phone_a, world, order)) for order in world.orders[:2]]
    answer = phone_b.push(events)
    assert answer.status_code == 200, answer.get_json()
    assert results(answer) == [("accepted", None)] * 2
    row = stored(app, events[0]["id"])
    assert row.device_id == device_pk(app, phone_a)  # the phone that recorded it
    assert row.relayed_by_device_id == device_pk(app, phone_b)  # the phone that carried it
    assert row.signature == events[0]["signature"] and row.user_id == world.volunteer

    third = enrol_phone(app, [world.point], world.volunteer, "Phone C", keyed=True)
    assert results(third.push(events)) == [("duplicate", None)] * 2  # relayed by a third phone: stored once
    assert results(phone_b.push(events)) == [("duplicate", None)] * 2
    with app.app_context():
        assert db.session.scalar(select(Device.last_sync_at).where(Device.public_id == phone_a.device_id)) is None
    unsigned = [{k: v for k, v in event.items() if k != "signature"} for event in events]
    assert results(phone_a.push(unsigned)) == [("duplicate", None)] * 2  # the recorder itself, later
    with app.app_context():
        assert db.session.scalar(select(func.count(SyncedEvent.position))) == 2
        # A's data is on the server: the phones page says when A last sent it, not « Never ».
        assert db.session.scalar(select(Device.last_sync_at).where(Device.public_id == phone_a.device_id))


def test_a_relayed_event_is_authorised_against_the_recording_device(app, world, phone_a, phone_b):
    # Phone A's volunteer had no shift on A in 2020; phone B's own shifts do not count for A's events.
    old = phone_a.signed(handover(phone_a, world, world.orders[0], at=utcnow() - timedelta(days=400)))
    assert results(phone_b.push([old])) == [("rejected", "shift_not_valid")]
    # An event that names phone B's volunteer on phone A: no shift of B's volunteer on A.
    theirs = phone_a.record("note", {"text": "x"}, world.distribution)
    theirs = phone_a.signed(theirs | {"volunteer_id": world.second_volunteer})
    assert results(phone_b.push([theirs])) == [("rejected", "shift_not_valid")]
    # A distribution at a point phone A is not enrolled for.
    elsewhere = phone_a.signed(phone_a.record("note", {"text": "y"}, world.other_distribution))
    far = enrol_phone(app, [world.point, world.other_point], world.second_volunteer, "Far", keyed=True)
    assert results(far.push([elsewhere])) == [("rejected", "forbidden_point")]
    assert stored(app, old["id"]) is None


def test_forged_altered_and_unsigned_relays_are_refused(app, world, phone_a, phone_b):
    event = handover(phone_a, world, world.orders[0])
    forged = event | {"signature": sign(parse_event(event), Ed25519PrivateKey.generate())}
    altered = json.loads(json.dumps(phone_a.signed(event)))
    altered["payload"]["outcome"] = "refused"
    answer = phone_b.push([forged, altered, event, phone_a.signed(event) | {"signature": "not-a-signature"}])
    assert answer.status_code == 422
    assert results(answer) == [
        ("rejected", "signature_invalid"),
        ("rejected", "signature_invalid"),
        ("rejected", "signature_missing"),
        ("rejected", "signature_invalid"),
    ]
    assert stored(app, event["id"]) is None
    assert results(phone_b.push([phone_a.signed(event)])) == [("accepted", None)]  # the genuine one still goes


def test_unknown_devices_and_devices_without_a_key_are_refused(app, world, phone_a, phone_b):
    unkeyed = enrol_phone(app, [world.point], world.volunteer, "Old phone")
    old_event = handover(unkeyed, world, world.orders[0])
    stranger = Ed25519PrivateKey.generate()
    claimed = old_event | {"signature": sign(parse_event(old_event), stranger)}
    ghost = handover(phone_a, world, world.orders[1]) | {"device_id": "no-such-phone"}
    ghost = ghost | {"signature": sign(parse_event(ghost), stranger)}
    assert results(phone_b.push([claimed, ghost])) == [
        ("rejected", "device_has_no_key"),
        ("rejected", "device_unknown"),
    ]
    # Its own events, unsigned, are taken from the old phone as before.
    assert results(unkeyed.push([old_event])) == [("accepted", None)]


def test_a_revoked_devices_events_are_not_taken_from_other_phones(app, world, phone_a, phone_b):
    event = phone_a.signed(handover(phone_a, world, world.orders[0]))
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        revoke_device(db.session.scalar(select(Device).where(Device.public_id == phone_a.device_id)), admin)
        db.session.commit()
    assert results(phone_b.push([event])) == [("rejected", "device_revoked")]


def test_own_events_may_come_signed_and_a_signature_must_verify(app, world, phone_a):
    good = phone_a.signed(handover(phone_a, world, world.orders[0]))
    bad = handover(phone_a, world, world.orders[1])
    bad = bad | {"signature": sign(parse_event(bad), Ed25519PrivateKey.generate())}
    plain = handover(phone_a, world, world.orders[2])
    assert results(phone_a.push([good, bad, plain])) == [
        ("accepted", None),
        ("rejected", "signature_invalid"),
        ("accepted", None),
    ]
    assert stored(app, good["id"]).signature == good["signature"]
    row = stored(app, plain["id"])
    assert row.signature is None and row.relayed_by_device_id is None


def test_pulls_give_the_signature_back_so_a_phone_can_pass_it_on(app, world, phone_a, phone_b):
    signed = phone_a.signed(handover(phone_a, world, world.orders[0]))
    plain = handover(phone_a, world, world.orders[1])
    assert phone_a.push([signed, plain]).status_code == 200
    pulled = phone_b.pull(world.distribution).get_json()["events"]
    assert [event.get("signature") for event in pulled] == [signed["signature"], None]
    assert "signature" not in pulled[1]
    # Phone B passes what it pulled on, as it came: a duplicate, nothing altered.
    third = enrol_phone(app, [world.point], world.volunteer, "Phone C", keyed=True)
    assert results(third.push([pulled[0]])) == [("duplicate", None)]


# The key itself.


def enrolment_token(app, world: World) -> str:
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        if admin is None:
            admin = User(email="keys-admin@example.org", role="admin")
            db.session.add(admin)
        _offer, token = create_enrolment(admin, "Phone K", [db.session.get(Point, world.point)])
        db.session.commit()
        return token


def test_enrolment_registers_the_phones_key(app, world, client):
    key = public_key_text(Ed25519PrivateKey.generate())
    answer = client.post("/api/devices/enrol", json={"token": enrolment_token(app, world), "public_key": key})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["device"]["public_key"] == key
    with app.app_context():
        device = db.session.scalar(select(Device).where(Device.public_id == answer.get_json()["device"]["id"]))
        assert device.public_key == key and device.public_key_registered_at is not None


@pytest.mark.parametrize("key", ["A" * 42, "+" * 43, "_kgoXP3j8AeRIJhX9Q8-oitv6i29nvGv1QUI2m1xlDp"])
def test_enrolment_with_a_bad_key_is_refused_and_the_token_stays_usable(app, world, client, key):
    token = enrolment_token(app, world)
    answer = client.post("/api/devices/enrol", json={"token": token, "public_key": key})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["reason"] in {"public_key_invalid", "invalid_field"}
    assert client.post("/api/devices/enrol", json={"token": token}).status_code == 201


def test_a_phone_enrolled_before_keys_registers_one_once(app, world):
    phone = enrol_phone(app, [world.point], world.volunteer, "Old phone")
    event = handover(phone, world, world.orders[0])
    key = Ed25519PrivateKey.generate()

    def register(public_key: str):
        return phone.client.post("/api/device/key", json={"public_key": public_key}, headers=phone.headers)

    first = register(public_key_text(key))
    assert first.status_code == 200 and first.get_json()["device"]["public_key"] == public_key_text(key)
    assert register(public_key_text(key)).status_code == 200  # the same again: its first answer was lost
    other = register(public_key_text(Ed25519PrivateKey.generate()))
    assert (other.status_code, other.get_json()["error"]["reason"]) == (409, "device_key_registered")
    assert register("nope").get_json()["error"]["reason"] == "invalid_field"
    assert register("+" * 43).get_json()["error"]["reason"] == "public_key_invalid"
    # Its events, signed from now on, can be relayed.
    phone.key = key
    relay = enrol_phone(app, [world.point], world.second_volunteer, "Relay", keyed=True)
    assert results(relay.push([phone.signed(event)])) == [("accepted", None)]
    with app.app_context():
        device = db.session.scalar(select(Device).where(Device.public_id == phone.device_id))
        assert device.public_key == public_key_text(key)


@pytest.mark.parametrize("named", [["a list"], {"an": "object"}, 7, None])
def test_an_item_naming_no_device_is_its_own_rejection_among_relayed_ones(app, world, phone_a, phone_b, named):
    """A device id that is not text (unhashable or not) is that item's refusal; the rest of the batch goes on."""
    relayed = phone_a.signed(handover(phone_a, world, world.orders[0]))
    own = handover(phone_b, world, world.orders[1])
    answer = phone_b.push([relayed, {**handover(phone_b, world, world.orders[2]), "device_id": named}, own])
    assert answer.status_code in (200, 422), answer.get_json()
    statuses = [status for status, _reason in results(answer)]
    assert statuses[0] == "accepted" and statuses[1] == "rejected"
