"""The demo's past: closed distributions played by simulated phones through the phones' ingest.

The logs, ledger and conflicts the loader leaves are counted against the plan it followed (``DayPlan``), so a phone
event refused, lost or written around the ingest shows. Runs on SQLite and PostgreSQL; the demo is loaded once per
database for the tests that only read it (``loaded``).
"""

from collections import Counter
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from server.demo import data
from server.demo.loader import load_demo_network
from server.domain.events import distribution_state
from server.domain.ledger_events import floor_cents
from server.domain.producer_reports import distribution_report
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    Cheque,
    Conflict,
    Device,
    Distribution,
    Extra,
    HeldPack,
    OrderLine,
    Product,
    Shift,
    SyncedEvent,
)
from server.models.distribution import distribution_volunteers
from sync.projection import COLLECTED, PARTIALLY_COLLECTED
from tests.helpers import ON_SQLITE_ONLY

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 3, 24)  # a Tuesday: the Luzard (Noisiel) distributes today


def load(app, seed: int = 2026):
    with app.app_context():
        loaded = load_demo_network(today=TODAY, seed=seed)
        db.session.commit()
    return loaded.past


@pytest.fixture(scope="module")
def loaded(module_app):
    """The demo loaded once for the module's tests that only read it: the app and the loader's plans."""
    return module_app, load(module_app)


def event_key(kind: str, payload: dict) -> str:
    """The plan's name for an event: its type, with the outcome, method or count kind that tells it apart."""
    detail = payload.get("outcome") or payload.get("method") or payload.get("kind")
    return f"{kind}:{detail}" if detail and kind != "top_up" else kind


def test_the_logs_match_the_plan_the_phones_followed(loaded):
    app, plans = loaded
    assert len(plans) == 32  # four past weeks at eight points
    with app.app_context():
        stored: dict[int, Counter] = {plan.distribution_id: Counter() for plan in plans}
        for distribution_id, kind, payload in db.session.execute(
            select(SyncedEvent.distribution_id, SyncedEvent.type, SyncedEvent.payload)
        ):
            stored[distribution_id][event_key(kind, payload)] += 1
        orders = collected = 0
        for plan in plans:
            assert stored[plan.distribution_id] == plan.events, plan.distribution_id
            distribution = db.session.get(Distribution, plan.distribution_id)
            state, _ = distribution_state(distribution)
            statuses = Counter(order.status for order in state.orders)
            assert len(state.orders) == plan.orders
            assert statuses[COLLECTED] + statuses[PARTIALLY_COLLECTED] == plan.collected
            assert 0.78 <= plan.collected / plan.orders <= 0.95, plan
            # every phone counted its cash box at the opening and the closing
            phones = 2 if plan.events["cash_count:opening"] == 2 else 1
            assert plan.events["cash_count:opening"] == plan.events["cash_count:closing"] == phones
            assert len(state.cash) == phones and all(box.counted for box in state.cash)
            orders += plan.orders
            collected += plan.collected
        assert 0.80 <= collected / orders <= 0.95

        everything = sum((plan.events for plan in plans), Counter())
        for method in ("cash", "cheque", "card", "transfer", "prepaid", "allowance"):
            assert everything[f"payment:{method}"] >= 20, method
        assert everything["payment:cheque"] == max(everything[f"payment:{m}"] for m in ("cash", "cheque", "card"))
        assert everything["handover:partial"] >= 10 and everything["handover:refused"] >= 5
        assert 5 <= everything["scan_refused"] <= 40 and everything["void"] >= 1 and everything["top_up"] >= 1
        # Small gaps now and then; a resolved double hand-over leaves its undone cash payment in the box as well.
        ordinary = [plan for plan in plans if not plan.resolved and not plan.rough]
        gaps = [box.difference_cents for plan in ordinary for box in cash_boxes(plan.distribution_id)]
        assert 0 < sum(gap != 0 for gap in gaps) < len(gaps) / 3
        assert all(abs(gap) <= 500 for gap in gaps if gap)
        # Last week's rough day at a two-phone point: the first box short beyond the dashboard's threshold.
        (rough,) = [plan for plan in plans if plan.rough]
        assert rough.week == -1 and rough.events["cash_count:opening"] == 2
        assert data.ROUGH_DAY_CASH_GAP in [box.difference_cents for box in cash_boxes(rough.distribution_id)]


def cash_boxes(distribution_id: int):
    state, _ = distribution_state(db.session.get(Distribution, distribution_id))
    return state.cash


def test_the_rough_days_second_phone_holds_its_pack_and_actions_it_never_sent(loaded):
    """What the dashboard calls a phone not synced comes from the phone itself: it holds last week's pack and said
    at its last call how many actions wait; none of them reached the server."""
    app, plans = loaded
    (rough,) = [plan for plan in plans if plan.rough]
    assert rough.unsent == data.ROUGH_DAY_UNSENT
    with app.app_context():
        held = db.session.scalars(select(HeldPack).where(HeldPack.distribution_id == rough.distribution_id)).all()
        (device,) = [db.session.get(Device, pack.device_id) for pack in held]
        assert device.pending_events == data.ROUGH_DAY_UNSENT
        stored = db.session.scalars(
            select(SyncedEvent.payload).where(
                SyncedEvent.distribution_id == rough.distribution_id, SyncedEvent.device_id == device.id
            )
        ).all()
        assert stored and not any(payload.get("text") == "À revoir" for payload in stored)  # the unsent notes


def test_events_came_from_enrolled_phones_within_the_distribution_hours(loaded):
    app, plans = loaded
    with app.app_context():
        devices = db.session.scalars(select(Device)).all()
        assert len(devices) == 12  # two phones at the four larger points, one elsewhere
        assert all(device.enrolled_by_id is not None and len(device.points) == 1 for device in devices)
        assert db.session.scalar(select(func.count(Shift.id))) == sum(
            plan.events["cash_count:opening"] for plan in plans
        )
        rows = db.session.execute(
            select(SyncedEvent.device_id, SyncedEvent.device_time, Distribution.starts_at, Distribution.ends_at)
            .join(Distribution, Distribution.id == SyncedEvent.distribution_id)
            .where(SyncedEvent.device_id.is_not(None))
        ).all()
        assert len(rows) == sum(sum(plan.events.values()) for plan in plans) - sum(
            plan.events["conflict_resolved"] for plan in plans
        )
        for _device, at, starts_at, ends_at in rows:
            assert starts_at - timedelta(minutes=15) <= at <= ends_at + timedelta(minutes=15)
        # each distribution's volunteers are those who held its phones
        for plan in plans:
            held = set(
                db.session.scalars(
                    select(SyncedEvent.user_id).where(
                        SyncedEvent.distribution_id == plan.distribution_id, SyncedEvent.device_id.is_not(None)
                    )
                )
            )
            assigned = set(
                db.session.scalars(
                    select(distribution_volunteers.c.user_id).where(
                        distribution_volunteers.c.distribution_id == plan.distribution_id
                    )
                )
            )
            assert held == assigned


def test_double_handovers_are_open_on_the_latest_week_and_resolved_before(loaded):
    app, plans = loaded
    doubles = [plan for plan in plans if plan.double_handover]
    assert sorted(plan.week for plan in doubles) == [-4, -3, -1]
    with app.app_context():
        conflicts = db.session.scalars(select(Conflict)).all()
        # Nothing else: no broken chain, no clock skew, no overdraft, no late event.
        assert {c.kind for c in conflicts} == {"double_handover"}
        by_distribution = {c.distribution_id: c for c in conflicts}
        assert set(by_distribution) == {plan.distribution_id for plan in doubles}
        for plan in doubles:
            conflict = by_distribution[plan.distribution_id]
            expected = "open" if plan.week == -1 else "resolved"
            assert conflict.status == expected and plan.resolved == (expected == "resolved")
            assert len(conflict.details["devices"]) == 2
            if expected == "resolved":
                distribution = db.session.get(Distribution, plan.distribution_id)
                assert distribution.ends_at < conflict.resolved_at < distribution.ends_at + timedelta(days=3)
                assert "une fois" in conflict.comment
        assert not db.session.scalar(select(func.count(Distribution.id)).where(Distribution.conflicts_stale))


def test_accounts_moved_by_the_phones_balance_and_never_overdraw(loaded):
    app, _plans = loaded
    with app.app_context():
        sums = dict(
            db.session.execute(
                select(AccountMovement.account_id, func.sum(AccountMovement.amount_cents)).group_by(
                    AccountMovement.account_id
                )
            ).all()
        )
        accounts = db.session.scalars(select(Account)).all()
        assert all(account.balance_cents == sums.get(account.id, 0) for account in accounts)
        assert all(account.balance_cents >= floor_cents(account.kind) for account in accounts)
        kinds = Counter(
            db.session.execute(select(Account.kind, AccountMovement.kind).join(AccountMovement.account)).tuples()
        )
        assert kinds["allowance", "payment"] > 50 and kinds["prepaid", "payment"] > 50
        assert kinds["prepaid", "point_top_up"] >= 1
        assert kinds["prepaid", "contract_debit"] > 20  # the bread, paid from the prepaid account (docs/contracts.md)
        posted = db.session.scalar(select(func.count(AccountMovement.id)).where(AccountMovement.event_id.is_not(None)))
        assert posted == sum(n for (_, kind), n in kinds.items() if kind in {"payment", "void", "point_top_up"})


def test_today_is_open_untouched_until_late_and_every_distribution_has_volunteers(loaded):
    app, _plans = loaded
    with app.app_context():
        today = db.session.scalars(select(Distribution).where(Distribution.status == "open")).one()
        assert today.starts_at.astimezone(PARIS).date() == TODAY
        assert today.ends_at.astimezone(PARIS).time() == time(23, 30)
        assert "23 h 30" in today.notes
        assert not db.session.scalar(
            select(func.count(SyncedEvent.event_id)).where(SyncedEvent.distribution_id == today.id)
        )
        assigned = set(db.session.scalars(select(distribution_volunteers.c.distribution_id)))
        assert assigned == set(db.session.scalars(select(Distribution.id)))


@ON_SQLITE_ONLY
def test_the_same_seed_plays_the_same_past(app):
    def past() -> tuple:
        with app.app_context():
            events = db.session.execute(
                select(SyncedEvent.event_id, SyncedEvent.type, SyncedEvent.device_time, SyncedEvent.payload).where(
                    SyncedEvent.type != "conflict_resolved"  # the server's ids are its own
                )
            ).all()
            return sorted((row[0], row[1], row[2], str(sorted(row[3].items()))) for row in events)

    first_plans = load(app)
    first = past()
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.create_all()
    again_plans = load(app)
    assert past() == first
    assert [(p.distribution_id, p.orders, p.collected, p.events) for p in again_plans] == [
        (p.distribution_id, p.orders, p.collected, p.events) for p in first_plans
    ]


def test_the_week_at_the_point_weights_shortages_and_sales(loaded):
    """The past weeks hold the network's week: cheese weighed near its estimate, a product not delivered at all and
    one delivered short (recorded before the doors opened, shown in the producers' report), extras sold to a member
    from prepaid and to anonymous buyers in cash, and no allowance paying honey or juice."""
    app, plans = loaded
    with app.app_context():
        events = db.session.execute(
            select(SyncedEvent.distribution_id, SyncedEvent.type, SyncedEvent.payload, SyncedEvent.device_time)
        ).all()
        tomme = db.session.scalar(select(Product).where(Product.code == "TOMME"))
        assert tomme.sold_by == "kg" and tomme.unit_price_cents == 2450
        weighed = [line for _, kind, p, _ in events if kind == "handover" for line in p.get("weighed", ())]
        assert len(weighed) >= 20 and {line["product_id"] for line in weighed} == {tomme.id}
        assert all(abs(line["grams"] - 500) <= 60 for line in weighed)  # about 500 g ordered
        assert {line["grams"] for line in weighed} != {500}  # the scale, not the estimate

        shortages = [(d, p, at) for d, kind, p, at in events if kind == "shortage"]
        assert len(shortages) == 2 and sorted(p["delivered"] == 0 for _, p, _ in shortages) == [False, True]
        for distribution_id, payload, at in shortages:
            distribution = db.session.get(Distribution, distribution_id)
            assert at < distribution.starts_at  # before the doors opened: every order of the product follows
            report = distribution_report(distribution)
            figures = next(
                report.producers[producer].products[payload["product_id"]]
                for producer in report.producers
                if payload["product_id"] in report.producers[producer].products
            )
            assert figures.short > 0 and figures.handed_over <= payload["delivered"]
            assert figures.ordered == figures.handed_over + figures.short + figures.refused + figures.waiting

        # Last week at Lognes the farm brought small baskets instead of medium ones: replaced for every order, the
        # farm not owed medium baskets it did not bring, the small ones owed at their price.
        substitutions = [(d, p, at) for d, kind, p, at in events if kind == "substitution"]
        assert len(substitutions) == 1
        distribution_id, payload, at = substitutions[0]
        distribution = db.session.get(Distribution, distribution_id)
        assert at < distribution.starts_at
        report = distribution_report(distribution)
        farm = next(r for r in report.producers.values() if payload["product_id"] in r.products)
        medium, small = farm.products[payload["product_id"]], farm.products[payload["by_product_id"]]
        assert medium.handed_over == 0 and medium.due_cents == 0 and medium.short == medium.ordered > 0
        assert small.handed_over >= medium.ordered - medium.waiting - medium.refused and small.due_cents > 0

        sales = [p for _, kind, p, _ in events if kind == "sale"]
        assert any(p.get("household_id") and p["method"] == "prepaid" for p in sales)
        assert any(p.get("household_id") is None and p["method"] == "cash" for p in sales)
        honey = db.session.scalar(select(Product).where(Product.code == "MIEL"))
        assert not honey.allowance_eligible
        extras = db.session.scalars(select(Extra).where(Extra.product_id == honey.id)).all()
        assert len(extras) == 3 * 5 and {extra.stock for extra in extras} == {12}  # three points, past weeks and today
        assert not db.session.scalar(select(func.count(Conflict.id)).where(Conflict.kind == "allowance_ineligible"))
        # The cheques of the two oldest weeks were handed to their producers a week later; the others wait.
        by_week: dict[int, set[str]] = {}
        for plan in plans:
            states = db.session.scalars(select(Cheque.state).where(Cheque.distribution_id == plan.distribution_id))
            by_week.setdefault(plan.week, set()).update(states)
        assert by_week == {-4: {"handed_over"}, -3: {"handed_over"}, -2: {"received"}, -1: {"received"}}
        # The eggs paid by cheques in advance are handed over and due nothing at the point.
        lines = db.session.execute(select(OrderLine.order_id, OrderLine.paid_in_advance)).all()
        at_point = {order_id for order_id, paid in lines if not paid}
        in_advance = {order_id for order_id, paid in lines if paid} - at_point
        handed = {p["order_id"] for _, kind, p, _ in events if kind == "handover" and p["outcome"] != "refused"}
        paid = {p.get("order_id") for _, kind, p, _ in events if kind == "payment"}
        assert len(in_advance & handed) >= 3 and not in_advance & paid
