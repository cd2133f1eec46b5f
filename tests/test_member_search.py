"""Searching members by name (``server/search_text.py``): what a search finds, on SQLite and PostgreSQL, and that
PostgreSQL answers the members page's search from its trigram indexes (migration ``0020_member_search``) rather than
by reading the whole households table."""

import re
from html import unescape

import pytest
from sqlalchemy import insert, text

from server.domain.tickets import issue_missing_tickets
from server.extensions import db
from server.models import Household, Point
from tests.factories.primitives import full_tier
from tests.helpers import sign_in_as_admin, statements_run

SEARCH_INDEXES = {"ix_households_search_first_last", "ix_households_search_last_first", "ix_households_search_email"}


@pytest.fixture
def admin(app, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in_as_admin(app, client, "admin@example.org")
    return client


@pytest.fixture
def members(app) -> dict[str, int]:
    with app.app_context():
        tier, point = full_tier(), Point(name="Maison du Luzard", town="Noisiel")
        people = {
            "David": Household(first_name="David", last_name="Éluard", tier=tier, point=point),
            "Zoé": Household(first_name="Zoé", last_name="Lefèvre", tier=tier, email="zoe.l@example.org"),
            "Joao": Household(first_name="João", last_name="Silva", tier=tier, point=point),
            "Anne": Household(first_name="Anne-Marie", last_name="DE LA TOUR", tier=tier, point=point),
            "Eric": Household(first_name="Eric", last_name="Eluard", tier=tier, point=point),
            "Percent": Household(first_name="Bio", last_name="100%_nature", tier=tier),
        }
        db.session.add_all(people.values())
        db.session.commit()
        return {name: household.id for name, household in people.items()}


def found(client, url: str) -> set[int]:
    """The households a members page lists, by id."""
    html = client.get(url).get_data(as_text=True)
    return {int(value) for value in re.findall(r'href="/admin/members/(\d+)/edit">', html)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("eluard", {"David", "Eric"}),  # the surname, accents aside both ways
        ("Éluard", {"David", "Eric"}),
        ("ÉLUARD", {"David", "Eric"}),  # case aside, accented capitals too (SQLite's lower is ASCII)
        ("david", {"David"}),  # the first name
        ("zoe", {"Zoé"}),
        ("LEFEVRE zo", {"Zoé"}),  # last name then first name
        ("zoé lef", {"Zoé"}),  # first name then last name
        ("joao silva", {"Joao"}),
        ("de la tour", {"Anne"}),
        ("anne-marie", {"Anne"}),
        ("ZOE.L@EXAMPLE", {"Zoé"}),  # the e-mail, case aside
        ("0%_", {"Percent"}),  # LIKE's wildcards taken literally
        ("100%", {"Percent"}),
        ("0_n", set()),
        ("zz", set()),
        ("david eluard eric", set()),
    ],
)
def test_the_members_search_finds(app, admin, members, query, expected):
    url = f"/admin/members/?q={query.replace('%', '%25')}"
    assert found(admin, url) == {members[name] for name in expected}


def test_the_cards_list_searches_names_alike(app, admin, members):
    with app.app_context():
        issue_missing_tickets()  # a ticket each: who can have a card
        db.session.commit()
    html = admin.get("/admin/cards/?q=eluard").get_data(as_text=True)
    assert "Éluard" in html and "Eric" in html and "Zoé" not in html


def test_many_matches_ask_to_refine_the_search(app, admin, members):
    with app.app_context():
        tier = db.session.get(Household, members["David"]).tier_id
        db.session.execute(
            insert(Household),
            [{"first_name": f"Jean{n:02d}", "last_name": "Martin", "tier_id": tier} for n in range(30)],
        )
        db.session.commit()
    page = unescape(admin.get("/admin/members/?q=martin").get_data(as_text=True))
    assert "30 results" in page and "Many members match: add to the search" in page
    assert "Many members match" not in unescape(admin.get("/admin/members/?q=eluard").get_data(as_text=True))
    assert "Many members match" not in unescape(admin.get("/admin/members/").get_data(as_text=True))


# PostgreSQL: the index, not the table.


def search_statements(app, client, url: str) -> list[tuple[str, dict]]:
    """The statements (with their parameters) the members page runs that search by name."""
    return statements_run(app, client, url, lambda statement: "translate(" in statement)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite has no such index: it scans
def test_postgresql_searches_through_the_trigram_indexes(app, admin, members):
    """The members page's own statements (the page and its count), explained with the parameters they ran with, can
    be answered from the search indexes: the planner matches the search's expressions to the indexes'. Sequential
    scans and plain index scans are set off for the explanation: a test table of two thousand rows is cheaper to
    scan, as it would not be at 200,000 households (docs/architecture.md, "Member search", has the plan there)."""
    with app.app_context():
        tier = db.session.get(Household, members["David"]).tier_id
        db.session.execute(
            insert(Household),
            [
                {"first_name": f"Prénom{n}", "last_name": f"Nom{n:05d}", "tier_id": tier, "email": f"m{n}@ex.org"}
                for n in range(2000)
            ],
        )
        db.session.commit()
        indexes = set(db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'households'")))
        assert indexes >= SEARCH_INDEXES
        db.session.execute(text("ANALYZE households"))
        db.session.commit()
    for query in ("eluard", "zoe.l@example", "lefevre zo"):
        statements = search_statements(app, admin, f"/admin/members/?q={query}")
        assert len(statements) == 2, query  # the count and the page
        with app.app_context(), db.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            conn.exec_driver_sql("SET enable_indexscan = off")  # nor a whole index read for its order
            for statement, parameters in statements:
                plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
                used = {name for name in SEARCH_INDEXES if name in plan}
                assert used >= {"ix_households_search_first_last", "ix_households_search_last_first"}, plan
                assert "ix_households_search_email" in used, plan
                assert not re.search(r"Seq Scan on households", plan), plan


def test_the_trigram_search_indexes_exist_only_where_the_engine_has_trigrams(app, backend):
    with app.app_context():
        if backend == "postgresql":
            found = db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'households'"))
        else:
            found = db.session.scalars(text("SELECT name FROM sqlite_master WHERE tbl_name = 'households'"))
        assert (set(found) >= SEARCH_INDEXES) == (backend == "postgresql")
