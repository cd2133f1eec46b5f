"""Uploads and pulls at the same time, as a network of phones makes them: a real waitress server on 127.0.0.1 with
several threads, real HTTP connections, SQLite and PostgreSQL.

- A phone pulling while others upload receives every event exactly once: its cursor never moves past an event that
  commits later (``docs/sync-protocol.md``, "Arrival order").
- The same batch sent at once on several connections (a phone retrying while its first request still runs) is
  ``accepted`` once per event, in exactly one answer, and ``duplicate`` in the others: never a 500, never a double.
"""

import http.client
import json
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from server.clock import utcnow
from server.extensions import db
from server.models import Conflict, Distribution, Point, SyncedEvent, User
from tests.phones import Phone, enrol_phone
from tests.served import serving

SERVER_THREADS = 12
UPLOADERS = 4
UPLOADS_PER_PHONE = 30
EVENTS_PER_UPLOAD = 8


@pytest.fixture
def served(app):
    """The app behind waitress on an ephemeral port of 127.0.0.1, with enough threads for every connection."""
    with serving(app, threads=SERVER_THREADS) as server:
        yield server.effective_port


@pytest.fixture
def place(app) -> tuple[int, int, list[int]]:
    """A point, a distribution open now, and volunteers who work there: (point, distribution, volunteer ids)."""
    with app.app_context():
        point = Point(name="Luzard", town="Noisiel")
        now = utcnow()
        distribution = Distribution(point=point, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2))
        volunteers = [User(email=f"v{i}@example.org", role="volunteer", points=[point]) for i in range(UPLOADERS + 1)]
        db.session.add_all([distribution, *volunteers])
        db.session.commit()
        return point.id, distribution.id, [v.id for v in volunteers]


def call(port: int, method: str, path: str, phone: Phone, body: Any = None) -> tuple[int, dict]:
    """One request on its own connection, as a phone makes it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = dict(phone.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=headers)
        answer = connection.getresponse()
        raw = answer.read()
        try:
            return answer.status, json.loads(raw)
        except ValueError:  # a 500 from the server itself, not from the app
            return answer.status, {"body": raw[:200].decode(errors="replace")}
    finally:
        connection.close()


def notes(phone: Phone, distribution: int, count: int, label: str) -> list[dict]:
    return [phone.record("note", {"text": f"{label} {n}"}, distribution) for n in range(count)]


def stored_ids(app, distribution: int) -> list[str]:
    with app.app_context():
        query = select(SyncedEvent.event_id).where(SyncedEvent.distribution_id == distribution)
        return list(db.session.scalars(query))


def test_a_phone_pulling_during_uploads_receives_every_event_once(app, served, place):
    point, distribution, volunteers = place
    uploaders = [enrol_phone(app, [point], v, f"Phone {n}") for n, v in enumerate(volunteers[:UPLOADERS])]
    puller = enrol_phone(app, [point], volunteers[-1], "Puller")
    batches = [
        [notes(phone, distribution, EVENTS_PER_UPLOAD, f"{phone.device_id} {u}") for u in range(UPLOADS_PER_PHONE)]
        for phone in uploaders
    ]
    failures: list[Any] = []
    done = threading.Event()

    def upload(phone: Phone, phone_batches: list[list[dict]]) -> None:
        for batch in phone_batches:
            status, answer = call(served, "POST", "/api/events", phone, {"events": batch})
            if status != 200:
                failures.append((status, answer))

    received: list[str] = []
    cursor = "0"

    def pull_once() -> bool:
        nonlocal cursor
        status, answer = call(served, "GET", f"/api/distributions/{distribution}/events?since={cursor}", puller)
        if status != 200:
            failures.append((status, answer))
            return False
        received.extend(event["id"] for event in answer["events"])
        cursor = answer["cursor"]
        return answer["more"]

    def pull_until_done() -> None:
        while not done.is_set():
            pull_once()

    threads = [threading.Thread(target=upload, args=pair) for pair in zip(uploaders, batches, strict=True)]
    pulling = threading.Thread(target=pull_until_done)
    pulling.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    done.set()
    pulling.join(timeout=60)
    while pull_once():  # everything is committed now: drain what is left
        pass

    assert failures == []
    sent = [event["id"] for phone_batches in batches for batch in phone_batches for event in batch]
    assert sorted(stored_ids(app, distribution)) == sorted(sent)
    counts = Counter(received)
    assert [event_id for event_id, n in counts.items() if n > 1] == []  # nothing twice
    missed = set(sent) - set(counts)
    assert not missed, f"the puller's cursor moved past {len(missed)} of {len(sent)} events"


@pytest.mark.parametrize("connections", [2, 4, 8])
def test_the_same_batch_on_several_connections_is_accepted_once(app, served, place, connections):
    point, distribution, volunteers = place
    phone = enrol_phone(app, [point], volunteers[0], "Phone")
    for attempt in range(3):
        batch = notes(phone, distribution, 20, f"attempt {attempt}")
        barrier = threading.Barrier(connections)
        answers: list[tuple[int, dict]] = []

        def send(batch: list[dict] = batch, barrier: threading.Barrier = barrier, answers: list = answers) -> None:
            barrier.wait()
            answers.append(call(served, "POST", "/api/events", phone, {"events": batch}))

        threads = [threading.Thread(target=send) for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert [status for status, _answer in answers] == [200] * connections, answers
        for index, event in enumerate(batch):
            statuses = Counter(answer["results"][index]["status"] for _status, answer in answers)
            assert statuses == {"accepted": 1, "duplicate": connections - 1}, (index, statuses)
            assert {answer["results"][index]["id"] for _status, answer in answers} == {event["id"]}
    with app.app_context():
        count = db.session.scalar(
            select(func.count(SyncedEvent.position)).where(SyncedEvent.distribution_id == distribution)
        )
    assert count == 3 * 20
    assert len(set(stored_ids(app, distribution))) == 3 * 20


def test_resolutions_and_uploads_at_once_neither_deadlock_nor_skip(app, served, place):
    """A resolution locks its distribution and inserts a server event; an upload inserts events that check that
    distribution's row. Both take the event-log lock first, so neither waits for the other in a circle."""
    from server.domain.conflicts import resolve_conflict

    point, distribution, volunteers = place
    uploaders = [enrol_phone(app, [point], v, f"Phone {n}") for n, v in enumerate(volunteers[:3])]
    puller = enrol_phone(app, [point], volunteers[-1], "Puller")
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        conflicts = [
            Conflict(distribution_id=distribution, kind="unknown_order", key=f"unknown_order:test-{n}", event_ids=[])
            for n in range(20)
        ]
        db.session.add_all(conflicts)
        db.session.commit()
        admin_id, conflict_ids = admin.id, [c.id for c in conflicts]
    batches = [[notes(phone, distribution, 5, f"{phone.device_id} {u}") for u in range(20)] for phone in uploaders]
    failures: list[Any] = []
    resolutions: list[str] = []

    def upload(phone: Phone, phone_batches: list[list[dict]]) -> None:
        for batch in phone_batches:
            status, answer = call(served, "POST", "/api/events", phone, {"events": batch})
            if status != 200:
                failures.append((status, answer))

    def resolve() -> None:
        for conflict_id in conflict_ids:
            with app.app_context():
                try:
                    conflict = db.session.get(Conflict, conflict_id)
                    event = resolve_conflict(conflict, "accept", "vu", db.session.get(User, admin_id))
                    db.session.commit()
                    resolutions.append(event.event_id)
                except Exception as exc:  # a deadlock is what this test looks for
                    failures.append(repr(exc))

    threads = [threading.Thread(target=upload, args=pair) for pair in zip(uploaders, batches, strict=True)]
    threads.append(threading.Thread(target=resolve))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert failures == []
    received: list[str] = []
    cursor, more = "0", True
    while more:
        status, answer = call(served, "GET", f"/api/distributions/{distribution}/events?since={cursor}", puller)
        assert status == 200, answer
        received += [event["id"] for event in answer["events"]]
        cursor, more = answer["cursor"], answer["more"]
    sent = [event["id"] for phone_batches in batches for batch in phone_batches for event in batch]
    assert len(resolutions) == len(conflict_ids)
    assert sorted(received) == sorted(sent + resolutions)
