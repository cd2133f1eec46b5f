"""A member's season contracts on their page (``/m/<page_token>/contracts``): they subscribe while subscriptions are
open, mark an absence within the cap (not due, given to a household of their point by e-mail, offered to the waiting
list), take it back; another member's contract is a 404. Real form posts, on both databases."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.domain.contract_orders import local_day
from server.domain.contracts import create_contract, set_contract_product
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Distribution, Household, Order, Point, Product
from tests.factories.contracts import ContractsWorld, contracts_world
from tests.helpers import csrf_token


@pytest.fixture
def world(app) -> tuple[ContractsWorld, int, str]:
    with app.app_context():
        made = contracts_world()
        first = local_day(db.session.get(Distribution, made.distributions[0]))
        contract = create_contract(
            db.session.get(Point, made.point),
            {
                "name": "Légumes été",
                "producer_id": made.farmer,
                "starts_on": first,
                "ends_on": first + timedelta(weeks=8),
                "absence_cap": 1,
                "subscriptions_open": True,
            },
        )
        set_contract_product(contract, db.session.get(Product, made.basket), 1500)
        member = db.session.get(Household, made.households[0])
        friend = db.session.get(Household, made.households[2])
        friend.email = "chloe@example.org"
        issue_ticket(member)
        db.session.commit()
        return made, contract.id, member.page_token


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _orders(app, household_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Order.distribution_id).where(Order.household_id == household_id)))


def test_a_member_subscribes_then_gives_a_basket_away_within_the_cap(app, client, world):
    made, contract_id, token = world
    page = client.get(f"/m/{token}")
    assert "Mes contrats" in _text(page)
    page = client.get(f"/m/{token}/contracts")
    assert "Ouvert aux inscriptions" in _text(page) and "Légumes été" in _text(page)
    csrf = csrf_token(page.get_data(as_text=True))
    with app.app_context():
        offered = db.session.scalar(select(Product.id).where(Product.id == made.basket))
        from server.models import ContractProduct

        offered = db.session.scalar(select(ContractProduct.id).where(ContractProduct.contract_id == contract_id))
    answer = client.post(
        f"/m/{token}/contracts/{contract_id}/subscribe",
        data={"csrf_token": csrf, f"quantity_{offered}": "1"},
        follow_redirects=True,
    )
    assert "Vous êtes abonné" in _text(answer)
    assert len(_orders(app, made.households[0])) == 6
    answer = client.post(
        f"/m/{token}/contracts/{contract_id}/absence",
        data={
            "csrf_token": csrf,
            "distribution": made.distributions[1],
            "kind": "given",
            "given_to": "CHLOE@example.org",
        },
        follow_redirects=True,
    )
    text = _text(answer)
    assert "Votre absence est enregistrée" in text, text
    assert "panier donné à H2 Nguyen" in text
    assert made.distributions[1] not in _orders(app, made.households[0])
    assert made.distributions[1] in _orders(app, made.households[2])
    answer = client.post(
        f"/m/{token}/contracts/{contract_id}/absence",
        data={"csrf_token": csrf, "distribution": made.distributions[2], "kind": "skip"},
        follow_redirects=True,
    )
    assert "au plus 1 absences" in _text(answer)
    answer = client.post(
        f"/m/{token}/contracts/{contract_id}/present",
        data={"csrf_token": csrf, "distribution": made.distributions[1]},
        follow_redirects=True,
    )
    assert "votre panier est de retour" in _text(answer)
    assert made.distributions[1] in _orders(app, made.households[0])
    assert made.distributions[1] not in _orders(app, made.households[2])


def test_a_member_acts_only_on_their_own_subscriptions(app, client, world):
    made, contract_id, token = world
    page = client.get(f"/m/{token}/contracts")
    csrf = csrf_token(page.get_data(as_text=True))
    answer = client.post(
        f"/m/{token}/contracts/{contract_id}/absence",
        data={"csrf_token": csrf, "distribution": made.distributions[1], "kind": "skip"},
    )
    assert answer.status_code == 404
    assert client.get("/m/not-a-token/contracts").status_code == 404


def test_a_shared_basket_s_partner_marks_absences_on_their_own_turns(app, client, world):
    """Alternating turns: the subscriber takes deliveries 0, 2, 4…, the partner 1, 3, 5…; each marks absences on
    their own turns only, from their own page, within one cap shared by the subscription."""
    from server.domain.contracts import subscribe
    from server.models import Contract

    made, contract_id, token = world
    with app.app_context():
        subscriber = db.session.get(Household, made.households[0])
        partner = db.session.get(Household, made.households[4])
        partner.email = "awa@example.org"
        subscribe(db.session.get(Contract, contract_id), subscriber, partner=partner)
        issue_ticket(partner)
        db.session.commit()
        partner_token = partner.page_token
    partner_page = client.get(f"/m/{partner_token}/contracts")
    text = _text(partner_page)
    assert "Légumes été" in text and "Panier partagé avec" in text, text
    assert "votre panier" in text and "tour de" in text
    csrf = csrf_token(partner_page.get_data(as_text=True))
    theirs, mine = made.distributions[0], made.distributions[1]
    assert mine in _orders(app, made.households[4]) and theirs not in _orders(app, made.households[4])
    refused = client.post(
        f"/m/{partner_token}/contracts/{contract_id}/absence",
        data={"csrf_token": csrf, "distribution": theirs, "kind": "skip"},
        follow_redirects=True,
    )
    assert "revient à" in _text(refused), _text(refused)
    assert theirs in _orders(app, made.households[0])
    answer = client.post(
        f"/m/{partner_token}/contracts/{contract_id}/absence",
        data={"csrf_token": csrf, "distribution": mine, "kind": "skip"},
        follow_redirects=True,
    )
    assert "Votre absence est enregistrée" in _text(answer), _text(answer)
    assert mine not in _orders(app, made.households[4])
    # The cap (1) is the subscription's: the subscriber has none left, and sees whose absence it is.
    page = client.get(f"/m/{token}/contracts")
    assert "Absences restantes : 0 sur 1" in _text(page), _text(page)
    answer = client.post(
        f"/m/{token}/contracts/{contract_id}/absence",
        data={"csrf_token": csrf, "distribution": theirs, "kind": "skip"},
        follow_redirects=True,
    )
    assert "au plus 1 absences" in _text(answer)
    answer = client.post(
        f"/m/{partner_token}/contracts/{contract_id}/present",
        data={"csrf_token": csrf, "distribution": mine},
        follow_redirects=True,
    )
    assert "votre panier est de retour" in _text(answer)
    assert mine in _orders(app, made.households[4])
