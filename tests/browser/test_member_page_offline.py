"""The member page on a 360×640 phone after a distribution day: what the phones recorded (collected, paid, partly
collected), kept for offline from the first visit and saying when it is the kept copy, with the ticket readable in
dark mode and at 200 % text (contrast, 200 % text and axe-core with the accessibility suite's helpers,
tests/browser/a11y.py)."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Distribution, Household
from sync.events import parse_event
from sync.manual_codes import display
from tests.browser.a11y import (
    at_200_percent,
    axe_violations,
    describe,
    in_reach,
    large_text,
    low_contrast,
    nonsense_words,
    serious,
)
from tests.browser.conftest import PHONE
from tests.factories.distribution_log import distribution_log_world
from tests.phones import Phone, enrol_phone

PARIS = ZoneInfo("Europe/Paris")
FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]

# The page is in the member worker's cache (waits up to 10 s for the worker to install). Evaluated, not polled by
# wait_for_function: a polled string predicate is an eval, which the page's CSP refuses.
KEPT = """async () => {
  await navigator.serviceWorker.ready;
  for (let i = 0; i < 100; i++) {
    if (await caches.match(location.href, {ignoreVary: true})) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}"""


@dataclass
class Day:
    world: object
    phone: Phone
    tokens: dict[str, str]  # first name → member page token
    codes: dict[str, str]  # first name → manual code as the ticket shows it


@pytest.fixture
def backend() -> str:
    """The browser path on SQLite only: the same figures on PostgreSQL are held by the API tests (CI stays under
    20 minutes)."""
    return "sqlite"


@pytest.fixture
def day(app) -> Day:
    """The distribution log's world (a distribution running now, seven members ordered) with tickets, and a phone."""
    with app.app_context():
        world = distribution_log_world()
        tokens, codes = {}, {}
        for name in ("Alice", "Bruno", "Chloé"):
            household = db.session.get(Household, world.households[name])
            issue_ticket(household)
            tokens[name] = household.page_token
            codes[name] = display(household.manual_code)
        db.session.commit()
    phone = enrol_phone(app, [world.point], world.volunteers[0], "Téléphone 1")
    return Day(world, phone, tokens, codes)


def pushed(phone: Phone, events: list[dict]) -> None:
    answer = phone.push(events)
    assert answer.status_code == 200, answer.get_json()
    assert {result["status"] for result in answer.get_json()["results"]} == {"accepted"}


def local(event: dict) -> datetime:
    return parse_event(event).device_time.astimezone(PARIS)


def french_day(moment: datetime) -> str:
    return f"{moment.day} {FRENCH_MONTHS[moment.month - 1]} à {moment:%H:%M}"


def test_after_collecting_and_paying_the_page_says_so_and_asks_nothing(day, phone):
    d, orders = day.world.distribution, day.world.orders
    handover = day.phone.record("handover", {"order_id": orders["Bruno"], "outcome": "all"}, d)
    payment = day.phone.record(
        "payment",
        {"order_id": orders["Bruno"], "amount_cents": 1050, "method": "cash", "solidarity_cents": 450},
        d,
    )
    pushed(day.phone, [handover, payment])

    phone.goto(f"/m/{day.tokens['Bruno']}")
    expect(phone.get_by_text(f"Panier récupéré le {french_day(local(handover))}")).to_be_visible()
    expect(phone.get_by_text("10,50 € payés en espèces")).to_be_visible()
    expect(phone.get_by_text("Rien à payer.")).to_be_visible()
    phone.screenshot(path="/tmp/shots/memberpage/collected-paid.png", full_page=True)
    body = phone.locator("main").inner_text()
    assert "Montant dû" not in body and "retir" not in body.lower(), body

    # In English: the same, with no French word and a 24-hour time.
    phone.goto(f"/m/{day.tokens['Bruno']}?lang=en")
    moment = local(handover)
    expect(phone.get_by_text(f"Basket collected on {moment.day} {moment:%B} at {moment:%H:%M}")).to_be_visible()
    expect(phone.get_by_text("€10.50 paid in cash")).to_be_visible()
    expect(phone.get_by_text("Nothing to pay.")).to_be_visible()
    phone.screenshot(path="/tmp/shots/memberpage/collected-paid-en.png", full_page=True)
    english = phone.locator("main").inner_text()
    for french in ("Panier récupéré", "payé", "Montant", "Rien", "AM", "PM"):
        assert french not in english, (french, english)


def test_a_partial_hand_over_shows_what_is_still_to_collect_and_to_pay(day, phone):
    d, orders, products = day.world.distribution, day.world.orders, day.world.products
    handover = day.phone.record(
        "handover",
        {
            "order_id": orders["Alice"],
            "outcome": "partial",
            "lines": [{"product_id": products["LEG-M"], "quantity_received": 1}],
        },
        d,
    )
    payment = day.phone.record("payment", {"order_id": orders["Alice"], "amount_cents": 1000, "method": "cheque"}, d)
    pushed(day.phone, [handover, payment])

    phone.goto(f"/m/{day.tokens['Alice']}")
    expect(phone.get_by_text(f"Panier récupéré en partie le {french_day(local(handover))}")).to_be_visible()
    still = phone.get_by_role("list", name="Encore à récupérer")
    expect(still).to_have_text(re.compile(r"1 × Produit OEUFS"))
    expect(still).not_to_have_text(re.compile("Panier M"))
    expect(phone.get_by_text("10,00 € payés par chèque")).to_be_visible()
    expect(phone.get_by_text("Reste à payer : 5,00 €")).to_be_visible()  # 15,00 € for the Panier M taken
    phone.screenshot(path="/tmp/shots/memberpage/partly-collected.png", full_page=True)


def test_an_undone_payment_is_not_counted(day, phone):
    d, orders = day.world.distribution, day.world.orders
    handover = day.phone.record("handover", {"order_id": orders["Bruno"], "outcome": "all"}, d)
    wrong = day.phone.record("payment", {"order_id": orders["Bruno"], "amount_cents": 1050, "method": "card"}, d)
    undo = day.phone.record("void", {"event_id": wrong["id"], "reason": "wrong method"}, d)
    pushed(day.phone, [handover, wrong, undo])
    phone.goto(f"/m/{day.tokens['Bruno']}")
    expect(phone.get_by_text("Reste à payer : 10,50 €")).to_be_visible()
    assert "carte" not in phone.locator("main").inner_text().lower()


def test_the_first_visit_is_kept_for_offline_and_the_copy_says_so(day, phone):
    phone.goto(f"/m/{day.tokens['Chloé']}")
    expect(phone.get_by_role("heading", name="Chloé Nguyen")).to_be_visible()
    banner = phone.get_by_text("Copie enregistrée sur ce téléphone")
    expect(banner).to_be_hidden()
    # Once, online: the worker that installs keeps the page it was installed from.
    assert phone.evaluate(KEPT)

    phone.context.set_offline(True)
    phone.reload()
    expect(phone.get_by_role("heading", name="Chloé Nguyen")).to_be_visible()
    qr = phone.locator(".ticket-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 250 and box["y"] + box["height"] <= 640, box  # whole on the first screen, banner too
    expect(phone.get_by_text(day.codes["Chloé"])).to_be_visible()
    expect(banner).to_be_visible()
    expect(banner).to_have_text(re.compile(r"mise à jour le \d{1,2}\s\S+ à \d{2}:\d{2} ; hors connexion"))
    phone.screenshot(path="/tmp/shots/memberpage/offline.png")

    phone.context.set_offline(False)
    phone.reload()
    expect(phone.get_by_role("heading", name="Chloé Nguyen")).to_be_visible()
    expect(banner).to_be_hidden()


def test_the_language_link_is_big_enough_to_tap(day, phone):
    phone.goto(f"/m/{day.tokens['Chloé']}")
    link = phone.locator("a[hreflang]")
    box = link.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, box


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_readable_in_both_schemes_and_at_200_percent_text(day, browser, live_server, scheme):
    d, orders = day.world.distribution, day.world.orders
    pushed(day.phone, [day.phone.record("handover", {"order_id": orders["Bruno"], "outcome": "all"}, d)])
    # axe-core is injected for the contrast check: the context bypasses the page's CSP (tests/browser/a11y.py).
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR", color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    page.goto(f"/m/{day.tokens['Bruno']}")
    expect(page.get_by_role("heading", name="Bruno Diallo")).to_be_visible()
    page.screenshot(path=f"/tmp/shots/memberpage/collected-{scheme}.png", full_page=True)
    low = low_contrast(page, f"member page, collected · {scheme}")
    assert not low, describe(low)
    # The offline copy's banner too (what the service worker does to the page it serves from its cache).
    page.evaluate("document.querySelector('.kept-copy').dataset.copy = 'kept'")
    expect(page.get_by_text("Copie enregistrée sur ce téléphone")).to_be_visible()
    page.screenshot(path=f"/tmp/shots/memberpage/offline-{scheme}.png")
    low = low_contrast(page, f"member page, kept copy · {scheme}")
    assert not low, describe(low)
    # The ticket stays black on white, with a white quiet zone around the code, in both schemes.
    figure = page.locator(".ticket-qr")
    assert figure.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 255, 255)"
    quiet = figure.evaluate(
        """el => { const f = el.getBoundingClientRect(), s = el.querySelector('svg').getBoundingClientRect();
                   return Math.min(s.left - f.left, f.right - s.right, s.top - f.top, f.bottom - s.bottom); }"""
    )
    assert quiet >= 8, quiet
    dark_modules = figure.locator("svg path").first.evaluate("p => getComputedStyle(p).fill || p.getAttribute('fill')")
    assert dark_modules in ("rgb(0, 0, 0)", "#000", "#000000"), dark_modules

    with large_text(page, 200):
        measured = in_reach(page, cut=True)
        assert measured == {"scrollWidth": measured["scrollWidth"], "out": [], "broken": [], "cut": []}, measured
        assert measured["scrollWidth"] <= 360, measured
        assert figure.locator("svg").bounding_box()["width"] >= 250  # still big enough to scan
        page.screenshot(path=f"/tmp/shots/memberpage/text-200-{scheme}.png", full_page=True)
    context.close()


def test_after_the_distribution_ends_the_page_keeps_the_last_basket(
    app, day, phone, browser, live_server, time_machine
):
    """Collected and paid, then the distribution ends: four minutes later the page still says so, under "Votre
    dernier panier"; a member who did not come reads "Panier non récupéré le …", nothing more."""
    d, orders = day.world.distribution, day.world.orders
    handover = day.phone.record("handover", {"order_id": orders["Bruno"], "outcome": "all"}, d)
    payment = day.phone.record("payment", {"order_id": orders["Bruno"], "amount_cents": 1050, "method": "cash"}, d)
    pushed(day.phone, [handover, payment])
    with app.app_context():
        ends = db.session.get(Distribution, d).ends_at
    time_machine.move_to(ends + timedelta(minutes=4), tick=True)

    phone.goto(f"/m/{day.tokens['Bruno']}")
    expect(phone.get_by_role("heading", name="Votre dernier panier")).to_be_visible()
    expect(phone.get_by_text(f"Panier récupéré le {french_day(local(handover))}")).to_be_visible()
    expect(phone.get_by_text("10,50 € payés en espèces")).to_be_visible()
    expect(phone.get_by_text("Rien à payer.")).to_be_visible()
    phone.screenshot(path="/tmp/shots/memberpage/last-basket.png")
    phone.screenshot(path="/tmp/shots/memberpage/last-basket-full.png", full_page=True)
    assert "Montant dû" not in phone.locator("main").inner_text()

    phone.goto(f"/m/{day.tokens['Chloé']}")
    expect(phone.get_by_role("heading", name="Votre dernier panier")).to_be_visible()
    ended = ends.astimezone(PARIS)
    expect(phone.get_by_text(f"Panier non récupéré le {ended.day} {FRENCH_MONTHS[ended.month - 1]}")).to_be_visible()
    assert "Montant dû" not in phone.locator("main").inner_text()
    phone.screenshot(path="/tmp/shots/memberpage/not-collected.png", full_page=True)
    measured = at_200_percent(phone, cut=True)
    assert measured == {"scrollWidth": measured["scrollWidth"], "out": [], "broken": [], "cut": []}, measured
    assert measured["scrollWidth"] <= 360, measured

    # axe-core (its contrast rule among them), both schemes, on both last baskets (the check alone bypasses the
    # page's CSP: tests/browser/a11y.py).
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    for name in ("Bruno", "Chloé"):
        page.goto(f"/m/{day.tokens[name]}")
        expect(page.get_by_role("heading", name="Votre dernier panier")).to_be_visible()
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            blocking = serious(axe_violations(page, f"member page, last basket · {scheme}"))
            assert not blocking, describe(blocking)
        assert nonsense_words(page) == []
    context.close()
