"""Producer pages: the list (searched, paged), a producer's page with their products, the form with its IBAN
check; admins change producers, coordinators read them. Real form posts, on both databases."""

import pytest
from sqlalchemy import select

import server.auth  # noqa: F401  (before server.audit, which the domain imports)
from server.domain.points import create_point
from server.domain.producers import create_producer
from server.domain.products import create_product
from server.extensions import db
from server.models import AuditEntry, Producer, User
from tests.helpers import sign_in_user, submit_form


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def ids(app) -> dict[str, int]:
    with app.app_context():
        farm = create_producer({"name": "Ferme du Luzard", "cheque_payee": "EARL du Luzard", "contact": "Paul"})
        create_producer({"name": "Fournil de Torcy", "active": False})
        create_product(
            {"code": "LEG-10", "name": "Panier de légumes", "unit_price_cents": 1000, "producer_id": farm.id}
        )
        point = create_point({"name": "Maison de quartier", "town": "Torcy"})
        coordinator = User(email="coord@example.org", role="coordinator", points=[point])
        db.session.add(coordinator)
        db.session.commit()
        return {"farm": farm.id, "coordinator": coordinator.id}


@pytest.fixture
def admin(admin_client):
    assert admin_client.get("/admin/?lang=en").status_code == 200
    return admin_client


def test_list_searches_and_hides_inactive(admin, ids):
    page = text(admin.get("/admin/producers/"))
    assert "Ferme du Luzard" in page and "EARL du Luzard" in page and "Fournil de Torcy" not in page
    assert "Fournil de Torcy" in text(admin.get("/admin/producers/?show=inactive"))
    assert "Ferme du Luzard" in text(admin.get("/admin/producers/?q=earl"))  # the payee is searched too
    assert "No producer matches" in text(admin.get("/admin/producers/?q=fromage"))
    assert 'href="/admin/producers/new"' in page


def test_producer_page_lists_its_products(admin, ids):
    page = text(admin.get(f"/admin/producers/{ids['farm']}"))
    assert "Panier de légumes" in page and "LEG-10" in page and "EARL du Luzard" in page
    assert admin.get("/admin/producers/999999").status_code == 404


def test_create_and_edit_with_iban(app, admin, ids):
    form = {
        "name": "Chèvrerie des Prés",
        "contact": "Anne",
        "email": "anne@example.org",
        "phone": "06 11 22 33 44",
        "cheque_payee": "",
        "iban": "fr76 3000 6000 0112 3456 7890 189",
        "notes": "Livre le mardi",
        "active": "y",
    }
    assert submit_form(admin, "/admin/producers/new", form).status_code == 302
    with app.app_context():
        producer = db.session.scalar(select(Producer).where(Producer.name == "Chèvrerie des Prés"))
        assert producer.iban == "FR7630006000011234567890189" and producer.payee == "Chèvrerie des Prés"
        producer_id = producer.id
    assert "FR76 3000 6000 0112 3456 7890 189" in text(admin.get(f"/admin/producers/{producer_id}"))
    edit = submit_form(admin, f"/admin/producers/{producer_id}/edit", {**form, "cheque_payee": "GAEC des Prés"})
    assert edit.status_code == 302
    with app.app_context():
        assert db.session.get(Producer, producer_id).payee == "GAEC des Prés"
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"producer.create", "producer.update"} <= actions


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"iban": "FR76 3000 6000 0112 3456 7890 188"}, "This IBAN is not valid"),
        ({"iban": "bonjour"}, "This IBAN is not valid"),
        ({"name": ""}, "Give the producer a name."),
        ({"name": "ferme du luzard"}, "Another producer already has this name."),
        ({"email": "pas une adresse"}, "Enter an e-mail address"),
    ],
)
def test_bad_input_is_refused_with_a_message(app, admin, ids, change, message):
    with app.app_context():
        before = db.session.scalar(select(db.func.count(Producer.id)))
    form = {"name": "Nouvelle ferme", "iban": "", **change}
    response = submit_form(admin, "/admin/producers/new", form)
    assert response.status_code == 400
    assert message in text(response)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Producer.id))) == before


def test_french_first(admin, ids):
    response = submit_form(admin, "/admin/producers/new?lang=fr", {"name": "X", "iban": "FR00"})
    assert "Cet IBAN n’est pas valide" in text(response)


def test_coordinators_read_but_do_not_change(app, client, ids):
    sign_in_user(app, client, ids["coordinator"])
    client.get("/admin/?lang=en")
    page = text(client.get("/admin/producers/"))
    assert "Ferme du Luzard" in page and 'href="/admin/producers/new"' not in page
    assert client.get(f"/admin/producers/{ids['farm']}").status_code == 200
    assert client.get("/admin/producers/new").status_code == 403
    assert client.get(f"/admin/producers/{ids['farm']}/edit").status_code == 403


def test_list_sorts_as_french_readers_expect(app, admin, ids):
    """Accents and case aside: "Élevage" comes between "abeilles" and "Ferme", not after "Zeste"."""
    with app.app_context():
        for name in ("Zeste de Brie", "Élevage des Prés", "abeilles du Val", "Œufs de Courtry", "Eleveurs réunis"):
            create_producer({"name": name})
        db.session.commit()
    page = text(admin.get("/admin/producers/"))
    names = ["abeilles du Val", "Élevage des Prés", "Eleveurs réunis", "Ferme du Luzard", "Œufs de Courtry"]
    names.append("Zeste de Brie")
    positions = [page.index(name) for name in names]
    assert positions == sorted(positions)
