"""The coordinator's "to check" in Chromium at 1280×800, in French: after a day played by phones through the real
upload, a coordinator signs in, sees each kind of item on the dashboard and follows each link to the page where it
is resolved; then prints the weekly summary of the point. Screenshots go to COMPTOIR_SHOTS (default
/tmp/shots/dashboard)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect
from sqlalchemy import select

from server.clock import utcnow
from server.domain.links import create_sign_in_link
from server.extensions import db
from server.models import Conflict, Device, User
from tests.factories.dashboard import a_day, dashboard_world

SHOTS = Path(os.environ.get("COMPTOIR_SHOTS", "/tmp/shots/dashboard"))
ADMIN = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def backend() -> str:
    """The browser path on SQLite only: both databases are held by tests/test_dashboard.py."""
    return "sqlite"


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in_token(app, user_id: int) -> str:
    with app.app_context():
        token = create_sign_in_link(db.session.get(User, user_id), 15)
        db.session.commit()
    return token


def test_a_coordinator_reaches_each_thing_to_check_where_it_is_resolved(app, browser, live_server):
    with app.app_context():
        world = dashboard_world()
    a_day(app, world)
    with app.app_context():
        conflicts = db.session.scalars(
            select(Conflict.id).where(Conflict.distribution_id == world.distribution).order_by(Conflict.id)
        ).all()
        second = db.session.scalar(select(Device.id).where(Device.name == "Caisse 2"))
        db.session.rollback()
    with time_machine.travel(utcnow() + timedelta(hours=3), tick=True):
        context = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR")
        page = context.new_page()
        page.goto(f"/auth/link/{sign_in_token(app, world.coordinator)}")
        page.get_by_role("button", name="Se connecter").click()
        page.goto("/admin/")
        expect(page.get_by_role("heading", name="À vérifier")).to_be_visible()
        body = page.locator("body")
        expect(body).not_to_contain_text("Buisson")  # another coordinator's point
        expect(body).not_to_contain_text("Paul Girard")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        shoot(page, "dashboard")

        def follow(kind: str, index: int = 0) -> None:
            page.goto("/admin/")
            page.locator(f'ul[data-kind="{kind}"] li a').nth(index).click()

        assert len(conflicts) == 2  # Jean's payment overdrew his account and paid more than due
        for index, conflict in enumerate(conflicts):
            follow("conflicts", index)
            expect(page.locator(f"#conflict-{conflict}")).to_contain_text("À résoudre")
            assert page.url.endswith(f"#conflict-{conflict}")
        follow("cash-gaps")
        expect(page.locator("#cash-counted")).to_contain_text("Caisse 1")
        expect(page.locator("#cash-counted")).to_contain_text("il manque 10,50 €")
        follow("unsynced")
        expect(page.locator(f"#device-{second}")).to_contain_text("Caisse 2")
        expect(page.locator(f"#device-{second}")).to_contain_text("3 actions pas encore envoyées")
        follow("refused-scans")
        expect(page.locator("main")).to_contain_text("1 événement sur")  # the timeline filtered to refused scans
        follow("not-collected")
        expect(page.locator("#not-collected")).to_be_in_viewport()
        expect(page.locator("main")).to_contain_text("Lina Roux")
        follow("low-balances")
        expect(page.locator("main")).to_contain_text("Jean Ngô")
        expect(page.locator("main")).to_contain_text("−10,00 €")

        page.goto("/admin/")
        page.get_by_role("button", name="Afficher le bilan").click()
        expect(page.get_by_role("heading", name="Bilan de la semaine · Luzard")).to_be_visible()
        table = page.locator(f'tbody[data-distribution="{world.distribution}"]')
        expect(table.locator('[data-figure="collected"]')).to_have_text("2")
        expect(table.locator('[data-figure="method-cash"]')).to_have_text("10,50 €")
        expect(table.locator('[data-figure="cash-gap"]')).to_contain_text("Caisse 1 : il manque 10,50 €")
        expect(page.get_by_role("button", name="Imprimer")).to_be_visible()
        shoot(page, "week")
        page.emulate_media(media="print")
        expect(page.get_by_role("button", name="Imprimer")).to_be_hidden()
        shoot(page, "week-print")
        page.emulate_media(media="screen")
        page.goto("/admin/?lang=en")  # the same in English, for a reader who asked for it
        expect(page.get_by_role("heading", name="To check")).to_be_visible()
        shoot(page, "dashboard-en")
        page.goto(f"/admin/points/{world.point}/week")
        expect(page.get_by_role("heading", name="Weekly summary · Luzard")).to_be_visible()
        shoot(page, "week-en")
        context.close()
