"""A phone that takes the pack during a distribution and goes offline at once knows what the other phones already did
(issue 13): taking the pack also pulls the distribution's events from the server, awaited, before it says the
distribution is ready; a member handed over elsewhere reads "Déjà remis par un autre téléphone" and the allowance
shown is the pack's balance less what other phones already took from it. Without a network for that pull, the phone
says so."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import User
from tests.browser import test_volunteer_app as screens
from tests.browser.test_volunteer_app import open_by_name, point_id, start_day
from tests.browser.test_whole_day import open_account
from tests.factories.volunteer_app import POINT
from tests.phones import enrol_phone

world = screens.world  # Élodie holds 5,00 € prepaid and 4,00 € of allowance


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _victor(app) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == "victor@example.org"))


def test_a_phone_that_takes_the_pack_late_and_goes_offline_knows_what_other_phones_did(app, phone, world):
    first = enrol_phone(app, [point_id(app)], _victor(app), "Téléphone 1")
    d = world.distribution
    awa, elodie = world.orders["Awa D."], world.orders["Élodie M."]
    events = [
        first.record("handover", {"order_id": awa, "outcome": "all"}, d),
        first.record("payment", {"order_id": awa, "amount_cents": 2040, "method": "cash"}, d),
        first.record(
            "payment", {"order_id": elodie, "amount_cents": 300, "method": "allowance", "from_allowance_cents": 300}, d
        ),
    ]
    answer = first.push(events)
    assert [result["status"] for result in answer.get_json()["results"]] == ["accepted"] * 3

    start_day(app, phone, world)  # takes the pack, online
    phone.context.set_offline(True)

    open_by_name(phone, "awa", "Awa D.")
    expect(phone.get_by_role("heading", name="Déjà remis par un autre téléphone")).to_be_visible()
    phone.get_by_role("button", name="Fermer").click()

    open_by_name(phone, "élodie", "Élodie M.")
    expect(phone.get_by_text("Déjà payé pour cette commande : 3,00 €.")).to_be_visible()
    expect(phone.locator(".balances")).to_have_text("Compte prépayé : 5,00 € · Allocation solidaire : 1,00 €")


def test_without_a_network_for_the_pull_the_phone_says_the_other_phones_are_missing(app, phone, world):
    start_day(app, phone, world, download=False)
    phone.route("**/api/distributions/*/events*", lambda route: route.abort("internetdisconnected"))
    phone.get_by_role("button", name=f"Télécharger : {POINT}").click()
    expect(phone.get_by_role("alert").filter(has_text="Les actions des autres téléphones")).to_contain_text(
        "Les actions des autres téléphones n’ont pas pu être récupérées : reconnectez-vous avant la distribution"
    )
    distributions = phone.get_by_role("list", name="Aujourd’hui")
    expect(distributions).to_contain_text(re.compile(r"Actions des autres téléphones pas encore récupérées"))


def test_a_member_whose_allowance_is_overdrawn_is_told_so(app, phone, world):
    open_account(app, world.members["Awa D."], "allowance", -700)  # a double spend of an earlier distribution
    start_day(app, phone, world)
    phone.context.set_offline(True)
    open_by_name(phone, "awa", "Awa D.")
    expect(phone.locator(".overdrawn")).to_have_text("Allocation à découvert : −7,00 €")
