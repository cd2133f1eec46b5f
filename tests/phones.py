"""A phone in tests: an enrolled device with a volunteer's shift that records chained events and syncs them."""

import gzip
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient

from server.clock import utcnow
from server.extensions import db
from server.models import Device, Point, User
from sync.chain import event_hash
from sync.events import format_time, new_event_id, parse_event
from sync.signatures import public_key_text, sign


@dataclass
class Phone:
    app: Flask
    client: FlaskClient
    device_id: str  # public id
    volunteer_id: int
    credential: str
    shift_token: str
    chains: dict[int, tuple[int, str | None]] = field(default_factory=dict)  # distribution → (last seq, its hash)
    sent: list[dict[str, Any]] = field(default_factory=list)
    key: Ed25519PrivateKey | None = None  # the device key registered at enrolment (``enrol_phone(keyed=True)``)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Device {self.credential}", "X-Comptoir-Shift": self.shift_token}

    def record(self, type: str, payload: dict[str, Any], distribution_id: int, at: datetime | None = None) -> dict:
        """The next event of this phone's hash chain for that distribution, as the app would write it."""
        seq, prev_hash = self.chains.get(distribution_id, (0, None))
        event = {
            "id": new_event_id(),
            "type": type,
            "schema_version": 1,
            "device_id": self.device_id,
            "volunteer_id": self.volunteer_id,
            "distribution_id": distribution_id,
            "device_time": format_time(at or utcnow()),
            "seq": seq + 1,
            "prev_hash": prev_hash,
            "payload": payload,
        }
        self.chains[distribution_id] = (seq + 1, event_hash(parse_event(event)))
        self.sent.append(event)
        return event

    def signed(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event with this phone's ``signature`` beside its fields, as the app uploads it."""
        assert self.key is not None, "enrol the phone with keyed=True"
        return event | {"signature": sign(parse_event(event), self.key)}

    def push(self, events: list[Any], compress: bool = False):
        body = json.dumps({"events": events}).encode()
        headers = dict(self.headers)
        if compress:
            body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
        return self.client.post("/api/events", data=body, content_type="application/json", headers=headers)

    def pull(self, distribution_id: int, since: str = "0", **params: Any):
        query = {"since": since, **params}
        return self.client.get(f"/api/distributions/{distribution_id}/events", query_string=query, headers=self.headers)


def enrol_phone(app: Flask, point_ids: list[int], volunteer_id: int, name: str = "Phone", keyed: bool = False) -> Phone:
    """Enrol a phone for the points and start the volunteer's shift on it, through the domain (as the admin page and
    a passkey sign-in would); the shift starts a minute ago so events recorded "now" fall inside it. ``keyed``: the
    phone makes a device key and registers it at enrolment, as the app does."""
    from server.domain.devices import create_enrolment, redeem_enrolment
    from server.domain.shifts import start_shift

    with app.app_context():
        admin = db.session.query(User).filter_by(role="admin").first()
        if admin is None:
            admin = User(email="admin@example.org", role="admin")
            db.session.add(admin)
        points = [db.session.get(Point, point_id) for point_id in point_ids]
        _offer, token = create_enrolment(admin, name, points)
        key = Ed25519PrivateKey.generate() if keyed else None
        device, credential = redeem_enrolment(token, public_key=public_key_text(key) if key else None)
        _shift, shift_token = start_shift(
            device, db.session.get(User, volunteer_id), now=utcnow() - timedelta(minutes=1)
        )
        db.session.commit()
        public_id = db.session.get(Device, device.id).public_id
    return Phone(app, app.test_client(), public_id, volunteer_id, credential, shift_token, key=key)
