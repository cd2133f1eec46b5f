"""The printed sign-off sheet's money columns (issue 12, item 14), in real Chromium: what the phones recorded as paid
fills the "Payé" column (the total, the methods in small text), and no amount touches its cell's border, "110,40 €"
included. The PDF and its pages as PNG go to /tmp/shots/signoff to look at."""

import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Distribution, Household, Product, Tier
from tests.browser.test_admin_pages import fifty_three_members, signed_in
from tests.factories.primitives import order
from tests.phones import enrol_phone

SHOTS = Path("/tmp/shots/signoff")
MM = 96 / 25.4  # CSS pixels in a millimetre


@pytest.fixture
def backend() -> str:
    return "sqlite"


def a_big_order_paid_two_ways(app, world) -> None:
    """Alice pays 17,70 € in cash; Zoé Abadie (first on the sheet) orders 110,40 € and pays it by cash and card."""
    with app.app_context():
        distribution = db.session.get(Distribution, world.distribution)
        tier = db.session.scalar(select(Tier).where(Tier.share_percent == 100))
        basket = db.session.get(Product, world.products["LEG-M"])
        eggs = db.session.get(Product, world.products["OEUFS"])
        household = Household(first_name="Zoé", last_name="Abadie", tier=tier, point=distribution.point)
        big = order(distribution, household, [(basket, 7), (eggs, 2)])
        db.session.add(big)
        db.session.commit()
        big_id = big.id
    phone = enrol_phone(app, [world.point], world.volunteers[1], "Phone 2")
    d = world.distribution
    events = [
        phone.record("payment", {"order_id": world.orders["Alice"], "amount_cents": 1770, "method": "cash"}, d),
        phone.record("handover", {"order_id": big_id, "outcome": "all"}, d),
        phone.record("payment", {"order_id": big_id, "amount_cents": 4040, "method": "cash"}, d),
        phone.record("payment", {"order_id": big_id, "amount_cents": 7000, "method": "card"}, d),
    ]
    assert phone.push(events).status_code == 200


def test_paid_is_filled_and_no_amount_touches_its_border(app, browser, live_server):
    world = fifty_three_members(app)
    a_big_order_paid_two_ways(app, world)
    page = signed_in(browser, app, live_server)
    page.goto(f"/admin/distributions/{world.distribution}/sign-off")
    rows = page.locator("table.sign-off-table tbody tr")
    expect(rows).to_have_count(54)
    expect(rows.filter(has_text="Alice").locator("td.paid")).to_have_text("17,70 € Espèces")
    expect(rows.filter(has_text="Abadie").locator("td.paid")).to_have_text("110,40 € Espèces, Carte")
    expect(rows.filter(has_text="Bruno").locator("td.paid")).to_have_text("")

    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "sign-off.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "110", str(SHOTS / "sign-off.pdf"), str(SHOTS / "page")], check=True)

    # As printed (186 mm between the margins): each amount sits inside its cell with at least 1 mm to spare.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": round(186 * MM), "height": 1000})
    gaps = page.evaluate(
        """() => [...document.querySelectorAll('table.sign-off-table tbody td.num')].flatMap((cell) => {
            const text = [...cell.childNodes].find((node) => node.nodeType === Node.TEXT_NODE && node.data.trim());
            if (!text) return [];
            const range = document.createRange();
            range.selectNodeContents(text);
            const box = range.getBoundingClientRect(), edge = cell.getBoundingClientRect();
            return [{ text: text.data.trim(), left: box.left - edge.left, right: edge.right - box.right }];
        })"""
    )
    assert any(gap["text"].replace("\xa0", " ") == "110,40 €" for gap in gaps), gaps
    tight = [gap for gap in gaps if gap["left"] < MM or gap["right"] < MM]
    assert not tight, tight
    page.context.close()
