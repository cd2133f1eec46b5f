"""The member's ticket page on a phone (installable, shown offline once opened) and the printable cards."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.clock import utcnow
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Distribution, Household, Order, OrderLine, Point, Product, Tier
from sync.manual_codes import display
from tests.helpers import make_sign_in_token

PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
MILLIMETRE = """(() => {
    const probe = document.createElement('div');
    probe.style.width = '100mm';
    document.body.append(probe);
    const width = probe.getBoundingClientRect().width;
    probe.remove();
    return width / 100;
})()"""


CONTROLLED = """async () => {
    if (!navigator.serviceWorker.controller)
        await new Promise((resolve) =>
            navigator.serviceWorker.addEventListener('controllerchange', resolve, {once: true}));
    return true;
}"""


def make_members(app, count: int = 1) -> list[dict]:
    with app.app_context():
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        tier = Tier(name="Tarif solidaire", share_percent=70)
        basket = Product(code="LEG-M", name="Panier de légumes M", unit_price_cents=1500)
        start = utcnow() + timedelta(days=2)
        distribution = Distribution(point=point, starts_at=start, ends_at=start + timedelta(hours=2))
        members = [
            Household(first_name=f"Awa{i or ''}", last_name="Diallo", tier=tier, point=point) for i in range(count)
        ]
        orders = [Order(distribution=distribution, household=member, share_percent=70) for member in members]
        for order in orders:
            order.lines = [OrderLine(product=basket, quantity=1, unit_price_cents=1500)]
        db.session.add_all(orders)
        db.session.flush()
        for member in members:
            issue_ticket(member)
        db.session.commit()
        return [{"token": m.page_token, "code": display(m.manual_code), "name": m.display_name} for m in members]


def test_the_ticket_page_is_installable_and_works_offline(app, phone):
    (member,) = make_members(app)
    phone.goto(f"/m/{member['token']}")
    expect(phone.get_by_role("heading", name="Awa Diallo")).to_be_visible()
    qr = phone.locator("svg").first
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 250, box  # large enough to scan from a phone screen
    expect(phone.get_by_text(member["code"])).to_be_visible()
    expect(phone.get_by_text("Panier de légumes M")).to_be_visible()
    expect(phone.get_by_text("10,50")).to_be_visible()  # 70 % of 15,00 €
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    manifest = phone.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["start_url"] == f"/m/{member['token']}" and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}

    # The service worker takes the page; offline, a reload shows the same ticket.
    # (evaluate, not wait_for_function: polling a string predicate is an eval, which the page's CSP refuses)
    phone.evaluate(CONTROLLED)
    phone.reload()  # fetched through the service worker, which keeps this copy
    phone.context.set_offline(True)
    phone.reload()
    expect(phone.get_by_role("heading", name="Awa Diallo")).to_be_visible()
    expect(phone.get_by_text(member["code"])).to_be_visible()
    expect(phone.locator("svg").first).to_be_visible()
    phone.context.set_offline(False)


def test_printable_cards_fit_ten_to_an_a4_sheet(app, browser, live_server):
    members = make_members(app, count=12)
    token = make_sign_in_token(app, "admin@example.org")
    page = browser.new_context(base_url=live_server, locale="en-US").new_page()
    page.goto(f"/auth/link/{token}")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/**")
    page.goto("/admin/cards/")
    page.get_by_label("Point").select_option(label="Maison de quartier du Luzard")
    page.get_by_role("button", name="Show the cards").click()
    expect(page.get_by_role("status")).to_have_text("12 cards")
    expect(page.get_by_text(members[0]["code"])).to_be_visible()

    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("navigation")).to_be_hidden()
    sheets = page.locator(".sheet")
    assert sheets.count() == 2
    assert [sheets.nth(i).locator(".card").count() for i in range(2)] == [10, 2]
    mm = page.evaluate(MILLIMETRE)
    card = page.locator(".card").first.bounding_box()
    assert abs(card["width"] / mm - 85) < 1 and abs(card["height"] / mm - 54) < 1, card
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(PDF_PAGE.findall(pdf)) == 2  # printed as it shows: two A4 sheets
    page.context.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the rule itself: tests/test_member_page.py, both
def test_a_basket_collected_today_reads_as_the_last_one(app, phone):
    """Bruno collected today's basket while the distribution runs (synced through the real ingest): on his phone the
    page says "Votre dernier panier" (today's, collected) above "Votre prochain panier" (next week's), and nothing of
    the week before."""
    import os

    from tests.factories.distribution_log import distribution_log_world
    from tests.phones import enrol_phone

    with app.app_context():
        world = distribution_log_world()
        bruno = db.session.get(Household, world.households["Bruno"])
        today = db.session.get(Distribution, world.distribution)
        for days in (-7, 7):
            other = Distribution(
                point=today.point,
                starts_at=today.starts_at + timedelta(days=days),
                ends_at=today.ends_at + timedelta(days=days),
            )
            db.session.add(Order(distribution=other, household=bruno, share_percent=70))
        issue_ticket(bruno)
        db.session.commit()
        token = bruno.page_token
    device = enrol_phone(app, [world.point], world.volunteers[0])
    answer = device.push(
        [device.record("handover", {"order_id": world.orders["Bruno"], "outcome": "all"}, world.distribution)]
    )
    assert answer.status_code == 200 and answer.get_json()["results"][0]["status"] == "accepted"

    phone.goto(f"/m/{token}")
    last = phone.get_by_role("region", name="Votre dernier panier")
    expect(last).to_contain_text("Panier récupéré le")
    expect(phone.get_by_role("region", name="Votre prochain panier")).not_to_contain_text("Panier récupéré")
    expect(phone.get_by_text("Panier non récupéré")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    if folder := os.environ.get("COMPTOIR_SHOTS"):
        phone.screenshot(path=f"{folder}/member-page-last-and-next.png", full_page=True)
