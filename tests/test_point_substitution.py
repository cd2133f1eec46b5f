"""Priced substitutions (docs/point-adjustments.md, "Substitution"): a product replaced by another for the whole
distribution, or at one hand-over, priced at the substitute's full price at the order's tier by ``sync.pricing``.
Unit tests of the rule (``sync.substitutions``), then phones through the real API on SQLite and PostgreSQL: the log,
the order page, the member page, the credit-back of what a cheaper substitute no longer costs, and the producers'
report (the producer replaced is not owed, the substitute's is)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from server.clock import utcnow
from server.domain.distribution_log import load_log
from server.domain.events import check_conflicts, stored_conflicts
from server.domain.ledger import post
from server.domain.producer_reports import distribution_report
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Account, AccountMovement, Distribution, Household, Point, Producer, Product
from sync.events import parse_event
from sync.projection import Order, OrderLine, line_outcomes, project
from tests.factories.primitives import distribution, full_tier, member_of, now_to_the_second, order, solidarity_tier
from tests.helpers import sign_in_as_admin
from tests.phones import enrol_phone
from tests.test_distribution_log import pushed, text_of

COMTE, BRIE = 31, 33


def _event(number: int, minute: int, kind: str, payload: dict, device: str = "phone-a"):
    return parse_event(
        {
            "id": f"01956a3a-1c00-7000-8000-{number:012x}",
            "type": kind,
            "schema_version": 1,
            "device_id": device,
            "volunteer_id": 1,
            "distribution_id": 1,
            "device_time": f"2026-12-04T17:{minute:02d}:00.000Z",
            "seq": number,
            "prev_hash": None if number == 1 else "0" * 64,
            "payload": payload,
        }
    )


def _comte(order_id: int, share: int, grams: int) -> Order:
    due = (((grams * 2450 + 500) // 1000) * share + 50) // 100
    return Order(order_id, 100 + order_id, (OrderLine(COMTE, grams, due, 2450, share, "kg"),), due)


def _sub(number: int, minute: int, price: int = 2200):
    return _event(
        number, minute, "substitution", {"product_id": COMTE, "by_product_id": BRIE, "unit_price_cents": price}
    )


def test_the_orders_not_collected_receive_the_substitute_at_its_price_and_their_tier():
    orders = [_comte(1, 70, 500), _comte(2, 100, 500)]
    events = [_event(1, 10, "handover", {"order_id": 2, "outcome": "all"}), _sub(2, 20)]
    state = project(orders, events)
    # Élodie (70 %): 500 g of Brie at 22,00 €/kg = 11,00 €, 7,70 € at her tier; the order collected before: Comté.
    assert [(s.order_id, s.due_cents) for s in state.orders] == [(1, 770), (2, 1225)]
    assert [(w.product_id, w.by_product_id, w.unit_price_cents) for w in state.orders[0].swaps] == [(31, 33, 2200)]
    assert state.orders[1].swaps == ()


def test_a_later_substitution_corrects_a_void_undoes_a_later_shortage_replaces():
    orders = [_comte(1, 100, 500)]
    first, second = _sub(1, 10, 2000), _sub(2, 11, 2200)
    assert project(orders, [first, second]).orders[0].due_cents == 1100
    undo = _event(3, 12, "void", {"event_id": second.id})
    assert project(orders, [first, second, undo]).orders[0].due_cents == 1000
    short = _event(4, 13, "shortage", {"product_id": COMTE, "delivered": 0})
    assert project(orders, [first, second, short]).orders[0].due_cents == 0  # the last of the two counts
    assert project(orders, [short, _sub(5, 14)]).orders[0].due_cents == 1100


def test_a_hand_over_gives_a_line_as_another_product_weighed():
    orders = [_comte(1, 70, 500)]
    item = {"product_id": COMTE, "by_product_id": BRIE, "quantity": 480, "unit_price_cents": 2200}
    handover = _event(1, 10, "handover", {"order_id": 1, "outcome": "all", "substituted": [item]})
    (state,) = project(orders, [handover]).orders
    # 480 g × 22,00 €/kg = 10,56 €; at 70 %: 7,392 → 7,39 €.
    assert (state.due_cents, state.received) == (739, ((COMTE, 480),))
    (line,) = line_outcomes(orders[0], [handover])
    assert (line.received, line.due_cents, line.by_product_id, line.unit_price_cents) == (480, 739, BRIE, 2200)


@given(
    st.lists(
        st.tuples(st.sampled_from(["handover", "substitution", "shortage"]), st.integers(0, 59), st.integers(0, 3)),
        max_size=8,
    ),
    st.randoms(use_true_random=False),
)
def test_the_rule_reads_the_set_of_events_not_their_order(actions, rng):
    orders = [_comte(1, 70, 500), _comte(2, 100, 250), _comte(3, 40, 1000)]
    events = []
    for number, (kind, minute, pick) in enumerate(actions, start=1):
        if kind == "handover":
            payload = {"order_id": pick % 3 + 1, "outcome": "all"}
        elif kind == "substitution":
            payload = {"product_id": COMTE, "by_product_id": BRIE, "unit_price_cents": 2000 + pick * 100}
        else:
            payload = {"product_id": COMTE, "delivered": pick * 300}
        events.append(_event(number, minute, kind, payload, device=f"phone-{pick % 2}"))
    shuffled = [*events, *events[:2]]
    rng.shuffle(shuffled)
    assert project(orders, events) == project(orders, shuffled)


@dataclass(frozen=True)
class World:
    point: int
    distribution: int
    orders: dict[str, int]
    households: dict[str, int]
    comte: int
    brie: int
    producers: dict[str, int]
    volunteers: tuple[int, int]


@pytest.fixture
def world(app) -> World:
    """Alice (full price) ordered 500 g of Comté at 24,50 €/kg, Bruno (70 %, 50,00 € prepaid) 500 g, Chloé (full
    price) 250 g; the cheese maker brings Brie at 22,00 €/kg instead."""
    with app.app_context():
        point = Point(name="Maison du Luzard", town="Noisiel")
        dairy, farm = Producer(name="Fromagerie du Jura"), Producer(name="Ferme de Meaux")
        comte = Product(code="COMTE", name="Comté", unit_price_cents=2450, sold_by="kg", producer=dairy)
        brie = Product(code="BRIE", name="Brie", unit_price_cents=2200, sold_by="kg", producer=farm)
        main = distribution(point, now_to_the_second())
        full, solidarity = full_tier(), solidarity_tier()
        people = {
            "Alice": Household(first_name="Alice", last_name="Martin", tier=full, point=point),
            "Bruno": Household(first_name="Bruno", last_name="Diallo", tier=solidarity, point=point),
            "Chloé": Household(first_name="Chloé", last_name="Nguyen", tier=full, point=point),
        }
        grams = {"Alice": 500, "Bruno": 500, "Chloé": 250}
        orders = {name: order(main, people[name], [(comte, grams[name])]) for name in people}
        volunteers = (
            member_of(point, "volunteer", "valerie@example.org", "Valérie"),
            member_of(point, "volunteer", "omar@example.org", "Omar"),
        )
        db.session.add_all([brie, *orders.values(), *volunteers])
        db.session.flush()
        post(people["Bruno"].id, "prepaid", 5000, "opening")
        db.session.commit()
        return World(
            point.id,
            main.id,
            {name: made.id for name, made in orders.items()},
            {name: household.id for name, household in people.items()},
            comte.id,
            brie.id,
            {"dairy": dairy.id, "farm": farm.id},
            (volunteers[0].id, volunteers[1].id),
        )


def at(second: int):
    """A device time inside the volunteers' shift (started a minute ago), ``second`` seconds after its start."""
    return utcnow() - timedelta(seconds=55) + timedelta(seconds=second)


def prepaid(app, household_id: int) -> int:
    with app.app_context():
        return db.session.query(Account).filter_by(household_id=household_id, kind="prepaid").one().balance_cents


def credits(app, household_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AccountMovement.amount_cents)
                .join(Account, Account.id == AccountMovement.account_id)
                .where(Account.household_id == household_id, AccountMovement.kind == "shortage_credit")
                .order_by(AccountMovement.id)
            )
        )


def the_day(app, world: World) -> dict:
    """Alice collects her Comté (12,25 €, cash); Bruno pays his 8,58 € from his prepaid account (50,00 € → 41,42 €);
    then Brie for the Comté, at 22,00 €/kg; Bruno's 480 g of Brie: 10,56 € × 70 % = 7,39 €; Chloé, no Brie left for
    her, takes 300 g of Morbier at 21,00 €/kg at her hand-over: 6,30 €."""
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    two = enrol_phone(app, [world.point], world.volunteers[1], "Phone 2")
    d, o = world.distribution, world.orders
    sub = {"product_id": world.comte, "by_product_id": world.brie, "unit_price_cents": 2200}
    bruno_pay = {"order_id": o["Bruno"], "amount_cents": 858, "method": "prepaid", "from_prepaid_cents": 858}
    with app.app_context():
        morbier = Product(code="MORBIER", name="Morbier", unit_price_cents=2100, sold_by="kg")
        db.session.add(morbier)
        db.session.commit()
        morbier_id = morbier.id
    chloe_item = {"product_id": world.comte, "by_product_id": morbier_id, "quantity": 300, "unit_price_cents": 2100}
    return {
        "one": one,
        "two": two,
        "alice": one.record("handover", {"order_id": o["Alice"], "outcome": "all"}, d, at(1)),
        "alice_pay": one.record("payment", {"order_id": o["Alice"], "amount_cents": 1225, "method": "cash"}, d, at(2)),
        "bruno_pay": one.record("payment", {**bruno_pay, "solidarity_cents": 367}, d, at(3)),
        "sub": two.record("substitution", sub, d, at(4)),
        "bruno": one.record(
            "handover",
            {"order_id": o["Bruno"], "outcome": "all", "weighed": [{"product_id": world.comte, "grams": 480}]},
            d,
            at(5),
        ),
        "chloe": one.record(
            "handover", {"order_id": o["Chloé"], "outcome": "all", "substituted": [chloe_item]}, d, at(6)
        ),
        "chloe_pay": one.record("payment", {"order_id": o["Chloé"], "amount_cents": 630, "method": "cash"}, d, at(7)),
    }


def test_the_substitution_reprices_the_orders_and_gives_back_what_was_paid_before(app, client, world):
    e = the_day(app, world)
    one, two = e["one"], e["two"]
    h, o, d = world.households, world.orders, world.distribution
    pushed(one, [e[k] for k in ("alice", "alice_pay", "bruno_pay")])
    assert prepaid(app, h["Bruno"]) == 5000 - 858
    pushed(two, [e["sub"]])
    # 500 g of Brie at 70 %: 7,70 €, so 0,88 € of the 8,58 € come back to Bruno's prepaid account.
    assert prepaid(app, h["Bruno"]) == 5000 - 858 + 88 and credits(app, h["Bruno"]) == [88]
    pushed(one, [e[k] for k in ("bruno", "chloe", "chloe_pay")])
    again = two.push([e["sub"]])
    assert {r["status"] for r in again.get_json()["results"]} == {"duplicate"}
    assert credits(app, h["Bruno"]) == [88]
    with app.app_context():
        state = load_log(db.session.get(Distribution, d)).state
        due = {s.order_id: s.due_cents for s in state.orders}
        # Bruno's Brie weighed 480 g: 10,56 € × 70 % = 7,39 €, less than the 7,70 € he has paid after the credit.
        assert due == {o["Alice"]: 1225, o["Bruno"]: 739, o["Chloé"]: 630}
        paid = {s.order_id: s.paid_cents for s in state.orders}
        assert paid == {o["Alice"]: 1225, o["Bruno"]: 770, o["Chloé"]: 630}
        check_conflicts(db.session.get(Distribution, d))
        db.session.commit()
        # Paid as the substitution priced the estimate, weighed lighter after: no overpayment, as for any weight.
        assert [c.kind for c in stored_conflicts(d)] == []

        report = distribution_report(db.session.get(Distribution, d)).producers
        dairy = report[world.producers["dairy"]].products[world.comte]
        brie = report[world.producers["farm"]].products[world.brie]
        # The dairy is owed Alice's 500 g only; the farm Bruno's 480 g of Brie at 22,00 €/kg.
        assert (dairy.ordered, dairy.handed_over, dairy.short, dairy.due_cents) == (1250, 500, 750, 1225)
        assert (brie.handed_over, brie.due_cents, brie.solidarity_cents) == (480, 1056, 1056 - 739)
        assert (brie.ordered, brie.substituted_in) == (0, 500)  # Bruno's 500 g estimate, given as Brie

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    sign_in_as_admin(app, client, "admin@example.org")
    log = text_of(client.get(f"/admin/distributions/{d}/log"))
    assert "Remplacé Comté → Brie à 22,00 €/kg pour les commandes pas encore remises" in log, log  # type, details
    assert "Bruno Diallo · Tout · pesé : Brie (480 g)" in log
    assert "remplacé : Comté → Morbier (300 g) à 21,00 €/kg" in log
    page = text_of(client.get(f"/admin/orders/{o['Bruno']}"))
    assert "Remplacé : Comté → Brie à 22,00 €/kg" in page and "Pris : Brie (480 g)" in page, page
    assert "Dû pour ce qui a été pris : 7,39 €" in page
    chloe = text_of(client.get(f"/admin/orders/{o['Chloé']}"))
    assert "Remplacé : Comté → Morbier à 21,00 €/kg" in chloe and "Pris : Morbier (300 g)" in chloe, chloe
    alice = text_of(client.get(f"/admin/orders/{o['Alice']}"))
    assert "Remplacé :" not in alice and "Pris : Comté (500 g)" in alice  # collected before it
    producers = text_of(client.get(f"/admin/distributions/{d}/producers"))
    assert "Brie BRIE + 0,5 kg remis à la place d’un autre produit commandé" in producers, producers


def test_a_voided_substitution_takes_its_credit_back(app, client, world):
    e = the_day(app, world)
    one, two = e["one"], e["two"]
    h = world.households
    pushed(two, [e["sub"]])
    pushed(one, [e["bruno_pay"]])
    assert prepaid(app, h["Bruno"]) == 5000 - 858 + 88
    pushed(two, [two.record("void", {"event_id": e["sub"]["id"], "reason": "erreur"}, world.distribution, at(8))])
    assert prepaid(app, h["Bruno"]) == 5000 - 858 and credits(app, h["Bruno"]) == [88, -88]
    # The statement names a substitution, not a shortage, for the credit and for its undoing.
    with app.app_context():
        town = db.session.get(Point, world.point).town
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    sign_in_as_admin(app, client, "admin@example.org")
    statement = text_of(client.get(f"/admin/members/{h['Bruno']}/accounts"))
    assert f"à {town} : payé avant, différence rendue sur le compte" in statement, statement
    assert f"à {town} : différence rendue, puis annulée" in statement and "manquant" not in statement, statement


def test_a_dearer_substitute_leaves_more_to_pay_and_the_member_page_says_it(app, client, world):
    e = the_day(app, world)
    one, two = e["one"], e["two"]
    dearer = {"product_id": world.comte, "by_product_id": world.brie, "unit_price_cents": 2600}
    pushed(one, [e["bruno_pay"]])
    pushed(two, [two.record("substitution", dearer, world.distribution, at(4))])
    h = world.households
    assert prepaid(app, h["Bruno"]) == 5000 - 858 and credits(app, h["Bruno"]) == []
    with app.app_context():
        household = db.session.get(Household, h["Bruno"])
        issue_ticket(household)
        db.session.commit()
        token = household.page_token
        town = db.session.get(Point, world.point).town
    # 500 g at 26,00 €/kg = 13,00 €, 9,10 € at 70 %: 0,52 € more than the 8,58 € paid.
    words = text_of(client.get(f"/m/{token}", headers={"Accept-Language": "fr"}))
    assert "Remplacé : Comté → Brie à 26,00 €/kg" in words and "Montant dû : 9,10 €" in words, words
    assert "Reste à payer : 0,52 €" in words and town
