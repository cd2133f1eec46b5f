"""The season's cheque calendar (``server/domain/cheque_calendar.py``): a contract paid by cheques splits each
subscriber's season total, at their tier's share, into expected cheques over the season's months, the remainder on
the first; kept in step with quantities, prices, subscriptions and the calendar, absences aside, never rewriting a
cheque received. The rule on plain values (with a property), then on SQLite and PostgreSQL."""

import random
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from server.domain import DomainError
from server.domain.cheque_calendar import (
    plan,
    planned_months,
    receive_cheque,
    season_months,
    season_total,
    split,
)
from server.domain.contract_orders import deliveries, local_day
from server.domain.contracts import (
    create_contract,
    mark_absence,
    set_contract_product,
    subscribe,
    unsubscribe,
    update_contract,
    update_subscription,
)
from server.domain.distributions import create_distribution
from server.domain.members import update_household
from server.extensions import db
from server.models import Cheque, Contract, Distribution, Household, Point, Product, User
from tests.factories.contracts import ContractsWorld, contracts_world

OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)


# The rule on plain values -----------------------------------------------------------------------------------------


def test_the_seasons_months_and_where_the_cheques_fall():
    assert season_months(date(2026, 10, 6), date(2026, 12, 29)) == [OCT, NOV, DEC]
    assert season_months(date(2026, 12, 15), date(2027, 2, 2)) == [DEC, date(2027, 1, 1), date(2027, 2, 1)]
    six = season_months(date(2026, 10, 1), date(2027, 3, 31))
    assert planned_months([OCT, NOV, DEC], 3) == [OCT, NOV, DEC]
    assert planned_months(six, 3) == [six[0], six[2], six[4]]  # every other month
    assert planned_months([OCT, NOV], 4) == [OCT, OCT, NOV, NOV]
    assert planned_months([OCT], 1) == [OCT]


def test_the_remainder_goes_on_the_first_cheque():
    assert split(12000, 3) == [4000, 4000, 4000]
    assert split(10001, 3) == [3335, 3333, 3333]
    assert split(6006, 4) == [1503, 1501, 1501, 1501]


def test_a_received_cheque_is_kept_and_the_rest_is_spread_over_the_months_left():
    months = [OCT, NOV, DEC]
    assert plan(12000, months, []) == [(OCT, 4000), (NOV, 4000), (DEC, 4000)]
    assert plan(12000, months, [(OCT, 5000)]) == [(NOV, 3500), (DEC, 3500)]
    # Everything received, then the quantities went up: one more cheque asks the difference in the last month.
    assert plan(15000, months, [(OCT, 4000), (NOV, 4000), (DEC, 4000)]) == [(DEC, 3000)]
    # Paid in full or more: nothing asked.
    assert plan(8000, months, [(OCT, 4000), (NOV, 4000)]) == []
    assert plan(0, months, []) == []


def test_the_season_total_is_at_the_tiers_share_line_by_line():
    basket = [(1, 1500, "piece")]
    assert season_total(basket, 100, 6) == 9000
    assert season_total([(2, 1500, "piece")], 70, 6) == 12600  # 2 × 15,00 € at 70 %: 21,00 € a delivery
    assert season_total([(1, 1505, "piece"), (3, 270, "piece")], 70, 2) == 2 * (1054 + 567)


@given(
    total=st.integers(0, 500_000),
    count=st.integers(1, 12),
    month_count=st.integers(1, 12),
    kept=st.lists(st.tuples(st.integers(0, 11), st.integers(1, 100_000)), max_size=14),
)
def test_property_the_expected_cheques_always_make_up_the_season_total(total, count, month_count, kept):
    all_months = season_months(date(2026, 1, 1), date(2026, 12, 31))[:month_count]
    months = planned_months(all_months, count)
    received = [(all_months[i % month_count], amount) for i, amount in kept]
    expected = plan(total, months, received)
    paid = sum(amount for _month, amount in received)
    assert sum(amount for _month, amount in expected) == max(0, total - paid)
    assert all(amount > 0 for _month, amount in expected)
    assert len(expected) <= max(1, count - len(received)) if expected else True
    assert all(month in all_months for month, _amount in expected)
    if expected:
        assert expected[0][1] == max(amount for _month, amount in expected)  # the remainder on the first


# On the database --------------------------------------------------------------------------------------------------


@pytest.fixture
def world(app) -> ContractsWorld:
    with app.app_context():
        return contracts_world()


def _cheques_contract(world: ContractsWorld, count: int = 3, price: int = 1500) -> Contract:
    """The farmer's weekly basket, six deliveries (the world's six Tuesdays), paid by ``count`` cheques."""
    first = local_day(db.session.get(Distribution, world.distributions[0]))
    contract = create_contract(
        db.session.get(Point, world.point),
        {
            "name": "Légumes été",
            "producer_id": world.farmer,
            "starts_on": first,
            "ends_on": first + timedelta(weeks=5, days=1),
            "payment": "cheques",
            "cheque_count": count,
            "absence_cap": 2,
        },
    )
    set_contract_product(contract, db.session.get(Product, world.basket), price)
    return contract


def _expected(contract: Contract, household_id: int) -> list[tuple[date, int]]:
    return [
        (c.planned_month, c.amount_cents)
        for c in db.session.scalars(
            select(Cheque)
            .where(Cheque.contract_id == contract.id, Cheque.household_id == household_id, Cheque.state == "expected")
            .order_by(Cheque.planned_month, Cheque.id)
        )
    ]


def _all(contract: Contract, household_id: int) -> list[Cheque]:
    return list(
        db.session.scalars(
            select(Cheque)
            .where(Cheque.contract_id == contract.id, Cheque.household_id == household_id)
            .order_by(Cheque.planned_month, Cheque.id)
        )
    )


def _months(contract: Contract) -> list[date]:
    return planned_months(season_months(contract.starts_on, contract.ends_on), contract.cheque_count)


def test_subscribing_plans_the_seasons_cheques_at_the_tiers_share(app, world):
    with app.app_context():
        contract = _cheques_contract(world)
        offered = contract.products[0].id
        subscribe(contract, db.session.get(Household, world.households[0]))  # tarif plein, 1 basket
        _s, done = subscribe(contract, db.session.get(Household, world.households[1]), {offered: 2})  # 70 %
        db.session.commit()
        assert len(deliveries(contract)) == 6
        months = _months(contract)
        assert _expected(contract, world.households[0]) == [(m, 3000) for m in months]  # 6 × 15,00 € = 90,00 €
        assert _expected(contract, world.households[1]) == [(m, 4200) for m in months]  # 6 × 21,00 € = 126,00 €
        assert done.cheques == 3
        cheque = _all(contract, world.households[0])[0]
        assert (cheque.payee_producer_id, cheque.distribution_id, cheque.event_id) == (world.farmer, None, None)
        # A waiting household owes nothing yet.
        subscribe(contract, db.session.get(Household, world.households[2]), waiting=True)
        assert _expected(contract, world.households[2]) == []


def test_a_tier_change_plans_the_household_s_cheques_again_keeping_those_received(app, world):
    """Full price, then the solidarity tier (70 %): the cheques still expected follow the new share of the season."""
    with app.app_context():
        contract = _cheques_contract(world)
        household = db.session.get(Household, world.households[0])
        subscribe(contract, household)  # tarif plein: 6 × 15,00 € in 3 cheques of 30,00 €
        first = _all(contract, household.id)[0]
        receive_cheque(first, first.planned_month, number="1234567", bank="Crédit Coopératif")
        solidarity = db.session.get(Household, world.households[1]).tier
        assert solidarity.share_percent == 70 and household.tier != solidarity
        update_household(household, {"tier": solidarity})
        db.session.commit()
        # 6 × 10,50 € = 63,00 €, 30,00 € already received: 33,00 € left over the two months to come.
        assert first.state == "received" and first.amount_cents == 3000
        assert _expected(contract, household.id) == [(m, 1650) for m in _months(contract)[1:]]


def test_the_remainder_is_on_the_first_cheque(app, world):
    with app.app_context():
        contract = _cheques_contract(world, count=4, price=1001)
        subscribe(contract, db.session.get(Household, world.households[0]))
        assert [amount for _m, amount in _expected(contract, world.households[0])] == [1503, 1501, 1501, 1501]


def test_the_calendar_follows_quantities_prices_and_the_calendar_but_not_absences(app, world):
    with app.app_context():
        contract = _cheques_contract(world)
        offered = contract.products[0].id
        subscription, _done = subscribe(contract, db.session.get(Household, world.households[0]))
        update_subscription(subscription, quantities={offered: 2})
        assert sum(a for _m, a in _expected(contract, world.households[0])) == 18000
        set_contract_product(contract, db.session.get(Product, world.basket), 1600)
        assert sum(a for _m, a in _expected(contract, world.households[0])) == 6 * 3200
        mark_absence(subscription, db.session.get(Distribution, world.distributions[2]), "skip")
        assert sum(a for _m, a in _expected(contract, world.households[0])) == 6 * 3200  # fixed at subscription
        # A seventh distribution in the season: one more delivery to pay.
        last = db.session.get(Distribution, world.distributions[-1])
        create_distribution(
            db.session.get(Point, world.point),
            {"starts_at": last.starts_at - timedelta(days=2), "ends_at": last.ends_at - timedelta(days=2)},
        )
        assert sum(a for _m, a in _expected(contract, world.households[0])) == 7 * 3200
        update_contract(contract, {"cheque_count": 1})
        assert _expected(contract, world.households[0]) == [(contract.starts_on.replace(day=1), 7 * 3200)]
        update_contract(contract, {"payment": "per_delivery"})
        assert _expected(contract, world.households[0]) == []


def test_a_received_cheque_is_never_rewritten(app, world):
    with app.app_context():
        contract = _cheques_contract(world)
        offered = contract.products[0].id
        treasurer = User(email="t@example.org", role="admin", display_name="Trésorière")
        db.session.add(treasurer)
        subscription, _done = subscribe(contract, db.session.get(Household, world.households[0]))
        first = _all(contract, world.households[0])[0]
        on = local_day(db.session.get(Distribution, world.distributions[0]))
        receive_cheque(first, on, number="0001234", bank="Crédit Coopératif", amount_cents=3500, actor=treasurer)
        db.session.commit()
        assert (first.state, first.number, first.bank, first.received_on) == (
            "received",
            "0001234",
            "Crédit Coopératif",
            on,
        )
        assert [a for _m, a in _expected(contract, world.households[0])] == [2750, 2750]  # 90 − 35 = 55 over two
        update_subscription(subscription, quantities={offered: 2})
        assert first.amount_cents == 3500 and first.state == "received"
        assert [a for _m, a in _expected(contract, world.households[0])] == [7250, 7250]  # 180 − 35
        with pytest.raises(DomainError):
            receive_cheque(first, on, actor=treasurer)  # already received
        for cheque in [c for c in _all(contract, world.households[0]) if c.state == "expected"]:
            receive_cheque(cheque, on, actor=treasurer)
        assert _expected(contract, world.households[0]) == []
        set_contract_product(contract, db.session.get(Product, world.basket), 1600)  # 12,00 € more to ask
        assert _expected(contract, world.households[0]) == [(_months(contract)[-1], 1200)]
        # Unsubscribed: nothing more is asked, the received cheques stay (the treasurer settles them).
        unsubscribe(subscription)
        assert _expected(contract, world.households[0]) == []
        assert sum(c.amount_cents for c in _all(contract, world.households[0])) == 18000


def test_another_points_coordinator_cannot_receive_a_cheque(app, world):
    with app.app_context():
        contract = _cheques_contract(world)
        subscribe(contract, db.session.get(Household, world.households[0]))
        other = User(
            email="torcy@example.org",
            role="coordinator",
            display_name="Torcy",
            points=[db.session.get(Point, world.other_point)],
        )
        db.session.add(other)
        db.session.flush()
        with pytest.raises(DomainError):
            receive_cheque(_all(contract, world.households[0])[0], contract.starts_on, actor=other)
        with pytest.raises(DomainError):
            receive_cheque(_all(contract, world.households[0])[0], contract.starts_on, bank="x" * 121)


@pytest.mark.parametrize("seed", range(4))
def test_property_like_any_sequence_keeps_expected_plus_received_equal_to_the_season_total(app, world, seed):
    """Random quantities, prices, cheque counts, receipts (some at another amount), unsubscriptions: after each
    step every household's expected cheques make up its season total less what it gave, never a cheque of 0, and a
    received cheque keeps its amount."""
    rng = random.Random(seed)
    with app.app_context():
        treasurer = User(email="t@example.org", role="admin", display_name="Trésorière")
        db.session.add(treasurer)
        contract = _cheques_contract(world, count=rng.randint(1, 5), price=rng.randint(100, 3000))
        offered = contract.products[0].id
        subscriptions = {}
        received: dict[int, int] = {}
        for _step in range(14):
            action = rng.choice(["subscribe", "quantity", "price", "count", "receive", "receive", "unsubscribe"])
            index = rng.randrange(6)
            household = db.session.get(Household, world.households[index])
            subscription = subscriptions.get(index)
            if action == "subscribe" and subscription is None:
                subscriptions[index], _d = subscribe(contract, household, {offered: rng.randint(1, 3)})
            elif action == "quantity" and subscription is not None:
                update_subscription(subscription, quantities={offered: rng.randint(1, 4)})
            elif action == "price":
                set_contract_product(contract, db.session.get(Product, world.basket), rng.randint(0, 3000))
            elif action == "count":
                update_contract(contract, {"cheque_count": rng.randint(1, 6)})
            elif action == "receive":
                waiting = [c for c in _all(contract, household.id) if c.state == "expected"]
                if waiting:
                    cheque = rng.choice(waiting)
                    amount = rng.choice([None, rng.randint(1, 20000)])
                    receive_cheque(cheque, contract.starts_on, amount_cents=amount, actor=treasurer)
                    received[cheque.id] = cheque.amount_cents
            elif action == "unsubscribe" and subscription is not None:
                unsubscribe(subscription)
                del subscriptions[index]
            db.session.flush()
            count = len(deliveries(contract))
            share = {0: 100, 1: 70}
            for i, h in enumerate(world.households):
                cheques = _all(contract, h)
                kept = sum(c.amount_cents for c in cheques if c.state != "expected")
                expected = [c.amount_cents for c in cheques if c.state == "expected"]
                sub = subscriptions.get(i)
                total = 0
                if sub is not None:
                    price = contract.products[0].unit_price_cents if contract.products else 0
                    quantity = sub.quantities[0].quantity
                    total = season_total([(quantity, price, "piece")], share[i % 2], count)
                assert sum(expected) == max(0, total - kept), (seed, _step, action)
                assert all(amount > 0 for amount in expected)
            for cheque_id, amount in received.items():
                assert db.session.get(Cheque, cheque_id).amount_cents == amount
        db.session.commit()
