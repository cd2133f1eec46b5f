"""The subscriptions import page of a contract: a coordinator uploads a file, sees every bad row (nothing imported)
or what was imported and what the generation did; another point's coordinator gets a 404. Real form posts, on both
databases."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import server.auth  # noqa: F401
from server.domain.contract_orders import local_day
from server.domain.contracts import create_contract
from server.extensions import db
from server.models import Distribution, Order, Point, Subscription, User
from tests.factories.contracts import ContractsWorld, contracts_world
from tests.helpers import csrf_token, sign_in_user


@pytest.fixture
def world(app) -> tuple[ContractsWorld, int]:
    with app.app_context():
        made = contracts_world()
        point, other = db.session.get(Point, made.point), db.session.get(Point, made.other_point)
        db.session.add_all(
            [
                User(email="coord@example.org", role="coordinator", display_name="Coord", points=[point]),
                User(email="torcy@example.org", role="coordinator", display_name="Torcy", points=[other]),
            ]
        )
        starts_on = local_day(db.session.get(Distribution, made.distributions[0]))
        contract = create_contract(
            point,
            {
                "name": "Légumes été",
                "producer_id": made.farmer,
                "starts_on": starts_on,
                "ends_on": starts_on + timedelta(weeks=10),
            },
        )
        db.session.commit()
        return made, contract.id


def _user(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _post(client, url: str, files: dict[str, tuple[bytes, str]], **kwargs):
    token = csrf_token(client.get(url).get_data(as_text=True))
    data = {"csrf_token": token, **{name: (io.BytesIO(body), filename) for name, (body, filename) in files.items()}}
    return client.post(url, data=data, content_type="multipart/form-data", **kwargs)


def test_a_coordinator_imports_subscriptions_and_sees_the_orders_generated(app, client, world):
    made, contract_id = world
    h = made.households
    sign_in_user(app, client, _user(app, "coord@example.org"))
    page = client.get(f"/admin/contracts/{contract_id}")
    assert f"/admin/contracts/{contract_id}/import" in page.get_data(as_text=True)
    url = f"/admin/contracts/{contract_id}/import"
    assert "Importer des abonnements" in _text(client.get(url))

    bad = f"adhérent;produit;quantité\n{h[0]};LEG;1\n{made.stranger};LEG;1\n{h[1]};LEG;cent\n".encode()
    answer = _post(client, url, {"file": (bad, "abonnements.csv")})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert (
        'data-reason="unknown_member"' in html
    )  # another point's member: not theirs to see and 'data-reason="bad_quantity"' in html
    assert "Rien n'a été importé : 2 problèmes à corriger" in _text(answer), _text(answer)
    with app.app_context():
        assert db.session.scalar(select(func.count(Subscription.id))) == 0

    good = f"adhérent;produit;quantité;prix_unitaire;partenaire\n{h[0]};LEG;1;15,00;\n{h[1]};LEG;2;;{h[2]}\n".encode()
    answer = _post(client, url, {"file": (good, "abonnements.csv")}, follow_redirects=True)
    text = _text(answer)
    assert "Abonnements importés. Créés : 2. Modifiés : 0. Inchangés : 0." in text, text
    assert "Produits ajoutés au contrat : 1. Nouveaux prix par livraison : 0." in text
    assert "Commandes : 12 créées, 0 modifiées, 0 supprimées" in text
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 12

    answer = _post(client, url, {"file": (good, "abonnements.csv")}, follow_redirects=True)
    text = _text(answer)
    assert "Créés : 0. Modifiés : 0. Inchangés : 2." in text and "Commandes : 0 créées, 0 modifiées" in text


def test_the_camap_export_comes_as_a_second_file(app, client, world):
    made, contract_id = world
    sign_in_user(app, client, _user(app, "coord@example.org"))
    lines = "Nom;productName;prix TTC;Quantité\nMARTIN H0;Panier de légumes 1 pièce;15;1\n".encode()
    export = (
        "userName;user2Name;vendorName;catalogName\n"
        '"MARTIN H0";"DIALLO H1";"Ferme des Quatre Vents";"Légumes - été"\n'
        '"MARTIN H0";"";"Autre ferme";"Pain"\n'
    ).encode()
    url = f"/admin/contracts/{contract_id}/import"
    answer = _post(client, url, {"file": (lines, "camap.csv"), "export": (export, "souscriptions.csv")})
    assert answer.status_code == 302, _text(answer)
    with app.app_context():
        subscription = db.session.scalar(select(Subscription))
        assert (subscription.household_id, subscription.partner_id) == (made.households[0], made.households[1])


def test_without_a_file_the_page_says_so(app, client, world):
    _made, contract_id = world
    sign_in_user(app, client, _user(app, "coord@example.org"))
    answer = _post(client, f"/admin/contracts/{contract_id}/import", {})
    assert answer.status_code == 422
    assert "Choisissez un fichier CSV à importer." in _text(answer)


def test_another_points_coordinator_gets_a_404(app, client, world):
    made, contract_id = world
    sign_in_user(app, client, _user(app, "torcy@example.org"))
    assert client.get(f"/admin/contracts/{contract_id}/import").status_code == 404
    answer = client.post(
        f"/admin/contracts/{contract_id}/import",
        data={"file": (io.BytesIO(f"member;product;quantity\n{made.households[0]};LEG;1\n".encode()), "a.csv")},
        content_type="multipart/form-data",
    )
    assert answer.status_code in (400, 404)  # refused before anything is read: no CSRF token, and not theirs
    with app.app_context():
        assert db.session.scalar(select(func.count(Subscription.id))) == 0


def test_a_file_above_the_limit_gets_the_page_and_the_limit(app, client, world):
    _made, contract_id = world
    sign_in_user(app, client, _user(app, "coord@example.org"))
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    body = b"member;product;quantity\n" + b"1;LEG;1\n" * 20_000
    answer = _post(client, f"/admin/contracts/{contract_id}/import", {"file": (body, "big.csv")})
    assert answer.status_code == 413
    text = _text(answer)
    assert "Le fichier est trop volumineux : 64 KiB au maximum." in text and "Importer des abonnements" in text, text


def test_a_coordinator_imports_a_seasons_contracts_for_their_point(app, client, world):
    made, _contract_id = world
    sign_in_user(app, client, _user(app, "coord@example.org"))
    assert "Importer des contrats (CSV)" in _text(client.get("/admin/contracts/"))
    url = "/admin/contracts/import"
    token = csrf_token(client.get(url).get_data(as_text=True))
    body = (
        "contrat;producteur;début;fin;fréquence;paiement;chèques;produit;prix_par_livraison\n"
        "Œufs;Les Poules de Lognes;2030-01-01;2030-06-30;une semaine sur deux;chèques;4;OEUFS-6;2,70\n"
        "Pain;Inconnu;2030-01-01;2030-06-30;;;;PAIN;3,50\n"
    ).encode()
    data = {"csrf_token": token, "point": str(made.point), "file": (io.BytesIO(body), "saison.csv")}
    answer = client.post(url, data=data, content_type="multipart/form-data")
    assert answer.status_code == 422 and 'data-reason="unknown_producer"' in answer.get_data(as_text=True)
    body = body.replace(b"Inconnu", b"Les Poules de Lognes")
    data = {"csrf_token": token, "point": str(made.point), "file": (io.BytesIO(body), "saison.csv")}
    text = _text(client.post(url, data=data, content_type="multipart/form-data", follow_redirects=True))
    assert "Contrats importés. Créés : 2. Modifiés : 0. Inchangés : 0." in text, text
    # another point is not in the coordinator's choices
    data = {"csrf_token": token, "point": str(made.other_point), "file": (io.BytesIO(body), "saison.csv")}
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 422
    with app.app_context():
        from server.models import Contract

        assert db.session.scalar(select(func.count(Contract.id))) == 3  # the fixture's and the file's two
