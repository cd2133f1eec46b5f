"""The member's personal page: ticket, next pick-up at their tier, balances; a wrong or rotated link shows nothing."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from server.clock import utcnow
from server.domain.contract_orders import local_day
from server.domain.tickets import issue_ticket, revoke_ticket, rotate_page_token
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    Distribution,
    Household,
    Order,
    OrderLine,
    Point,
    Product,
    Tier,
)


@pytest.fixture
def member(app):
    with app.app_context():
        point = Point(name="Maison de quartier du Luzard", town="Noisiel", address="2 allée du Luzard")
        tier = Tier(name="Tarif solidaire", share_percent=70)
        household = Household(first_name="Awa", last_name="Diallo", tier=tier, point=point)
        basket = Product(code="PANIER-M", name="Panier de légumes M", unit_price_cents=1500)
        start = utcnow() + timedelta(days=2)
        distribution = Distribution(point=point, starts_at=start, ends_at=start + timedelta(hours=1))
        order = Order(distribution=distribution, household=household, share_percent=70)
        order.lines = [OrderLine(product=basket, quantity=1, unit_price_cents=1500)]
        account = Account(household=household, kind="allowance")
        db.session.add_all([order, account, AccountMovement(account=account, amount_cents=5000, reason="SSA")])
        db.session.flush()
        issue_ticket(household)
        db.session.commit()
        return {"id": household.id, "token": household.page_token, "code": household.manual_code}


def test_member_page_shows_ticket_next_pick_up_and_balance(client, member):
    response = client.get(f"/m/{member['token']}", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Awa Diallo" in page and "<svg" in page
    assert f"{member['code'][:4]}-{member['code'][4:8]}-{member['code'][8]}" in page
    assert "Panier de légumes M" in page and "10,50" in page and "Maison de quartier du Luzard" in page
    assert "50,00" in page
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "manifest.webmanifest" in page


def test_manifest_opens_the_members_own_page(client, member):
    manifest = client.get(f"/m/{member['token']}/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert body["start_url"] == f"/m/{member['token']}" and body["display"] == "standalone"
    assert {icon["sizes"] for icon in body["icons"]} == {"192x192", "512x512"}
    assert client.get("/m/sw.js").status_code == 200


def test_the_member_worker_is_built_from_the_one_copy_of_the_push_handlers(client):
    """/m/sw.js is pwa/member/sw.js bundled with pwa/src/push-worker.js (pwa/build-sw.mjs): the push handlers are
    written once, in push-worker.js, and reach both workers."""
    root = Path(__file__).resolve().parent.parent
    source = (root / "pwa/member/sw.js").read_text()
    assert "from '../src/push-worker.js'" in source and "showNotification" not in source
    served = client.get("/m/sw.js")
    assert served.status_code == 200 and served.headers["Cache-Control"] == "no-cache"
    assert "showNotification" in served.text and "import " not in served.text


@pytest.mark.parametrize("token", ["x", "a" * 43, "../../etc/passwd", "a" * 500])
def test_wrong_links_show_nothing(client, member, token):
    assert client.get(f"/m/{token}").status_code == 404


def test_rotated_link_stops_working(app, client, member):
    with app.app_context():
        new = rotate_page_token(db.session.get(Household, member["id"]))
        db.session.commit()
    assert client.get(f"/m/{member['token']}").status_code == 404
    assert client.get(f"/m/{new}").status_code == 200


def test_revoked_ticket_is_not_shown(app, client, member):
    with app.app_context():
        revoke_ticket(db.session.get(Household, member["id"]))
        db.session.commit()
    page = client.get(f"/m/{member['token']}").get_data(as_text=True)
    assert "<svg" not in page
    assert re.search(r'role="alert"', page)


# After the distribution: what the phones recorded, read for this member alone.


@pytest.fixture
def collected_day(app):
    """The distribution log's world (a distribution running now), Bruno's ticket, and a phone that recorded the day:
    Bruno's basket handed over and paid (a wrong payment undone, the undo undone and redone), other members'
    hand-overs and payments around it."""
    from tests.factories.distribution_log import distribution_log_world
    from tests.phones import enrol_phone

    with app.app_context():
        world = distribution_log_world()
        bruno = db.session.get(Household, world.households["Bruno"])
        issue_ticket(bruno)
        db.session.commit()
        token = bruno.page_token
    phone = enrol_phone(app, [world.point], world.volunteers[0])
    d, o = world.distribution, world.orders
    events = []
    for name in ("Alice", "Chloé", "David", "Emma"):
        events.append(phone.record("handover", {"order_id": o[name], "outcome": "all"}, d))
        events.append(phone.record("payment", {"order_id": o[name], "amount_cents": 700, "method": "card"}, d))
    events.append(phone.record("void", {"event_id": events[-1]["id"]}, d))  # someone else's undo
    handover = phone.record("handover", {"order_id": o["Bruno"], "outcome": "all"}, d)
    wrong = phone.record("payment", {"order_id": o["Bruno"], "amount_cents": 1050, "method": "card"}, d)
    undo = phone.record("void", {"event_id": wrong["id"]}, d)
    undo_undo = phone.record("void", {"event_id": undo["id"]}, d)
    redo = phone.record("void", {"event_id": undo_undo["id"]}, d)
    cash = phone.record("payment", {"order_id": o["Bruno"], "amount_cents": 550, "method": "cash"}, d)
    prepaid = phone.record(
        "payment",
        {
            "household_id": world.households["Bruno"],
            "amount_cents": 500,
            "method": "prepaid",
            "from_prepaid_cents": 500,
        },
        d,
    )
    events += [handover, wrong, undo, undo_undo, redo, cash, prepaid]
    answer = phone.push(events)
    assert answer.status_code == 200 and {r["status"] for r in answer.get_json()["results"]} == {"accepted"}
    mine = {e["id"] for e in (handover, wrong, undo, undo_undo, redo, cash, prepaid)}
    return {"token": token, "order": o["Bruno"], "mine": mine}


def test_the_page_shows_the_collected_basket_and_what_was_paid(client, collected_day):
    page = client.get(f"/m/{collected_day['token']}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Panier récupéré le" in page
    assert "5,50\u00a0€ payés en espèces" in page
    assert "5,00\u00a0€ pris sur votre compte prépayé" in page
    assert "carte" not in page  # the card payment was undone (undo, undo of the undo, undone again)
    assert "Rien à payer." in page and "Montant dû" not in page
    assert "retir" not in page.lower()


def test_the_page_reads_only_this_members_events(app, client, collected_day):
    from sqlalchemy import event

    from server.members.collection import member_events
    from server.models import Order

    with app.app_context():
        order = db.session.get(Order, collected_day["order"])
        assert {e.id for e in member_events(order)} == collected_day["mine"]

        statements: list[str] = []
        listen = lambda _conn, _cursor, statement, *_args: statements.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert client.get(f"/m/{collected_day['token']}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
    reads = [s for s in statements if re.search(r"\bFROM events\b", s)]
    assert reads, statements
    for statement in reads:  # by distribution (indexed), and by this order, household or its events in the database
        assert "events.distribution_id" in statement and re.search(r"order_id|event_id", statement), statement


# Once the distribution has ended: the last basket stays on the page for a while (docs/tickets.md).


def _ends_at(app, order_id: int):
    from server.models import Order

    with app.app_context():
        return db.session.get(Order, order_id).distribution.ends_at


def _event_reads(app, client, token: str) -> list[str]:
    """The page's statements that read the events table."""
    from sqlalchemy import event

    statements: list[str] = []
    listen = lambda _conn, _cursor, statement, *_args: statements.append(statement)  # noqa: E731
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert client.get(f"/m/{token}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
    return [s for s in statements if re.search(r"\bFROM events\b", s)]


def test_after_the_end_the_page_still_shows_the_collected_basket(app, client, collected_day, time_machine):
    """Collected and paid, then the distribution ends: the page keeps "Votre dernier panier" with what was recorded,
    instead of forgetting it."""
    time_machine.move_to(_ends_at(app, collected_day["order"]) + timedelta(minutes=4), tick=False)
    page = client.get(f"/m/{collected_day['token']}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Votre dernier panier" in page
    assert "Panier récupéré le" in page
    assert "5,50\u00a0€ payés en espèces" in page and "5,00\u00a0€ pris sur votre compte prépayé" in page
    assert "Rien à payer." in page and "Montant dû" not in page
    english = client.get(f"/m/{collected_day['token']}?lang=en").get_data(as_text=True)
    assert "Your last basket" in english and "Basket collected on" in english

    reads = _event_reads(app, client, collected_day["token"])
    assert reads
    for statement in reads:  # still this member's events of that one distribution
        assert "events.distribution_id" in statement and re.search(r"order_id|event_id", statement), statement


def test_the_last_basket_stays_until_the_next_distribution_starts(app, client, collected_day, time_machine):
    from server.models import Order

    with app.app_context():
        last = db.session.get(Order, collected_day["order"])
        starts = last.distribution.starts_at + timedelta(days=7)
        following = Distribution(point=last.distribution.point, starts_at=starts, ends_at=starts + timedelta(hours=2))
        db.session.add(following)
        db.session.add(Order(distribution=following, household=last.household, share_percent=70))
        db.session.commit()
    time_machine.move_to(starts - timedelta(days=1), tick=False)
    page = client.get(f"/m/{collected_day['token']}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Votre dernier panier" in page and "Panier récupéré le" in page
    assert "Votre prochain panier" in page and page.index("Votre dernier panier") < page.index("Votre prochain panier")
    time_machine.move_to(starts + timedelta(minutes=1), tick=False)
    page = client.get(f"/m/{collected_day['token']}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Votre dernier panier" not in page and "Panier récupéré" not in page and "Votre panier" in page


def test_with_nothing_planned_the_last_basket_stays_seven_days(app, client, collected_day, time_machine):
    ends = _ends_at(app, collected_day["order"])
    time_machine.move_to(ends + timedelta(days=6, hours=23), tick=False)
    assert "Votre dernier panier" in client.get(f"/m/{collected_day['token']}?lang=fr").get_data(as_text=True)
    time_machine.move_to(ends + timedelta(days=7, minutes=1), tick=False)
    page = client.get(f"/m/{collected_day['token']}?lang=fr").get_data(as_text=True)
    assert "Votre dernier panier" not in page and "Panier récupéré" not in page


def test_a_basket_not_collected_says_so_plainly(app, client, member, time_machine):
    with app.app_context():
        ends = db.session.scalar(select(Distribution.ends_at))
    time_machine.move_to(ends + timedelta(hours=1), tick=False)
    page = client.get(f"/m/{member['token']}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Votre dernier panier" in page
    assert re.search(r"Panier non récupéré le \d{1,2}\u00a0\w+", page), page
    assert "Montant dû" not in page and "Reste à payer" not in page
    english = client.get(f"/m/{member['token']}?lang=en").get_data(as_text=True)
    assert re.search(r"Basket not collected on \d{1,2}\u00a0\w+", english)


def test_the_address_names_the_town_once(app, client, member):
    page = client.get(f"/m/{member['token']}").get_data(as_text=True)
    assert "Maison de quartier du Luzard, 2 allée du Luzard, Noisiel" in page
    with app.app_context():
        point = db.session.scalar(select(Point))
        point.name, point.address, point.town = "Le Buisson", "Boulevard du Mandinet, 77185 Lognes", "Lognes"
        db.session.commit()
    page = client.get(f"/m/{member['token']}").get_data(as_text=True)
    assert "Le Buisson, Boulevard du Mandinet, 77185 Lognes</p>" in page
    assert "Lognes, Lognes" not in page


@pytest.mark.parametrize(
    ("address", "town", "line"),
    [
        ("Boulevard du Mandinet, 77185 Lognes", "Lognes", "P, Boulevard du Mandinet, 77185 Lognes"),
        ("1 place de l'Église, 42000 SAINT-ETIENNE.", "Saint-Étienne", "P, 1 place de l'Église, 42000 SAINT-ETIENNE."),
        ("3 rue des Malognes", "Lognes", "P, 3 rue des Malognes, Lognes"),  # a word that ends like the town is not it
        ("2 allée du Luzard", "Noisiel", "P, 2 allée du Luzard, Noisiel"),
        (None, "Noisiel", "P, Noisiel"),
        ("  ", "Noisiel", "P, Noisiel"),
    ],
)
def test_the_place_says_the_town_once(address, town, line):
    from server.members.words import place_line

    assert place_line(Point(name="P", address=address, town=town)) == line


def test_the_tier_is_in_the_members_details_not_on_the_ticket(client, member):
    """The volunteer reads the ticket at the counter: the tier is below, in the member's own details."""
    page = client.get(f"/m/{member['token']}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    ticket = page[page.index('<article class="ticket">') : page.index("</article>")]
    assert "Tarif solidaire" not in ticket and "<svg" in ticket
    assert "Mes informations" in page and "Tarif solidaire · Maison de quartier du Luzard" in page
    assert page.index("Tarif solidaire") > page.index("Votre panier")


def test_once_todays_basket_is_collected_it_is_the_last_and_the_next_is_the_following_one(
    app, client, collected_day, time_machine
):
    """Bruno collected today's basket while the distribution still runs: the page calls it his last basket (not the
    week before's, not collected) and his next basket is next week's, at the distribution after today's."""
    from server.models import Order

    with app.app_context():
        today = db.session.get(Order, collected_day["order"])
        point, household = today.distribution.point, today.household
        now = today.distribution.starts_at + timedelta(minutes=30)
        week_before = Distribution(
            point=point,
            starts_at=today.distribution.starts_at - timedelta(days=7),
            ends_at=today.distribution.ends_at - timedelta(days=7),
        )
        following = Distribution(
            point=point,
            starts_at=today.distribution.starts_at + timedelta(days=7),
            ends_at=today.distribution.ends_at + timedelta(days=7),
        )
        db.session.add_all(
            [Order(distribution=d, household=household, share_percent=70) for d in (week_before, following)]
        )
        db.session.commit()
        following_day, today_ends = local_day(following), today.distribution.ends_at
    time_machine.move_to(now, tick=False)
    page = client.get(f"/m/{collected_day['token']}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Votre dernier panier" in page and "Votre prochain panier" in page
    last, following_part = page.split("Votre prochain panier", 1)
    assert "Panier récupéré le" in last.split("Votre dernier panier", 1)[1]
    assert "Panier non récupéré" not in page
    assert "Panier récupéré" not in following_part
    assert str(following_day.day) in following_part.split("</section>", 1)[0]

    time_machine.move_to(today_ends + timedelta(hours=1), tick=False)  # and once today's has ended
    after = client.get(f"/m/{collected_day['token']}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Panier non récupéré" not in after and "Votre prochain panier" in after
    assert "Panier récupéré le" in after.split("Votre prochain panier", 1)[0]


def test_a_basket_still_to_collect_today_stays_the_next_one(app, client, member, time_machine):
    """Today's distribution runs and nothing was handed over yet: it is the member's basket, no last one."""
    with app.app_context():
        starts = db.session.scalar(select(Distribution.starts_at))
    time_machine.move_to(starts + timedelta(minutes=10), tick=False)
    page = client.get(f"/m/{member['token']}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Votre panier" in page and "Votre dernier panier" not in page and "Montant dû" in page
