"""The demo network: ``flask demo`` loads a realistic network once, the same one for the same seed and day."""

import re
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.demo import DemoRefused, load_demo
from server.domain.contract_orders import generate_distribution
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    Contract,
    Device,
    Distribution,
    Household,
    NetworkSettings,
    Order,
    OrderLine,
    Point,
    Product,
    Subscription,
    SyncedEvent,
    Tier,
    User,
)
from server.models.contracts import Absence
from sync import pricing
from tests.helpers import ON_SQLITE_ONLY

PARIS = ZoneInfo("Europe/Paris")
# A Tuesday, the Luzard's distribution day, five days before France moves to summer time (29 March 2026):
# the eight weeks around it cross the change, so a wrong timezone conversion shows.
TODAY = date(2026, 3, 24)
LOADED_AT = datetime.combine(TODAY, time(7), tzinfo=PARIS)


def load(app, today: date = TODAY, seed: int = 2026) -> str:
    with app.app_context():
        summary = load_demo(today=today, seed=seed)
        db.session.commit()
    return summary


@pytest.fixture(scope="module")
def loaded(module_app):
    """The demo loaded once for the module's tests that only read it."""
    load(module_app)
    return module_app


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@ON_SQLITE_ONLY
def test_flask_demo_loads_the_network_once(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert re.search(r"8 points .* 64 weekly distributions .* 504 households", result.output), result.output

    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0
    assert "already has 504 households and 8 points" in again.output
    assert "empty database" in again.output
    with app.app_context():
        assert (count(Household), count(Point), count(Distribution)) == (504, 8, 64)


def test_refuses_a_database_with_points(app):
    with app.app_context():
        db.session.add(Point(name="Salle polyvalente", town="Courtry"))
        db.session.commit()
        with pytest.raises(DemoRefused, match="already has 0 households and 1 points"):
            load_demo(today=TODAY)
        db.session.rollback()
        assert count(Household) == 0
        assert db.session.get(NetworkSettings, 1) is None


def test_network_points_and_distributions(loaded):
    app = loaded
    with app.app_context():
        settings = db.session.get(NetworkSettings, 1)
        assert settings.name == "Comptoirs Coopératifs de Paris-Vallée de la Marne"
        assert (settings.currency, settings.timezone) == ("EUR", "Europe/Paris")
        assert set(settings.payment_methods) == {"cash", "cheque", "card", "transfer", "prepaid", "allowance"}

        points = db.session.scalars(select(Point).options(selectinload(Point.distributions))).all()
        assert 6 <= len(points) <= 10
        assert 1 <= sum(p.ephemeral for p in points) <= 2
        assert count(Distribution) == 8 * len(points)
        for point in points:
            assert point.address and point.town in point.address
            starts = sorted(d.starts_at for d in point.distributions)
            local_days = [s.astimezone(PARIS).date() for s in starts]
            assert [b - a for a, b in pairwise(local_days)] == [timedelta(weeks=1)] * 7
            assert TODAY - timedelta(weeks=4) <= local_days[0] and local_days[-1] < TODAY + timedelta(weeks=4)
            # Same wall-clock time in Paris all season long, hence two different UTC times across the DST change.
            assert len({s.astimezone(PARIS).time() for s in starts}) == 1
            assert len({s.time() for s in starts}) == 2
            for distribution in point.distributions:
                day = distribution.starts_at.astimezone(PARIS).date()
                expected = "closed" if day < TODAY else "open" if day == TODAY else "planned"
                assert distribution.status == expected, (point.name, day)
                assert distribution.starts_at.tzinfo is not None and distribution.ends_at > distribution.starts_at

        statuses = Counter(db.session.scalars(select(Distribution.status)))
        assert statuses["closed"] == 4 * len(points)
        assert statuses["open"] == 1  # only the Luzard opens on a Tuesday
        assert statuses["open"] + statuses["planned"] == 4 * len(points)


def test_phones_sign_and_send_their_data_when_they_were_last_seen_not_when_the_demo_was_loaded(loaded):
    with loaded.app_context():
        phones = db.session.scalars(select(Device).where(Device.last_sync_at.is_not(None))).all()
        assert phones and all(phone.last_sync_at <= phone.last_seen_at for phone in phones)
        assert all(phone.public_key and phone.public_key_registered_at for phone in phones)
        by_phones = select(func.count(SyncedEvent.position)).where(SyncedEvent.device_id.is_not(None))
        assert db.session.scalar(by_phones) > 1000
        assert db.session.scalar(by_phones.where(SyncedEvent.signature.is_(None))) == 0


def test_households_tiers_and_people(loaded):
    app = loaded
    with app.app_context():
        households = db.session.scalars(select(Household).options(selectinload(Household.tier))).all()
        assert 480 <= len(households) <= 520
        shares = Counter(h.tier.share_percent for h in households)
        assert set(shares) == {100, 70, 40}
        assert 0.15 <= (shares[70] + shares[40]) / len(households) <= 0.25
        statuses = Counter(h.status for h in households)
        assert statuses["active"] / len(households) > 0.9 and statuses["suspended"] and statuses["left"]
        assert all(h.point_id is not None for h in households)

        emails = [h.email for h in households if h.email]
        assert len(emails) == len(set(emails)) and len(emails) > 0.9 * len(households)
        assert all(re.fullmatch(r"[a-z0-9.-]+@example\.org", e) for e in emails), emails
        assert all(re.fullmatch(r"06 39 98 \d\d \d\d", h.phone) for h in households)
        assert len({h.phone for h in households}) == len(households)
        assert len({h.last_name for h in households}) > 150  # a decent variety of names
        assert all(h.created_at <= LOADED_AT for h in households)

        users = db.session.scalars(select(User).options(selectinload(User.points))).all()
        roles = Counter(u.role for u in users)
        assert roles["admin"] == 0
        coordinators = [u for u in users if u.role == "coordinator"]
        assert all(u.email.startswith("coordination.") and 1 <= len(u.points) <= 2 for u in coordinators)
        point_ids = set(db.session.scalars(select(Point.id)))
        assert {p.id for u in coordinators for p in u.points} == point_ids
        volunteers = Counter(p.id for u in users if u.role == "volunteer" for p in u.points)
        assert set(volunteers) == point_ids and all(2 <= n <= 3 for n in volunteers.values())


def test_orders_and_the_pricing_rule(loaded):
    app = loaded
    with app.app_context():
        assert 10 <= count(Product) <= 15
        per_distribution = Counter(db.session.scalars(select(Order.distribution_id)))
        assert len(per_distribution) == count(Distribution)  # every distribution has orders
        assert 40 <= count(Order) / count(Distribution) <= 85
        assert max(per_distribution.values()) <= 85

        rows = db.session.execute(
            select(
                Order.id,
                OrderLine.quantity,
                OrderLine.unit_price_cents,
                Product.unit_price_cents,
                Tier.share_percent,
                Product.sold_by,
                OrderLine.paid_in_advance,
            )
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(Product, Product.id == OrderLine.product_id)
            .join(Household, Household.id == Order.household_id)
            .join(Tier, Tier.id == Household.tier_id)
        ).all()
        assert all(line_price == product_price for _, _, line_price, product_price, *_ in rows)
        expected = defaultdict(int)
        for order_id, quantity, price, _, share, sold_by, in_advance in rows:
            expected[order_id] += pricing.line_due_cents(quantity, price, share, sold_by, in_advance)
        weighed = [quantity for _, quantity, _, _, _, sold_by, _ in rows if sold_by == "kg"]
        assert weighed and set(weighed) == {500}  # the Tomme de Brie: about 500 g ordered

        orders = db.session.scalars(
            select(Order).options(
                selectinload(Order.lines),
                selectinload(Order.household).selectinload(Household.tier),
                selectinload(Order.distribution),
            )
        ).all()
        assert {order.id: order.due_cents for order in orders} == dict(expected)
        for order in orders:
            assert order.lines and order.household.status == "active"
            assert order.household.point_id == order.distribution.point_id
            assert order.created_at <= min(order.distribution.starts_at, LOADED_AT)
            share = order.share_percent
            assert share == order.household.tier.share_percent
            if not any(line.paid_in_advance for line in order.lines):  # eggs paid by cheques: due 0 at the point
                assert (order.due_cents < order.full_cents) == (share < 100)

        baskets = db.session.scalar(select(func.count(OrderLine.id)).join(Product).where(Product.code.like("PANIER-%")))
        assert baskets / len(orders) > 0.9


def test_accounts(loaded):
    app = loaded
    with app.app_context():
        households = count(Household)
        kinds = Counter(db.session.scalars(select(Account.kind)))
        assert 0.25 <= kinds["prepaid"] / households <= 0.35
        solidarity = set(db.session.scalars(select(Household.id).join(Tier).where(Tier.share_percent < 100)))
        with_allowance = set(db.session.scalars(select(Account.household_id).where(Account.kind == "allowance")))
        assert with_allowance == solidarity

        credits = AccountMovement.kind.in_(("top_up", "cycle_credit"))  # what the demo entered; phones post the rest
        movements = db.session.scalars(
            select(AccountMovement).where(credits).options(selectinload(AccountMovement.account))
        ).all()
        assert all(m.amount_cents > 0 and m.reason and m.created_at <= LOADED_AT for m in movements)
        allowances = [m for m in movements if m.account.kind == "allowance"]
        assert allowances and all(m.amount_cents == 5000 and "SSA" in m.reason for m in allowances)
        assert {m.created_at.astimezone(PARIS).day for m in allowances} == {1}
        assert all(m.account.balance_cents >= 0 for m in movements[:20])


def fingerprint(app) -> dict:
    """Everything the loader decided, by natural keys (no ids), so two loads can be compared.

    Households are known by phone: phones are unique, e-mails may be missing.
    """
    with app.app_context():
        rows = {
            "households": select(
                Household.first_name,
                Household.last_name,
                func.coalesce(Household.email, ""),
                Household.phone,
                Household.status,
                Household.notes,
                Household.created_at,
                Tier.name,
                Point.name,
            )
            .join(Tier)
            .join(Point, Point.id == Household.point_id),
            "distributions": select(Point.name, Distribution.starts_at, Distribution.ends_at, Distribution.status).join(
                Point
            ),
            "lines": select(
                Distribution.starts_at,
                Household.phone,
                Order.created_at,
                Product.code,
                OrderLine.quantity,
                OrderLine.unit_price_cents,
            )
            .join(Order.distribution)
            .join(Order.household)
            .join(Order.lines)
            .join(OrderLine.product),
            "movements": select(
                Household.phone,
                Account.kind,
                AccountMovement.amount_cents,
                AccountMovement.reason,
                AccountMovement.created_at,
            )
            .join(AccountMovement.account)
            .join(Account.household)
            # the phones' postings, and what the server posts after their uploads, are dated by the server's clock
            .where(
                AccountMovement.event_id.is_(None), AccountMovement.kind.not_in(("shortage_credit", "contract_debit"))
            ),
        }
        result = {name: sorted(tuple(row) for row in db.session.execute(query)) for name, query in rows.items()}
        users = db.session.scalars(select(User).options(selectinload(User.points)))
        result["users"] = sorted(
            (u.email, u.role, u.display_name, u.created_at, tuple(sorted(p.name for p in u.points))) for u in users
        )
        return result


def reset(app) -> None:
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.create_all()


@ON_SQLITE_ONLY
def test_same_seed_and_day_load_the_same_network(app):
    load(app)
    first = fingerprint(app)
    reset(app)
    load(app)
    assert fingerprint(app) == first

    reset(app)
    load(app, seed=7)
    other = fingerprint(app)
    assert other["households"] != first["households"] and other["lines"] != first["lines"]
    assert other["distributions"] == first["distributions"]  # the calendar depends on the day only


@ON_SQLITE_ONLY
def test_reuses_what_an_admin_already_set_up(app):
    with app.app_context():
        db.session.add(Tier(name="Tarif plein", share_percent=100))
        db.session.add(Product(code="PANIER-M", name="Panier moyen", unit_price_cents=1600))
        db.session.add(User(email="coordination.torcy@example.org", role="admin"))
        db.session.commit()
    load(app)
    with app.app_context():
        assert count(Tier) == 3
        assert db.session.scalar(select(User.role).where(User.email == "coordination.torcy@example.org")) == "admin"
        prices = set(
            db.session.scalars(select(OrderLine.unit_price_cents).join(Product).where(Product.code == "PANIER-M"))
        )
        assert prices == {1600}


@ON_SQLITE_ONLY
def test_flask_demo_documents_and_takes_its_seed_and_day(app, runner):
    help_text = runner.invoke(args=["demo", "--help"]).output
    assert "--seed" in help_text and "--today" in help_text and "YYYY-MM-DD" in help_text
    assert "played by simulated phones" in help_text

    result = runner.invoke(args=["demo", "--seed", "7", "--today", "2026-03-24"])
    assert result.exit_code == 0, result.output
    assert "from 2026-02-24 to 2026-04-20" in result.output
    assert re.search(r"the 32 past distributions played by phones: \d+ events", result.output), result.output

    wrong = runner.invoke(args=["demo", "--today", "24/03/2026"])
    assert wrong.exit_code != 0 and "Invalid value" in wrong.output


def test_season_contracts_generate_the_orders_of_their_points(loaded):
    """Contracts made through the domain: baskets weekly at five points, eggs fortnightly paid by cheques in advance,
    bread weekly from the prepaid account; a shared basket and a waiting list. Their orders are what generation makes
    (running it again changes nothing), and a subscriber orders nothing apart of what its contracts deliver."""
    with loaded.app_context():
        contracts = db.session.scalars(select(Contract).order_by(Contract.id)).all()
        assert [(c.name.split(" — ")[0], c.frequency, c.payment) for c in contracts] == (
            [("Panier de légumes", "every", "per_delivery")] * 5
            + [("Œufs", "fortnightly", "cheques")] * 2
            + [("Pain du Fournil", "every", "prepaid")]
        )
        subscriptions = db.session.scalars(select(Subscription)).all()
        assert Counter(s.status for s in subscriptions) == {"active": 271, "waiting": 2}
        shared = [s for s in subscriptions if s.partner_id]
        assert len(shared) == 1 and shared[0].contract_id == contracts[0].id
        for distribution in db.session.scalars(select(Distribution).where(Distribution.status != "closed")):
            assert not generate_distribution(distribution).touched
        lines = db.session.execute(
            select(Order.household_id, Order.distribution_id, OrderLine.product_id, OrderLine.contract_id)
            .join(OrderLine.order)
            .join(Order.distribution)
        ).all()
        by_contract = Counter(contract_id for *_, contract_id in lines if contract_id)
        assert all(by_contract[c.id] for c in contracts)
        eggs = {c.id for c in contracts if c.payment in ("cheques", "prepaid")}  # and the bread, on the account
        paid = db.session.execute(select(OrderLine.contract_id, OrderLine.paid_in_advance)).all()
        assert all(in_advance == (contract_id in eggs) for contract_id, in_advance in paid)
        # A subscriber's basket comes from its contract only, at every distribution past and coming.
        offered = {(c.point_id, p.product_id): c.id for c in contracts for p in c.products}
        points = dict(db.session.execute(select(Distribution.id, Distribution.point_id)).tuples().all())
        subscribers = {(s.household_id, s.contract_id) for s in subscriptions if s.status == "active"}
        subscribers |= {(s.partner_id, s.contract_id) for s in shared}
        for household, distribution, product, contract_id in lines:
            contract = offered.get((points[distribution], product))
            if contract is not None and (household, contract) in subscribers:
                assert contract_id == contract, (household, distribution, product)


@ON_SQLITE_ONLY
def test_absences_given_and_skipped_when_loaded_for_today(app):
    """Loaded on its day (``make run``), the demo marks next week's absences at the first contract's point: one
    basket given to a named neighbour, one skipped; the orders follow."""
    with time_machine.travel(LOADED_AT, tick=True):
        load(app)
    with app.app_context():
        absences = db.session.scalars(select(Absence).order_by(Absence.id)).all()
        assert [a.kind for a in absences] == ["given", "skip"]
        given, skipped = absences
        assert given.given_to_id and given.given_to_id != given.subscription.household_id
        assert given.distribution_id == skipped.distribution_id
        contract_id = given.subscription.contract_id
        at = (
            select(Order.household_id)
            .join(OrderLine.order)
            .where(Order.distribution_id == given.distribution_id, OrderLine.contract_id == contract_id)
        )
        receivers = set(db.session.scalars(at))
        assert given.given_to_id in receivers
        assert given.subscription.household_id not in receivers
        assert skipped.subscription.household_id not in receivers
