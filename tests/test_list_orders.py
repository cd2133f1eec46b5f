"""The cards to print and the membership list page through many households in their order without sorting them all
(migration ``0024_list_orders``, ``server/paging.py``): the pages hold the same members in the same order as the whole
list sorted in Python, on SQLite and PostgreSQL, and on PostgreSQL each statement can be answered from an index, with
no Sort and no sequential scan of the table."""

import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, text

from server.extensions import db
from server.models import Household, NetworkSettings, Point
from tests.factories.primitives import full_tier
from tests.helpers import sign_in_as_admin, statements_run

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)
PER_PAGE = 25  # server/admin/views.py
CARDS_PER_LIST_PAGE = 50  # server/admin/tickets.py


@pytest.fixture
def admin(app, client, time_machine):
    time_machine.move_to(NOW, tick=False)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in_as_admin(app, client, "admin@example.org")
    return client


@pytest.fixture
def network(app, admin) -> list[dict]:
    """1,200 households: a few names shared (the id decides), tickets issued on 40 days (some none, some revoked),
    never paid, ended, ending within 30 days or later, some suspended."""
    chance = random.Random(16)
    with app.app_context():
        tier, point = full_tier(), Point(name="Maison du Luzard", town="Noisiel")
        db.session.add_all([tier, point])
        db.session.flush()
        rows = []
        for _ in range(1200):
            paid = chance.choice([None, None, -400, -3, -1, 0, 1, 29, 30, 31, 200])
            ticket = chance.random() < 0.9
            rows.append(
                {
                    "first_name": chance.choice(["Awa", "Léo", "Zoé", "Ana"]),
                    "last_name": f"Nom{chance.randrange(300):03d}",
                    "tier_id": tier.id,
                    "point_id": point.id,
                    "status": "active" if chance.random() < 0.9 else "suspended",
                    "ticket_serial": chance.choice([0, 1]) if ticket else None,
                    "ticket_min_serial": chance.choice([0, 0, 0, 1]) if ticket else 0,
                    "ticket_issued_on": TODAY - timedelta(days=chance.randrange(40)) if ticket else None,
                    "membership_paid_until": None if paid is None else TODAY + timedelta(days=paid),
                }
            )
        db.session.execute(insert(Household), rows)
        NetworkSettings.current().membership_fee_cents = 1500
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE households"))
            db.session.commit()
        stored = db.session.execute(
            text(
                "SELECT id, first_name, last_name, status, ticket_serial, ticket_min_serial, ticket_issued_on, "
                "membership_paid_until FROM households"
            )
        )
        return [dict(row._mapping) for row in stored]


def _day(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def expected_cards(households: list[dict]) -> list[int]:
    printable = [
        h
        for h in households
        if h["status"] == "active" and h["ticket_serial"] is not None and h["ticket_serial"] >= h["ticket_min_serial"]
    ]
    by_name = sorted(printable, key=lambda h: (h["last_name"], h["first_name"], h["id"]))
    return [h["id"] for h in sorted(by_name, key=lambda h: _day(h["ticket_issued_on"]), reverse=True)]


def expected_due(households: list[dict]) -> list[int]:
    def group(h: dict) -> int | None:
        paid = _day(h["membership_paid_until"])
        if h["status"] != "active":
            return None
        if paid is None:
            return 0
        if paid < TODAY:
            return 1
        return 2 if paid < TODAY + timedelta(days=30) else None

    due = [h for h in households if group(h) is not None]
    return [h["id"] for h in sorted(due, key=lambda h: (group(h), h["last_name"], h["first_name"], h["id"]))]


def listed(client, url: str, pattern: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, url
    return [int(value) for value in re.findall(pattern, response.get_data(as_text=True))]


CARD = r'name="member" value="(\d+)"'
DUE = r'href="/admin/members/(\d+)/edit"'


def test_every_page_of_the_cards_list_in_order(app, admin, network):
    expected = expected_cards(network)
    assert len(expected) > 3 * CARDS_PER_LIST_PAGE
    pages = -(-len(expected) // CARDS_PER_LIST_PAGE)
    seen = [i for page in range(1, pages + 1) for i in listed(admin, f"/admin/cards/?page={page}", CARD)]
    assert seen == expected
    assert admin.get(f"/admin/cards/?page={pages + 1}").location == f"/admin/cards/?page={pages}"
    assert f"{len(expected)} " in admin.get("/admin/cards/").get_data(as_text=True)


def test_every_page_of_who_is_due_in_order_across_the_groups(app, admin, network):
    expected = expected_due(network)
    assert len(expected) > 4 * PER_PAGE
    pages = -(-len(expected) // PER_PAGE)
    seen = [i for page in range(1, pages + 1) for i in listed(admin, f"/admin/membership/?page={page}", DUE)]
    assert seen == expected  # a page spanning two groups takes the end of one and the start of the next
    assert admin.get(f"/admin/membership/?page={pages + 1}").location == f"/admin/membership/?page={pages}"
    assert f"{len(expected)} results" in admin.get("/admin/membership/").get_data(as_text=True)


def statements(app, client, url: str) -> list[tuple[str, dict]]:
    """The statements (with their parameters) a page runs on the households table."""
    return statements_run(
        app,
        client,
        url,
        lambda statement: bool(re.search(r"FROM households\b", statement)) and "households.status" in statement,
    )


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("url", "index", "least"),
    [
        ("/admin/cards/", "ix_households_cards", 2),  # the page and its count
        ("/admin/cards/?page=4", "ix_households_cards", 2),
        # three counts and a page of one or two groups: from the date indexes or the name index, as the planner finds
        # cheaper for the group's size; never a sort
        ("/admin/membership/", "ix_households_", 4),
        ("/admin/membership/?page=6", "ix_households_", 4),
    ],
)
def test_postgresql_reads_the_lists_from_their_indexes(app, admin, network, url, index, least):
    """Each statement explained with its parameters, sorts and sequential scans set off (a test table of 1,200 rows is
    cheaper to read whole, as 200,000 are not): if an index could not give the order, a Sort would stay in the plan."""
    seen = statements(app, admin, url)
    assert len(seen) >= least, seen
    plans = []
    with app.app_context(), db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_sort = off")
        for statement, parameters in seen:
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
            assert "Sort" not in plan and "Seq Scan on households" not in plan, plan
            plans.append(plan)
    assert any(index in plan for plan in plans), "\n\n".join(plans)
