"""Season contracts generate their orders (``server/domain/contracts.py``, ``contract_orders.py``): weekly,
fortnightly and chosen dates, shared baskets, absences and the waiting list, imported lines kept, handed-over orders
left alone, the calendar followed; on SQLite and PostgreSQL."""

from datetime import date, timedelta
from uuid import uuid4

import pytest
import time_machine
from sqlalchemy import select

from server.clock import utcnow
from server.domain import DomainError
from server.domain.contract_orders import generate_distribution, local_day, regenerate_contract
from server.domain.contracts import (
    create_contract,
    mark_absence,
    remove_absence,
    set_chosen_dates,
    set_contract_product,
    subscribe,
    unsubscribe,
    update_contract,
    update_subscription,
)
from server.domain.distributions import create_distribution, update_distribution
from server.extensions import db
from server.models import Contract, Distribution, Household, Order, OrderLine, Point, Producer, Product, SyncedEvent
from tests.factories.contracts import ContractsWorld, contracts_world


@pytest.fixture
def world(app) -> ContractsWorld:
    with app.app_context():
        return contracts_world()


def season(world: ContractsWorld) -> tuple[date, date]:
    first = local_day(db.session.get(Distribution, world.distributions[0]))
    return first, first + timedelta(weeks=8)


def vegetables(world: ContractsWorld, **terms) -> Contract:
    """The farmer's weekly basket at 15.00 € a delivery (``terms`` change the contract's)."""
    starts_on, ends_on = season(world)
    values = {
        "name": "Légumes saison été",
        "producer_id": world.farmer,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "absence_cap": 2,
    } | terms
    contract = create_contract(db.session.get(Point, world.point), values)
    set_contract_product(contract, db.session.get(Product, world.basket), 1500)
    return contract


def household(i_or_id: int, world: ContractsWorld | None = None) -> Household:
    return db.session.get(Household, world.households[i_or_id] if world else i_or_id)


def lines_by_distribution(world: ContractsWorld) -> dict[tuple[int, int], dict[int, tuple[int, int, int | None, bool]]]:
    """(distribution index, household id) → product → (quantity, price, contract, paid in advance)."""
    found: dict = {}
    rows = db.session.execute(
        select(Order.distribution_id, Order.household_id, OrderLine).join(OrderLine, OrderLine.order_id == Order.id)
    )
    for distribution_id, household_id, line in rows:
        key = (world.distributions.index(distribution_id), household_id)
        found.setdefault(key, {})[line.product_id] = (
            line.quantity,
            line.unit_price_cents,
            line.contract_id,
            line.paid_in_advance,
        )
    return found


def handed_over(order: Order) -> None:
    """What a synced hand-over of the order leaves in the log (the generation reads only that)."""
    db.session.add(
        SyncedEvent(
            event_id=str(uuid4()),
            type="handover",
            schema_version=1,
            device_id=None,
            distribution_id=order.distribution_id,
            device_seq=1,
            prev_hash=None,
            hash="0" * 64,
            device_time=utcnow(),
            payload={"order_id": order.id, "outcome": "all", "lines": []},
        )
    )
    db.session.flush()


def test_a_weekly_contract_gives_every_subscriber_an_order_at_every_distribution(app, world):
    with app.app_context():
        contract = vegetables(world)
        _, made = subscribe(contract, household(0, world))
        assert made.created == 6
        _, made = subscribe(contract, household(1, world), {contract.products[0].id: 2})
        assert made.created == 6
        db.session.commit()
        found = lines_by_distribution(world)
        for week in range(6):
            assert found[week, world.households[0]] == {world.basket: (1, 1500, contract.id, False)}
            assert found[week, world.households[1]] == {world.basket: (2, 1500, contract.id, False)}
        solidarity = db.session.scalar(select(Order).where(Order.household_id == world.households[1]).limit(1))
        assert solidarity.share_percent == 70 and solidarity.due_cents == 2100
        again = regenerate_contract(contract)
        assert again.touched == 0 and lines_by_distribution(world) == found


def test_fortnightly_and_chosen_dates(app, world):
    with app.app_context():
        contract = vegetables(world, frequency="fortnightly")
        subscribe(contract, household(0, world))
        assert {week for week, _ in lines_by_distribution(world)} == {0, 2, 4}
        update_contract(contract, {"frequency": "chosen"})
        assert lines_by_distribution(world) == {}
        set_chosen_dates(contract, [world.distributions[1], world.distributions[5]])
        assert {week for week, _ in lines_by_distribution(world)} == {1, 5}
        with pytest.raises(DomainError, match="point"):
            set_chosen_dates(contract, [world.distributions[1] + 1000])


def test_a_shared_basket_alternates_and_the_partner_can_start(app, world):
    with app.app_context():
        contract = vegetables(world)
        subscribe(contract, household(0, world), partner=household(1, world))
        found = lines_by_distribution(world)
        assert sorted(found) == [(w, world.households[w % 2]) for w in range(6)]
        starts_on, ends_on = season(world)
        other = create_contract(
            db.session.get(Point, world.point),
            {"name": "Œufs", "producer_id": world.hens, "starts_on": starts_on, "ends_on": ends_on},
        )
        set_contract_product(other, db.session.get(Product, world.eggs), 270)
        subscribe(other, household(2, world), partner=household(3, world), partner_starts=True)
        eggs_takers = [h for (w, h), lines in sorted(lines_by_distribution(world).items()) if world.eggs in lines]
        assert eggs_takers == [world.households[3 - w % 2] for w in range(6)]


def test_absences_skip_give_or_offer_to_the_waiting_list_within_the_cap(app, world):
    with app.app_context():
        contract = vegetables(world)
        mine, _ = subscribe(contract, household(0, world))
        subscribe(contract, household(1, world))
        subscribe(contract, household(4, world), waiting=True)
        subscribe(contract, household(5, world), waiting=True)
        d = [db.session.get(Distribution, i) for i in world.distributions]
        assert lines_by_distribution(world).get((0, world.households[4])) is None  # waiting: nothing

        mark_absence(mine, d[0], "skip")
        assert (0, world.households[0]) not in lines_by_distribution(world)
        mark_absence(mine, d[1], "given", given_to=household(2, world))
        found = lines_by_distribution(world)
        assert (1, world.households[0]) not in found and (1, world.households[2]) in found
        with pytest.raises(DomainError, match="au plus 2 absences"):
            mark_absence(mine, d[2], "offered")
        remove_absence(mine.absences[0])
        assert (0, world.households[0]) in lines_by_distribution(world)
        mark_absence(mine, d[2], "offered")
        found = lines_by_distribution(world)
        # The first household waiting gets the basket; the second waits still.
        assert (2, world.households[0]) not in found and (2, world.households[4]) in found
        assert (2, world.households[5]) not in found
        with pytest.raises(DomainError, match="autre foyer"):
            mark_absence(mine, d[1], "given", given_to=household(0, world))
        with pytest.raises(DomainError, match="point"):
            mark_absence(mine, d[1], "given", given_to=db.session.get(Household, world.stranger))


def test_an_absence_is_refused_once_the_distribution_started(app, world):
    with app.app_context():
        contract = vegetables(world)
        mine, _ = subscribe(contract, household(0, world))
        first = db.session.get(Distribution, world.distributions[0])
        with (
            time_machine.travel(first.starts_at + timedelta(minutes=5), tick=False),
            pytest.raises(DomainError, match="trop tard"),
        ):
            mark_absence(mine, first, "skip")


def test_a_handed_over_order_is_never_changed_and_imported_lines_stay(app, world):
    with app.app_context():
        contract = vegetables(world)
        mine, _ = subscribe(contract, household(0, world))
        first = db.session.scalar(
            select(Order).where(
                Order.household_id == world.households[0], Order.distribution_id == world.distributions[0]
            )
        )
        handed_over(first)
        second = db.session.scalar(
            select(Order).where(
                Order.household_id == world.households[0], Order.distribution_id == world.distributions[1]
            )
        )
        second.lines.append(OrderLine(product_id=world.bread, quantity=1, unit_price_cents=350))  # imported by CSV
        db.session.flush()
        made = update_subscription(mine, quantities={contract.products[0].id: 3})
        assert made.handed_over == 1 and made.changed == 5
        found = lines_by_distribution(world)
        assert found[0, world.households[0]] == {world.basket: (1, 1500, contract.id, False)}
        assert found[1, world.households[0]] == {
            world.basket: (3, 1500, contract.id, False),
            world.bread: (1, 350, None, False),
        }
        made = unsubscribe(mine)
        found = lines_by_distribution(world)
        assert found[0, world.households[0]] == {world.basket: (1, 1500, contract.id, False)}  # handed over: kept
        assert found[1, world.households[0]] == {world.bread: (1, 350, None, False)}  # the import stays
        assert (2, world.households[0]) not in found  # nothing left: the order goes
        assert made.removed == 4


def test_an_imported_line_of_the_same_product_wins(app, world):
    with app.app_context():
        first = db.session.get(Distribution, world.distributions[0])
        db.session.add(
            Order(
                distribution=first,
                household_id=world.households[0],
                share_percent=100,
                lines=[OrderLine(product_id=world.basket, quantity=4, unit_price_cents=1400)],
            )
        )
        db.session.flush()
        contract = vegetables(world)
        _, made = subscribe(contract, household(0, world))
        assert made.imported_kept == 1 and made.created == 5
        assert lines_by_distribution(world)[0, world.households[0]] == {world.basket: (4, 1400, None, False)}


def test_a_product_delivered_by_two_contracts_at_once_is_refused(app, world):
    with app.app_context():
        vegetables(world)
        _, ends_on = season(world)
        other = create_contract(
            db.session.get(Point, world.point),
            {"name": "Légumes bis", "producer_id": world.farmer, "starts_on": ends_on, "ends_on": ends_on},
        )
        with pytest.raises(DomainError, match="livre déjà"):
            set_contract_product(other, db.session.get(Product, world.basket), 1200)
        later = create_contract(
            db.session.get(Point, world.point),
            {
                "name": "Légumes hiver",
                "producer_id": world.farmer,
                "starts_on": ends_on + timedelta(days=1),
                "ends_on": ends_on + timedelta(days=60),
            },
        )
        set_contract_product(later, db.session.get(Product, world.basket), 1200)
        with pytest.raises(DomainError, match="livre déjà"):
            update_contract(later, {"starts_on": ends_on})


def test_cheques_in_advance_mark_lines_paid_and_prices_follow_the_contract(app, world):
    with app.app_context():
        with pytest.raises(DomainError, match="combien de chèques"):
            vegetables(world, payment="cheques")
        contract = vegetables(world, payment="cheques", cheque_count=3)
        subscribe(contract, household(0, world))
        assert lines_by_distribution(world)[0, world.households[0]] == {world.basket: (1, 1500, contract.id, True)}
        set_contract_product(contract, db.session.get(Product, world.basket), 1300)
        assert lines_by_distribution(world)[3, world.households[0]] == {world.basket: (1, 1300, contract.id, True)}


def test_the_calendar_brings_and_takes_orders(app, world):
    with app.app_context():
        contract = vegetables(world)
        subscribe(contract, household(0, world))
        last = db.session.get(Distribution, world.distributions[-1])
        point = db.session.get(Point, world.point)
        added = create_distribution(
            point, {"starts_at": last.starts_at + timedelta(weeks=1), "ends_at": last.ends_at + timedelta(weeks=1)}
        )
        assert db.session.scalar(select(Order.id).where(Order.distribution_id == added.id)) is not None
        update_distribution(
            added, {"starts_at": last.starts_at + timedelta(weeks=20), "ends_at": last.ends_at + timedelta(weeks=20)}
        )
        assert db.session.scalar(select(Order.id).where(Order.distribution_id == added.id)) is None


def test_members_and_contracts_keep_to_their_point(app, world):
    with app.app_context():
        contract = vegetables(world)
        with pytest.raises(DomainError, match="point"):
            subscribe(contract, db.session.get(Household, world.stranger))
        with pytest.raises(DomainError, match="fermées"):
            subscribe(contract, household(2, world), by_member=True)
        update_contract(contract, {"subscriptions_open": True})
        subscribe(contract, household(2, world), by_member=True)
        with pytest.raises(DomainError, match="déjà"):
            subscribe(contract, household(2, world))
        assert db.session.get(Producer, world.farmer) is contract.producer
        assert generate_distribution(db.session.get(Distribution, world.distributions[0])).touched == 0
