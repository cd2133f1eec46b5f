"""The SSA contribution at the point, in real Chromium at 360×640 against the real server: a member whose band asks
15,00 € this period is found offline, the member screen says "Contribution SSA de décembre : 15,00 € à régler"
under the basket (which may still be handed over), the volunteer takes it in cash in one tap and sees it taken;
once sent, the admin household page and the member page say it is paid, and the payments export names it."""

import csv
import io
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.extensions import db
from server.models import ContributionBand, Distribution, Household, User
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist)
from tests.browser.test_admin_pages import signed_in
from tests.browser.test_member_screen import assert_no_swipe
from tests.browser.test_volunteer_app import open_by_code, outbox, point_id, start_day
from tests.factories.volunteer_app import volunteer_app_world
from tests.phones import enrol_phone

NO_WORDS = re.compile(r"\b(null|undefined|NaN|None)\b")
TAKE = "Encaisser la contribution : 15,00 €"


def shot(page: Page, name: str) -> None:
    if folder := os.environ.get("COMPTOIR_SHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def of_month(month: str) -> str:
    """ "de décembre", "d’avril": as the French sentences write it."""
    return f"d’{month}" if month[0] in "aeiouéâ" else f"de {month}"


def test_a_due_contribution_is_taken_in_cash_and_shows_paid_everywhere(app, phone, live_server):
    with app.app_context():
        world = volunteer_app_world()
        db.session.add(ContributionBand(code="T2", label="Tranche 2", contribution_cents=1500))
        elodie = db.session.get(Household, world.members["Élodie M."])
        elodie.contribution_band = "T2"
        elodie.page_token = "c" * 43
        db.session.get(Household, world.members["Awa D."]).contribution_band = "T2"
        starts = db.session.get(Distribution, world.distribution).starts_at
        db.session.commit()
    month = format_date(starts.astimezone(ZoneInfo("Europe/Paris")).date(), "MMMM", locale="fr")
    start_day(app, phone, world)
    phone.context.set_offline(True)

    phone.get_by_label("Rechercher par nom").fill("élodie")  # said in the results, before the member is opened
    expect(phone.locator("#search-results")).to_contain_text("contribution à régler")
    open_by_code(phone, world.codes["Élodie M."])
    expect(phone.get_by_role("heading", name="Élodie Martin", level=1)).to_be_visible()
    due = phone.locator("#contribution-due")
    expect(due).to_have_text(f"Contribution SSA {of_month(month)} : 15,00 € à régler")
    expect(phone.get_by_label("Contribution réglée par")).to_have_value("cash")
    assert_no_swipe(phone, "Tout remis · payé en espèces")  # never in the way of the basket
    shot(phone, "contribution-1-due")
    phone.evaluate("document.documentElement.style.fontSize = '200%'")  # large text: still one readable block
    shot(phone, "contribution-1-due-200")
    phone.evaluate("document.documentElement.style.fontSize = ''")
    assert not NO_WORDS.search(phone.locator("main").inner_text())

    phone.get_by_label("Contribution réglée par").select_option("cheque")
    phone.get_by_role("button", name=TAKE).click()
    expect(phone.locator("#contribution-error")).to_have_text("Le numéro du chèque manque.")
    assert outbox(phone) == []

    phone.get_by_label("Contribution réglée par").select_option("cash")
    phone.get_by_role("button", name=TAKE).click()
    expect(phone.locator("#contribution-paid")).to_have_text(
        f"Contribution SSA {of_month(month)} encaissée aujourd’hui : 15,00 € (espèces)."
    )
    expect(due).to_have_count(0)
    expect(phone.get_by_role("button", name="Tout remis · payé en espèces")).to_be_visible()
    shot(phone, "contribution-2-taken")
    (taken,) = outbox(phone)
    assert taken["type"] == "payment" and taken["payload"]["purpose"] == "contribution"
    assert taken["payload"]["household_id"] == world.members["Élodie M."] and taken["payload"]["amount_cents"] == 1500
    phone.get_by_role("button", name="Fermer sans enregistrer").click()

    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")

    # Awa's contribution taken on another phone: once pulled, this phone says it is taken, not due.
    with app.app_context():
        victor = db.session.scalar(select(User.id).where(User.email == "victor@example.org"))
    other = enrol_phone(app, [point_id(app)], victor, name="Téléphone de Sami")
    payload = {"household_id": world.members["Awa D."], "amount_cents": 1500, "method": "card"}
    taken_there = other.record("payment", payload | {"purpose": "contribution"}, world.distribution)
    assert other.push([taken_there]).status_code == 200
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    open_by_code(phone, world.codes["Awa D."])
    expect(phone.locator("#contribution-paid")).to_have_text(
        f"Contribution SSA {of_month(month)} encaissée aujourd’hui : 15,00 € (carte)."
    )
    expect(phone.locator("#contribution-due")).to_have_count(0)
    phone.get_by_role("button", name="Fermer sans enregistrer").click()

    admin = signed_in(phone.context.browser, app, live_server)
    admin.goto(f"/admin/members/{world.members['Élodie M.']}/accounts")
    expect(admin.locator("#contribution")).to_contain_text(
        re.compile(rf"Contribution {of_month(month)} \d{{4}} : réglée le .+ \(15,00\s€, espèces\)")
    )
    shot(admin, "contribution-3-household")
    exported = admin.request.get(f"{live_server}/admin/distributions/{world.distribution}/export/payments.csv")
    rows = list(csv.reader(io.StringIO(exported.text().lstrip("\ufeff")), delimiter=";"))
    assert rows[0][-1] == "Objet" and [row[-1] for row in rows[1:]] == ["Contribution", "Contribution"]

    member = phone.context.browser.new_page(viewport={"width": 360, "height": 640}, locale="fr-FR")
    member.goto(f"{live_server}/m/{'c' * 43}")
    expect(member.locator("#contribution")).to_contain_text(f"Contribution {of_month(month)} : réglée le ")
    expect(member.get_by_role("heading", name="Adhésion et contribution")).to_be_visible()
    shot(member, "contribution-4-member-page")
    member.close()
