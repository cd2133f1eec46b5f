"""The distribution log in Chromium at 1280×800, in French: a basket handed over (and paid) by two phones is one
conflict, settled by one decision that undoes the second hand-over and its payment; the cash boxes and the audit
log read as a coordinator needs them. Screenshots go to COMPTOIR_SHOTS (default /tmp/shots/logconf)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server.clock import utcnow
from tests.factories.distribution_log import distribution_log_world
from tests.helpers import make_sign_in_token
from tests.phones import enrol_phone
from tests.test_distribution_log import conflicts_of, cron_checks_conflicts, pushed

SHOTS = Path(os.environ.get("COMPTOIR_SHOTS", "/tmp/shots/logconf"))
ADMIN = {"viewport": {"width": 1280, "height": 800}}


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def a_day_with_a_double_handover(app):
    """Two phones hand over David's basket and each takes 15,00 €; phone 1 counts its box, then hands Emma hers."""
    with app.app_context():
        world = distribution_log_world()
    one = enrol_phone(app, [world.point], world.volunteers[0], "Téléphone 1")
    two = enrol_phone(app, [world.point], world.volunteers[1], "Téléphone 2")
    d, o, now = world.distribution, world.orders, utcnow()
    later = now + timedelta(seconds=2)
    first = [
        one.record("cash_count", {"kind": "opening", "total_cents": 5000}, d, at=now),
        one.record("handover", {"order_id": o["David"], "outcome": "all"}, d, at=now),
        one.record("payment", {"order_id": o["David"], "amount_cents": 1500, "method": "cash"}, d, at=now),
        one.record("cash_count", {"kind": "closing", "total_cents": 6500}, d, at=later),
        one.record("handover", {"order_id": o["Emma"], "outcome": "all"}, d, at=later),
        one.record("payment", {"order_id": o["Emma"], "amount_cents": 700, "method": "cash"}, d, at=later),
    ]
    second = [
        two.record("handover", {"order_id": o["David"], "outcome": "all"}, d, at=later),
        two.record("payment", {"order_id": o["David"], "amount_cents": 1500, "method": "card"}, d, at=later),
    ]
    pushed(one, first)
    pushed(two, second)
    cron_checks_conflicts(app)
    return world, first, second


@pytest.fixture
def backend() -> str:
    """The browser path on SQLite only: the same figures on PostgreSQL are held by the API tests (CI stays under
    20 minutes)."""
    return "sqlite"


def test_a_double_handover_and_its_overpayment_are_resolved_in_one_decision(app, browser, live_server):
    world, _first, second = a_day_with_a_double_handover(app)
    context = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    page.goto(f"/auth/link/{make_sign_in_token(app, 'coordination@example.org')}")
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"/admin/distributions/{world.distribution}/log")

    conflicts = page.locator("article.conflict")
    expect(conflicts).to_have_count(1)  # one conflict, not a double hand-over and an overpayment
    (conflict,) = conflicts_of(app, world.distribution).values()
    card = page.locator(f"#conflict-{conflict.id}")
    expect(card).to_contain_text("Commande remise deux fois · À résoudre")
    expect(card).to_contain_text("La commande de David Éluard a été remise deux fois.")
    expect(card).to_contain_text("D'abord par Téléphone 1 à ")
    expect(card).to_contain_text("30,00 € payés pour 15,00 € dus : 15,00 € de trop.")
    expect(card).to_contain_text("Garder la première remise annule la seconde et le paiement enregistré avec elle")
    expect(page.locator("#cash-counted")).to_contain_text("Après le comptage de ce téléphone : 7,00 € en espèces")
    expect(page.locator("body")).not_to_contain_text("Payé plus que le dû")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    card.scroll_into_view_if_needed()
    shoot(page, "log-before")

    decision = card.get_by_label("Décision")
    expect(decision).to_have_value("")  # "Choisir…": nothing preselected
    decision.select_option(
        label="Garder la première remise : annuler la seconde et son paiement de 15,00 €, à rembourser à David Éluard"
    )
    card.get_by_label("Commentaire").fill("David scanné deux fois ; paiement par carte annulé sur le TPE.")
    card.get_by_role("button", name="Enregistrer la décision").click()

    expect(page.get_by_text("Conflit résolu : la décision est inscrite au journal.")).to_be_visible()
    card = page.locator(f"#conflict-{conflict.id}")
    expect(card).to_contain_text("Commande remise deux fois · Résolu")
    expect(card).to_contain_text("Garder la première remise : annuler la seconde et le paiement enregistré avec elle")
    expect(page.locator('[data-figure="paid"]')).to_have_text(
        "22,00 €"
    )  # David 15,00 € in cash, Emma 7,00 €; the card undone
    for event in second:
        expect(page.locator(f'tr[id="event-{event["id"]}"]')).to_have_class("voided")
    expect(page.locator("h2#conflicts")).not_to_contain_text("à résoudre")
    shoot(page, "log-after")

    page.goto("/admin/audit/?action=conflict.")
    sentence = page.locator(".audit-sentence").first
    expect(sentence).to_contain_text("a résolu le conflit « Commande remise deux fois » de la distribution du ")
    expect(sentence).not_to_contain_text("conflict.resolve")
    expect(sentence.get_by_role("link").nth(1)).to_have_attribute(
        "href", f"/admin/distributions/{world.distribution}/log"
    )
    shoot(page, "audit")
    page.goto("/admin/audit/")
    expect(page.locator("table.audit")).to_contain_text("coordination : connexion avec un lien de connexion.")
    expect(page.locator(".audit-sentence", has_text="sign_in")).to_have_count(0)  # codes are folded away, for support
    shoot(page, "audit-all")
    context.close()


def test_cash_boxes_and_members_expected_in_english(app, browser, live_server):
    """A box counted then a hand-over after the count, a box never counted, and members still expected."""
    with app.app_context():
        world = distribution_log_world()
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    two = enrol_phone(app, [world.point], world.volunteers[1], "Phone 2")
    d, o = world.distribution, world.orders
    pushed(
        one,
        [
            one.record("cash_count", {"kind": "opening", "total_cents": 5000}, d),
            one.record("handover", {"order_id": o["Alice"], "outcome": "all"}, d),
            one.record("payment", {"order_id": o["Alice"], "amount_cents": 1770, "method": "cash"}, d),
            one.record("cash_count", {"kind": "closing", "total_cents": 6770}, d),
            one.record("handover", {"order_id": o["Emma"], "outcome": "all"}, d),
            one.record("payment", {"order_id": o["Emma"], "amount_cents": 700, "method": "cash"}, d),
        ],
    )
    pushed(
        two,
        [
            two.record("cash_count", {"kind": "opening", "total_cents": 2000}, d),
            two.record("handover", {"order_id": o["Chloé"], "outcome": "all"}, d),
            two.record("payment", {"order_id": o["Chloé"], "amount_cents": 1000, "method": "cash"}, d),
        ],
    )
    context = browser.new_context(**ADMIN, base_url=live_server, locale="en-GB")
    page = context.new_page()
    page.goto(f"/auth/link/{make_sign_in_token(app, 'coordination@example.org')}?lang=en")
    page.get_by_role("button").first.click()
    page.goto(f"/admin/distributions/{world.distribution}/log?lang=en")
    counted, not_counted = page.locator("#cash-counted"), page.locator("#cash-not-counted")
    expect(counted).to_contain_text("€67.70")
    expect(counted).to_contain_text("After this phone's count: €7.00 in cash, not in the count above")
    expect(not_counted).to_contain_text("Phone 2")
    expect(page.locator('[data-figure="cash-difference"]')).to_have_text("€0.00")
    expect(page.locator("#not-collected")).to_have_text("Orders not collected yet")
    expect(page.locator("body")).not_to_contain_text("basket not collected")
    counted.scroll_into_view_if_needed()
    shoot(page, "log-cash-en")
    context.close()
