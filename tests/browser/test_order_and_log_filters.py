"""A coordinator in Chromium at 1280×800, in French (issue 14): the log of a 250-event day filtered by phone, then by
type, paged with its filters kept; from the log to an order's page (its pick-up, its payments with one undone, the
events behind them), to the household's pick-ups, and back to the event in the log. Screenshots go to
COMPTOIR_SHOTS (default /tmp/shots/orders-log)."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server.clock import utcnow
from tests.factories.distribution_log import distribution_log_world
from tests.helpers import make_sign_in_token
from tests.phones import enrol_phone
from tests.test_distribution_log import cron_checks_conflicts, pushed

SHOTS = Path(os.environ.get("COMPTOIR_SHOTS", "/tmp/shots/orders-log"))
ADMIN = {"viewport": {"width": 1280, "height": 800}}
NOTES = 230


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def backend() -> str:
    """The browser path on SQLite only: the API tests hold both databases."""
    return "sqlite"


def a_long_day(app):
    """Phone 1 writes many notes and hands Bruno part of his basket, paid by cheque and from his prepaid balance;
    phone 2 hands Emma hers, takes a wrong cash payment, undoes it and takes the right one; Chloé refuses hers."""
    with app.app_context():
        world = distribution_log_world()
        from server.domain.ledger import post
        from server.extensions import db

        post(world.households["Bruno"], "prepaid", 1000, "opening")
        db.session.commit()
    one = enrol_phone(app, [world.point], world.volunteers[0], "Téléphone 1")
    two = enrol_phone(app, [world.point], world.volunteers[1], "Téléphone 2")
    d, o, p, start = world.distribution, world.orders, world.products, utcnow()
    at = [start + timedelta(seconds=n) for n in range(NOTES + 10)]
    first = [one.record("cash_count", {"kind": "opening", "total_cents": 5000}, d, at=at[0])]
    first += [one.record("note", {"text": f"Passage n° {n}"}, d, at=at[n]) for n in range(1, NOTES + 1)]
    first += [
        one.record(
            "handover",
            {
                "order_id": o["Bruno"],
                "outcome": "partial",
                "lines": [{"product_id": p["LEG-S"], "quantity_received": 1}],
            },
            d,
            at=at[NOTES + 1],
        ),
        one.record(
            "payment",
            {
                "order_id": o["Bruno"],
                "amount_cents": 1050,
                "method": "cheque",
                "method_details": "Chèque n° 1234567",
                "from_prepaid_cents": 300,
            },
            d,
            at=at[NOTES + 1],
        ),
    ]
    pushed(one, first)
    emma_wrong = two.record("payment", {"order_id": o["Emma"], "amount_cents": 500, "method": "cash"}, d, at=at[3])
    second = [
        two.record("handover", {"order_id": o["Emma"], "outcome": "all"}, d, at=at[2]),
        emma_wrong,
        two.record("void", {"event_id": emma_wrong["id"], "reason": "mauvais montant"}, d, at=at[4]),
        two.record("payment", {"order_id": o["Emma"], "amount_cents": 700, "method": "cash"}, d, at=at[5]),
        two.record("handover", {"order_id": o["Chloé"], "outcome": "refused"}, d, at=at[6]),
    ]
    pushed(two, second)
    cron_checks_conflicts(app)
    return world, emma_wrong


def test_filter_the_log_page_it_and_open_an_order(app, browser, live_server):
    world, emma_wrong = a_long_day(app)
    total = 1 + NOTES + 2 + 5
    context = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    page.goto(f"/auth/link/{make_sign_in_token(app, 'coordination@example.org')}")
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"/admin/distributions/{world.distribution}/log")
    count = page.locator("#timeline-count")
    expect(count).to_have_text(f"{total} événements")

    filters = page.locator("form.timeline-filters")
    filters.get_by_label("Téléphone").select_option(label="Téléphone 1")
    filters.get_by_role("button", name="Filtrer").click()
    expect(count).to_have_text(f"{NOTES + 3} événements sur {total}")
    filters.get_by_label("Type").select_option(label="Note")
    filters.get_by_role("button", name="Filtrer").click()
    expect(count).to_have_text(f"{NOTES} événements sur {total}")
    assert "phone=" in page.url and "type=note" in page.url
    expect(page.locator("table.timeline tbody tr")).to_have_count(200)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.locator("#timeline").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "log-filtered.png"))

    page.get_by_role("link", name="Page suivante").click()
    expect(page.locator("table.timeline tbody tr")).to_have_count(NOTES - 200)
    assert "phone=" in page.url and "type=note" in page.url and "page=2" in page.url
    expect(filters.get_by_label("Type")).to_have_value("note")
    expect(page.get_by_text(f"Événements 201 à {NOTES} sur {NOTES}.")).to_be_visible()

    # Phone 2's payments: the undone one struck through; its order opens from the row.
    page.goto(f"/admin/distributions/{world.distribution}/log")
    filters.get_by_label("Téléphone").select_option(label="Téléphone 2")
    filters.get_by_label("Type").select_option(label="Règlement")
    filters.get_by_role("button", name="Filtrer").click()
    expect(count).to_have_text(f"2 événements sur {total}")
    expect(page.locator(f'tr[id="event-{emma_wrong["id"]}"]')).to_have_class("voided")
    page.locator("#timeline").scroll_into_view_if_needed()
    shoot(page, "log-phone2-payments")
    page.locator(f'tr[id="event-{emma_wrong["id"]}"]').get_by_role("link", name="la commande").click()

    expect(page.locator("h1")).to_have_text("Commande d'Emma Bernard")
    expect(page.locator("#pickup-status")).to_have_text("Récupérée")
    expect(page.locator("#pickup")).to_contain_text("par Téléphone 2 (Omar Haddad)")
    expect(page.locator("#paid-summary")).to_contain_text("Payé : 7,00 € (Espèces 7,00 €).")
    expect(page.locator(f'#payments tr[data-payment="{emma_wrong["id"]}"]')).to_contain_text(
        "sans effet : annulation enregistrée"
    )
    expect(page.locator("#events tbody tr")).to_have_count(4)
    expect(page.locator("#events")).to_contain_text("Motif : mauvais montant")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shoot(page, "order-emma")
    page.locator(f'#events tr[data-event="{emma_wrong["id"]}"]').get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/log\?page=1#event-{emma_wrong['id']}$"))
    expect(page.locator(f'tr[id="event-{emma_wrong["id"]}"]')).to_be_in_viewport()

    page.goto(f"/admin/orders/{world.orders['Bruno']}")
    expect(page.locator("#pickup-status")).to_have_text("Récupérée en partie")
    expect(page.locator("#payments")).to_contain_text("Chèque : 7,50 € (Chèque n° 1234567) · Solde prépayé : 3,00 €")
    shoot(page, "order-bruno")
    page.get_by_role("link", name="Paniers et comptes du foyer").click()
    pickups = page.locator("#pickups")
    expect(pickups.locator("[data-pickup]")).to_have_text(["Récupérée en partie"])
    expect(pickups).to_contain_text("7,50 € · Chèque")
    pickups.scroll_into_view_if_needed()
    shoot(page, "household-bruno")
    page.goto(f"/admin/orders/{world.orders['Chloé']}")
    expect(page.locator("#pickup-status")).to_have_text("Refusée")
    page.goto(f"/admin/orders/{world.orders['Farid']}")
    expect(page.locator("#pickup-status")).to_have_text("Pas encore récupérée")
    shoot(page, "order-farid")
    context.close()
