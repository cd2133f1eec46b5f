"""Posting synced events is order-free and exactly once (``server/domain/ledger_events.py``), by property, on SQLite
and PostgreSQL: random payments, voids, voids of voids and resolutions, uploaded in random batches, in random
orders, with repeats → every balance is the sum of its movements and what a plain reference gives (each payment
that stands, by the projection's rule, taken once), and re-running the posting changes nothing."""

from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from server.clock import utcnow
from server.domain.events import _row
from server.domain.ledger import account_for, post
from server.domain.ledger_events import post_synced_events
from server.extensions import db
from server.models import Account, AccountMovement, Device, Distribution, Household, Point, SyncedEvent
from sync.chain import event_hash
from sync.events import SERVER_DEVICE_ID, Event, format_time, new_event_id, parse_event
from sync.ledger import account_effects
from sync.projection import voided_ids
from tests.factories.primitives import households, order
from tests.factories.sync_api import SyncWorld, sync_world
from tests.phones import enrol_phone

OPENING = {"allowance": 3000, "prepaid": 2000}


@dataclass(frozen=True)
class Setup:
    world: SyncWorld
    device_pk: int
    device_public_id: str


@pytest.fixture
def setup(app) -> Setup:
    with app.app_context():
        world = sync_world()
    phone = enrol_phone(app, [world.point], world.volunteer, "Phone")
    with app.app_context():
        pk = db.session.scalar(select(Device.id).where(Device.public_id == phone.device_id))
    return Setup(world, pk, phone.device_id)


payments = st.lists(
    st.tuples(
        st.integers(0, 1),  # which household
        st.integers(0, 2500),  # from the allowance
        st.integers(0, 2500),  # from the prepaid balance
        st.integers(0, 1),  # a rest paid in cash
    ),
    min_size=1,
    max_size=4,
)
voids = st.lists(st.tuples(st.booleans(), st.integers(0, 50)), max_size=5)  # (a resolution?, which earlier event)


@st.composite
def histories(draw):
    """Payments and voids (by a phone or a coordinator's resolution) naming earlier events, then how they reach
    the server: a permutation, cut into batches, with some events sent again."""
    paid = draw(payments)
    undone = draw(voids)
    count = len(paid) + len(undone)
    order_sent = draw(st.permutations(range(count)))
    cuts = sorted(draw(st.sets(st.integers(1, max(count - 1, 1)), max_size=3)))
    again = draw(st.lists(st.integers(0, count - 1), max_size=3))
    return paid, undone, list(order_sent), cuts, again


def _events(setup: Setup, orders: list[int], paid, undone) -> list[Event]:
    world, start = setup.world, utcnow() - timedelta(minutes=5)
    events: list[Event] = []
    chains: dict[str, tuple[int, str | None]] = {"phone": (0, None), "server": (0, None)}

    def envelope(kind: str, payload: dict, server: bool) -> Event:
        who = "server" if server else "phone"
        seq, prev_hash = chains[who]
        event = parse_event(
            {
                "id": new_event_id(),
                "type": kind,
                "schema_version": 1,
                "device_id": SERVER_DEVICE_ID if server else setup.device_public_id,
                "volunteer_id": world.volunteer,
                "distribution_id": world.distribution,
                "device_time": format_time(start + timedelta(seconds=len(events))),
                "seq": seq + 1,
                "prev_hash": prev_hash,
                "payload": payload,
            }
        )
        chains[who] = (seq + 1, event_hash(event))
        return event

    for which, allowance, prepaid, cash in paid:
        rest = 100 if cash or not (allowance or prepaid) else 0
        method = "cash" if rest else ("allowance" if allowance and not prepaid else "prepaid")
        if not rest and allowance and prepaid:
            rest, method = 100, "cash"
        payload = {
            "order_id": orders[which],
            "amount_cents": allowance + prepaid + rest,
            "method": method,
            "from_allowance_cents": allowance,
            "from_prepaid_cents": prepaid,
        }
        events.append(envelope("payment", payload, server=False))
    for by_resolution, pick in undone:
        target = events[pick % len(events)].id
        if by_resolution:
            payload = {
                "conflict_key": f"overpayment:{pick}",
                "action": "void_event",
                "comment": "x",
                "event_id": target,
            }
            events.append(envelope("conflict_resolved", payload, server=True))
        else:
            events.append(envelope("void", {"event_id": target, "reason": ""}, server=False))
    return events


def _store(batch: list[Event], device_pk: int) -> None:
    """What ``store_upload`` and ``resolve_conflict`` do: insert what is new, then post it in the same transaction."""
    ids = [event.id for event in batch]
    stored = set(db.session.scalars(select(SyncedEvent.event_id).where(SyncedEvent.event_id.in_(ids))))
    new = list({event.id: event for event in batch if event.id not in stored}.values())
    for server in (False, True):
        mine = [event for event in new if (event.device_id == SERVER_DEVICE_ID) == server]
        if mine:
            rows = [_row(event, event_hash(event), None if server else device_pk) for event in mine]
            db.session.execute(SyncedEvent.__table__.insert(), rows)
            post_synced_events(mine, None if server else device_pk)
    db.session.commit()


def _reference(events: list[Event], household_of: dict[int, int]) -> dict[tuple[int, str], int]:
    """Opening balances plus every payment that stands (the projection's voids, resolutions included), once."""
    expected = {(household, kind): cents for household in household_of.values() for kind, cents in OPENING.items()}
    voided = voided_ids(events)
    for event in events:
        if event.id not in voided:
            for kind, cents in account_effects(event).items():
                expected[household_of[event.payload.order_id], kind] += cents
    return expected


def _check(app, setup: Setup, history) -> None:
    paid, undone, order_sent, cuts, again = history
    with app.app_context():
        point = db.session.get(Point, setup.world.point)
        here = db.session.get(Distribution, setup.world.distribution)
        tier = db.session.get(Household, setup.world.households[0]).tier
        members = households(point, [("A", "Diallo", tier), ("B", "Diallo", tier)])
        orders = [order(here, member, []) for member in members]
        db.session.add_all(orders)
        db.session.flush()
        for member in members:
            for kind, cents in OPENING.items():
                post(member.id, kind, cents, "opening")
        db.session.commit()
        order_ids = [o.id for o in orders]
        household_of = {o.id: o.household_id for o in orders}

        events = _events(setup, order_ids, paid, undone)
        arriving = [events[index] for index in order_sent] + [events[index] for index in again]
        bounds = [0, *cuts, len(arriving)]
        for start, end in pairwise(bounds):
            if arriving[start:end]:
                _store(arriving[start:end], setup.device_pk)
        post_synced_events(events, setup.device_pk)  # a re-run of everything: nothing more is posted
        db.session.commit()

        expected = _reference(events, household_of)
        for (household, kind), cents in expected.items():
            account = account_for(household, kind)
            assert account.balance_cents == account.movements_sum_cents() == cents, (household, kind)
        ids = [event.id for event in events]
        per_event = db.session.execute(
            select(AccountMovement.account_id, AccountMovement.event_id, func.count())
            .where(AccountMovement.event_id.in_(ids))
            .group_by(AccountMovement.account_id, AccountMovement.event_id)
        ).all()
        assert all(count == 1 for _account, _event, count in per_event)
        total = db.session.scalar(select(func.sum(Account.balance_cents)))
        assert total == db.session.scalar(select(func.sum(AccountMovement.amount_cents)))


def test_posting_is_order_free_and_exactly_once(app, backend, setup):
    examples = 40 if backend == "sqlite" else 15

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(histories())
    def run(history):
        _check(app, setup, history)

    run()
