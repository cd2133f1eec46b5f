"""Season contracts paid from the prepaid account (docs/contracts.md, "How a contract is paid"): their lines are due
0 at the point and the account is debited, after each upload and decision, what the member received of them at
their tier, the difference from what is posted: once for a re-upload, given back for an undone hand-over, less for a
partial hand-over or a shortage, nothing for a refusal; an overdraft kept as a conflict. SQLite and PostgreSQL."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from babel.dates import format_date
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from server.domain.contract_orders import local_day
from server.domain.contracts import create_contract, set_contract_product, subscribe
from server.domain.ledger import post
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Account, AccountMovement, Conflict, Distribution, Household, Order, Point, Producer, Product
from sync import projection
from sync.events import new_event_id, stored_event
from sync.prepaid_contracts import debit_cents
from sync.pricing import line_due_cents
from tests.factories.primitives import distribution, full_tier, member_of, now_to_the_second, order, solidarity_tier
from tests.helpers import sign_in_as_admin
from tests.phones import enrol_phone
from tests.test_distribution_log import pushed, text_of


@dataclass(frozen=True)
class World:
    point: int
    distribution: int
    orders: dict[str, int]
    households: dict[str, int]
    basket: int
    bread: int
    volunteer: int


@pytest.fixture
def world(app) -> World:
    """« Légumes été » at 15,00 € a basket, paid from the prepaid account: Alice (full price, 2 baskets, 100,00 €
    prepaid) and Bruno (70 %, 1 basket, 5,00 € prepaid); Alice also ordered a loaf at 3,50 €, paid at the point."""
    with app.app_context():
        point = Point(name="AMAP du Luzard", town="Noisiel")
        farmer = Producer(name="Ferme des Quatre Vents")
        basket = Product(code="LEG", name="Panier de légumes", unit_price_cents=1500, producer=farmer)
        bread = Product(code="PAIN", name="Pain", unit_price_cents=350)
        today = distribution(point, now_to_the_second())
        full, solidarity = full_tier(), solidarity_tier()
        alice = Household(first_name="Alice", last_name="Martin", tier=full, point=point)
        bruno = Household(first_name="Bruno", last_name="Diallo", tier=solidarity, point=point)
        volunteer = member_of(point, "volunteer", "valerie@example.org", "Valérie")
        loaf = order(today, alice, [(bread, 1)])
        db.session.add_all([loaf, bruno, volunteer, farmer])
        db.session.flush()
        day = local_day(today)
        contract = create_contract(
            point,
            {
                "name": "Légumes été",
                "producer_id": farmer.id,
                "starts_on": day - timedelta(days=7),
                "ends_on": day + timedelta(days=60),
                "payment": "prepaid",
            },
        )
        set_contract_product(contract, basket, 1500)
        offered = contract.products[0]
        subscribe(contract, alice, {offered.id: 2})
        subscribe(contract, bruno, {offered.id: 1})
        post(alice.id, "prepaid", 10000, "opening")
        post(bruno.id, "prepaid", 500, "opening")
        db.session.commit()
        orders = {
            h.first_name: db.session.scalar(
                select(Order.id).where(Order.household_id == h.id, Order.distribution_id == today.id)
            )
            for h in (alice, bruno)
        }
        return World(
            point.id,
            today.id,
            orders,
            {"Alice": alice.id, "Bruno": bruno.id},
            basket.id,
            bread.id,
            volunteer.id,
        )


def balance(app, name: str, world: World) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Account.balance_cents).where(
                Account.household_id == world.households[name], Account.kind == "prepaid"
            )
        )


def debits(app, world: World, name: str) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AccountMovement.amount_cents)
                .join(Account, Account.id == AccountMovement.account_id)
                .where(Account.household_id == world.households[name], AccountMovement.kind == "contract_debit")
                .order_by(AccountMovement.id)
            )
        )


def test_the_pack_says_the_basket_is_on_the_prepaid_account_and_asks_nothing_for_it(app, world):
    phone = enrol_phone(app, [world.point], world.volunteer, "Phone 1")
    pack = phone.client.get(f"/api/distributions/{world.distribution}/pack", headers=phone.headers).get_json()
    alice = next(m for m in pack["members"] if m["last_name"] == "Martin")
    lines = {line["product_id"]: line for line in alice["order"]["lines"]}
    assert lines[world.basket]["paid_in_advance"] is True
    assert lines[world.basket]["paid_from"] == "prepaid"
    assert lines[world.basket]["due_cents"] == 0
    assert "paid_from" not in lines[world.bread]
    assert alice["order"]["total_due_cents"] == 350  # the loaf only


def test_a_hand_over_debits_the_account_once_and_an_undo_gives_it_back(app, world):
    phone = enrol_phone(app, [world.point], world.volunteer, "Phone 1")
    d = world.distribution
    handover = phone.record("handover", {"order_id": world.orders["Alice"], "outcome": "all"}, d)
    pushed(phone, [handover])
    assert balance(app, "Alice", world) == 10000 - 3000  # 2 baskets at 15,00 €, the loaf is paid at the point
    answer = phone.push([handover])  # a re-upload: a duplicate, nothing more
    assert answer.status_code == 200
    assert balance(app, "Alice", world) == 7000
    assert debits(app, world, "Alice") == [-3000]
    undo = phone.record("void", {"event_id": handover["id"], "reason": "erreur"}, d)
    pushed(phone, [undo])
    assert balance(app, "Alice", world) == 10000
    assert debits(app, world, "Alice") == [-3000, 3000]
    pushed(phone, [phone.record("void", {"event_id": undo["id"], "reason": "finalement"}, d)])
    assert balance(app, "Alice", world) == 7000


def test_a_partial_hand_over_debits_what_was_received_and_a_refusal_nothing(app, world):
    phone = enrol_phone(app, [world.point], world.volunteer, "Phone 1")
    d = world.distribution
    partial = {
        "order_id": world.orders["Alice"],
        "outcome": "partial",
        "lines": [
            {"product_id": world.basket, "quantity_received": 1},
            {"product_id": world.bread, "quantity_received": 1},
        ],
    }
    pushed(phone, [phone.record("handover", partial, d)])
    pushed(phone, [phone.record("handover", {"order_id": world.orders["Bruno"], "outcome": "refused"}, d)])
    assert balance(app, "Alice", world) == 10000 - 1500
    assert balance(app, "Bruno", world) == 500
    assert debits(app, world, "Bruno") == []


def test_a_shortage_debits_only_what_the_member_received(app, world):
    phone = enrol_phone(app, [world.point], world.volunteer, "Phone 1")
    d = world.distribution
    pushed(phone, [phone.record("shortage", {"product_id": world.basket, "delivered": 2}, d)])
    assert debits(app, world, "Alice") == []  # nothing handed over yet: nothing taken
    pushed(phone, [phone.record("handover", {"order_id": world.orders["Alice"], "outcome": "all"}, d)])
    pushed(phone, [phone.record("handover", {"order_id": world.orders["Bruno"], "outcome": "all"}, d)])
    # 2 baskets for 3 ordered: Alice gets 1 (15,00 €), Bruno 1 (10,50 € at 70 %) — the rule of sync.shortages
    assert (balance(app, "Alice", world), balance(app, "Bruno", world)) == (10000 - 1500, 500 - 1050)


def test_an_account_below_its_floor_is_debited_all_the_same_and_kept_as_a_conflict(app, world):
    phone = enrol_phone(app, [world.point], world.volunteer, "Phone 1")
    handover = phone.record("handover", {"order_id": world.orders["Bruno"], "outcome": "all"}, world.distribution)
    pushed(phone, [handover])
    assert balance(app, "Bruno", world) == 500 - 1050
    with app.app_context():
        conflict = db.session.scalar(select(Conflict).where(Conflict.kind == "account_overdrawn"))
        assert conflict.event_ids == [handover["id"]]
        assert conflict.details["short_cents"] == 550
        assert conflict.details["contract"] is True


def _order(quantity: int, share: int, bread: int) -> projection.Order:
    lines = (
        projection.OrderLine(1, quantity, 0, 1500, share, paid_in_advance=True),
        projection.OrderLine(2, bread, line_due_cents(bread, 350, share), 350, share),
    )
    lines = tuple(line for line in lines if line.quantity)
    return projection.Order(10, 20, lines, sum(line.due_cents for line in lines))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.sampled_from([100, 70, 40]), st.integers(0, 3), st.integers(0, 5))
def test_the_debit_is_what_was_received_at_the_tier_never_more_than_the_whole(quantity, share, bread, received):
    """Property: whatever was received of the basket, the debit is its price at the tier, and the bread is never
    debited (it is paid at the point)."""
    order = _order(quantity, share, bread)
    lines = [{"product_id": 1, "quantity_received": min(received, quantity)}]
    handover = stored_event(
        {
            "id": new_event_id(),
            "type": "handover",
            "schema_version": 1,
            "device_id": "phone-1",
            "volunteer_id": 1,
            "distribution_id": 1,
            "device_time": "2026-12-05T17:40:00.000Z",
            "seq": 1,
            "prev_hash": None,
            "payload": {"order_id": 10, "outcome": "partial", "lines": lines},
        }
    )
    got = debit_cents(order, {1}, [handover])
    assert got == line_due_cents(min(received, quantity), 1500, share)
    assert got <= line_due_cents(quantity, 1500, share)
    assert debit_cents(order, {1}, []) == 0  # nobody came


def test_the_member_page_says_the_coming_basket_is_on_the_prepaid_account(app, client, world):
    with app.app_context():
        household = db.session.get(Household, world.households["Alice"])
        issue_ticket(household)
        db.session.commit()
        token = household.page_token
    words = text_of(client.get(f"/m/{token}", headers={"Accept-Language": "fr"}))
    assert "2 × Panier de légumes — sur le compte prépayé (contrat)" in words, words
    assert "Montant dû : 3,50 €" in words.replace("\u00a0", " ")  # the loaf only


def test_the_statement_and_the_member_page_say_the_basket_was_taken_from_the_prepaid_account(app, client, world):
    phone = enrol_phone(app, [world.point], world.volunteer, "Phone 1")
    pushed(phone, [phone.record("handover", {"order_id": world.orders["Bruno"], "outcome": "all"}, world.distribution)])
    with app.app_context():
        household = db.session.get(Household, world.households["Bruno"])
        issue_ticket(household)
        db.session.commit()
        token = household.page_token
        day = format_date(local_day(db.session.get(Distribution, world.distribution)), "d MMMM", locale="fr_FR")
    sentence = f"Panier « Légumes été » du {day} à Noisiel, sur le compte prépayé"
    member = text_of(client.get(f"/m/{token}", headers={"Accept-Language": "fr"}))
    assert f"−10,50 € p{sentence[1:]}" in member.replace("\u00a0", " "), member  # « −10,50 € panier « Légumes été »…
    assert "−5,50 €" in member  # the balance: 5,00 € less 10,50 €
    # The basket collected says it too, beside what was paid at the point.
    assert "10,50 € pris sur votre compte prépayé pour vos contrats de saison" in member.replace("\u00a0", " "), member
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    sign_in_as_admin(app, client, "admin@example.org")
    admin = text_of(client.get(f"/admin/members/{world.households['Bruno']}/accounts"))
    assert sentence in admin.replace("\u00a0", " "), admin
    assert "téléphone « Phone 1 »" in admin  # who: the phone that handed the basket over
    assert "−10,50 €" in admin


def test_the_log_says_the_overdrawn_basket_and_offers_no_payment_to_cancel(app, client, world):
    phone = enrol_phone(app, [world.point], world.volunteer, "Phone 1")
    pushed(phone, [phone.record("handover", {"order_id": world.orders["Bruno"], "outcome": "all"}, world.distribution)])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    sign_in_as_admin(app, client, "admin@example.org")
    words = text_of(client.get(f"/admin/distributions/{world.distribution}/log")).replace("\u00a0", " ")
    assert (
        "Le panier du contrat de saison de Bruno Diallo a pris 10,50 € sur le compte prépayé : 5,50 € de plus" in words
    )
    assert "Garder le débit : le foyer doit 5,50 € sur le compte prépayé" in words
    assert "Annuler" not in words.split("Le panier du contrat de saison")[1].split("Réglé hors du journal")[0]


def test_the_log_and_the_order_page_say_what_the_contracts_took(app, client, world):
    phone = enrol_phone(app, [world.point], world.volunteer, "Phone 1")
    d = world.distribution
    pushed(phone, [phone.record("handover", {"order_id": world.orders["Alice"], "outcome": "all"}, d)])
    pushed(phone, [phone.record("handover", {"order_id": world.orders["Bruno"], "outcome": "all"}, d)])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    sign_in_as_admin(app, client, "admin@example.org")
    log = text_of(client.get(f"/admin/distributions/{d}/log")).replace("\u00a0", " ")
    assert "Prélevé sur les soldes prépayés pour les contrats de saison (paniers remis) 40,50 €" in log, log
    order = text_of(client.get(f"/admin/orders/{world.orders['Alice']}")).replace("\u00a0", " ")
    assert "Prélevé sur le compte prépayé pour les contrats de saison : 30,00 €." in order, order
