"""Shortages (docs/point-adjustments.md): a volunteer records once that a product was delivered short; the rule in
``sync.shortages`` decides what every order not handed over yet receives and owes. Unit tests of the rule, then
phones through the real API on SQLite and PostgreSQL: the log, the order page, the prepaid balances after a
re-upload, and the overpayment a phone that did not know of the shortage leaves for a coordinator; the credit-back
of what was paid from the accounts before the shortage (once, any arrival order, undone by a void of the shortage or
of the payment)."""

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
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Account, AccountMovement, Distribution, Household, Point, Product
from sync.shortages import share
from tests.factories.primitives import distribution, full_tier, member_of, now_to_the_second, order, solidarity_tier
from tests.helpers import sign_in_as_admin
from tests.phones import enrol_phone
from tests.test_distribution_log import pushed, text_of


def test_share_in_proportion_largest_remainders_first():
    assert share(3, {2: 3, 3: 1, 4: 2}) == {2: 2, 3: 0, 4: 1}  # 1,5 / 0,5 / 1: the tie goes to order 2
    assert share(0, {1: 2, 2: 5}) == {1: 0, 2: 0}
    assert share(9, {1: 2, 2: 5}) == {1: 2, 2: 5}  # enough for everyone
    assert share(1000, {1: 500, 2: 1000}) == {1: 333, 2: 667}  # grams


@given(st.integers(0, 50), st.dictionaries(st.integers(1, 30), st.integers(1, 20), min_size=1, max_size=8))
def test_share_gives_what_was_delivered_never_more_than_ordered(delivered, ordered):
    given_out = share(delivered, ordered)
    assert sum(given_out.values()) == min(delivered, sum(ordered.values()))
    assert all(0 <= given_out[o] <= ordered[o] for o in ordered)


@dataclass(frozen=True)
class World:
    point: int
    distribution: int
    orders: dict[str, int]
    households: dict[str, int]
    bread: int
    volunteers: tuple[int, int]


@pytest.fixture
def world(app) -> World:
    """Alice (full price) ordered 2 loaves at 3,50 €, Bruno (70 %, 50,00 € prepaid) 3, Chloé (full price, 20,00 €
    prepaid) 1: 6 loaves; the baker brings 4."""
    with app.app_context():
        point = Point(name="Maison du Luzard", town="Noisiel")
        bread = Product(code="PAIN", name="Pain", unit_price_cents=350)
        main = distribution(point, now_to_the_second())
        full, solidarity = full_tier(), solidarity_tier()
        people = {
            "Alice": Household(first_name="Alice", last_name="Martin", tier=full, point=point),
            "Bruno": Household(first_name="Bruno", last_name="Diallo", tier=solidarity, point=point),
            "Chloé": Household(first_name="Chloé", last_name="Nguyen", tier=full, point=point),
        }
        quantities = {"Alice": 2, "Bruno": 3, "Chloé": 1}
        orders = {name: order(main, people[name], [(bread, quantities[name])]) for name in people}
        volunteers = (
            member_of(point, "volunteer", "valerie@example.org", "Valérie"),
            member_of(point, "volunteer", "omar@example.org", "Omar"),
        )
        db.session.add_all([*orders.values(), *volunteers])
        db.session.flush()
        post(people["Bruno"].id, "prepaid", 5000, "opening")
        post(people["Chloé"].id, "prepaid", 2000, "opening")
        db.session.commit()
        return World(
            point.id,
            main.id,
            {name: made.id for name, made in orders.items()},
            {name: household.id for name, household in people.items()},
            bread.id,
            (volunteers[0].id, volunteers[1].id),
        )


def prepaid(app, household_id: int) -> int:
    with app.app_context():
        return db.session.query(Account).filter_by(household_id=household_id, kind="prepaid").one().balance_cents


def test_a_shortage_changes_what_the_orders_not_collected_yet_owe(app, client, world):
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    two = enrol_phone(app, [world.point], world.volunteers[1], "Phone 2")
    d, o = world.distribution, world.orders
    # Alice collected her 2 loaves before the shortage: untouched. 2 loaves are left for Bruno (3) and Chloé (1):
    # 1,5 and 0,5, the tie to Bruno's order (the smaller id): Bruno 2 (4,90 € at 70 %), Chloé none.
    alice = one.record("handover", {"order_id": o["Alice"], "outcome": "all"}, d)
    alice_pay = one.record("payment", {"order_id": o["Alice"], "amount_cents": 700, "method": "cash"}, d)
    short = one.record("shortage", {"product_id": world.bread, "delivered": 2}, d)
    bruno = one.record("handover", {"order_id": o["Bruno"], "outcome": "all"}, d)
    bruno_pay = one.record(
        "payment",
        {
            "order_id": o["Bruno"],
            "amount_cents": 490,
            "method": "prepaid",
            "from_prepaid_cents": 490,
            "solidarity_cents": 210,
        },
        d,
    )
    pushed(one, [alice, alice_pay, short, bruno, bruno_pay])
    # The other phone did not know: it handed Chloé "her" loaf and took 3,50 € from her prepaid account.
    chloe = two.record("handover", {"order_id": o["Chloé"], "outcome": "all"}, d)
    chloe_pay = two.record(
        "payment", {"order_id": o["Chloé"], "amount_cents": 350, "method": "prepaid", "from_prepaid_cents": 350}, d
    )
    pushed(two, [chloe, chloe_pay])
    again = one.push([alice, alice_pay, short, bruno, bruno_pay])
    assert {result["status"] for result in again.get_json()["results"]} == {"duplicate"}
    assert prepaid(app, world.households["Bruno"]) == 5000 - 490
    assert prepaid(app, world.households["Chloé"]) == 2000 - 350

    with app.app_context():
        state = load_log(db.session.get(Distribution, d)).state
        due = {s.order_id: s.due_cents for s in state.orders}
        assert due == {o["Alice"]: 700, o["Bruno"]: 490, o["Chloé"]: 0}
        shorts = {s.order_id: [(x.ordered, x.receives) for x in s.shortages] for s in state.orders}
        assert shorts == {o["Alice"]: [], o["Bruno"]: [(3, 2)], o["Chloé"]: [(1, 0)]}
        check_conflicts(db.session.get(Distribution, d))
        db.session.commit()
        conflicts = stored_conflicts(d)
        # Chloé paid 3,50 € for nothing: an overpayment for a coordinator to refund; Bruno paid what he owed.
        assert [(c.kind, c.details["order_id"], c.details["excess_cents"]) for c in conflicts] == [
            ("overpayment", o["Chloé"], 350)
        ]

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    sign_in_as_admin(app, client, "admin@example.org")
    log = text_of(client.get(f"/admin/distributions/{d}/log"))
    assert "Manquant" in log and "Pain · livraison de 2 pour les commandes pas encore remises" in log
    page = text_of(client.get(f"/admin/orders/{o['Bruno']}"))
    assert "Manquant : Pain, 2 sur 3" in page and "Pris : 2 × Pain" in page
    assert "Dû pour ce qui a été pris : 4,90 €" in page and "Pas pris" not in page
    alice_page = text_of(client.get(f"/admin/orders/{o['Alice']}"))
    assert "Manquant : Pain" not in alice_page and "Pris : 2 × Pain" in alice_page  # collected before it


def test_a_voided_shortage_gives_the_orders_back(app, world):
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    d = world.distribution
    short = one.record("shortage", {"product_id": world.bread}, d)
    undo = one.record("void", {"event_id": short["id"], "reason": "le boulanger est passé"}, d)
    pushed(one, [short, undo])
    with app.app_context():
        state = load_log(db.session.get(Distribution, d)).state
        assert {s.order_id: s.due_cents for s in state.orders} == {
            world.orders["Alice"]: 700,
            world.orders["Bruno"]: 735,
            world.orders["Chloé"]: 350,
        }
        assert all(not s.shortages for s in state.orders)


def test_the_member_page_says_the_shortage_before_the_pick_up(app, client, world):
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    pushed(one, [one.record("shortage", {"product_id": world.bread, "delivered": 2}, world.distribution)])
    with app.app_context():
        household = db.session.get(Household, world.households["Alice"])
        issue_ticket(household)
        db.session.commit()
        token = household.page_token
    # 2 loaves for 6 ordered: Alice's 2 → 0,67 → 0 r4, Bruno's 3 → 1 r0, Chloé's 1 → 0 r2: Alice gets the one left.
    words = text_of(client.get(f"/m/{token}", headers={"Accept-Language": "fr"}))
    assert "Manquant : Pain, 1 sur 2" in words and "Montant dû : 3,50 €" in words, words


def _event(number: int, device: str, minute: int, kind: str, payload: dict):
    from sync.events import parse_event

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


@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=6),
    st.lists(
        st.tuples(st.sampled_from(["handover", "shortage"]), st.integers(0, 59), st.integers(0, 7), st.booleans()),
        max_size=10,
    ),
    st.randoms(use_true_random=False),
)
def test_the_rule_reads_the_set_of_events_not_their_order(quantities, actions, rng):
    """Any orders of one product, any hand-overs and shortages from two phones: the same set of events in any order,
    some twice, gives the same dues and the same shortages."""
    from sync.projection import Order, OrderLine, project

    orders = [
        Order(n, 100 + n, (OrderLine(40, q, q * 350, 350, 100), OrderLine(12, 1, 1500, 1500, 100)), q * 350 + 1500)
        for n, q in enumerate(quantities, start=1)
    ]
    events = []
    for number, (kind, minute, value, other) in enumerate(actions, start=1):
        device = "phone-2" if other else "phone-1"
        if kind == "handover":
            payload = {"order_id": value % len(orders) + 1, "outcome": "all"}
        else:
            payload = {"product_id": 40, "delivered": value}
        events.append(_event(number, device, minute, kind, payload))
    shuffled = events + events[: len(events) // 2]
    rng.shuffle(shuffled)
    first, second = project(orders, events), project(orders, shuffled)
    assert [(s.due_cents, s.shortages) for s in first.orders] == [(s.due_cents, s.shortages) for s in second.orders]
    for state in first.orders:
        assert all(short.receives < short.ordered for short in state.shortages)
        assert state.due_cents <= orders[state.order_id - 1].total_due_cents


def at(second: int):
    """A device time inside the volunteers' shift (started a minute ago), ``second`` seconds after its start."""
    return utcnow() - timedelta(seconds=55) + timedelta(seconds=second)


def paid_before_the_shortage(app, world: World):
    """Bruno (70 %) paid his 3 loaves, 7,35 €, and Chloé her loaf, 3,50 €, from their prepaid accounts; then the
    baker brought 2 loaves for the 6 ordered (Alice collected before: untouched): Bruno gets 2 (4,90 €), Chloé none."""
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    two = enrol_phone(app, [world.point], world.volunteers[1], "Phone 2")
    d, o = world.distribution, world.orders
    prepaid_payment = {"method": "prepaid"}
    events = {
        "alice": one.record("handover", {"order_id": o["Alice"], "outcome": "all"}, d, at(1)),
        "bruno_pay": one.record(
            "payment",
            {
                "order_id": o["Bruno"],
                "amount_cents": 735,
                **prepaid_payment,
                "from_prepaid_cents": 735,
                "solidarity_cents": 315,
            },
            d,
            at(2),
        ),
        "chloe_pay": one.record(
            "payment",
            {"order_id": o["Chloé"], "amount_cents": 350, **prepaid_payment, "from_prepaid_cents": 350},
            d,
            at(3),
        ),
        "short": two.record("shortage", {"product_id": world.bread, "delivered": 2}, d, at(10)),
    }
    return one, two, events


def credits(app, household_id: int) -> list[tuple[int, str | None]]:
    with app.app_context():
        return list(
            db.session.execute(
                select(AccountMovement.amount_cents, AccountMovement.subject_event_id)
                .join(Account, Account.id == AccountMovement.account_id)
                .where(Account.household_id == household_id, AccountMovement.kind == "shortage_credit")
                .order_by(AccountMovement.id)
            ).tuples()
        )


def test_what_the_shortage_removes_comes_back_to_the_prepaid_accounts_once(app, world):
    one, two, e = paid_before_the_shortage(app, world)
    h = world.households
    # The shortage's phone uploads first: nothing was paid yet as far as the server knows.
    pushed(two, [e["short"]])
    assert prepaid(app, h["Bruno"]) == 5000 and prepaid(app, h["Chloé"]) == 2000
    pushed(one, [e["alice"], e["bruno_pay"], e["chloe_pay"]])
    # 7,35 € taken, 2,45 € back (4,90 € due for 2 loaves); 3,50 € taken, all back.
    assert prepaid(app, h["Bruno"]) == 5000 - 735 + 245
    assert prepaid(app, h["Chloé"]) == 2000
    assert credits(app, h["Bruno"]) == [(245, e["short"]["id"])]
    # Re-uploads post nothing more.
    for phone, sent in ((one, [e["alice"], e["bruno_pay"], e["chloe_pay"]]), (two, [e["short"]])):
        again = phone.push(sent)
        assert {result["status"] for result in again.get_json()["results"]} == {"duplicate"}
    assert prepaid(app, h["Bruno"]) == 4510 and prepaid(app, h["Chloé"]) == 2000
    assert len(credits(app, h["Chloé"])) == 1
    # The accounts got it back: no overpayment left for a coordinator.
    with app.app_context():
        check_conflicts(db.session.get(Distribution, world.distribution))
        db.session.commit()
        assert [c.kind for c in stored_conflicts(world.distribution)] == []


def test_the_log_counts_what_came_back_as_paid_no_more(app, world):
    """The log's takings, each household's moves and each order's paid amount follow the ledger: 10,85 € taken from
    the prepaid accounts, 5,95 € given back, 4,90 € paid (Bruno's 2 loaves); Chloé paid nothing in the end."""
    one, two, e = paid_before_the_shortage(app, world)
    pushed(one, [e["alice"], e["bruno_pay"], e["chloe_pay"]])
    pushed(two, [e["short"]])
    h, o = world.households, world.orders
    with app.app_context():
        state = load_log(db.session.get(Distribution, world.distribution)).state
    assert (state.totals.prepaid_cents, state.totals.paid_cents) == (490, 490)
    moves = {m.household_id: (m.paid_cents, m.prepaid_cents) for m in state.households}
    assert moves[h["Bruno"]] == (490, 490) and moves[h["Chloé"]] == (0, 0)
    paid = {s.order_id: s.paid_cents for s in state.orders}
    assert (paid[o["Bruno"]], paid[o["Chloé"]]) == (490, 0)
    assert prepaid(app, h["Bruno"]) == 5000 - 490 and prepaid(app, h["Chloé"]) == 2000


def test_the_other_arrival_order_gives_the_same_balances(app, world):
    one, two, e = paid_before_the_shortage(app, world)
    pushed(one, [e["alice"], e["bruno_pay"], e["chloe_pay"]])
    assert prepaid(app, world.households["Bruno"]) == 5000 - 735
    pushed(two, [e["short"]])
    assert prepaid(app, world.households["Bruno"]) == 4510
    assert prepaid(app, world.households["Chloé"]) == 2000


def test_a_voided_shortage_takes_its_credit_back_and_a_void_of_the_void_gives_it_again(app, world):
    one, two, e = paid_before_the_shortage(app, world)
    h = world.households
    pushed(one, [e["alice"], e["bruno_pay"], e["chloe_pay"]])
    pushed(two, [e["short"]])
    undo = two.record("void", {"event_id": e["short"]["id"], "reason": "le boulanger est revenu"}, world.distribution)
    pushed(two, [undo])
    assert prepaid(app, h["Bruno"]) == 5000 - 735 and prepaid(app, h["Chloé"]) == 2000 - 350
    assert credits(app, h["Chloé"]) == [(350, e["short"]["id"]), (-350, e["short"]["id"])]
    redo = two.record("void", {"event_id": undo["id"], "reason": "non, il n’est pas revenu"}, world.distribution)
    pushed(two, [redo])
    assert prepaid(app, h["Bruno"]) == 4510 and prepaid(app, h["Chloé"]) == 2000


def test_a_voided_payment_leaves_nothing_to_give_back(app, world):
    one, two, e = paid_before_the_shortage(app, world)
    h = world.households
    pushed(one, [e["alice"], e["bruno_pay"], e["chloe_pay"]])
    pushed(two, [e["short"]])
    undo = one.record("void", {"event_id": e["chloe_pay"]["id"], "reason": "erreur"}, world.distribution)
    pushed(one, [undo])
    # The payment's 3,50 € come back by its void; the credit of 3,50 € goes: she is where she started, once.
    assert prepaid(app, h["Chloé"]) == 2000
    assert sum(cents for cents, _subject in credits(app, h["Chloé"])) == 0
    assert prepaid(app, h["Bruno"]) == 4510


def test_a_payment_recorded_after_the_shortage_is_not_credited(app, world):
    """A phone that did not know of the shortage took a full loaf's price after it: that stays an overpayment for a
    coordinator (as before), not a credit: the rule gives back only what was paid before the shortage."""
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    d, o = world.distribution, world.orders
    short = one.record("shortage", {"product_id": world.bread, "delivered": 2}, d, at(1))
    late = one.record(
        "payment",
        {"order_id": o["Chloé"], "amount_cents": 350, "method": "prepaid", "from_prepaid_cents": 350},
        d,
        at(5),
    )
    pushed(one, [short, late])
    assert prepaid(app, world.households["Chloé"]) == 2000 - 350
    with app.app_context():
        check_conflicts(db.session.get(Distribution, d))
        db.session.commit()
        assert [(c.kind, c.details["excess_cents"]) for c in stored_conflicts(d)] == [("overpayment", 350)]


def test_the_member_page_and_the_statement_say_the_credit(app, client, world):
    one, two, e = paid_before_the_shortage(app, world)
    pushed(one, [e["alice"], e["bruno_pay"], e["chloe_pay"]])
    pushed(two, [e["short"]])
    with app.app_context():
        household = db.session.get(Household, world.households["Bruno"])
        issue_ticket(household)
        db.session.commit()
        token = household.page_token
        town = db.session.get(Point, world.point).town
    member = text_of(client.get(f"/m/{token}", headers={"Accept-Language": "fr"}))
    assert "+2,45 € produit manquant le " in member and f"à {town} : payé avant, rendu sur le compte" in member, member
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    sign_in_as_admin(app, client, "admin@example.org")
    statement = text_of(client.get(f"/admin/members/{world.households['Bruno']}/accounts"))
    assert f"à {town} : payé avant, rendu sur le compte" in statement and "2,45" in statement, statement
