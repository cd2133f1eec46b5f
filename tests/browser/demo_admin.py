"""The demo network in the admin, for browser tests: loaded for a fixed day with the clock moved to that morning (no
test depends on the date it runs on), and a point's coordinator signed in at 1280×800 in French."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import time_machine
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from server.domain.links import create_sign_in_link
from server.extensions import db
from server.models import User

TODAY = date(2026, 12, 4)
PARIS = ZoneInfo("Europe/Paris")


@contextmanager
def demo_morning() -> Iterator[None]:
    """The demo's "today", 9:00 in Paris, the clock running."""
    with time_machine.travel(datetime.combine(TODAY, time(9), PARIS).astimezone(UTC), tick=True):
        yield


def coordinator_signed_in(app, browser: Browser, live_server: str, point_id: int) -> Page:
    """A page where the point's coordinator has signed in (a one-time link, as `admin link --keep-role` gives)."""
    with app.app_context():
        coordinator = next(
            user
            for user in db.session.scalars(select(User).where(User.role == "coordinator").order_by(User.email))
            if point_id in user.point_ids
        )
        token = create_sign_in_link(coordinator, 15)
        db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    page.goto(f"/auth/link/{token}")
    page.get_by_role("button", name="Se connecter").click()
    return page
