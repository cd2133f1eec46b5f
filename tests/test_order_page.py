"""An order's page (issue 14): its pick-up as the distribution log's projection gives it (collected, partial,
refused, not collected, pending), what was paid and how, voided payments as such, the events behind them linked to
the log; and a household's pick-ups saying the same. Events from phones through the real API, on SQLite and
PostgreSQL (the day of tests/test_distribution_log.py)."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import event

from server.domain.distribution_log import load_log
from server.domain.order_events import order_events
from server.extensions import db
from server.models import Distribution, Order
from tests import test_distribution_log as log_tests
from tests.test_distribution_log import log_url, text_of

# The day of tests/test_distribution_log.py: its world, its two phones' events, an admin reading in English.
world, day, admin = log_tests.world, log_tests.day, log_tests.admin

PICKUPS = {
    "Alice": "collected",
    "Bruno": "partial",
    "Chloé": "refused",
    "David": "collected",  # by both phones: a conflict, the status the same
    "Emma": "collected",
    "Farid": "pending",  # the distribution has not ended
    "Gaëlle": "collected",
    "old": "not_collected",  # ten days ago: paid, never handed over
}
LOG_STATUS = {  # the projection's status each pick-up comes from
    "collected": "collected",
    "partial": "partially_collected",
    "refused": "not_collected",
    "not_collected": "not_collected",
    "pending": "not_collected",
}


def order_url(world, name: str) -> str:
    return f"/admin/orders/{world.orders[name]}"


def pickup_of(html: str) -> str:
    return re.search(r'id="pickup-status" data-pickup="(\w+)"', html).group(1)


def section(html: str, name: str) -> str:
    return html[html.index(f'<section id="{name}"') :].split("</section>")[0]


@pytest.mark.parametrize("name", sorted(PICKUPS))
def test_each_order_says_its_pickup_as_the_log_projects_it(app, world, day, admin, name):
    response = admin.get(order_url(world, name))
    assert response.status_code == 200
    assert pickup_of(response.get_data(as_text=True)) == PICKUPS[name]
    with app.app_context():
        order = db.session.get(Order, world.orders[name])
        log = load_log(db.session.get(Distribution, order.distribution_id))
        (state,) = [state for state in log.state.orders if state.order_id == order.id]
    assert state.status == LOG_STATUS[PICKUPS[name]]


def test_the_pickup_in_words(world, day, admin):
    page = text_of(admin.get(order_url(world, "Bruno")))
    assert (
        "Pick-up Partially collected · recorded at " in page
        and " by Phone 1 (Valérie Roux) · see it in the log" in page
    )
    assert "Taken: 1 × Panier S" in page and "Not taken: 1 × Panier M" in page
    assert "Paid: €10.50 (Cheque €7.50, Prepaid balance €3.00)." in page
    farid = text_of(admin.get(order_url(world, "Farid")))
    assert "Not collected yet · the distribution has not ended: the member is still expected." in farid
    assert "Nothing paid." in farid and "No payment recorded for this order." in farid
    assert "No phone has recorded anything about this order yet." in farid
    old = text_of(admin.get(order_url(world, "old")))
    assert "Not collected · no phone recorded a hand-over." in old and "Paid: €10.00 (Cash €10.00)." in old
    chloe = text_of(admin.get(order_url(world, "Chloé")))
    assert "Refused · recorded at " in chloe and "by Phone 2 (Omar Haddad)" in chloe


def test_payments_by_method_with_the_cheque_number_and_the_accounts(world, day, admin):
    bruno = text_of(admin.get(order_url(world, "Bruno")))
    assert (
        "€10.50 Cheque: €7.50 (Chèque n° 1234567) · Prepaid balance: €3.00 · Solidarity share: €4.50 "
        "Phone 1 Valérie Roux" in bruno
    )
    david = text_of(admin.get(order_url(world, "David")))
    assert "€15.00 Card (TPE 42) Phone 2 Omar Haddad" in david
    gaelle = text_of(admin.get(order_url(world, "Gaëlle")))
    assert "€1.89 Solidarity allowance · Solidarity share: €0.81 Phone 2 Omar Haddad" in gaelle
    assert "Paid: €1.89 (Solidarity allowance €1.89)." in gaelle


def test_a_voided_payment_is_shown_undone_and_not_counted(world, day, admin):
    html = admin.get(order_url(world, "Emma")).get_data(as_text=True)
    payments = section(html, "payments")
    wrong, right = day.events["emma_wrong"]["id"], day.events["emma_pay"]["id"]
    assert f'<tr data-payment="{wrong}" class="voided">' in payments and f'<tr data-payment="{right}">' in payments
    assert "undone" in payments.split(f'data-payment="{wrong}"')[1].split("</tr>")[0]
    assert "Paid: €7.00 (Cash €7.00)." in text_of(admin.get(order_url(world, "Emma")))
    events = section(html, "events")
    shown = re.findall(r'data-event="([0-9a-f-]+)"', events)
    assert set(shown) == {day.events[n]["id"] for n in ("emma", "emma_wrong", "undo", "emma_pay")}
    assert "Undoes Payment" in text_of(admin.get(order_url(world, "Emma"))) and "Reason: wrong amount" in events


def test_the_events_are_the_orders_and_link_to_the_log(app, world, day, admin):
    html = admin.get(order_url(world, "David")).get_data(as_text=True)
    events = section(html, "events")
    names = ("david1", "david2", "david_pay")
    assert set(re.findall(r'data-event="([0-9a-f-]+)"', events)) == {day.events[n]["id"] for n in names}
    page = text_of(admin.get(order_url(world, "David")))
    assert "Phone 1 Valérie Roux Hand-over David Éluard · Everything" in page
    assert "Phone 2 Omar Haddad Payment David Éluard · €15.00 · Card (TPE 42)" in page
    target = day.events["david2"]["id"]
    link = f"{log_url(world)}?event={target}"
    assert f'href="{link}"' in events
    found = admin.get(link)
    assert found.status_code == 302
    parts = urlsplit(found.location)
    assert parts.path == log_url(world) and parse_qs(parts.query) == {"page": ["1"]}
    assert parts.fragment == f"event-{target}"
    assert f'id="event-{target}"' in admin.get(found.location).get_data(as_text=True)


def test_the_order_page_reads_only_its_own_events(app, world, day, admin):
    """No query reads the distribution's whole log: every events query names the order or the events it undoes."""
    with app.app_context():
        order = db.session.get(Order, world.orders["Emma"])
        assert {item.event.id for item in order_events(order)} == {
            day.events[n]["id"] for n in ("emma", "emma_wrong", "undo", "emma_pay")
        }
        engine = db.engine
    reads: list[str] = []

    def note(_connection, _cursor, statement, *_args) -> None:
        if "FROM events" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        assert admin.get(order_url(world, "Emma")).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    # The order's hand-overs and payments filtered by the payload in the database, then the undos by their target.
    assert reads and all(
        "target_event_id IN" in sql or "json_extract(events.payload" in sql.lower() or "events.payload ->" in sql
        for sql in reads
    ), "\n\n".join(reads)


def test_the_household_pickups_say_what_the_order_page_says(world, day, admin):
    response = admin.get(f"/admin/members/{world.households['Alice']}/accounts")
    html, page = response.get_data(as_text=True), text_of(response)
    pickups = section(html, "pickups")
    assert re.findall(r'href="/admin/orders/(\d+)" data-pickup="(\w+)"', pickups) == [
        (str(world.orders["Alice"]), "collected"),
        (str(world.orders["old"]), "not_collected"),
    ]
    assert "Collected €17.70 €17.70 · Cash" in page and "Not collected €10.00 €10.00 · Cash" in page
    for name in ("Bruno", "Chloé", "Farid"):
        html = admin.get(f"/admin/members/{world.households[name]}/accounts").get_data(as_text=True)
        (found,) = re.findall(r'data-pickup="(\w+)"', section(html, "pickups"))
        assert found == PICKUPS[name] == pickup_of(admin.get(order_url(world, name)).get_data(as_text=True))
    bruno = text_of(admin.get(f"/admin/members/{world.households['Bruno']}/accounts"))
    assert "Partially collected €0.00 €7.50 · Cheque €3.00 · Prepaid balance" in bruno


def test_household_pickups_are_paged(app, world, day, admin):
    from server.admin.households import PICKUPS_PER_PAGE
    from tests.factories.primitives import DAY, distribution, order

    with app.app_context():
        from server.models import Household, Point, Product

        point = db.session.get(Point, world.point)
        alice = db.session.get(Household, world.households["Alice"])
        basket = db.session.get(Product, world.products["LEG-S"])
        for n in range(PICKUPS_PER_PAGE):
            past = distribution(
                point, db.session.get(Distribution, world.distribution).starts_at, starts_in=-(20 + n) * DAY
            )
            db.session.add(past)
            db.session.add(order(past, alice, [(basket, 1)]))
        db.session.commit()
    url = f"/admin/members/{world.households['Alice']}/accounts"
    first = admin.get(url).get_data(as_text=True)
    assert len(re.findall(r"data-pickup=", section(first, "pickups"))) == PICKUPS_PER_PAGE
    assert "pickups_page=2" in section(first, "pickups")
    second = admin.get(url, query_string={"pickups_page": 2}).get_data(as_text=True)
    assert len(re.findall(r'data-pickup="not_collected"', section(second, "pickups"))) == 2


def test_an_open_conflict_on_the_order_is_said_beside_its_pickup_and_links_to_the_log(app, world, day, admin):
    """David's order was handed over by both phones: its page says the conflict in the log's words, and links to it;
    once resolved, it says so, still linked."""
    double = next(c for c in log_tests.conflicts_of(app, world.distribution).values() if c.kind == "double_handover")
    html = admin.get(order_url(world, "David")).get_data(as_text=True)
    pickup = section(html, "pickup")
    assert f'href="{log_url(world)}#conflict-{double.id}"' in pickup
    assert "Conflict to resolve: Order handed over twice" in text_of(admin.get(order_url(world, "David")))
    assert "onflict" not in text_of(admin.get(order_url(world, "Alice")))
    french = text_of(admin.get(order_url(world, "David"), query_string={"lang": "fr"}))
    assert "Conflit à résoudre : Commande remise deux fois" in french
    token = log_tests.csrf_token(admin.get(log_url(world)).get_data(as_text=True))
    answer = admin.post(
        log_tests.resolve_url(world, double.id),
        data={"csrf_token": token, "action": "accept", "comment": "Deux paniers remis."},
    )
    assert answer.status_code == 302
    after = admin.get(order_url(world, "David"), query_string={"lang": "en"}).get_data(as_text=True)
    assert "Conflict resolved: Order handed over twice" in text_of(admin.get(order_url(world, "David")))
    assert f'href="{log_url(world)}#conflict-{double.id}"' in section(after, "pickup")


def test_a_refused_order_owes_no_solidarity_share(world, day, admin):
    chloe = text_of(admin.get(order_url(world, "Chloé")))
    assert "Solidarity share covered by the network" not in chloe
    assert "Nothing was taken: no solidarity share." in chloe
    french = text_of(admin.get(order_url(world, "Chloé"), query_string={"lang": "fr"}))
    assert "Rien n'a été pris : aucune part solidaire." in french and "Part solidaire prise en charge" not in french


def test_an_order_nobody_recorded_on_an_ended_distribution_says_no_yet(app, world, day, admin):
    with app.app_context():
        ends_at = db.session.get(Distribution, world.distribution).ends_at
    assert "No phone has recorded anything about this order yet." in text_of(admin.get(order_url(world, "Farid")))
    with time_machine.travel(ends_at + timedelta(minutes=1), tick=False):
        farid = admin.get(order_url(world, "Farid"), query_string={"lang": "fr"})
    page = text_of(farid)
    assert "Aucun téléphone n'a rien enregistré sur cette commande." in page
    assert "encore" not in page.split("Paiements")[1]
