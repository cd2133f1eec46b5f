"""The demo network's admin pages a user walk found wrong, in Chromium at 1280×800, in French: the order of last
week's open double hand-over says its conflict and leads to it in the log, a refused order shows no solidarity share,
and a point's history table stays inside the page (it scrolls in its frame when too wide). The demo is loaded for a
fixed day and the clock is moved to it, so the test never depends on the date it runs on."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.demo.loader import load_demo_network
from server.extensions import db
from server.models import Conflict, Distribution, Order, SyncedEvent
from tests.browser.demo_admin import TODAY, coordinator_signed_in, demo_morning

SHOTS = Path(os.environ.get("COMPTOIR_SHOTS", "/tmp/shots/order-fixes"))


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_the_double_handover_the_refused_order_and_the_history_read_right(app, browser, live_server):
    with demo_morning():
        with app.app_context():
            load_demo_network(TODAY)
            double = db.session.scalar(
                select(Conflict).where(Conflict.kind == "double_handover", Conflict.status == "open")
            )
            handover = db.session.scalar(select(SyncedEvent).where(SyncedEvent.event_id == double.event_ids[0]))
            doubled = handover.payload["order_id"]
            point = db.session.get(Distribution, double.distribution_id).point_id
            conflict_id = double.id
            refused = next(
                event.payload["order_id"]
                for event in db.session.scalars(select(SyncedEvent).where(SyncedEvent.type == "handover"))
                if event.payload.get("outcome") == "refused"
                and db.session.get(Order, event.payload["order_id"]).distribution.point_id == point
            )
            db.session.commit()
        page = coordinator_signed_in(app, browser, live_server, point)
        SHOTS.mkdir(parents=True, exist_ok=True)

        page.goto(f"/admin/orders/{doubled}")
        note = page.locator("#pickup .order-conflict a")
        expect(note).to_have_text("Conflit à résoudre : Commande remise deux fois")
        page.screenshot(path=str(SHOTS / "order-double-handover.png"), full_page=True)
        note.click()
        assert page.url.endswith(f"#conflict-{conflict_id}")
        expect(page.locator(f"#conflict-{conflict_id}")).to_contain_text("À résoudre")

        page.goto(f"/admin/orders/{refused}")
        expect(page.locator("#pickup-status")).to_have_text("Refusée")
        expect(page.locator("main")).not_to_contain_text("Part solidaire prise en charge")
        expect(page.locator("main")).to_contain_text("Rien n'a été pris : aucune part solidaire.")
        page.screenshot(path=str(SHOTS / "order-refused.png"), full_page=True)

        page.goto(f"/admin/points/{point}/history")
        table = page.locator("main table").first
        expect(table).to_be_visible()
        page.screenshot(path=str(SHOTS / "point-history.png"), full_page=True)
        # The attendance and the takings by method (the demo uses six) fit at 1280 px, every column shown, the last
        # one (Total) included, without scrolling; wider still, a table scrolls inside its frame, never past the window.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        frames = page.evaluate(
            "() => [...document.querySelectorAll('main table')].map(t => [t.parentElement.scrollWidth,"
            " t.parentElement.clientWidth, getComputedStyle(t.parentElement).overflowX])"
        )
        assert len(frames) == 2 and all(wide <= room and overflow == "auto" for wide, room, overflow in frames), frames
        takings = page.locator("main table").last
        for name in ("Chèque", "Allocation solidaire", "Total"):
            header = takings.locator("thead th", has_text=name)
            expect(header).to_be_visible()
            box = header.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, (name, box)
        page.context.close()
