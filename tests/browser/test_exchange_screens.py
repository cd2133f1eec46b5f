"""The phone-to-phone screens on a small phone (issue 17, the user walk at 360×640): with the offline sync bar shown,
the share screen's QR code and its summary sit whole above the tab bar, no scrolling; the receive screen's camera
leaves « Lecture » and the percent in view. The summary counts actions as the receiver will (a hand-over and its
payment: one). Real Chromium, real server (``test_volunteer_app``'s distribution)."""

import re

import pytest
from playwright.sync_api import Page, expect

from server.extensions import db
from server.models import Distribution
from tests.browser import test_volunteer_app as screens
from tests.browser.test_phone_to_phone import (
    camera_phone,
    hand_over_awa,
    open_exchange,
    receiving_phone,
    sharing_phone,
)
from tests.browser.test_volunteer_app import World, start_day

world = screens.world


@pytest.fixture
def backend() -> str:
    return "sqlite"


def bottom_limit(page: Page) -> float:
    """Where the visible screen ends: the tab bar's top, or the viewport's bottom when there is no tab bar."""
    tabs = page.locator("#tabs")
    return tabs.bounding_box()["y"] if tabs.is_visible() else page.viewport_size["height"]


def whole_in_view(page: Page, selector: str) -> None:
    """``selector`` is seen whole without scrolling: inside the viewport, above the tab bar."""
    assert page.evaluate("window.scrollY") == 0
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    limit = bottom_limit(page)
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], (selector, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= limit, (selector, box, limit)


def test_the_code_its_summary_and_the_reading_progress_fit_a_small_phone(
    app, browser, live_server, world: World, tmp_path
):
    sender = sharing_phone(browser, live_server)
    start_day(app, sender, world)
    sender.context.set_offline(True)
    hand_over_awa(sender)  # a hand-over and its payment: one action, two events
    expect(sender.locator("#network")).to_have_text("Hors connexion")

    open_exchange(sender, "Partager avec un autre téléphone")
    summary = sender.locator("#share-summary")
    expect(summary).to_have_text(re.compile(r"^1 action de cette distribution, en \d+ parties?\.$"))
    expect(sender.locator("#share-qr")).to_be_visible()
    whole_in_view(sender, "#share-qr")
    whole_in_view(sender, "#share-summary")
    assert sender.locator("#share-qr").bounding_box()["width"] >= 200  # still a code a camera reads at arm's length

    receiver_context, receiver, _video = receiving_phone(app, browser, live_server, world, tmp_path)
    expect(receiver.locator("#network")).to_have_text("Hors connexion")
    open_exchange(receiver, "Recevoir d’un autre téléphone")
    expect(receiver.locator("#receive-video")).to_be_visible()
    expect(receiver.locator("#receive-percent")).to_have_text("0 % lu")
    for selector in ("#receive-video", "label[for=receive-progress]", "#receive-progress", "#receive-percent"):
        whole_in_view(receiver, selector)
    receiver_context.close()
    sender.context.close()


LONG_POINT = "Hall du bâtiment Bienvenüe (Cité Descartes), Champs-sur-Marne"


def test_a_pack_share_with_a_long_point_name_fits_a_small_phone(app, browser, live_server, world: World):
    """The pack's summary names the point: a long name takes three lines, still above the tab bar with the code."""
    sender = sharing_phone(browser, live_server)
    start_day(app, sender, world, download=False)
    with app.app_context():
        db.session.get(Distribution, world.distribution).point.name = LONG_POINT
        db.session.commit()
    sender.reload()  # the day's list again, with the new name
    sender.get_by_role("button", name=f"Télécharger : {LONG_POINT}").click()
    sender.get_by_role("button", name=f"Ouvrir : {LONG_POINT}").click()
    sender.context.set_offline(True)
    expect(sender.locator("#network")).to_have_text("Hors connexion")
    open_exchange(sender, "Partager la distribution avec un téléphone qui ne l’a pas")
    expect(sender.locator("#share-summary")).to_contain_text(LONG_POINT)
    expect(sender.locator("#share-qr")).to_be_visible()
    assert sender.locator("#share-summary").bounding_box()["height"] > 60  # three lines, as in the walk
    whole_in_view(sender, "#share-qr")
    whole_in_view(sender, "#share-summary")
    assert sender.locator("#share-qr").bounding_box()["width"] >= 200
    sender.context.close()


def test_the_reading_progress_fits_a_small_phone_with_no_distribution_yet(
    app, browser, live_server, world: World, tmp_path
):
    """From the home screen of a phone with no pack, the longer instruction (how the other phone shows its pack)
    still leaves the percent in view."""
    video = tmp_path / "camera.y4m"
    context = camera_phone(browser, tmp_path / "b", video, live_server)
    page = context.pages[0] if context.pages else context.new_page()
    start_day(app, page, world, download=False)
    context.set_offline(True)
    page.get_by_role("button", name="Recevoir d’un autre téléphone").click()
    expect(page.locator("#receive-instruction")).to_contain_text("Partager la distribution avec un téléphone")
    expect(page.locator("#receive-video")).to_be_visible()
    for selector in ("#receive-video", "#receive-progress", "#receive-percent"):
        whole_in_view(page, selector)
    context.close()
