"""A credit paid at the point (``top_up``) through the real API, on SQLite and PostgreSQL: accepted like any event
of the phone's shift, refused when malformed, and then in every place the admin and the member read it: the log's
words and figures, the cash expected, the sign-off sheet, the CSV exports and the member page. Undone, it is in none
of them."""

import csv
import io
from datetime import timedelta

import pytest

from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Distribution, Household
from sync.events import new_event_id
from tests.browser.volunteer import figure, page_text
from tests.factories.distribution_log import DistributionLogWorld as World
from tests.factories.distribution_log import distribution_log_world
from tests.helpers import sign_in_user
from tests.phones import enrol_phone


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        world = distribution_log_world()
        issue_ticket(db.session.get(Household, world.households["Bruno"]))
        db.session.commit()
        return world


def _figure(html: str, name: str) -> str:
    return figure(html, name).replace("\xa0", " ").replace("\u202f", " ")


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))


def test_a_top_up_reaches_the_log_the_cash_the_sheet_the_exports_and_the_member_page(app, client, world):
    phone = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    d, bruno, chloe = world.distribution, world.households["Bruno"], world.households["Chloé"]
    events = [
        phone.record("cash_count", {"kind": "opening", "total_cents": 3000}, d),
        phone.record("top_up", {"household_id": bruno, "amount_cents": 2000, "method": "cash"}, d),
        phone.record(
            "top_up",
            {"household_id": chloe, "amount_cents": 5000, "method": "cheque", "method_details": "0004567"},
            d,
        ),
    ]
    wrong = phone.record("top_up", {"household_id": chloe, "amount_cents": 900, "method": "cash"}, d)
    events += [wrong, phone.record("void", {"event_id": wrong["id"], "reason": "Mauvais membre"}, d)]
    events.append(phone.record("cash_count", {"kind": "closing", "total_cents": 5000}, d))
    answer = phone.push(events)
    assert answer.status_code == 200
    assert [r["status"] for r in answer.get_json()["results"]] == ["accepted"] * len(events)

    # Malformed: an allowance is never credited at the point, a cheque gives its number.
    bad = [
        events[1] | {"id": new_event_id(), "payload": events[1]["payload"] | {"account": "allowance"}},
        events[1] | {"id": new_event_id(), "payload": events[1]["payload"] | {"method": "cheque"}},
    ]
    results = phone.push(bad).get_json()["results"]
    assert [(r["status"], r["reason"]) for r in results] == [("rejected", "malformed")] * 2
    assert results[0]["errors"][0]["loc"] == ["payload", "account"]
    assert results[1]["errors"][0]["type"] == "top_up_cheque_number"

    sign_in_user(app, client, world.coordinator)
    french = {"Accept-Language": "fr"}
    html = client.get(f"/admin/distributions/{d}/log", headers=french).get_data(as_text=True)
    text = page_text(html)
    assert "Versement de 20,00 € en espèces sur le compte prépayé de Bruno Diallo" in text
    assert "Versement de 50,00 € par chèque sur le compte prépayé de Chloé Nguyen · Numéro du chèque : 0004567" in text
    assert _figure(html, "top-ups") == "70,00 €"
    assert _figure(html, "top-up-cash") == "20,00 €" and _figure(html, "top-up-cheque") == "50,00 €"
    assert _figure(html, "paid") == "0,00 €"  # a top-up is not a payment for an order
    assert _figure(html, "cash-expected") == "50,00 €"  # 30,00 float + 20,00 credited in cash; the undone 9,00 not
    assert _figure(html, "cash-difference") in ("caisse juste", "0,00 €")
    assert "Les espèces encaissées comprennent 20,00 € versés sur des comptes prépayés." in text

    sheet = page_text(client.get(f"/admin/distributions/{d}/sign-off", headers=french).get_data(as_text=True))
    assert "+ 20,00 € versés sur le compte prépayé" in sheet and "+ 50,00 € versés sur le compte prépayé" in sheet
    assert "versé sur les comptes prépayés : 70,00 €" in sheet

    rows = _rows(client.get(f"/admin/distributions/{d}/export/top-ups.csv", headers=french))
    assert rows[0][-5:] == ["Compte", "Moyen de paiement", "Détails du paiement", "Montant (€)", "Montant (centimes)"]
    assert sorted((row[7], row[-4], row[-3], row[-2], row[-1]) for row in rows[1:]) == [
        ("Diallo", "Espèces", "", "20,00", "2000"),
        ("Nguyen", "Chèque", "0004567", "50,00", "5000"),
    ]
    with app.app_context():
        held = db.session.get(Distribution, d).starts_at.date()
    period = {"from": (held - timedelta(days=1)).isoformat(), "to": (held + timedelta(days=1)).isoformat()}
    assert _rows(client.get("/admin/exports/top-ups.csv", query_string=period, headers=french))[1:] == rows[1:]

    with app.app_context():
        token = db.session.get(Household, bruno).page_token
    member = page_text(client.get(f"/m/{token}", headers=french).get_data(as_text=True))
    assert "20,00 € versés en espèces sur votre compte prépayé" in member
