"""Season contracts of products sold by weight (an estimated weight per delivery, grams on the lines, a price per kg),
when a distribution's orders close (members stop changing its baskets, the admin still can and is warned, the
producers' order form turns final), and the contract page at the size of a real AMAP (subscribers paged and found by
name). Real form posts, on SQLite and PostgreSQL."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from server.domain import DomainError
from server.domain.contract_orders import local_day
from server.domain.contracts import (
    create_contract,
    mark_absence,
    set_contract_product,
    subscribe,
    typed_quantity,
    update_subscription,
)
from server.domain.distributions import update_distribution
from server.domain.orders_close import closes_at, orders_closed
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import (
    Contract,
    ContractProduct,
    Distribution,
    Household,
    NetworkSettings,
    Order,
    OrderLine,
    Point,
    Product,
    Subscription,
)
from tests.factories.contracts import PARIS, ContractsWorld, contracts_world
from tests.helpers import csrf_token, sign_in_as_admin, submit_form


@pytest.fixture
def world(app) -> tuple[ContractsWorld, int, int]:
    """The contracts world, a cheese sold by weight at 24,50 €/kg, and a contract offering the basket (15,00 €) and
    about 500 g of cheese, subscriptions open."""
    with app.app_context():
        made = contracts_world()
        cheese = Product(code="COMTE", name="Comté", unit_price_cents=2450, sold_by="kg", producer_id=made.farmer)
        db.session.add(cheese)
        db.session.flush()
        first = local_day(db.session.get(Distribution, made.distributions[0]))
        contract = create_contract(
            db.session.get(Point, made.point),
            {
                "name": "Légumes et fromage",
                "producer_id": made.farmer,
                "starts_on": first,
                "ends_on": first + timedelta(weeks=8),
                "absence_cap": 2,
                "subscriptions_open": True,
            },
        )
        set_contract_product(contract, db.session.get(Product, made.basket), 1500)
        set_contract_product(contract, cheese, 2450, 500)
        db.session.commit()
        return made, contract.id, cheese.id


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _offered(contract: Contract) -> dict[str, int]:
    return {p.product.code: p.id for p in contract.products}


def _close_of(distribution_id: int) -> datetime:
    return closes_at(db.session.get(Distribution, distribution_id))


# Products sold by weight -----------------------------------------------------------------------------------------


def test_a_weighed_product_gives_lines_in_grams_priced_per_kg(app, world):
    made, contract_id, cheese_id = world
    with app.app_context():
        contract = db.session.get(Contract, contract_id)
        offered = _offered(contract)
        _, made_orders = subscribe(contract, db.session.get(Household, made.households[0]))
        assert made_orders.created == 6
        _, _ = subscribe(contract, db.session.get(Household, made.households[1]), {offered["COMTE"]: 750})
        db.session.commit()
        lines = {
            (household, product): (quantity, price)
            for household, product, quantity, price in db.session.execute(
                select(Order.household_id, OrderLine.product_id, OrderLine.quantity, OrderLine.unit_price_cents)
                .join(OrderLine, OrderLine.order_id == Order.id)
                .where(Order.distribution_id == made.distributions[0])
            )
        }
        assert lines == {
            (made.households[0], made.basket): (1, 1500),
            (made.households[0], cheese_id): (500, 2450),  # ≈ 500 g at 24,50 €/kg
            (made.households[1], cheese_id): (750, 2450),
        }
        full, solidarity = (
            db.session.scalar(
                select(Order).where(Order.household_id == h, Order.distribution_id == made.distributions[0])
            )
            for h in made.households[:2]
        )
        assert full.due_cents == 1500 + 1225  # 500 g × 24,50 €/kg = 12,25 €
        assert solidarity.full_cents == 1838  # 750 g × 24,50 €/kg = 18,375 €, half up: 18,38 €
        assert solidarity.due_cents == 1287  # at 70 %: 12,866 €, 12,87 €


def test_a_weight_per_delivery_is_typed_as_on_the_phone_and_bounded(app, world):
    made, contract_id, cheese_id = world
    with app.app_context():
        cheese, basket = db.session.get(Product, cheese_id), db.session.get(Product, made.basket)
        for typed in ("500", "500 g", "0,5 kg", "0,5", " 500G "):
            assert typed_quantity(cheese, typed) == 500, typed
        assert typed_quantity(cheese, "1,25 kg") == 1250
        assert typed_quantity(cheese, "", 500) == 500 and typed_quantity(cheese, "0") == 0
        assert typed_quantity(basket, "2") == 2
        for bad in ("abc", "100 kg", "-5", "12,5 g"):
            with pytest.raises(DomainError, match="se vend au poids"):
                typed_quantity(cheese, bad)
        with pytest.raises(DomainError, match="nombre entier"):
            typed_quantity(basket, "0,5")
        contract = db.session.get(Contract, contract_id)
        subscription, _ = subscribe(contract, db.session.get(Household, made.households[0]))
        with pytest.raises(DomainError, match="se vend au poids"):
            update_subscription(subscription, quantities={_offered(contract)["COMTE"]: 100_000})
        with pytest.raises(DomainError, match="se vend au poids"):
            set_contract_product(contract, cheese, 2450, 0)


def test_the_admin_offers_a_weighed_product_and_sees_its_words(app, admin_client, world):
    _made, contract_id, _cheese_id = world
    with app.app_context():
        tomme = Product(code="TOMME", name="Tomme", unit_price_cents=1990, sold_by="kg")
        db.session.add(tomme)
        db.session.commit()
        tomme_id = tomme.id
    page = admin_client.get(f"/admin/contracts/{contract_id}")
    assert "≈ 500 g" in _text(page) and "24,50 €/kg" in _text(page)
    token = csrf_token(page.get_data(as_text=True))
    answer = admin_client.post(
        f"/admin/contracts/{contract_id}/products",
        data={"csrf_token": token, "product_id": tomme_id, "unit_price": "19,90", "default_quantity": "0,3 kg"},
        follow_redirects=True,
    )
    assert "19,90 €/kg" in _text(answer) and "≈ 300 g" in _text(answer)
    answer = admin_client.post(
        f"/admin/contracts/{contract_id}/products",
        data={"csrf_token": token, "product_id": tomme_id, "unit_price": "19,90", "default_quantity": "trois"},
        follow_redirects=True,
    )
    assert "« Tomme » se vend au poids : donnez le poids par livraison" in _text(answer)
    with app.app_context():
        assert (
            db.session.scalar(select(ContractProduct.default_quantity).where(ContractProduct.product_id == tomme_id))
            == 300
        )


# Orders close ----------------------------------------------------------------------------------------------------


def test_orders_close_by_default_two_days_before_at_noon_or_when_the_distribution_says(app, world):
    made, _contract_id, _cheese = world
    with app.app_context():
        distribution = db.session.get(Distribution, made.distributions[0])
        day = distribution.starts_at.astimezone(PARIS).date()
        assert closes_at(distribution) == datetime.combine(day - timedelta(days=2), time(12), PARIS)
        settings = NetworkSettings.current()
        settings.orders_close_days, settings.orders_close_time = 3, time(20, 0)
        assert closes_at(distribution) == datetime.combine(day - timedelta(days=3), time(20), PARIS)
        own = datetime.combine(day - timedelta(days=1), time(9), PARIS).astimezone(UTC)
        update_distribution(distribution, {"orders_close_at": own})
        assert closes_at(distribution) == own
        with pytest.raises(DomainError, match="avant le début de la distribution"):
            update_distribution(distribution, {"orders_close_at": distribution.starts_at + timedelta(minutes=1)})
        with time_machine.travel(own - timedelta(minutes=1), tick=False):
            assert not orders_closed(distribution)
        with time_machine.travel(own, tick=False):
            assert orders_closed(distribution)


def test_after_orders_close_a_member_cannot_change_that_date_but_the_admin_can_and_is_warned(app, client, world):
    made, contract_id, _cheese = world
    with app.app_context():
        contract = db.session.get(Contract, contract_id)
        member = db.session.get(Household, made.households[0])
        subscribe(contract, member)
        issue_ticket(member)
        db.session.commit()
        token = member.page_token
        closing = _close_of(made.distributions[0])
    with time_machine.travel(closing + timedelta(hours=1), tick=False):
        page = client.get(f"/m/{token}/contracts")
        assert "Commandes closes depuis le" in _text(page)
        csrf = csrf_token(page.get_data(as_text=True))
        answer = client.post(
            f"/m/{token}/contracts/{contract_id}/absence",
            data={"csrf_token": csrf, "distribution": made.distributions[0], "kind": "skip"},
            follow_redirects=True,
        )
        assert "Les commandes de cette distribution sont closes depuis le" in _text(answer)
        answer = client.post(
            f"/m/{token}/contracts/{contract_id}/absence",
            data={"csrf_token": csrf, "distribution": made.distributions[1], "kind": "skip"},
            follow_redirects=True,
        )
        assert "Votre absence est enregistrée" in _text(answer), _text(answer)
        with app.app_context():
            orders = set(db.session.scalars(select(Order.distribution_id).where(Order.household_id == member.id)))
            assert made.distributions[0] in orders and made.distributions[1] not in orders
            subscription = db.session.scalar(select(Subscription).where(Subscription.household_id == member.id))
            done = mark_absence(subscription, db.session.get(Distribution, made.distributions[0]))
            assert done.removed == 1 and done.after_close == [made.distributions[0]]
            db.session.rollback()


def test_a_member_subscribing_after_close_starts_at_the_next_open_delivery(app, client, world):
    made, contract_id, _cheese = world
    with app.app_context():
        member = db.session.get(Household, made.households[2])
        issue_ticket(member)
        db.session.commit()
        token = member.page_token
        closing = _close_of(made.distributions[0])
        offered = _offered(db.session.get(Contract, contract_id))
    with time_machine.travel(closing + timedelta(minutes=5), tick=False):
        page = client.get(f"/m/{token}/contracts")
        assert "Vos paniers commenceraient le" in _text(page)
        assert "Comté, 24,50 € le kg : poids par livraison, environ" in _text(page)
        answer = client.post(
            f"/m/{token}/contracts/{contract_id}/subscribe",
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                f"quantity_{offered['LEG']}": "1",
                f"quantity_{offered['COMTE']}": "0,4 kg",
            },
            follow_redirects=True,
        )
        assert "Comté : ≈ 400 g · 24,50 €/kg" in _text(answer), _text(answer)
    with app.app_context():
        orders = set(db.session.scalars(select(Order.distribution_id).where(Order.household_id == member.id)))
        assert orders == set(made.distributions[1:])


def test_the_order_form_is_provisional_until_orders_close_then_final(app, client, world):
    made, contract_id, _cheese = world
    with app.app_context():
        subscribe(db.session.get(Contract, contract_id), db.session.get(Household, made.households[0]))
        db.session.commit()
        closing = _close_of(made.distributions[0])
    url = f"/admin/distributions/{made.distributions[0]}/producers"
    with time_machine.travel(closing - timedelta(hours=1), tick=False):
        sign_in_as_admin(app, client, "admin@example.org")
        page = _text(client.get(url))
        assert "Bon de commande provisoire — les commandes ferment le" in page
        assert "Comté" in page and "0,5 kg" in page
    with time_machine.travel(closing + timedelta(hours=1), tick=False):
        sign_in_as_admin(app, client, "admin@example.org")
        assert "Bon de commande définitif — commandes closes depuis le" in _text(client.get(url))


def test_an_admin_change_after_close_flashes_a_warning(app, client, world):
    made, contract_id, _cheese = world
    with app.app_context():
        subscription, _ = subscribe(
            db.session.get(Contract, contract_id), db.session.get(Household, made.households[0])
        )
        db.session.commit()
        subscription_id = subscription.id
        offered = _offered(db.session.get(Contract, contract_id))
        closing = _close_of(made.distributions[0])
    with time_machine.travel(closing + timedelta(hours=1), tick=False):
        sign_in_as_admin(app, client, "admin@example.org")
        page = client.get(f"/admin/contracts/{contract_id}")
        assert "Les commandes sont closes pour" in _text(page)
        answer = client.post(
            f"/admin/contracts/{contract_id}/subscribers/{subscription_id}",
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "action": "quantities",
                f"quantity_{offered['LEG']}": "2",
                f"quantity_{offered['COMTE']}": "1 kg",
            },
            follow_redirects=True,
        )
        text = _text(answer)
        assert "Les commandes étaient closes pour" in text and "Prévenez-le de ce qui a changé" in text
    with app.app_context():
        lines = {
            line.product_id: line.quantity
            for line in db.session.scalars(
                select(OrderLine)
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.distribution_id == made.distributions[0])
            )
        }
        assert lines == {made.basket: 2, _cheese: 1000}


def test_the_distribution_form_and_the_settings_set_when_orders_close(app, admin_client, world):
    made, _contract_id, _cheese = world
    url = f"/admin/distributions/{made.distributions[0]}/edit"
    page = _text(admin_client.get(url))
    assert "Fin des commandes" in page and "Vide : 2 jours avant la distribution, à 12:00" in page
    with app.app_context():
        distribution = db.session.get(Distribution, made.distributions[0])
        local = distribution.starts_at.astimezone(PARIS)
    form = {
        "point": made.point,
        "date": local.date().isoformat(),
        "start_time": "17:30",
        "end_time": "18:30",
        "status": "planned",
        "notes": "",
    }
    answer = submit_form(admin_client, url, form | {"orders_close": f"{local.date().isoformat()}T18:00"})
    assert "Les commandes doivent fermer avant le début de la distribution." in _text(answer)
    day_before = (local.date() - timedelta(days=1)).isoformat()
    answer = submit_form(admin_client, url, form | {"orders_close": f"{day_before}T09:00"})
    assert answer.status_code == 302, _text(answer)
    with app.app_context():
        distribution = db.session.get(Distribution, made.distributions[0])
        assert (
            distribution.orders_close_at.astimezone(PARIS).replace(tzinfo=None).isoformat() == f"{day_before}T09:00:00"
        )
    settings = {
        "name": "Comptoirs",
        "orders_close_days": "3",
        "orders_close_time": "18:00",
        "prepaid_floor_cents": "",
        "cash_gap_threshold_cents": "5",
        "low_balance_cents": "0",
    }
    answer = submit_form(admin_client, "/admin/settings/", settings | {"orders_close_days": "40"})
    assert "Donnez un nombre entier de jours, de 0 à 30." in _text(answer)
    assert submit_form(admin_client, "/admin/settings/", settings).status_code == 302
    with app.app_context():
        current = NetworkSettings.current()
        assert (current.orders_close_days, current.orders_close_time) == (3, time(18, 0))


# At the size of an AMAP ------------------------------------------------------------------------------------------


def test_the_contract_page_pages_its_subscribers_and_finds_them_by_name(app, admin_client, world):
    made, contract_id, _cheese = world
    with app.app_context():
        point = db.session.get(Point, made.point)
        tier = db.session.get(Household, made.households[0]).tier
        people = [
            Household(first_name=f"Abonné{i:02d}", last_name=f"Famille{i:02d}", tier=tier, point=point)
            for i in range(30)
        ]
        people.append(Household(first_name="Inès", last_name="Éluard", tier=tier, point=point))
        db.session.add_all(people)
        db.session.flush()
        contract = db.session.get(Contract, contract_id)
        for household in people:
            subscribe(contract, household)
        db.session.commit()
    page = _text(admin_client.get(f"/admin/contracts/{contract_id}"))
    assert "31 résultats" in page and "Page 1 sur 2" in page
    assert page.count("Enregistrer les quantités") == 25
    second = _text(admin_client.get(f"/admin/contracts/{contract_id}?page=2"))
    assert second.count("Enregistrer les quantités") == 6
    found = _text(admin_client.get(f"/admin/contracts/{contract_id}?q=eluard"))
    assert "Inès Éluard" in found and "1 résultat" in found and "Famille" not in found
    nobody = _text(admin_client.get(f"/admin/contracts/{contract_id}?q=personne"))
    assert "Aucun abonnement à ce nom." in nobody
