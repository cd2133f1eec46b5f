"""Uploads as real phones make them: random batches in random order with repeats and retries give the projection
of the set, nothing twice, nothing missing; an answer lost after the server committed changes nothing on retry.
On SQLite and PostgreSQL, through the real endpoint."""

import http.client
import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, func, select

from server.clock import utcnow
from server.domain.events import check_stale_conflicts, distribution_events, distribution_state, projection_orders
from server.extensions import db
from server.models import Conflict, Distribution, Household, Order, OrderLine, Point, Product, SyncedEvent, Tier, User
from sync.events import parse_event
from sync.projection import project
from tests.phones import Phone, enrol_phone
from tests.served import serving

ORDERS_PER_DISTRIBUTION = 4


@pytest.fixture
def network(app):
    with app.app_context():
        point = Point(name="Luzard", town="Noisiel")
        tier = Tier(name="Tarif solidaire", share_percent=70)
        product = Product(code="LEG-M", name="Panier M", unit_price_cents=1500)
        households = [Household(first_name=f"M{i}", last_name="Diallo", tier=tier, point=point) for i in range(4)]
        volunteers = [User(email=f"v{i}@example.org", role="volunteer", points=[point]) for i in range(2)]
        db.session.add_all([product, *households, *volunteers])
        db.session.commit()
        ids = {"point": point.id, "product": product.id, "households": [h.id for h in households]}
        ids["volunteers"] = [v.id for v in volunteers]
    phones = [
        enrol_phone(app, [ids["point"]], volunteer, f"Phone {n}") for n, volunteer in enumerate(ids["volunteers"])
    ]
    return ids, phones


def new_distribution(app, ids) -> tuple[int, list[int]]:
    with app.app_context():
        now = utcnow()
        distribution = Distribution(
            point_id=ids["point"], starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
        )
        orders = [
            Order(distribution=distribution, household_id=household, share_percent=70)
            for household in ids["households"][:ORDERS_PER_DISTRIBUTION]
        ]
        for order in orders:
            order.lines = [OrderLine(product_id=ids["product"], quantity=2, unit_price_cents=1500)]
        db.session.add_all(orders)
        db.session.commit()
        return distribution.id, [order.id for order in orders]


ACTIONS = st.lists(
    st.tuples(
        st.integers(0, 1),  # which phone
        st.sampled_from(["handover_all", "handover_refused", "payment", "void", "note"]),
        st.integers(0, ORDERS_PER_DISTRIBUTION - 1),
        st.integers(1, 4000),  # an amount in cents
    ),
    min_size=1,
    max_size=25,
)


def record(phones: list[Phone], distribution: int, orders: list[int], actions) -> list[dict]:
    events: list[dict] = []
    for phone_index, kind, order_index, amount in actions:
        phone, order = phones[phone_index], orders[order_index]
        if kind.startswith("handover"):
            outcome = "all" if kind == "handover_all" else "refused"
            events.append(phone.record("handover", {"order_id": order, "outcome": outcome}, distribution))
        elif kind == "payment":
            payload = {"order_id": order, "amount_cents": amount, "method": "cash"}
            events.append(phone.record("payment", payload, distribution))
        elif kind == "void" and events:
            target = events[amount % len(events)]["id"]
            events.append(phone.record("void", {"event_id": target, "reason": "erreur"}, distribution))
        else:
            events.append(phone.record("note", {"text": f"note {amount}"}, distribution))
    return events


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(actions=ACTIONS, data=st.data())
def test_any_batches_in_any_order_give_the_projection_of_the_set(app, network, actions, data):
    ids, phones = network
    distribution, orders = new_distribution(app, ids)
    events = record(phones, distribution, orders, actions)
    by_phone = {phone.device_id: [e for e in events if e["device_id"] == phone.device_id] for phone in phones}
    uploads = []
    for phone in phones:  # each phone uploads its own events in batches, some of them again (a retry)
        mine = by_phone[phone.device_id]
        cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(mine) - 1)), max_size=4)))
        batches = [mine[a:b] for a, b in zip([0, *cuts], [*cuts, len(mine)], strict=True) if mine[a:b]]
        repeats = data.draw(st.lists(st.sampled_from(batches), max_size=3)) if batches else []
        uploads += [(phone, batch) for batch in batches + repeats]
    uploads = data.draw(st.permutations(uploads))
    for phone, batch in uploads:
        answer = phone.push(batch)
        assert answer.status_code == 200, answer.get_json()
        assert {r["status"] for r in answer.get_json()["results"]} <= {"accepted", "duplicate"}

    with app.app_context():
        stored = db.session.scalars(select(SyncedEvent.event_id).where(SyncedEvent.distribution_id == distribution))
        assert sorted(stored) == sorted(e["id"] for e in events)  # every event once, none missing
        state, _conflicts = distribution_state(db.session.get(Distribution, distribution))
        expected = project(projection_orders(distribution), [parse_event(e) for e in events])
    assert state == expected


# The connection cut after the server committed, before the phone read the answer.


@pytest.fixture
def served(app):
    with serving(app, threads=2) as server:
        yield server.effective_port


def stored(app, distribution: int) -> int:
    with app.app_context():
        query = select(func.count(SyncedEvent.position)).where(SyncedEvent.distribution_id == distribution)
        return db.session.scalar(query)


def test_an_answer_lost_after_the_commit_then_a_retry(app, network, served):
    ids, phones = network
    phone = phones[0]
    distribution, orders = new_distribution(app, ids)
    events = [phone.record("handover", {"order_id": o, "outcome": "all"}, distribution) for o in orders]
    body = json.dumps({"events": events}).encode()

    # Send the upload and hang up without reading a byte of the answer.
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    connection.request("POST", "/api/events", body=body, headers={"Content-Type": "application/json", **phone.headers})
    connection.sock.close()
    deadline = time.monotonic() + 10
    while stored(app, distribution) < len(events):  # the server went on and committed
        assert time.monotonic() < deadline, "the server did not store the upload"
        time.sleep(0.05)

    # The phone never saw the answer, so it sends the same batch again.
    retry = phone.push(events)
    assert retry.status_code == 200
    assert [r["status"] for r in retry.get_json()["results"]] == ["duplicate"] * len(events)
    assert stored(app, distribution) == len(events)  # nothing doubled, nothing lost


# Two phones upload at the same moment while the scheduled check runs: the conflict is stored, once.


def test_a_conflict_between_two_uploads_during_a_check_is_stored_once(app, network):
    """Each round, both phones hand over the same order and upload at the same instant while the conflict check
    (``sync check-conflicts``) runs over and over on other connections. Whatever the interleaving, once the
    uploads are answered, one more check stores the double hand-over exactly once and leaves nothing flagged: an
    upload that commits after a check took the flag flags its distribution again."""
    ids, phones = network
    with serving(app) as server:
        for _ in range(6):
            distribution, orders = new_distribution(app, ids)
            bodies = [
                json.dumps({"events": [p.record("handover", {"order_id": orders[0], "outcome": "all"}, distribution)]})
                for p in phones
            ]
            start = threading.Barrier(len(phones) + 1)
            statuses: list[int] = []
            uploading = threading.Event()
            uploading.set()

            def upload(phone: Phone, body: str, start=start, statuses=statuses) -> None:
                connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)
                headers = {"Content-Type": "application/json", **phone.headers}
                start.wait()
                connection.request("POST", "/api/events", body=body.encode(), headers=headers)
                statuses.append(connection.getresponse().status)
                connection.close()

            def check(start=start, uploading=uploading) -> None:
                start.wait()
                while uploading.is_set():
                    with app.app_context():
                        check_stale_conflicts()

            workers = [threading.Thread(target=upload, args=pair) for pair in zip(phones, bodies, strict=True)]
            checker = threading.Thread(target=check)
            for worker in [*workers, checker]:
                worker.start()
            for worker in workers:
                worker.join(30)
            uploading.clear()
            checker.join(30)
            assert statuses == [200, 200]
            with app.app_context():
                check_stale_conflicts()
                kinds = db.session.scalars(select(Conflict.kind).where(Conflict.distribution_id == distribution)).all()
                flagged = db.session.scalar(select(func.count()).where(Distribution.conflicts_stale.is_(True)))
            assert kinds == ["double_handover"] and flagged == 0


# Reading a distribution's events again: only what came after, and never what another database holds.


def test_a_distribution_read_again_reads_only_its_new_events_and_never_a_stale_copy(app, network):
    ids, (phone, _other) = network
    distribution, orders = new_distribution(app, ids)
    first = [phone.record("handover", {"order_id": order, "outcome": "all"}, distribution) for order in orders[:3]]
    assert phone.push(first).status_code == 200
    with app.app_context():
        engine = db.engine
        assert [item.event.id for item in distribution_events(distribution)] == [e["id"] for e in first]
    later = [phone.record("note", {"text": f"Note {n}"}, distribution) for n in range(2)]
    assert phone.push(later).status_code == 200
    statements: list[tuple[str, Any]] = []

    def note(_conn, _cursor, statement, parameters, *_args) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        with app.app_context():
            again = [item.event.id for item in distribution_events(distribution)]
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert again == [e["id"] for e in [*first, *later]]
    # The second read asked only for what came after the first one's last event.
    reads = [(s, p) for s, p in statements if "events.payload" in s]
    parameters = reads[0][1].values() if isinstance(reads[0][1], dict) else reads[0][1]
    assert len(reads) == 1 and first_position(app, first[-1]["id"]) in list(parameters)

    # The same database address, other contents (a restored backup, a test schema made again): read afresh.
    with app.app_context():
        db.session.execute(delete(SyncedEvent))
        db.session.commit()
    other = [phone.record("handover", {"order_id": orders[-1], "outcome": "all"}, distribution)]
    assert phone.push(other).status_code == 200
    with app.app_context():
        assert [item.event.id for item in distribution_events(distribution)] == [other[0]["id"]]


def first_position(app, event_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(SyncedEvent.position).where(SyncedEvent.event_id == event_id))
