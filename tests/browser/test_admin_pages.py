"""The admin pages a coordinator uses around a distribution, in real Chromium at 1280×800: enrolling a phone for one
point, handing out an invitation link, printing the sign-off sheet and member cards, and the language link."""

import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.demo.loader import random_name
from server.domain.tickets import issue_ticket, rotate_page_token
from server.extensions import db
from server.models import DeviceEnrolment, Distribution, Household, Point, Product, Tier
from tests.factories.distribution_log import distribution_log_world
from tests.factories.primitives import order
from tests.helpers import make_sign_in_token
from tests.phones import enrol_phone

ADMIN = {"viewport": {"width": 1280, "height": 800}}
SHOTS = Path("/tmp/shots/adminpages")


@pytest.fixture
def backend() -> str:
    """These pages read the same rows on both databases; one is enough for a browser run."""
    return "sqlite"


def signed_in(browser, app, live_server: str, locale: str = "fr-FR"):
    """A 1280×800 page of an admin signed in through a real one-time link."""
    context = browser.new_context(**ADMIN, base_url=live_server, locale=locale)
    page = context.new_page()
    page.goto(f"/auth/link/{make_sign_in_token(app, 'admin@example.org')}")
    page.get_by_role("button").first.click()
    page.wait_for_url("**/admin/**")
    return page


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_phone_is_enrolled_for_one_point_of_two(app, browser, live_server):
    with app.app_context():
        db.session.add_all([Point(name="Le Luzard", town="Noisiel"), Point(name="Le Buisson", town="Lognes")])
        db.session.commit()
    page = signed_in(browser, app, live_server)
    page.goto("/admin/devices/enrol")
    boxes = page.get_by_role("group", name="Points de distribution où il sera utilisé").get_by_role("checkbox")
    expect(boxes).to_have_count(2)
    for box in boxes.all():
        assert box.get_attribute("required") is None  # one ticked point is enough

    # None ticked: the server says so next to the group, and the name typed is kept.
    page.get_by_label("Nom du téléphone").fill("Téléphone 1 du Luzard")
    page.get_by_role("button", name="Créer le code d'enregistrement").click()
    group = page.get_by_role("group", name="Points de distribution où il sera utilisé")
    expect(group).to_have_accessible_description(re.compile("Cochez au moins un point"))
    expect(page.get_by_label("Nom du téléphone")).to_have_value("Téléphone 1 du Luzard")
    shot(page, "enrol-error")

    page.get_by_label("Le Luzard, Noisiel").check()
    page.get_by_role("button", name="Créer le code d'enregistrement").click()
    expect(page.get_by_role("img", name="QR code d'enregistrement")).to_be_visible()
    with app.app_context():
        enrolment = db.session.scalar(select(DeviceEnrolment))
        luzard = db.session.scalar(select(Point).where(Point.name == "Le Luzard"))
        assert enrolment.point_ids == [luzard.id]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copier le lien").click()
    expect(page.get_by_role("status").filter(has_text="Lien copié")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#enrol-link").input_value()
    shot(page, "enrol-qr")
    page.context.close()


def test_an_invitation_link_comes_with_a_qr_code_and_a_copy_button(app, browser, live_server):
    with app.app_context():
        db.session.add(Point(name="Le Luzard", town="Noisiel"))
        db.session.commit()
    page = signed_in(browser, app, live_server)
    page.goto("/admin/users/new")
    page.get_by_label("E-mail").fill("ines@example.org")
    page.get_by_label("Nom").fill("Inès")
    page.get_by_label("Le Luzard").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="Lien d'invitation")).to_be_visible()
    qr = page.get_by_role("img", name="QR code de l'invitation")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 200 and box["height"] >= 200
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copier le lien").click()
    expect(page.get_by_role("status").filter(has_text="Lien copié")).to_be_visible()
    link = page.get_by_label("Lien d'invitation").input_value()
    assert "/auth/invitation/" in link
    assert page.evaluate("navigator.clipboard.readText()") == link
    shot(page, "invitation")
    page.context.close()


def fifty_three_members(app):
    """The distribution log's world (seven members) and 46 more orders: 53 members expected; Alice collected."""
    with app.app_context():
        world = distribution_log_world()
        distribution = db.session.get(Distribution, world.distribution)
        tier = db.session.scalar(select(Tier).where(Tier.share_percent == 100))
        basket = db.session.get(Product, world.products["LEG-M"])
        eggs = db.session.get(Product, world.products["OEUFS"])
        rng = random.Random(53)
        for _ in range(46):
            first, last = random_name(rng)
            household = Household(first_name=first, last_name=last, tier=tier, point=distribution.point)
            db.session.add(order(distribution, household, [(basket, 1), (eggs, 2)]))
        db.session.commit()
    phone = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    event = phone.record("handover", {"order_id": world.orders["Alice"], "outcome": "all"}, world.distribution)
    assert phone.push([event]).status_code == 200
    return world


def test_the_sign_off_sheet_prints_53_members_on_three_pages_and_marks_who_collected(app, browser, live_server):
    world = fifty_three_members(app)
    page = signed_in(browser, app, live_server)
    page.goto(f"/admin/distributions/{world.distribution}/sign-off")
    rows = page.locator("table.sign-off-table tbody tr")
    expect(rows).to_have_count(53)
    alice = rows.filter(has_text="Alice")
    expect(alice).to_contain_text(re.compile(r"Récupéré à \d\d:\d\d"))
    expect(rows.filter(has_text="Bruno")).not_to_contain_text("Récupéré")
    shot(page, "sign-off-screen")

    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "sign-off.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 2 <= pages <= 3, pages
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(SHOTS / "sign-off.pdf"), str(SHOTS / "sign-off")], check=True
        )

    # In print, the table and its right border sit inside the A4 page's printable width (186 mm = 703 px).
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 703, "height": 1000})
    table = page.locator("table.sign-off-table").bounding_box()
    assert table["x"] >= 0 and table["x"] + table["width"] <= 703, table
    page.context.close()


def test_cards_are_printed_for_the_members_a_coordinator_chooses(app, browser, live_server):
    with app.app_context():
        point = Point(name="Le Luzard", town="Noisiel")
        tier = Tier(name="Tarif plein", share_percent=100)
        people = [
            Household(first_name=f"Prénom{i:02d}", last_name=f"Nom{i:02d}", tier=tier, point=point) for i in range(60)
        ]
        db.session.add_all(people)
        db.session.flush()
        for household in people:
            issue_ticket(household)
        db.session.commit()
    page = signed_in(browser, app, live_server)
    page.goto("/admin/cards/")
    expect(page.get_by_role("checkbox")).to_have_count(50)  # one page of the list, never the whole network
    page.get_by_label("Prénom ou nom").fill("Nom07")
    page.get_by_role("button", name="Afficher les cartes", exact=True).click()
    page.get_by_role("checkbox", name="Prénom07 Nom07").check()
    page.get_by_role("button", name="Afficher les cartes cochées").click()
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card")).to_contain_text("Prénom07 Nom07")
    shot(page, "cards")
    page.goto("/admin/cards/?page=2")
    expect(page.get_by_role("checkbox")).to_have_count(10)
    page.context.close()


def test_the_language_link_is_named_by_what_it_shows_and_big_enough(app, browser, live_server):
    with app.app_context():
        point = Point(name="Le Luzard", town="Noisiel")
        household = Household(
            first_name="Inès", last_name="Martin", tier=Tier(name="Plein", share_percent=100), point=point
        )
        db.session.add(household)
        db.session.flush()
        issue_ticket(household)
        token = rotate_page_token(household)
        db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 640}, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    for url in (f"/m/{token}", "/auth/sign-in"):
        page.goto(url)
        link = page.get_by_role("link", name=re.compile("^EN"))
        expect(link).to_have_text("EN")
        expect(link).to_have_accessible_name(re.compile("^EN.*English"))
        box = link.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (url, box)
    context.close()


FRENCH_SLIPS = {
    "a bracket plural": re.compile(r"\w\(s\)"),
    "a word of taking out (a member collects: récupérer)": re.compile(r"retir|retrait", re.I),
    "“Soldes” (it reads as a sale)": re.compile(r"\bSoldes\b"),
    "no elision (d'Inès, d'octobre)": re.compile(r"\b[Dd]e [AEIOUaeiouÉéÈèÎî]"),
    "an English word left": re.compile(r"\b(Collected|Balances|Member|Order of)\b"),
    "an inclusive ·e form (write neutral French)": re.compile(r"\w·\w"),
}
ENGLISH_SLIPS = {
    "a space before a colon": re.compile(r"\w :"),
    "a 12-hour time": re.compile(r"\d(:\d\d)? ?[AP]M\b"),
    "a French word left": re.compile(r"\b(récupéré|retiré|adhérent|Soldes|Remise)\b", re.I),
}


def slips(text: str, rules: dict) -> list[str]:
    return [
        f"{name}: …{text[max(0, m.start() - 30) : m.end() + 30]}…"
        for name, rule in rules.items()
        if (m := rule.search(text))
    ]


def test_admin_words_are_plain_french_and_plain_english(app, browser, live_server):
    world = fifty_three_members(app)
    with app.app_context():
        point = db.session.get(Point, world.point)
        point.name = "Ozoir-la-Ferrière"
        ines = Household(first_name="Inès", last_name="Abadie", tier=db.session.scalar(select(Tier)), point=point)
        db.session.add(ines)
        db.session.flush()
        issue_ticket(ines)
        rotate_page_token(ines)
        db.session.commit()
        pages = [
            f"/admin/members/{ines.id}/ticket",
            f"/admin/orders/{world.orders['Alice']}",
            f"/admin/points/{world.point}/history",
            f"/admin/distributions/{world.distribution}/sign-off",
            f"/admin/distributions/{world.distribution}/orders",
            "/admin/cards/",
            "/admin/devices/",
            "/admin/users/",
            "/admin/",
        ]
    page = signed_in(browser, app, live_server)
    page.goto(pages[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Ticket d'Inès Abadie")
    page.goto(pages[2])
    expect(page.get_by_role("heading", level=1)).to_have_text("Historique d'Ozoir-la-Ferrière")
    found = []
    for url in pages:
        page.goto(url)
        found += [f"{url}: {slip}" for slip in slips(page.locator("body").inner_text(), FRENCH_SLIPS)]
        shot(page, "fr-" + (re.sub(r"\W+", "-", url.removeprefix("/admin/")).strip("-") or "dashboard"))
    page.context.close()

    page = signed_in(browser, app, live_server, locale="en-GB")
    for url in pages:
        page.goto(url)
        found += [f"{url} (en): {slip}" for slip in slips(page.locator("body").inner_text(), ENGLISH_SLIPS)]
        shot(page, "en-" + (re.sub(r"\W+", "-", url.removeprefix("/admin/")).strip("-") or "dashboard"))
    page.context.close()
    assert not found, "\n".join(found)
