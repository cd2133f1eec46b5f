"""A simulated phone for the demo's past: enrolled, signed in and uploading exactly as the app does.

The phone is enrolled by a coordinator (``create_enrolment`` / ``redeem_enrolment``), a volunteer signs in on it
(``start_shift``), it records events chained as the app chains them (``sync.chain``: one chain per device and
distribution, ``seq`` from 1, ``prev_hash`` the hash of the event before), signs each with its device key (made from
its name, registered at enrolment: ``sync.signatures``) and uploads them through ``store_upload``,
the function behind ``POST /api/events``: what the demo's past holds (logs, ledger postings, conflicts) is what real
phones would have left. Times are given explicitly: the phone says when it recorded each event, the domain when the
shift started.
"""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.domain.devices import authenticate_device, create_enrolment, redeem_enrolment
from server.domain.events import store_upload
from server.domain.packs import inputs_digests, note_held_pack
from server.domain.shifts import end_shift, start_shift
from server.extensions import db
from server.models import Device, Distribution, Point, Shift, User
from sync.chain import event_hash
from sync.events import SCHEMA_VERSION, format_time, new_event_id, parse_event
from sync.signatures import SIGNATURE_FIELD, public_key_text, sign

UPLOAD_BATCH = 500  # the app's largest upload (``server.api.events.MAX_UPLOAD_EVENTS`` allows more)


class DemoUploadRefused(Exception):
    """The ingest did not accept every event of a demo phone's upload: the demo would not be what phones make."""


@dataclass
class DemoPhone:
    """An enrolled phone: its chain per distribution, the signed-in volunteer, and the events not yet uploaded."""

    device: Device
    credential: str  # what the phone sends with each call (``Authorization``)
    key: Ed25519PrivateKey  # the device key it signs its events with
    rng: random.Random  # the random part of event ids, so the same seed gives the same ids
    chains: dict[int, tuple[int, str | None]] = field(default_factory=dict)  # distribution → (seq, hash) of its last
    volunteer: User | None = None
    shift: Shift | None = None
    outbox: list[dict[str, Any]] = field(default_factory=list)
    accepted: int = 0

    @classmethod
    def enrol(cls, coordinator: User, name: str, point: Point, at: datetime, rng: random.Random) -> "DemoPhone":
        """A coordinator creates the enrolment QR code and the phone scans it at once."""
        _, token = create_enrolment(coordinator, name, [point], now=at)
        # From its name, not from ``rng``: the day the seed plays stays the same. Not a secret: no phone holds it.
        key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"comptoir demo phone {name}".encode()).digest())
        device, credential = redeem_enrolment(token, now=at, public_key=public_key_text(key))
        return cls(device, credential, key, rng)

    def sign_in(self, volunteer: User, at: datetime) -> None:
        self.shift, _token = start_shift(self.device, volunteer, now=at)
        self.volunteer = volunteer

    def sign_out(self, at: datetime) -> None:
        if self.shift is not None:
            end_shift(self.shift, now=at)
        self.shift = self.volunteer = None

    def record(self, distribution_id: int, at: datetime, kind: str, payload: dict[str, Any]) -> str:
        """Record one event at ``at`` (the phone's clock) and return its id, as ``record()`` in pwa/src/events.js."""
        assert self.volunteer is not None, "a volunteer signs in before the phone records anything"
        seq, prev_hash = self.chains.get(distribution_id, (0, None))
        data = {
            "id": new_event_id(int(at.timestamp() * 1000), self.rng.getrandbits(74)),
            "type": kind,
            "schema_version": SCHEMA_VERSION,
            "device_id": self.device.public_id,
            "volunteer_id": self.volunteer.id,
            "distribution_id": distribution_id,
            "device_time": format_time(at),
            "seq": seq + 1,
            "prev_hash": prev_hash,
            "payload": payload,
        }
        event = parse_event(data)
        self.chains[distribution_id] = (seq + 1, event_hash(event))
        self.outbox.append({**data, SIGNATURE_FIELD: sign(event, self.key)})
        return data["id"]

    def hold_pack(self, distribution_id: int) -> None:
        """Download the distribution's pack, as ``GET /api/distributions/<id>/pack`` notes it (``HeldPack``)."""
        distribution = db.session.get(Distribution, distribution_id)
        digest = inputs_digests([distribution_id])[distribution_id]
        note_held_pack(self.device, distribution, digest, digest)

    def call(self, at: datetime) -> None:
        """Any call to the server: the device is authenticated by its credential and seen at ``at``."""
        authenticate_device(self.credential, now=at)

    def report_pending(self, at: datetime) -> int:
        """A call saying how many actions wait to be sent (``X-Comptoir-Pending``), as the app does; no upload."""
        self.call(at)
        self.device.pending_events = len(self.outbox)
        return len(self.outbox)

    def upload(self, at: datetime) -> None:
        """Send the outbox at ``at`` through the phones' ingest; every event must come back ``accepted``."""
        self.call(at)
        for start in range(0, len(self.outbox), UPLOAD_BATCH):
            batch = self.outbox[start : start + UPLOAD_BATCH]
            results = store_upload(self.device, batch).plan.results
            refused = [result.json() for result in results if result.status != "accepted"]
            if refused:
                raise DemoUploadRefused(f"{self.device.name}: {refused[:3]}")
            self.accepted += len(batch)
        self.outbox.clear()
        self.device.last_sync_at = at  # store_upload noted the loader's now
