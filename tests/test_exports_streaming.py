"""The CSV exports are streamed (``server/admin/exports.py``): the BOM and the header leave before any row is read,
and the number of SQL statements does not grow with the number of rows. Through HTTP, phones' events uploaded
through the real API, on SQLite and PostgreSQL."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from server.domain.events import forget_read_events
from server.extensions import db
from server.models import Distribution
from tests.factories.distribution_log import DistributionLogWorld as World
from tests.factories.distribution_log import distribution_log_world
from tests.helpers import sign_in_as_admin
from tests.phones import Phone, enrol_phone

PARIS = ZoneInfo("Europe/Paris")
BOM = "\ufeff".encode()


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        return distribution_log_world()


@pytest.fixture
def admin(app, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in_as_admin(app, client, "admin@example.org")
    return client


@pytest.fixture
def phone(app, world) -> Phone:
    return enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")


def pushed(phone: Phone, events: list[dict]) -> None:
    answer = phone.push(events)
    assert answer.status_code == 200, answer.get_json()
    assert {result["status"] for result in answer.get_json()["results"]} == {"accepted"}


def a_round(phone: Phone, world: World) -> None:
    """For each of the seven members of the main distribution: a hand-over, a payment in two parts and a top-up."""
    events = []
    for name, order_id in world.orders.items():
        if name in {"old", "Hugo"}:
            continue
        household = world.households[name]
        events.append(phone.record("handover", {"order_id": order_id, "outcome": "all"}, world.distribution))
        events.append(
            phone.record(
                "payment",
                {"order_id": order_id, "amount_cents": 300, "method": "cash", "from_prepaid_cents": 100},
                world.distribution,
            )
        )
        events.append(
            phone.record(
                "top_up", {"household_id": household, "amount_cents": 500, "method": "cash"}, world.distribution
            )
        )
    pushed(phone, events)


def day_of(app, distribution_id: int) -> str:
    with app.app_context():
        starts_at = db.session.get(Distribution, distribution_id).starts_at
    return starts_at.astimezone(PARIS).date().isoformat()


def urls(app, world: World) -> dict[str, str]:
    """Every export that lists a distribution's events, one distribution's and a period's."""
    d = world.distribution
    day = day_of(app, d)
    return {
        "handovers": f"/admin/distributions/{d}/export/handovers.csv",
        "payments": f"/admin/distributions/{d}/export/payments.csv",
        "top-ups": f"/admin/distributions/{d}/export/top-ups.csv",
        "period payments": f"/admin/exports/payments.csv?from={day}&to={day}",
        "period top-ups": f"/admin/exports/top-ups.csv?from={day}&to={day}",
    }


@contextmanager
def statements_of(app) -> Iterator[list[str]]:
    """The SQL statements run inside the block (the process's kept events forgotten first, so each export reads
    the same way)."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
        forget_read_events()

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def rows_and_statements(app, admin, url: str) -> tuple[int, int]:
    with statements_of(app) as seen:
        response = admin.get(url)
        assert response.status_code == 200, url
        lines = response.data.count(b"\r\n")
    return lines - 1, len(seen)


def test_exports_of_three_times_the_rows_run_the_same_statements(app, world, admin, phone):
    a_round(phone, world)
    one = {name: rows_and_statements(app, admin, url) for name, url in urls(app, world).items()}
    a_round(phone, world)
    a_round(phone, world)
    three = {name: rows_and_statements(app, admin, url) for name, url in urls(app, world).items()}
    for name in one:
        (rows, statements), (rows_3, statements_3) = one[name], three[name]
        expected = {"payments": 14, "period payments": 14}.get(name, 7)  # a payment in two parts is two rows
        assert (rows, rows_3) == (expected, 3 * expected), name
        assert statements_3 == statements, (name, statements, statements_3)


def test_a_period_costs_the_same_statements_per_distribution_whatever_its_rows(app, world, admin, phone):
    """Each distribution of a period is read on its own (its log), a chunk of distributions at a time: the
    statements grow with the distributions, never with the rows."""
    a_round(phone, world)
    eleven_days = f"/admin/exports/payments.csv?from={day_of(app, world.old_distribution)}&to="
    url = eleven_days + day_of(app, world.distribution)
    rows, statements = rows_and_statements(app, admin, url)
    a_round(phone, world)
    assert rows_and_statements(app, admin, url) == (rows + 14, statements)


def test_the_header_leaves_before_any_row_is_read(app, world, admin, phone):
    """Read as a server sends it (``buffered=False``): no Content-Length, the BOM and the header come first, and the
    events are read only when the rows are asked for."""
    a_round(phone, world)
    for name, url in urls(app, world).items():
        with statements_of(app) as seen:
            response = admin.get(url, buffered=False)
            assert response.status_code == 200 and response.is_streamed
            assert "Content-Length" not in response.headers, name
            assert 'attachment; filename="' in response.headers["Content-Disposition"]
            pieces = iter(response.response)
            first = next(pieces)
            assert first.startswith(BOM) and first.endswith(b"\r\n") and first.count(b"\r\n") == 1, name
            assert not [s for s in seen if re.search(r"\bFROM events\b", s)], name
            rest = b"".join(pieces)
            response.close()
        assert [s for s in seen if re.search(r"\bFROM events\b", s)], name
        assert rest.count(b"\r\n") >= 7, name


def test_many_rows_go_out_in_pieces(app, world, admin, phone):
    for _round in range(15):
        a_round(phone, world)  # 15 × 14 = 210 payment rows: more than one piece of 200
    response = admin.get(urls(app, world)["payments"], buffered=False)
    pieces = list(response.response)
    response.close()
    assert len(pieces) == 3  # the header, 200 rows, the other 10
    assert pieces[1].count(b"\r\n") == 200 and pieces[2].count(b"\r\n") == 10


def test_a_year_of_distributions_is_read_a_chunk_at_a_time(app, world, admin, phone, monkeypatch):
    """With chunks of one distribution, the period's three distributions are read in three queries and a fourth
    that finds none left; the rows are those of the whole period, in the order the distributions were held."""
    from server.admin import exports

    a_round(phone, world)
    old = enrol_phone(app, [world.point], world.volunteers[1], "Phone 2")
    paid = {"order_id": world.orders["old"], "amount_cents": 100, "method": "cash"}
    pushed(old, [old.record("payment", paid, world.old_distribution)])
    first, last = day_of(app, world.old_distribution), day_of(app, world.distribution)
    url = f"/admin/exports/payments.csv?from={first}&to={last}"
    whole = admin.get(url).data
    monkeypatch.setattr(exports, "DISTRIBUTIONS_CHUNK", 1)
    with statements_of(app) as seen:
        assert admin.get(url).data == whole
    with app.app_context():
        held = db.session.scalars(select(Distribution.id).order_by(Distribution.starts_at)).all()
    reads = [s for s in seen if re.search(r"FROM distributions .*ORDER BY distributions.starts_at", s, re.S)]
    assert len(reads) == 4
    lines = whole.decode("utf-8-sig").split("\r\n")[1:-1]
    assert [line.split(";")[2] for line in lines][:1] == [str(held[0])] and len(lines) == 1 + 14
