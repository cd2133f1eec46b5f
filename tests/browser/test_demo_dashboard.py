"""The demo network's dashboard in Chromium at 1280×800, in French: the coordinator of the point that had last week's
rough day (a double hand-over left open, a cash box short, a phone gone home with actions unsent) signs in the
morning after the demo's "today" and reaches each kind of thing to check where it is resolved. The demo is loaded
for a fixed day and the clock is moved to it, so the test never depends on the date it runs on."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server.demo.loader import load_demo_network
from server.extensions import db
from server.models import Distribution
from tests.browser.demo_admin import TODAY, coordinator_signed_in, demo_morning

SHOTS = Path(os.environ.get("COMPTOIR_SHOTS", "/tmp/shots/dashboard"))
KINDS = ("conflicts", "cash-gaps", "unsynced", "refused-scans", "not-collected", "low-balances")


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_the_demo_dashboard_leads_a_coordinator_to_each_thing_to_check(app, browser, live_server):
    with demo_morning():
        with app.app_context():
            (rough,) = [plan for plan in load_demo_network(TODAY).past if plan.rough]
            point = db.session.get(Distribution, rough.distribution_id).point_id
            db.session.commit()
        page = coordinator_signed_in(app, browser, live_server, point)
        page.goto("/admin/")
        expect(page.get_by_role("heading", name="À vérifier")).to_be_visible()
        for kind in KINDS:
            expect(page.locator(f'ul[data-kind="{kind}"] li a').first).to_be_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "demo-dashboard.png"), full_page=True)

        def follow(kind: str) -> None:
            page.goto("/admin/")
            page.locator(f'ul[data-kind="{kind}"] li a').first.click()

        follow("conflicts")
        expect(page.locator(".conflict, [id^='conflict-']").first).to_contain_text("À résoudre")
        follow("cash-gaps")
        expect(page.locator("#cash-counted")).to_contain_text("il manque 12,50 €")
        follow("unsynced")
        expect(page.locator("main")).to_contain_text("2 actions pas encore envoyées")
        follow("refused-scans")
        expect(page.get_by_label("Type")).to_have_value("scan_refused")  # the timeline, filtered to them
        follow("not-collected")
        expect(page.locator("#not-collected")).to_be_visible()
        follow("low-balances")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("main")).to_contain_text("€")
        page.context.close()
