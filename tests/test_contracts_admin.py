"""The season contracts' admin pages: a coordinator creates a contract, offers a product, subscribes households,
marks an absence within the cap and sees what the generation did; another point's coordinator gets a 404. Real form
posts, on both databases."""

import re

import pytest
from sqlalchemy import select

import server.auth
from server.extensions import db
from server.models import Contract, Distribution, Order, Point, User
from tests.factories.contracts import ContractsWorld, contracts_world
from tests.helpers import csrf_token, sign_in_user, submit_form


@pytest.fixture
def world(app) -> ContractsWorld:
    with app.app_context():
        made = contracts_world()
        point, other = db.session.get(Point, made.point), db.session.get(Point, made.other_point)
        db.session.add_all(
            [
                User(email="coord@example.org", role="coordinator", display_name="Coord", points=[point]),
                User(email="torcy@example.org", role="coordinator", display_name="Torcy", points=[other]),
            ]
        )
        db.session.commit()
        return made


def _user(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_a_coordinator_runs_a_season_contract_from_the_admin(app, client, world):
    sign_in_user(app, client, _user(app, "coord@example.org"))
    with app.app_context():
        first = db.session.get(Distribution, world.distributions[0])
        from server.domain.contract_orders import local_day

        starts_on = local_day(first)
    answer = submit_form(
        client,
        "/admin/contracts/new",
        {
            "point_id": world.point,
            "producer_id": world.farmer,
            "name": "Légumes été",
            "starts_on": starts_on.isoformat(),
            "ends_on": starts_on.replace(year=starts_on.year + 1).isoformat(),
            "frequency": "every",
            "payment": "per_delivery",
            "cheque_count": "",
            "absence_cap": "1",
            "notes": "",
        },
    )
    assert answer.status_code == 302, _text(answer)
    with app.app_context():
        contract_id = db.session.scalar(select(Contract.id))
    page = client.get(f"/admin/contracts/{contract_id}")
    token = csrf_token(page.get_data(as_text=True))
    client.post(
        f"/admin/contracts/{contract_id}/products",
        data={"csrf_token": token, "product_id": world.basket, "unit_price": "15,00", "default_quantity": "1"},
    )
    with app.app_context():
        offered = db.session.get(Contract, contract_id).products[0].id
    answer = client.post(
        f"/admin/contracts/{contract_id}/subscribers",
        data={"csrf_token": token, "household": str(world.households[0]), f"quantity_{offered}": "2"},
        follow_redirects=True,
    )
    text = _text(answer)
    assert "Commandes : 6 créées, 0 modifiées, 0 supprimées" in text, text
    assert "H0 Martin" in text
    with app.app_context():
        subscription = db.session.get(Contract, contract_id)
        subscription_id = db.session.scalar(select(server.models.Subscription.id))
    for week in (0, 1):
        answer = client.post(
            f"/admin/contracts/{contract_id}/subscribers/{subscription_id}/absences",
            data={"csrf_token": token, "distribution": world.distributions[week], "kind": "skip"},
            follow_redirects=True,
        )
    text = _text(answer)
    assert "au plus 1 absence" in text or "au plus 1 absences" in text, text
    with app.app_context():
        orders = db.session.scalars(select(Order).where(Order.household_id == world.households[0])).all()
        assert len(orders) == 5 and all(o.lines[0].quantity == 2 for o in orders)
        assert subscription is not None
    assert "Contrats de saison" in _text(client.get("/admin/contracts/"))


def test_another_points_coordinator_sees_nothing(app, client, world):
    with app.app_context():
        from datetime import timedelta

        from server.domain.contracts import create_contract

        first = db.session.get(Distribution, world.distributions[0])
        contract = create_contract(
            db.session.get(Point, world.point),
            {
                "name": "Légumes",
                "producer_id": world.farmer,
                "starts_on": first.starts_at.date(),
                "ends_on": first.starts_at.date() + timedelta(days=30),
            },
        )
        db.session.commit()
        contract_id = contract.id
    sign_in_user(app, client, _user(app, "torcy@example.org"))
    assert client.get(f"/admin/contracts/{contract_id}").status_code == 404
    assert "Légumes" not in _text(client.get("/admin/contracts/"))
