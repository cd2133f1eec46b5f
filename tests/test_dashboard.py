"""The dashboard's "to check" and the weekly summary of a point (``server/domain/checks.py``), on SQLite and
PostgreSQL, with a day played by phones through the real upload and the cron's conflict check: each kind of item and
the link to where it is resolved, the coordinator's points only, the thresholds, and no event read by the page."""

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, select

from server.clock import utcnow
from server.extensions import db
from server.models import Conflict, Distribution, DistributionCheck, Household, Point, Product
from tests.factories.dashboard import DashboardWorld, a_day, dashboard_world, sent
from tests.factories.primitives import DAY, distribution, order
from tests.helpers import csrf_token, sign_in_user, submit_form
from tests.phones import enrol_phone

LATER = timedelta(hours=3)  # the distributions ran from an hour ago to an hour ahead
pytestmark = pytest.mark.usefixtures("midday")  # LATER is the same day: a phone's shift ends at midnight


@pytest.fixture
def world(app) -> DashboardWorld:
    with app.app_context():
        return dashboard_world()


@pytest.fixture
def day(app, world):
    return a_day(app, world)


def items(page: str, kind: str) -> list[str]:
    """The items of one kind in the "to check" list (each an ``<li>`` of ``<ul data-kind="…">``)."""
    block = re.search(rf'<ul data-kind="{kind}">(.*?)</ul>', page, re.S)
    return re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S) if block else []


def dashboard(app, user_id: int) -> str:
    client = app.test_client()
    sign_in_user(app, client, user_id)
    page = client.get("/admin/?lang=fr")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def conflict_ids(app, distribution_id: int) -> list[int]:
    with app.app_context():
        query = select(Conflict.id).where(Conflict.distribution_id == distribution_id, Conflict.status == "open")
        return list(db.session.scalars(query.order_by(Conflict.id)))


def test_the_check_figures_are_kept_by_the_conflict_check(app, world, day):
    with app.app_context():
        check = db.session.get(DistributionCheck, world.distribution)
        assert (check.orders, check.collected, check.not_collected, check.refused_scans) == (3, 2, 1, 1)
        assert check.paid_cents == 4050 and check.by_method == {"cash": 1050, "prepaid": 3000}
        (box,) = check.cash_boxes
        assert (box["expected_cents"], box["counted_cents"], box["difference_cents"]) == (6050, 5000, -1050)
        assert check.largest_cash_gap_cents == 1050


def test_each_kind_of_item_links_where_it_is_resolved(app, world, day):
    with time_machine.travel(utcnow() + LATER, tick=False):
        page = dashboard(app, world.coordinator)
    d = world.distribution
    log = f"/admin/distributions/{d}/log"
    conflicts = items(page, "conflicts")
    assert len(conflicts) == len(conflict_ids(app, d)) >= 2
    for conflict_id in conflict_ids(app, d):
        assert f'href="{log}#conflict-{conflict_id}"' in page
    (gap,) = items(page, "cash-gaps")
    assert "Caisse 1" in gap and "10,50\u00a0€" in gap and f'href="{log}#cash-counted"' in gap
    (unsynced,) = items(page, "unsynced")
    assert "Caisse 2" in unsynced and "3 actions" in unsynced and 'href="/admin/devices/#device-' in unsynced
    (refused,) = items(page, "refused-scans")
    assert "1 scan refusé" in refused and f'href="{log}?type=scan_refused#timeline"' in refused  # who, when
    (absent,) = items(page, "not-collected")
    assert "1 membre" in absent and f'href="{log}#not-collected"' in absent
    (low,) = items(page, "low-balances")
    assert (
        "Jean Ngô" in low and "−10,00\u00a0€" in low and f'href="/admin/members/{world.households[1]}/accounts"' in low
    )


def test_a_coordinator_sees_only_their_points_and_an_admin_sees_all(app, world, day):
    with time_machine.travel(utcnow() + LATER, tick=False):
        mine, theirs = dashboard(app, world.coordinator), dashboard(app, world.other_coordinator)
        with app.app_context():
            from server.models import User

            admin = db.session.scalar(select(User.id).where(User.role == "admin"))
        everything = dashboard(app, admin)
    here, there = f"/admin/distributions/{world.distribution}/", f"/admin/distributions/{world.other_distribution}/"
    assert here in mine and there not in mine and "Paul Girard" not in mine and "Buisson" not in mine
    assert there in theirs and here not in theirs and "Jean Ngô" not in theirs and "Caisse 2" not in theirs
    assert len(items(theirs, "conflicts")) == len(conflict_ids(app, world.other_distribution)) == 2
    assert len(items(theirs, "refused-scans")) == len(items(theirs, "low-balances")) == 1
    assert here in everything and there in everything
    assert len(items(everything, "refused-scans")) == 2 and len(items(everything, "low-balances")) == 2


def test_members_not_collected_are_listed_once_the_distribution_ended(app, world, day):
    page = dashboard(app, world.coordinator)
    assert items(page, "not-collected") == [] and len(items(page, "refused-scans")) == 1


def test_a_closed_distribution_without_any_event_lists_all_its_orders(app, world):
    with time_machine.travel(utcnow() + LATER, tick=False):
        page = dashboard(app, world.coordinator)
    (absent,) = items(page, "not-collected")
    assert "3 membres" in absent and "aucun téléphone n'a envoyé d'action" in absent


def test_the_thresholds_are_network_settings(app, world, day, admin_client):
    admin_client.get("/admin/?lang=fr")
    data = {"name": "AMAP", "prepaid_floor_cents": "", "cash_gap_threshold_cents": "10,50", "low_balance_cents": "5"}
    response = submit_form(admin_client, "/admin/settings/", data, follow_redirects=True)
    assert response.status_code == 200 and "Réglages du réseau enregistrés." in response.get_data(as_text=True)
    with time_machine.travel(utcnow() + LATER, tick=False):
        page = dashboard(app, world.coordinator)
    assert items(page, "cash-gaps") == []  # 10,50 € short is not beyond 10,50 €
    low = items(page, "low-balances")  # below 5,00 €: Jean (−10,00 €); Awa and Lina hold 20,00 €
    assert len(low) == 1 and "Jean Ngô" in low[0]
    data["cash_gap_threshold_cents"] = "10,49"
    data["low_balance_cents"] = "25"
    submit_form(admin_client, "/admin/settings/", data)
    with time_machine.travel(utcnow() + LATER, tick=False):
        page = dashboard(app, world.coordinator)
    assert len(items(page, "cash-gaps")) == 1 and len(items(page, "low-balances")) == 3
    audit = admin_client.get("/admin/audit/").get_data(as_text=True)
    assert "écart de caisse à vérifier" in audit and "10,49" in audit and "solde à vérifier" in audit


def test_a_bad_threshold_is_refused(app, admin_client):
    admin_client.get("/admin/?lang=fr")
    data = {"name": "AMAP", "cash_gap_threshold_cents": "-3"}
    response = submit_form(admin_client, "/admin/settings/", data)
    assert response.status_code == 400 and "montant en euros" in response.get_data(as_text=True)


def test_a_phone_that_came_back_is_no_longer_listed(app, world, day):
    second = day["second"]
    with time_machine.travel(utcnow() + LATER, tick=False):
        assert len(items(dashboard(app, world.coordinator), "unsynced")) == 1
        url = f"/api/distributions/{world.distribution}/events"
        answer = second.client.get(
            url, query_string={"since": "0"}, headers={**second.headers, "X-Comptoir-Pending": "0"}
        )
        assert answer.status_code == 200
        assert items(dashboard(app, world.coordinator), "unsynced") == []


def test_the_dashboard_reads_no_event(app, world, day):
    statements: list[str] = []
    client = app.test_client()
    sign_in_user(app, client, world.coordinator)
    with app.app_context():
        engine = db.engine

        def seen(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", seen)
        try:
            with time_machine.travel(utcnow() + LATER, tick=False):
                assert client.get("/admin/").status_code == 200
                assert client.get(f"/admin/points/{world.point}/week").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert statements and not [s for s in statements if re.search(r"\bFROM events\b", s)]


def test_the_weekly_summary_of_a_point(app, world, day):
    client = app.test_client()
    sign_in_user(app, client, world.coordinator)
    with time_machine.travel(utcnow() + LATER, tick=False):
        page = client.get(f"/admin/points/{world.point}/week?lang=fr").get_data(as_text=True)
        refused = client.get(f"/admin/points/{world.other_point}/week")
    assert refused.status_code == 404
    assert "Imprimer" in page and "data-print" in page
    row = re.search(rf'<tbody data-distribution="{world.distribution}">(.*?)</tbody>', page, re.S).group(1)
    figures = dict(re.findall(r'data-figure="([a-z-]+)"[^>]*>([^<]*)<', row))
    assert figures["orders"] == "3" and figures["collected"] == "2" and figures["not-collected"] == "1"
    assert figures["method-cash"] == "10,50\u00a0€" and figures["method-prepaid"] == "30,00\u00a0€"
    assert "10,50\u00a0€" in figures["cash-gap"] and figures["refused-scans"] == "1"
    assert figures["conflicts-open"] == str(len(conflict_ids(app, world.distribution)))
    assert figures["conflicts-resolved"] == "0"
    with app.app_context():
        assert db.session.get(Distribution, world.distribution) is not None


@pytest.mark.parametrize("week", ["abc", "2026-13-45", "0001-01-01", "9999-12-31", "\x00"])
def test_a_bad_week_says_so_and_shows_the_current_week(app, world, week):
    client = app.test_client()
    sign_in_user(app, client, world.coordinator)
    response = client.get(f"/admin/points/{world.point}/week", query_string={"week": week, "lang": "fr"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    current = client.get(f"/admin/points/{world.point}/week").get_data(as_text=True)
    assert "Date de semaine invalide" in page and "voici la semaine en cours." in page
    assert re.search(r"<hgroup>.*?</hgroup>", page, re.S).group(0) == re.search(
        r"<hgroup>.*?</hgroup>", current, re.S
    ).group(0)


def test_a_resolved_conflict_leaves_the_list_and_counts_as_resolved_in_the_week(app, world, day):
    client = app.test_client()
    sign_in_user(app, client, world.coordinator)
    log = f"/admin/distributions/{world.distribution}/log"
    token = csrf_token(client.get(log).get_data(as_text=True))
    with app.app_context():
        overpaid = db.session.scalar(select(Conflict.id).where(Conflict.kind == "overpayment"))
    answer = client.post(
        f"{log[: -len('/log')]}/conflicts/{overpaid}/resolve",
        data={"csrf_token": token, "action": "dismiss", "comment": "Jean a été remboursé."},
    )
    assert answer.status_code == 302
    with time_machine.travel(utcnow() + LATER, tick=False):
        page = dashboard(app, world.coordinator)
        week = client.get(f"/admin/points/{world.point}/week").get_data(as_text=True)
    assert len(items(page, "conflicts")) == 1 and f"#conflict-{overpaid}" not in page
    assert 'data-figure="conflicts-open">1<' in week and 'data-figure="conflicts-resolved">1<' in week


def test_a_day_the_cron_has_not_read_yet_is_not_called_silent(app, world):
    phone = enrol_phone(app, [world.point], world.volunteer, "Caisse 1")
    sent(phone, [phone.record("handover", {"order_id": world.orders[0], "outcome": "all"}, world.distribution)])
    client = app.test_client()
    sign_in_user(app, client, world.coordinator)
    with time_machine.travel(utcnow() + LATER, tick=False):
        assert items(dashboard(app, world.coordinator), "not-collected") == []  # not "no phone sent anything"
        week = client.get(f"/admin/points/{world.point}/week?lang=fr").get_data(as_text=True)
        assert "en cours de lecture" in week and "Aucun téléphone" not in week
        assert app.test_cli_runner().invoke(args=["sync", "check-conflicts"]).exit_code == 0
        (absent,) = items(dashboard(app, world.coordinator), "not-collected")
    assert "2 membres" in absent and "aucun téléphone" not in absent


def test_each_kind_lists_a_bounded_number_and_says_how_many_more(app, world, day, monkeypatch):
    with app.app_context():  # an earlier distribution at Luzard nobody's phone sent anything for
        point, household = db.session.get(Point, world.point), db.session.get(Household, world.households[2])
        product = db.session.scalars(select(Product)).first()
        earlier = distribution(point, utcnow(), starts_in=-3 * DAY)
        db.session.add(earlier)
        db.session.add(order(earlier, household, [(product, 1)]))
        db.session.commit()
    monkeypatch.setattr("server.domain.checks.SHOWN", 1)  # as if each kind had more than the page lists
    with time_machine.travel(utcnow() + LATER, tick=False):
        page = dashboard(app, world.coordinator)
    assert len(items(page, "not-collected")) == len(items(page, "conflicts")) == 1
    assert page.count("Et 1 autre, dans le journal de sa distribution.") == 2
