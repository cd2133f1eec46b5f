"""The phone's cash box after a hand-over recorded after its closing count (issue 12, item 7), in real Chromium at
360×640 against the real server: the gap compares the count with the cash expected when it was made, as the admin's
distribution log does, and the cash taken after the count is said apart, once, until the box is counted again.

The day: a 30,00 € float, Élodie pays 14,28 € in cash, the box is counted at 44,20 € (0,08 € missing), then Awa
pays 20,40 € in cash after the count ("Enregistrer quand même")."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_volunteer_app import app_config, dist, open_by_code, start_day, world  # noqa: F401
from tests.helpers import make_sign_in_token

CASH = "Tout remis · payé en espèces"
ADMIN = {"viewport": {"width": 1280, "height": 800}}


def cents(text: str) -> int:
    """ "il manque 0,08 €" → -8, "0,08 € en trop" → 8, "caisse juste" → 0; the log's "-0,08 €" → -8."""
    if text.strip() == "caisse juste":
        return 0
    found = re.search(r"([−-]?)\s*(\d+(?:[\s\u202f\u00a0]\d{3})*),(\d\d)", text)
    assert found, text
    value = int(re.sub(r"\D", "", found[2])) * 100 + int(found[3])
    return -value if found[1] or "manque" in text else value


def count(page: Page, kind: str, total: str) -> None:
    group, label, button = {
        "opening": ("Ouverture", "Fond de caisse à l’ouverture", "Enregistrer le fond de caisse"),
        "closing": ("Clôture", "Espèces comptées à la clôture", "Enregistrer le comptage de clôture"),
    }[kind]
    tab = page.get_by_role("button", name="Caisse", exact=True)
    if tab.get_attribute("aria-current") != "page":
        tab.click()
        expect(tab).to_have_attribute("aria-current", "page")
    page.get_by_role("group", name=group).get_by_label(label).fill(total)
    page.get_by_role("button", name=button).click()
    shown = page.locator("dl.cash-summary dd").nth(0 if kind == "opening" else 3)
    expect(shown).to_have_text(f"{total},00 €" if "," not in total else f"{total} €")


def summary(page: Page) -> dict[str, str]:
    """The cash summary as label → value."""
    box = page.locator("dl.cash-summary")
    labels = box.locator("dt").all_inner_texts()
    values = [" ".join(value.split()) for value in box.locator("dd").all_inner_texts()]  # no-break spaces too
    return dict(zip(labels, values, strict=True))


@pytest.fixture
def backend() -> str:
    """The browser path on SQLite only: the same figures on PostgreSQL are held by the API tests (CI stays under
    20 minutes)."""
    return "sqlite"


def test_the_phone_gap_after_a_late_hand_over_is_the_log_gap(app, phone, world, browser, live_server, backend):  # noqa: F811
    start_day(app, phone, world)
    count(phone, "opening", "30")
    open_by_code(phone, world.codes["Élodie M."])
    phone.get_by_role("button", name=CASH).click()
    expect(phone.get_by_role("status").filter(has_text="Élodie Martin")).to_contain_text("tout remis")
    count(phone, "closing", "44,20")
    expect(phone.locator("dl.cash-summary dd").last).to_have_text("il manque 0,08 €")

    open_by_code(phone, world.codes["Awa D."])
    phone.get_by_role("button", name=CASH).click()
    phone.get_by_role("dialog", name="La caisse est déjà comptée").get_by_role(
        "button", name="Enregistrer quand même"
    ).click()
    expect(phone.get_by_role("status").filter(has_text="Awa Diallo")).to_contain_text("tout remis")

    phone.get_by_role("button", name="Caisse", exact=True).click()
    figures = summary(phone)
    assert figures["Écart"] == "il manque 0,08 €", figures
    assert figures["Compté à la clôture"] == "44,20 €", figures
    assert "44,28 €" in figures.values(), figures  # expected when counted: 30,00 + 14,28
    late = phone.locator("main").get_by_text("après le comptage")
    expect(late).to_have_count(1)  # one line, not two
    expect(late).to_have_text("20,40 € encaissés après le comptage : recomptez la caisse.")
    assert phone.get_by_text(re.compile(r"null|undefined|NaN")).count() == 0
    if folder := os.environ.get("COMPTOIR_SHOTS"):
        phone.screenshot(path=str(Path(folder) / "cash-after-count.png"), full_page=True)

    # The admin's log, once the phone sent its events, says the same gap for this box.
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    device = phone.evaluate(
        """async () => {
            const store = await import('/assets/store.js');
            const db = await store.database();
            return (await db.getAll('log')).find((entry) => entry.own).event.device_id;
        }"""
    )
    admin = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR").new_page()
    admin.goto(f"/auth/link/{make_sign_in_token(app, 'coordination@example.org')}")
    admin.get_by_role("button", name="Se connecter").click()
    admin.goto(f"/admin/distributions/{world.distribution}/log")
    logged = admin.locator(f'#cash-counted tr[data-device="{device}"] td').last.inner_text()
    assert cents(logged) == cents(figures["Écart"]) == -8, (logged, figures)
    expect(admin.locator(f'#cash-counted tr[data-device-after="{device}"]')).to_contain_text("20,40 €")
    admin.context.close()

    # Counting again replaces the count: the late cash is in it now, and the line goes.
    count(phone, "closing", "64,68")
    expect(phone.locator("dl.cash-summary dd").last).to_have_text("caisse juste")
    expect(phone.locator("main").get_by_text("après le comptage")).to_have_count(0)
    assert summary(phone)["Compté à la clôture"] == "64,68 €"
