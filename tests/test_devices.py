"""Enrolled phones and volunteers' shifts over HTTP: enrolment, device credentials, rotation, revocation, shifts,
the distribution check, and strict JSON bodies. On SQLite and PostgreSQL.

Passkey verification itself runs in real Chromium (tests/browser/test_device_enrolment.py); here shifts are made
with the domain's ``start_shift``, or the passkey check is replaced where the API's own handling is under test.
"""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

import server.api.shifts
from server.clock import utcnow
from server.domain import DomainError
from server.domain.devices import DeviceRefused, create_enrolment, redeem_enrolment, rotate_credential
from server.domain.shifts import ShiftRefused, start_shift
from server.extensions import db
from server.models import (
    AuditEntry,
    Device,
    DeviceEnrolment,
    Point,
    Shift,
    SyncedEvent,
    User,
)
from tests.factories.devices import ADMIN, devices_world
from tests.factories.devices import DevicesWorld as World
from tests.helpers import csrf_token, sign_in_as_admin, sign_in_user


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        return devices_world()


def enrol(app, point_ids, name="Téléphone 1") -> tuple[str, str]:
    """A device enrolled by the admin for ``point_ids`` through the domain; returns (public id, credential)."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == ADMIN))
        points = db.session.scalars(select(Point).where(Point.id.in_(point_ids))).all()
        _, token = create_enrolment(admin, name, points)
        device, credential = redeem_enrolment(token)
        db.session.commit()
        return device.public_id, credential


def shift_for(app, public_id: str, user_id: int, now: datetime | None = None) -> str:
    with app.app_context():
        device = db.session.scalar(select(Device).where(Device.public_id == public_id))
        _, token = start_shift(device, db.session.get(User, user_id), now)
        db.session.commit()
        return token


def api(client, method, path, credential=None, shift=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if credential is not None:
        headers["Authorization"] = f"Device {credential}"
    if shift is not None:
        headers["X-Comptoir-Shift"] = shift
    return client.open(path, method=method, headers=headers, **kwargs)


def reason(response) -> str:
    assert response.is_json, response.get_data(as_text=True)[:200]
    return response.get_json()["error"]["reason"]


# Enrolment.


def test_admin_page_shows_qr_and_link_and_the_phone_enrols_once(app, world, client):
    sign_in_as_admin(app, client, ADMIN)
    page = client.get("/admin/devices/enrol")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Maison de quartier Nord" in html and "École Sud" in html
    answer = client.post(
        "/admin/devices/enrol",
        data={"csrf_token": csrf_token(html), "name": "Téléphone du Nord", "points": [str(world.north)]},
    )
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    html = answer.get_data(as_text=True)
    assert "<svg" in html and "<path" in html
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]  # the CSP forbids inline styles
    link = html.split('id="enrol-link" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert link.startswith("http://localhost:5000/app/enrol#")
    token = link.split("#", 1)[1]
    with app.app_context():
        assert db.session.scalar(select(DeviceEnrolment.token_hash)) == hashlib.sha256(token.encode()).hexdigest()

    phone = app.test_client()
    enrolled = phone.post("/api/devices/enrol", json={"token": token})
    assert enrolled.status_code == 201, enrolled.get_json()
    body = enrolled.get_json()
    assert body["device"]["name"] == "Téléphone du Nord"
    assert [p["id"] for p in body["device"]["points"]] == [world.north]
    credential = body["credential"]
    with app.app_context():
        device = db.session.scalar(select(Device))
        assert device.credential_hash == hashlib.sha256(credential.encode()).hexdigest()
        assert device.enrolled_by_id == world.admin and device.point_ids == {world.north}
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert "device.enrolment_create" in actions and "device.enrol" in actions

    again = phone.post("/api/devices/enrol", json={"token": token})
    assert (again.status_code, reason(again)) == (410, "enrolment_used")
    with app.app_context():
        assert db.session.scalar(select(func.count(Device.id))) == 1


def test_expired_and_forged_enrolment_tokens_are_refused(app, world, client):
    with app.app_context():
        admin = db.session.get(User, world.admin)
        _, token = create_enrolment(
            admin, "Vieux", [db.session.get(Point, world.north)], now=utcnow() - timedelta(minutes=16)
        )
        db.session.commit()
    expired = client.post("/api/devices/enrol", json={"token": token})
    assert (expired.status_code, reason(expired)) == (410, "enrolment_expired")
    forged = client.post("/api/devices/enrol", json={"token": token[:-2] + "xx"})
    assert (forged.status_code, reason(forged)) == (404, "enrolment_unknown")
    with app.app_context():
        assert db.session.scalar(select(func.count(Device.id))) == 0


def test_the_phone_may_name_itself(app, world, client):
    with app.app_context():
        _, token = create_enrolment(db.session.get(User, world.admin), "Admin's name", [db.session.get(Point, 1)])
        db.session.commit()
    answer = client.post("/api/devices/enrol", json={"token": token, "name": "  Téléphone de Marie "})
    assert answer.get_json()["device"]["name"] == "Téléphone de Marie"


def test_coordinator_enrols_only_for_their_points(app, world, client):
    sign_in_user(app, client, world.coordinator)
    page = client.get("/admin/devices/enrol")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Maison de quartier Nord" in html and "École Sud" not in html
    refused = client.post(
        "/admin/devices/enrol", data={"csrf_token": csrf_token(html), "name": "Pirate", "points": [str(world.south)]}
    )
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(DeviceEnrolment.id))) == 0
        coordinator = db.session.get(User, world.coordinator)
        with pytest.raises(DomainError):
            create_enrolment(coordinator, "Pirate", [db.session.get(Point, world.south)])
    accepted = client.post(
        "/admin/devices/enrol", data={"csrf_token": csrf_token(html), "name": "Nord 2", "points": [str(world.north)]}
    )
    assert accepted.status_code == 200 and "/app/enrol#" in accepted.get_data(as_text=True)


def test_enrolment_form_needs_a_name_and_a_point(app, world, admin_client):
    html = admin_client.get("/admin/devices/enrol").get_data(as_text=True)
    refused = admin_client.post("/admin/devices/enrol", data={"csrf_token": csrf_token(html), "name": " "})
    assert refused.status_code == 400
    refused = admin_client.post(
        "/admin/devices/enrol", data={"csrf_token": csrf_token(html), "name": "X", "points": ["999999"]}
    )
    assert refused.status_code == 400
    no_csrf = admin_client.post("/admin/devices/enrol", data={"name": "X", "points": [str(world.north)]})
    assert no_csrf.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(DeviceEnrolment.id))) == 0


def test_volunteers_may_not_open_the_devices_pages(app, world, client):
    sign_in_user(app, client, world.volunteer)
    assert client.get("/admin/devices/").status_code == 403
    assert client.get("/admin/devices/enrol").status_code == 403


def test_the_list_of_phones_is_paginated(app, world, admin_client):
    """25 phones a page, as every admin list, active ones first; a coordinator counts only their points' phones."""
    from server.admin.views import PER_PAGE

    for n in range(PER_PAGE + 5):
        enrol(app, [world.north if n % 2 else world.south], f"Téléphone {n:02d}")
    with app.app_context():
        first = db.session.scalar(select(Device).where(Device.name == "Téléphone 00"))
        first.revoked_at = utcnow()
        db.session.commit()
    rows = 'id="device-'
    page_one = admin_client.get("/admin/devices/?lang=en").get_data(as_text=True)
    assert page_one.count(rows) == PER_PAGE and f"{PER_PAGE + 5} results" in page_one
    assert "Page 1 of 2" in page_one and 'rel="next"' in page_one and "Téléphone 00" not in page_one
    page_two = admin_client.get("/admin/devices/?lang=en&page=2").get_data(as_text=True)
    assert page_two.count(rows) == 5 and "Page 2 of 2" in page_two and 'rel="prev"' in page_two
    assert page_two.index("Téléphone 29") < page_two.index("Téléphone 00")  # the revoked phone comes last
    # A page past the end opens the last one (the list may have shrunk since the link was made), never an empty list
    # that says no phone is enrolled; a page that is no number opens the first.
    past_the_end = admin_client.get("/admin/devices/?lang=en&page=99")
    assert past_the_end.status_code == 302 and past_the_end.location == "/admin/devices/?lang=en&page=2"
    garbage = admin_client.get("/admin/devices/?page=abc&lang=en")
    assert garbage.status_code == 302 and garbage.location == "/admin/devices/?lang=en"
    assert admin_client.get("/admin/devices/?page=1").status_code == 200

    coordinator = app.test_client()
    sign_in_user(app, coordinator, world.coordinator)
    theirs = coordinator.get("/admin/devices/?lang=en").get_data(as_text=True)
    assert theirs.count(rows) == 15 and "15 results" in theirs and 'rel="next"' not in theirs


# Device credentials.


def test_device_credential_required_unknown_and_last_seen(app, world, client):
    public_id, credential = enrol(app, [world.north])
    missing = client.get("/api/device")
    assert (missing.status_code, reason(missing)) == (401, "device_credential_missing")
    wrong_scheme = client.get("/api/device", headers={"Authorization": f"Bearer {credential}"})
    assert (wrong_scheme.status_code, reason(wrong_scheme)) == (401, "device_credential_missing")
    unknown = api(client, "GET", "/api/device", "not-a-credential")
    assert (unknown.status_code, reason(unknown)) == (401, "device_unknown")
    too_long = api(client, "GET", "/api/device", "x" * 5000)
    assert (too_long.status_code, reason(too_long)) == (401, "device_unknown")

    answer = api(client, "GET", "/api/device", credential)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["device"]["id"] == public_id and body["rotate"] is False and "shift" not in body
    with app.app_context():
        assert db.session.scalar(select(Device.last_seen_at)) is not None


def test_revoked_device_is_refused_and_nothing_it_sent_is_lost(app, world, admin_client):
    public_id, credential = enrol(app, [world.north])
    token = shift_for(app, public_id, world.volunteer)
    with app.app_context():
        device = db.session.scalar(select(Device).where(Device.public_id == public_id))
        event_id = str(uuid.uuid4())
        db.session.add(
            SyncedEvent(
                event_id=event_id,
                type="note",
                schema_version=1,
                device_id=device.id,
                user_id=world.volunteer,
                distribution_id=world.north_distribution,
                device_seq=1,
                prev_hash="0" * 64,
                hash="1" * 64,
                device_time=utcnow(),
                payload={"text": "Clé de la salle chez la gardienne"},
            )
        )
        db.session.commit()
        device_id = device.id

    page = admin_client.get("/admin/devices/")
    html = page.get_data(as_text=True)
    assert "Téléphone 1" in html and "Victor" in html  # the last volunteer
    revoked = admin_client.post(f"/admin/devices/{device_id}/revoke", data={"csrf_token": csrf_token(html)})
    assert revoked.status_code == 302

    phone = app.test_client()
    for method, path in [("GET", "/api/device"), ("GET", "/api/me"), ("POST", "/api/device/rotate")]:
        answer = api(phone, method, path, credential, token)
        assert (answer.status_code, reason(answer)) == (403, "device_revoked"), path
        assert "révoqué par la coordination" in answer.get_json()["error"]["message"]  # French first
    english = api(phone, "GET", "/api/device", credential, token, headers={"Accept-Language": "en"})
    assert "revoked by a coordinator" in english.get_json()["error"]["message"]
    with app.app_context():
        device = db.session.get(Device, device_id)
        assert device.revoked_at is not None and device.revoked_by_id == world.admin
        assert db.session.scalar(select(SyncedEvent.event_id).where(SyncedEvent.device_id == device_id)) == event_id
        shift = db.session.scalar(select(Shift).where(Shift.device_id == device_id))
        assert shift.ended_at is not None  # kept, ended
        assert "device.revoke" in db.session.scalars(select(AuditEntry.action)).all()
    assert "Revoked on" in admin_client.get("/admin/devices/?lang=en").get_data(as_text=True)


def test_revocation_needs_csrf_and_a_coordinator_of_the_phone(app, world, client):
    north_id, _ = enrol(app, [world.north], "Nord")
    south_id, _ = enrol(app, [world.south], "Sud")
    with app.app_context():
        ids = {d.public_id: d.id for d in db.session.scalars(select(Device))}
    sign_in_user(app, client, world.coordinator)
    html = client.get("/admin/devices/").get_data(as_text=True)
    assert "Nord" in html and "Sud" not in html
    token = csrf_token(html)
    assert client.post(f"/admin/devices/{ids[south_id]}/revoke", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/admin/devices/{ids[north_id]}/revoke", data={}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Device.id)).where(Device.revoked_at.is_not(None))) == 0
    assert client.post(f"/admin/devices/{ids[north_id]}/revoke", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(Device, ids[north_id]).revoked_at is not None
        assert db.session.get(Device, ids[south_id]).revoked_at is None


# Rotation.


def age_credential(app, days: int) -> None:
    with app.app_context():
        device = db.session.scalar(select(Device))
        device.credential_issued_at = utcnow() - timedelta(days=days)
        db.session.commit()


def test_rotation_is_asked_for_when_the_credential_is_old(app, world, client):
    _, credential = enrol(app, [world.north])
    age_credential(app, 6)
    assert "X-Comptoir-Rotate" not in api(client, "GET", "/api/device", credential).headers
    age_credential(app, 7)
    answer = api(client, "GET", "/api/device", credential)
    assert answer.headers["X-Comptoir-Rotate"] == "true" and answer.get_json()["rotate"] is True

    rotated = api(client, "POST", "/api/device/rotate", credential, json={})
    assert rotated.status_code == 200 and "X-Comptoir-Rotate" not in rotated.headers
    new = rotated.get_json()["credential"]
    assert new != credential
    answer = api(client, "GET", "/api/device", new)
    assert answer.status_code == 200 and answer.get_json()["rotate"] is False


def test_a_lost_rotation_answer_never_locks_the_phone_out(app, world, client):
    _, first = enrol(app, [world.north])
    second = api(client, "POST", "/api/device/rotate", first).get_json()["credential"]  # the answer is "lost"

    still = api(client, "GET", "/api/device", first)
    assert still.status_code == 200  # the old credential still works…
    assert still.headers["X-Comptoir-Rotate"] == "true"  # …and the phone is asked to rotate again
    third = api(client, "POST", "/api/device/rotate", first).get_json()["credential"]
    assert reason(api(client, "GET", "/api/device", second)) == "device_unknown"  # never received: dropped
    assert api(client, "GET", "/api/device", first).status_code == 200

    assert api(client, "GET", "/api/device", third).status_code == 200  # the new one arrives…
    gone = api(client, "GET", "/api/device", first)  # …and the old one is dropped
    assert (gone.status_code, reason(gone)) == (401, "device_unknown")
    with app.app_context():
        device = db.session.scalar(select(Device))
        assert device.previous_credential_hash is None
        assert device.credential_hash == hashlib.sha256(third.encode()).hexdigest()


def test_concurrent_rotations_cannot_both_win(app, world):
    enrol(app, [world.north])
    with app.app_context():
        device = db.session.scalar(select(Device))
        used = device.credential_hash
        read_before = SimpleNamespace(id=device.id, credential_hash=used)  # what a concurrent request had read
        rotate_credential(device, used)
        with pytest.raises(DeviceRefused) as refused:
            rotate_credential(read_before, used)
        assert refused.value.reason == "rotation_conflict"


# Shifts.


def test_shift_start_checks_the_volunteers_points(app, world, client, monkeypatch):
    public_id, credential = enrol(app, [world.north])
    options = api(client, "POST", "/api/shifts/options", credential, json={"email": "VOL@example.org"})
    assert options.status_code == 200
    assert set(options.get_json()) == {"ceremony", "options"}
    assert options.get_json()["options"]["userVerification"] == "required"

    chosen = {}

    def fake_finish(ceremony, credential):  # the real check runs in the browser test
        return SimpleNamespace(user=db.session.get(User, chosen["user"]))

    monkeypatch.setattr(server.api.shifts, "finish_authentication", fake_finish)
    chosen["user"] = world.stranger
    refused = api(client, "POST", "/api/shifts", credential, json={"ceremony": "c", "credential": {"id": "x"}})
    assert (refused.status_code, reason(refused)) == (403, "forbidden_point")

    chosen["user"] = world.volunteer
    started = api(client, "POST", "/api/shifts", credential, json={"ceremony": "c", "credential": {"id": "x"}})
    assert started.status_code == 201
    shift = started.get_json()["shift"]
    assert shift["user"] == {"id": world.volunteer, "display_name": "Victor"}
    with app.app_context():
        stored = db.session.scalar(select(Shift))
        assert stored.public_id == shift["id"]
        assert stored.token_hash == hashlib.sha256(shift["token"].encode()).hexdigest()
        assert datetime.fromisoformat(shift["valid_until"]) == stored.valid_until
        assert db.session.scalar(select(Device)).last_user_id == world.volunteer

    me = api(client, "GET", "/api/me", credential, shift["token"])
    assert me.status_code == 200
    body = me.get_json()
    assert body["volunteer"]["display_name"] == "Victor" and body["device"]["id"] == public_id
    assert [p["id"] for p in body["points"]] == [world.north]
    assert [d["id"] for d in body["distributions"]] == [world.north_distribution]

    with app.app_context(), pytest.raises(ShiftRefused) as by_domain:
        start_shift(db.session.scalar(select(Device)), db.session.get(User, world.stranger))
    assert by_domain.value.reason == "forbidden_point"


def test_a_refused_passkey_is_a_clear_401(app, world, client):
    _, credential = enrol(app, [world.north])
    answer = api(client, "POST", "/api/shifts", credential, json={"ceremony": "nope", "credential": {"id": "x"}})
    assert (answer.status_code, reason(answer)) == (401, "passkey_unknown_ceremony")
    started = api(client, "POST", "/api/shifts/options", credential, json={}).get_json()
    answer = api(
        client, "POST", "/api/shifts", credential, json={"ceremony": started["ceremony"], "credential": "{broken"}
    )
    assert (answer.status_code, reason(answer)) == (401, "passkey_invalid")
    again = api(
        client, "POST", "/api/shifts", credential, json={"ceremony": started["ceremony"], "credential": {"id": "x"}}
    )
    assert reason(again) == "passkey_used"


def test_unknown_email_gets_username_less_options(app, world, client):
    _, credential = enrol(app, [world.north])
    answer = api(client, "POST", "/api/shifts/options", credential, json={"email": "nobody@example.org"})
    assert answer.status_code == 200 and answer.get_json()["options"].get("allowCredentials", []) == []


def test_expired_ended_and_foreign_shifts_are_refused(app, world, client):
    public_id, credential = enrol(app, [world.north], "A")
    _, other_credential = enrol(app, [world.north], "B")
    yesterday = utcnow() - timedelta(days=1)
    old = shift_for(app, public_id, world.volunteer, now=yesterday)
    answer = api(client, "GET", "/api/me", credential, old)
    assert (answer.status_code, reason(answer)) == (401, "shift_expired")
    device_answer = api(client, "GET", "/api/device", credential, old).get_json()
    assert device_answer["shift"] is None and device_answer["shift_refused"] == "shift_expired"

    token = shift_for(app, public_id, world.volunteer)
    foreign = api(client, "GET", "/api/me", other_credential, token)
    assert (foreign.status_code, reason(foreign)) == (403, "shift_wrong_device")
    assert api(client, "GET", "/api/device", credential, token).get_json()["shift"]["user"]["id"] == world.volunteer

    missing = api(client, "GET", "/api/me", credential)
    assert (missing.status_code, reason(missing)) == (401, "shift_required")
    unknown = api(client, "GET", "/api/me", credential, "forged")
    assert (unknown.status_code, reason(unknown)) == (401, "shift_unknown")

    ended = api(client, "DELETE", "/api/shifts/current", credential, token)
    assert ended.status_code == 200 and ended.get_json()["shift"]["ended_at"]
    after = api(client, "GET", "/api/me", credential, token)
    assert (after.status_code, reason(after)) == (401, "shift_ended")


def test_signing_in_again_replaces_the_earlier_shift(app, world, client):
    public_id, credential = enrol(app, [world.north])
    first = shift_for(app, public_id, world.volunteer)
    second = shift_for(app, public_id, world.volunteer)
    assert reason(api(client, "GET", "/api/me", credential, first)) == "shift_ended"
    assert api(client, "GET", "/api/me", credential, second).status_code == 200


def test_shift_lasts_until_midnight_in_the_network_timezone(app, world):
    public_id, _ = enrol(app, [world.north])
    shift_for(app, public_id, world.volunteer, now=datetime(2026, 7, 14, 21, 30, tzinfo=UTC))  # 23:30 in Paris
    with app.app_context():
        assert db.session.scalar(select(Shift.valid_until)) == datetime(2026, 7, 14, 22, 0, tzinfo=UTC)


# Who may act on which distribution.


MATRIX = [
    # (who, device points, distribution, expected status, reason)
    ("volunteer", ["north"], "north", 200, None),
    ("coordinator", ["north"], "north", 200, None),
    ("admin", ["north"], "north", 200, None),
    ("admin", ["north"], "south", 403, "forbidden_point"),  # the device does not serve south
    ("stranger", ["north", "south"], "north", 403, "forbidden_point"),  # the volunteer does not work at north
    ("volunteer", ["north", "south"], "south", 403, "forbidden_point"),
    ("stranger", ["north", "south"], "south", 200, None),
    ("volunteer", ["north"], "missing", 404, "distribution_unknown"),
    ("volunteer", ["north"], "revoked", 403, "device_revoked"),
]


@pytest.mark.parametrize(("who", "device_points", "target", "status", "why"), MATRIX)
def test_require_distribution(app, world, client, who, device_points, target, status, why):
    points = {"north": world.north, "south": world.south}
    public_id, credential = enrol(app, [points[p] for p in device_points])
    token = shift_for(app, public_id, getattr(world, who))
    distribution_id = {
        "north": world.north_distribution,
        "south": world.south_distribution,
        "revoked": world.north_distribution,
        "missing": 424242,
    }[target]
    if target == "revoked":
        with app.app_context():
            device = db.session.scalar(select(Device))
            device.revoked_at = utcnow()
            db.session.commit()
    answer = api(client, "GET", f"/api/distributions/{distribution_id}", credential, token)
    assert answer.status_code == status, answer.get_json()
    if why:
        assert reason(answer) == why
    else:
        body = answer.get_json()["distribution"]
        assert body["id"] == distribution_id and body["orders"] == 0


def test_distribution_needs_a_shift(app, world, client):
    _, credential = enrol(app, [world.north])
    answer = api(client, "GET", f"/api/distributions/{world.north_distribution}", credential)
    assert (answer.status_code, reason(answer)) == (401, "shift_required")


# Strict bodies: every malformed request is a clear 4xx, never a 500.


MALFORMED = [
    ("{", "application/json", 400, "invalid_body", None),
    ("[1, 2]", "application/json", 400, "invalid_body", None),
    ('"token"', "application/json", 400, "invalid_body", None),
    ("null", "application/json", 400, "invalid_body", None),
    (b"\xff\xfe{}", "application/json", 400, "invalid_body", None),  # not UTF-8
    ("[" * 100_000, "application/json", 413, "body_too_large", None),
    ("[" * 20_000 + "]" * 20_000, "application/json", 400, "invalid_body", None),
    ('{"token": "abc"}', "text/plain", 400, "invalid_body", None),
    ("{}", "application/json", 400, "invalid_field", "token"),
    ('{"token": 5}', "application/json", 400, "invalid_field", "token"),
    ('{"token": true}', "application/json", 400, "invalid_field", "token"),
    ('{"token": ["a"]}', "application/json", 400, "invalid_field", "token"),
    ('{"token": "   "}', "application/json", 400, "invalid_field", "token"),
    ('{"token": "' + "a" * 500 + '"}', "application/json", 400, "invalid_field", "token"),
    ('{"token": "abc", "name": 12}', "application/json", 400, "invalid_field", "name"),
    ('{"token": "abc", "name": "' + "n" * 81 + '"}', "application/json", 400, "invalid_field", "name"),
    ('{"token": "abc", "admin": true}', "application/json", 400, "invalid_field", "admin"),
    ('{"token": "abc"}' + " " * 70_000, "application/json", 413, "body_too_large", None),
    ('{"token": "a\\u0000b"}', "application/json", 400, "invalid_body", None),  # PostgreSQL text refuses NUL
    ('{"token": "abc", "name": {"\\u0000": 1}}', "application/json", 400, "invalid_body", None),
]


@pytest.mark.parametrize(("body", "content_type", "status", "why", "field"), MALFORMED)
def test_malformed_enrolment_bodies(app, client, body, content_type, status, why, field):
    data = body if isinstance(body, bytes) else body.encode()
    answer = client.post("/api/devices/enrol", data=data, content_type=content_type)
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    assert reason(answer) == why
    if field:
        assert answer.get_json()["error"]["field"] == field


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/shifts", {}, "ceremony"),
        ("/api/shifts", {"ceremony": "c"}, "credential"),
        ("/api/shifts", {"ceremony": "c", "credential": 5}, "credential"),
        ("/api/shifts", {"ceremony": ["c"], "credential": {}}, "ceremony"),
        ("/api/shifts", {"ceremony": "c" * 65, "credential": {}}, "ceremony"),
        ("/api/shifts/options", {"email": 7}, "email"),
        ("/api/shifts/options", {"email": "e" * 300}, "email"),
        ("/api/shifts/options", {"user": "x"}, "user"),
        ("/api/device/rotate", {"credential": "mine"}, "credential"),
    ],
)
def test_malformed_device_bodies(app, world, client, path, body, field):
    _, credential = enrol(app, [world.north])
    answer = api(client, "POST", path, credential, json=body)
    assert answer.status_code == 400, answer.get_json()
    assert reason(answer) == "invalid_field" and answer.get_json()["error"]["field"] == field


def test_api_answers_json_for_unknown_routes_and_methods(app, client):
    assert client.get("/api/nothing-here").is_json
    wrong_method = client.get("/api/devices/enrol")
    assert wrong_method.status_code == 405 and wrong_method.is_json


def test_app_shell_is_served(app, client):
    for path in ("/app/", "/app/enrol"):
        page = client.get(path)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert '<script type="module" src="/assets/app.js">' in html
        assert "<script>" not in html and "style=" not in html


def test_nul_in_a_passkey_answer_is_refused_not_a_server_error(app, world, client):
    """Found by the OpenAPI fuzzer on PostgreSQL, whose text columns cannot hold NUL."""
    _, credential = enrol(app, [world.north])
    answer = api(client, "POST", "/api/shifts", credential, json={"ceremony": "c\u0000", "credential": {}})
    assert answer.status_code == 400 and reason(answer) == "invalid_body"
