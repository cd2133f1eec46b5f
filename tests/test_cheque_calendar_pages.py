"""The cheque calendar's pages: a contract's calendar (one row per member, one column per month, the totals), a
cheque received then handed to the producer, bad input refused in French, the CSV export, another point's
coordinator kept out; the household's admin page and the member page say their cheques. Real form posts, on both
databases."""

import csv
import io
import re
from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from server.domain.cheque_calendar import planned_months, season_months
from server.domain.contract_orders import local_day
from server.domain.contracts import create_contract, set_contract_product, subscribe
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Cheque, Contract, Distribution, Household, Point, Product, User
from tests.factories.contracts import ContractsWorld, contracts_world
from tests.helpers import csrf_token, sign_in_user


@pytest.fixture
def world(app) -> tuple[ContractsWorld, int]:
    with app.app_context():
        made = contracts_world()
        first = local_day(db.session.get(Distribution, made.distributions[0]))
        contract = create_contract(
            db.session.get(Point, made.point),
            {
                "name": "Légumes été",
                "producer_id": made.farmer,
                "starts_on": first,
                "ends_on": first + timedelta(weeks=5, days=1),
                "payment": "cheques",
                "cheque_count": 3,
            },
        )
        set_contract_product(contract, db.session.get(Product, made.basket), 1500)
        subscribe(contract, db.session.get(Household, made.households[0]))  # 6 × 15,00 € = 3 × 30,00 €
        subscribe(contract, db.session.get(Household, made.households[1]))  # 70 %: 6 × 10,50 € = 3 × 21,00 €
        issue_ticket(db.session.get(Household, made.households[0]))
        point, other = db.session.get(Point, made.point), db.session.get(Point, made.other_point)
        db.session.add_all(
            [
                User(email="tresorier@example.org", role="coordinator", display_name="Trésorier", points=[point]),
                User(email="torcy@example.org", role="coordinator", display_name="Torcy", points=[other]),
            ]
        )
        db.session.commit()
        return made, contract.id


def _user(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _cheques(app, contract_id: int, household_id: int) -> list[Cheque]:
    with app.app_context():
        cheques = db.session.scalars(
            select(Cheque)
            .where(Cheque.contract_id == contract_id, Cheque.household_id == household_id)
            .order_by(Cheque.planned_month, Cheque.id)
        ).all()
        db.session.expunge_all()
        return cheques


def _french_months(app, contract_id: int) -> list[str]:
    with app.app_context():
        contract = db.session.get(Contract, contract_id)
        months = planned_months(season_months(contract.starts_on, contract.ends_on), 3)
    return [format_date(month, "LLLL", locale="fr") for month in months]


def test_the_treasurer_receives_a_cheque_then_hands_it_to_the_producer(app, client, world):
    made, contract_id = world
    sign_in_user(app, client, _user(app, "tresorier@example.org"))
    page = client.get(f"/admin/contracts/{contract_id}/cheques")
    text = _text(page)
    assert page.status_code == 200
    assert "Calendrier des chèques" in text and "EARL des Quatre Vents" in text
    assert "H0 Martin" in text and "H1 Diallo" in text
    assert text.count("30,00 €") >= 3 and text.count("21,00 €") >= 3
    assert "Attendu" in text
    first = _cheques(app, contract_id, made.households[0])[0]
    form = client.get(f"/admin/contracts/{contract_id}/cheques/{first.id}")
    token = csrf_token(form.get_data(as_text=True))
    # Bad input: a clear French error, nothing changed.
    refused = client.post(
        f"/admin/contracts/{contract_id}/cheques/{first.id}",
        data={"csrf_token": token, "number": "0001234", "bank": "", "on": "hier", "amount": ""},
    )
    assert refused.status_code == 400 and "jour, mois et année" in _text(refused)
    refused = client.post(
        f"/admin/contracts/{contract_id}/cheques/{first.id}",
        data={"csrf_token": token, "number": "0001234", "bank": "", "on": "2026-10-06", "amount": "trente"},
    )
    assert refused.status_code == 400 and "montant du chèque" in _text(refused)
    assert _cheques(app, contract_id, made.households[0])[0].state == "expected"
    answer = client.post(
        f"/admin/contracts/{contract_id}/cheques/{first.id}",
        data={"csrf_token": token, "number": "0001234", "bank": "La Banque Postale", "on": "2026-10-06", "amount": ""},
        follow_redirects=True,
    )
    assert "Chèque reçu : 30,00 €" in _text(answer), _text(answer)
    received = _cheques(app, contract_id, made.households[0])[0]
    assert (received.state, received.number, received.bank, received.amount_cents) == (
        "received",
        "0001234",
        "La Banque Postale",
        3000,
    )
    assert "n° 0001234" in _text(answer)
    answer = client.post(
        f"/admin/contracts/{contract_id}/cheques/mark",
        data={"csrf_token": token, "cheque_ids": str(first.id), "to_state": "handed_over", "on": "2026-10-20"},
        follow_redirects=True,
    )
    assert "Chèques marqués : 1." in _text(answer), _text(answer)
    assert _cheques(app, contract_id, made.households[0])[0].state == "handed_over"
    # Totals per month: what is still expected, and what went to the producer.
    assert "Remis au producteur ou déposé" in _text(answer) or "Remis ou déposé" in _text(answer)

    export = client.get(f"/admin/contracts/{contract_id}/cheques.csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][3:5] == ["Mois", "Ordre des chèques"] and "Banque" in rows[0], rows[0]
    assert len(rows) == 1 + 6
    mine = [row for row in rows[1:] if row[8] == "0001234"]
    assert len(mine) == 1 and mine[0][5] == "30,00" and mine[0][9] == "La Banque Postale"


def test_another_points_coordinator_is_kept_out(app, client, world):
    made, contract_id = world
    cheque = _cheques(app, contract_id, made.households[0])[0]
    sign_in_user(app, client, _user(app, "torcy@example.org"))
    assert client.get(f"/admin/contracts/{contract_id}/cheques").status_code == 404
    assert client.get(f"/admin/contracts/{contract_id}/cheques/{cheque.id}").status_code == 404
    assert client.get(f"/admin/contracts/{contract_id}/cheques.csv").status_code == 404
    token = csrf_token(client.get("/admin/cheques/").get_data(as_text=True))
    answer = client.post(
        f"/admin/contracts/{contract_id}/cheques/mark",
        data={"csrf_token": token, "cheque_ids": str(cheque.id), "to_state": "deposited", "on": "2026-10-20"},
    )
    assert answer.status_code == 404
    assert _cheques(app, contract_id, made.households[0])[0].state == "expected"


def test_the_household_page_and_the_member_page_say_the_cheques(app, client, world):
    made, contract_id = world
    months = ", ".join(_french_months(app, contract_id))
    sign_in_user(app, client, _user(app, "tresorier@example.org"))
    text = _text(client.get(f"/admin/members/{made.households[1]}/accounts"))
    assert f"Chèques pour « Légumes été » : 3 × 21,00 €, {months}" in text, text
    with app.app_context():
        token = db.session.get(Household, made.households[0]).page_token
    text = _text(client.get(f"/m/{token}"))
    assert f"Vos chèques pour « Légumes été » : 3 × 30,00 €, {months}" in text, text
    text = _text(client.get(f"/m/{token}/contracts"))
    assert f"Vos chèques pour « Légumes été » : 3 × 30,00 €, {months}" in text
    assert "Attendu" in text


def test_a_page_of_the_calendar_is_bounded(app, client, world):
    """Many subscribers: the page shows 25 members and reads their cheques alone."""
    made, contract_id = world
    with app.app_context():
        contract = db.session.get(Contract, contract_id)
        point = db.session.get(Point, made.point)
        tier = db.session.get(Household, made.households[0]).tier
        people = [Household(first_name=f"A{i:02d}", last_name="Abonné", tier=tier, point=point) for i in range(30)]
        db.session.add_all(people)
        db.session.flush()
        for household in people:
            subscribe(contract, household)
        db.session.commit()
    sign_in_user(app, client, _user(app, "tresorier@example.org"))
    text = _text(client.get(f"/admin/contracts/{contract_id}/cheques"))
    assert "32 résultats" in text and "Page 1 sur 2" in text
    assert text.count("Abonné") == 25
