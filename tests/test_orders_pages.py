"""Orders pages and the CSV import through HTTP, signed in as an admin, on both databases."""

import io
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from server.clock import utcnow
from server.extensions import db
from server.models import AuditEntry, Distribution, Order
from tests.factories import Network, make_network, make_order
from tests.helpers import sign_in_user, submit_form


@pytest.fixture(autouse=True)
def english(client) -> None:
    """These tests read the English messages; French is the default and its catalog is checked on its own."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def net(app) -> Network:
    with app.app_context():
        return make_network()


def text_of(response) -> str:
    """The page as words: tags dropped, entities and no-break spaces made plain."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u202f", " ").replace("\xa0", " "))


def upload(admin_client, url: str, content: bytes | None, filename: str = "commandes.csv"):
    data = {} if content is None else {"file": (io.BytesIO(content), filename)}
    return submit_form(admin_client, url, data, content_type="multipart/form-data")


def import_url(distribution_id: int) -> str:
    return f"/admin/distributions/{distribution_id}/orders/import"


def order_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Order.id)))


# Orders of a distribution and one order ------------------------------------------------------------------------


def test_distribution_orders_with_amounts_and_totals(app, admin_client, net):
    admin_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"  # amounts as French readers see them
    p = net.products
    with app.app_context():
        alice = make_order(net.distribution, net.alice, {p["LEG-S"]: (2, 1000)})
        make_order(net.distribution, net.bruno, {p["LEG-M"]: (1, 1500), p["OEUFS-6"]: (1, 270)})
    response = admin_client.get(f"/admin/distributions/{net.distribution}/orders")
    assert response.status_code == 200
    page = text_of(response)
    assert "Alice Martin · Tarif plein 2 × Panier de légumes S 20,00 € 20,00 € 0,00 €" in page
    # Bruno pays 70 %: 1050 + 189 = 12,39 € of 17,70 €, the network covers 5,31 €.
    assert (
        "Bruno Diallo · Tarif solidaire 1 × Panier de légumes M, 1 × Œufs plein air ×6 17,70 € 12,39 € 5,31 €" in page
    )
    assert "Total, 2 commandes 37,70 € 32,39 € 5,31 €" in page
    assert f'href="/admin/orders/{alice}"' in response.get_data(as_text=True)
    assert f'href="{import_url(net.distribution)}"' in response.get_data(as_text=True)


def test_distribution_without_orders(admin_client, net):
    response = admin_client.get(f"/admin/distributions/{net.distribution}/orders")
    assert response.status_code == 200
    assert "No orders for this distribution yet." in text_of(response)


def test_closed_distribution_offers_no_import(admin_client, net):
    response = admin_client.get(f"/admin/distributions/{net.closed_distribution}/orders")
    assert import_url(net.closed_distribution) not in response.get_data(as_text=True)
    assert "closed" in text_of(response)


def test_order_detail_lines(app, admin_client, net):
    admin_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"  # amounts as French readers see them
    p = net.products
    with app.app_context():
        order = make_order(net.distribution, net.bruno, {p["LEG-M"]: (1, 1500), p["OEUFS-6"]: (3, 265)})
        distribution = db.session.get(Distribution, net.distribution)
        distribution.starts_at, distribution.ends_at = utcnow() + timedelta(hours=1), utcnow() + timedelta(hours=3)
        db.session.commit()  # a distribution still to come: the whole order is due, with its solidarity share
    response = admin_client.get(f"/admin/orders/{order}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Commande de Bruno Diallo" in page and "(70 % du tarif plein)" in page
    assert "Panier de légumes M LEG-M 1 × 15,00 € 15,00 € 10,50 €" in page
    assert "Œufs plein air ×6 OEUFS-6 3 × 2,65 € 7,95 € 5,57 €" in page  # 795 × 70 % = 556,5 → 557, half up
    assert "Total 22,95 € 16,07 €" in page
    assert "6,88 €" in page  # solidarity share


@pytest.mark.parametrize(
    "url",
    [
        "/admin/distributions/999/orders",
        "/admin/distributions/999/orders/import",
        "/admin/orders/999",
        "/admin/orders/99999999999999999999",  # beyond an INTEGER: unknown, not a database error
        "/admin/distributions/-1/orders",
    ],
)
def test_unknown_ids_are_404(admin_client, net, url):
    assert admin_client.get(url).status_code == 404


# The import ----------------------------------------------------------------------------------------------------


def test_import_form(admin_client, net):
    response = admin_client.get(import_url(net.distribution))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    assert "<script" not in html and "style=" not in html


def test_import_creates_and_replaces_orders(app, admin_client, net):
    p = net.products
    with app.app_context():
        alice = make_order(net.distribution, net.alice, {p["PAIN-500"]: (1, 350)})
        chloe = make_order(net.distribution, net.chloe, {p["LEG-S"]: (1, 1000)})
    content = (
        "adhérent;produit;quantité;prix_unitaire\r\n"
        f"{net.alice};LEG-M;1;\r\n"
        f"{net.alice};OEUFS-6;2;2,50\r\n"
        "bruno@example.org;LEG-S;1;\r\n"
    ).encode("cp1252")
    response = upload(admin_client, import_url(net.distribution), content)
    assert response.status_code == 302
    assert response.location.endswith(f"/admin/distributions/{net.distribution}/orders")
    page = text_of(admin_client.get(response.location))
    assert "Orders imported. Created: 1. Replaced: 1. Lines: 3." in page
    with app.app_context():
        orders = {o.household_id: o for o in db.session.scalars(select(Order))}
        assert orders[net.alice].id == alice
        assert [(line.product.code, line.quantity, line.unit_price_cents) for line in orders[net.alice].lines] == [
            ("LEG-M", 1, 1500),
            ("OEUFS-6", 2, 250),
        ]
        assert orders[net.chloe].id == chloe and len(orders[net.chloe].lines) == 1
        assert orders[net.bruno].due_cents == 700
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "orders.import"))
        assert entry.user.email == "admin@example.org" and entry.details["filename"] == "commandes.csv"


def test_an_open_food_network_report_imports_and_its_total_rows_are_said_skipped(app, admin_client, net):
    admin_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    content = (
        "Hub,Customer,Email,Product,Variant,Quantity,Item (€)\n"
        "Luzard,Alice Martin,alice@example.org,Panier de légumes S,3kg,1,10.00\n"
        "Luzard,Alice Martin,,,,TOTAL,10.00\n"
        "Luzard,Chloé Nguyen,,Pain au levain,500g,2,7.00\n"
        "Luzard,Chloé Nguyen,,,,TOTAL,7.00\n"
    ).encode()
    response = upload(admin_client, import_url(net.distribution), content, filename="customer_totals.csv")
    assert response.status_code == 302
    page = text_of(admin_client.get(response.location))
    assert "Commandes importées. Créées : 2. Remplacées : 0. Lignes : 2." in page
    assert "2 lignes sans commande (des totaux ou titres de l'export) ont été ignorées : lignes 3, 5." in page
    with app.app_context():
        orders = {o.household_id: o for o in db.session.scalars(select(Order))}
        assert [(line.product.code, line.quantity) for line in orders[net.alice].lines] == [("LEG-S", 1)]
        assert [(line.product.code, line.quantity) for line in orders[net.chloe].lines] == [("PAIN-500", 2)]


def test_bad_file_imports_nothing_and_lists_every_problem(app, admin_client, net):
    p = net.products
    with app.app_context():
        make_order(net.distribution, net.alice, {p["PAIN-500"]: (1, 350)})
    content = (
        "member;product;quantity\n"
        f"{net.alice};LEG-M;1\n"  # good, but the file is refused as a whole
        "nobody@example.org;LEG-S;1\n"
        f"{net.bruno};MIEL;1\n"
        f"{net.dina};LEG-S;<b>2</b>\n"
    ).encode()
    response = upload(admin_client, import_url(net.distribution), content)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.findall(r'data-reason="(\w+)"', html) == [
        "unknown_member",
        "inactive_product",
        "member_not_active",
        "bad_quantity",
    ]
    assert "<b>2</b>" not in html and "&lt;b&gt;2&lt;/b&gt;" in html  # values are escaped
    page = text_of(response)
    assert "Nothing was imported: 4 problems to fix" in page
    assert "3 member nobody@example.org No member has this number or e-mail." in page
    assert "5 quantity <b>2</b> The quantity must be a whole number of at least 1." in page  # shown as text
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.household_id == net.alice))
        assert [(line.product_id, line.quantity) for line in order.lines] == [(p["PAIN-500"], 1)]
    assert order_count(app) == 1


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "The file is empty."),
        (b"\x00\x9f\x92\x96\xff" * 50, "This is not a text file"),
        (b"PK\x03\x04" + bytes(range(256)), "This is a spreadsheet, not a CSV file"),
        (b"prenom;ville\nAlice;Noisiel\n", "The header has no “member” column"),
        (b"nom;prenom\nMartin;Alice\n", "The header has no “product” column"),  # "nom" names a member
    ],
)
def test_unreadable_files_get_clear_errors(app, admin_client, net, content, words):
    response = upload(admin_client, import_url(net.distribution), content)
    assert response.status_code == 422
    assert words in text_of(response)
    assert order_count(app) == 0


def test_numbers_and_cells_beyond_pythons_limits_are_row_errors(app, admin_client, net):
    content = (
        "member;product;quantity\n"
        f"{net.alice};LEG-S;{'9' * 5000}\n"  # int() refuses more than 4,300 digits
        f"{net.bruno};{'X' * 200_000};1\n"  # the csv module refuses a field over 128 KiB
    ).encode()
    response = upload(admin_client, import_url(net.distribution), content)
    assert response.status_code == 422
    assert re.findall(r'data-reason="(\w+)"', response.get_data(as_text=True)) == ["value_too_long"] * 2
    assert "This value is too long: at most 1000 characters." in text_of(response)
    assert order_count(app) == 0


def test_missing_file_is_a_form_error(app, admin_client, net):
    response = upload(admin_client, import_url(net.distribution), None)
    assert response.status_code == 422
    assert "Choose a CSV file to import." in text_of(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_import_into_a_closed_distribution_is_refused(app, admin_client, net):
    url = import_url(net.closed_distribution)
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "This distribution is closed" in text_of(page) and 'type="file"' not in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    content = f"member;product;quantity\n{net.alice};LEG-S;1\n".encode()
    response = admin_client.post(url, data={"csrf_token": token, "file": (io.BytesIO(content), "c.csv")})
    assert response.status_code == 409
    assert "This distribution is closed" in text_of(response)
    assert order_count(app) == 0


def test_too_large_upload_is_a_clear_413(app, admin_client, net):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    content = b"member;product;quantity\n" + f"{net.alice};LEG-S;1\n".encode() * 1000
    response = upload(admin_client, import_url(net.distribution), content)
    assert response.status_code == 413
    assert "The file is too large: at most 4 KiB." in text_of(response)
    assert 'type="file"' in response.get_data(as_text=True)  # the import page again, ready for a smaller file
    assert order_count(app) == 0


def test_the_default_limit_is_8_mib(app, admin_client, net):
    content = b"x" * (8 * 1024 * 1024 + 1)
    response = upload(admin_client, import_url(net.distribution), content)
    assert response.status_code == 413
    assert "at most 8 MiB" in text_of(response)


def test_without_csrf_token_nothing_is_imported(app, admin_client, net):
    content = f"member;product;quantity\n{net.alice};LEG-S;1\n".encode()
    response = admin_client.post(import_url(net.distribution), data={"file": (io.BytesIO(content), "c.csv")})
    assert response.status_code == 400
    assert order_count(app) == 0


def test_too_large_upload_from_someone_signed_out_shows_nothing_of_the_distribution(app, client, net):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = client.post(import_url(net.distribution), data={"file": (io.BytesIO(b"x" * 8192), "c.csv")})
    assert response.status_code == 413
    assert "What was sent is too large: at most 4 KiB." in text_of(response)
    assert "Maison de quartier" not in text_of(response) and 'type="file"' not in response.get_data(as_text=True)


# Coordinators: the orders and imports of their points' distributions only --------------------------------------


@pytest.fixture
def points(app, net) -> dict[str, int]:
    """``net`` is at point A (Luzard); point B with one member, one distribution and one order; a coordinator of
    each point."""
    from datetime import UTC, datetime

    from server.models import Household, Point, Tier, User

    with app.app_context():
        point_a = db.session.get(Distribution, net.distribution).point
        point_b = Point(name="École Jules Ferry", town="Chelles")
        tier = db.session.get(Tier, net.full_tier)
        erin = Household(first_name="Erin", last_name="Bézout", email="erin@example.org", tier=tier, point=point_b)
        starts = datetime(2026, 3, 12, 16, 30, tzinfo=UTC)
        distribution_b = Distribution(point=point_b, starts_at=starts, ends_at=starts + timedelta(hours=1))
        coordinator = User(email="coord.a@example.org", role="coordinator", points=[point_a])
        other = User(email="coord.b@example.org", role="coordinator", points=[point_b])
        db.session.add_all([point_b, erin, distribution_b, coordinator, other])
        db.session.commit()
        order_b = make_order(distribution_b.id, erin.id, {net.products["LEG-S"]: (1, 1000)})
        order_a = make_order(net.distribution, net.alice, {net.products["LEG-S"]: (1, 1000)})
        return {
            "erin": erin.id,
            "distribution_b": distribution_b.id,
            "order_a": order_a,
            "order_b": order_b,
            "coordinator": coordinator.id,
            "other_coordinator": other.id,
        }


@pytest.fixture
def coordinator(app, client, points):
    sign_in_user(app, client, points["coordinator"])
    return client


def test_coordinator_sees_their_distributions_orders_only(coordinator, net, points):
    assert coordinator.get(f"/admin/distributions/{net.distribution}/orders").status_code == 200
    assert coordinator.get(f"/admin/orders/{points['order_a']}").status_code == 200
    assert coordinator.get(import_url(net.distribution)).status_code == 200
    assert coordinator.get(f"/admin/distributions/{points['distribution_b']}/orders").status_code == 404
    assert coordinator.get(f"/admin/orders/{points['order_b']}").status_code == 404
    assert coordinator.get(import_url(points["distribution_b"])).status_code == 404


def test_coordinator_imports_only_members_of_their_points(app, coordinator, net, points):
    content = f"member;product;quantity\n{net.alice};LEG-M;1\n{points['erin']};LEG-S;1\nerin@example.org;LEG-S;1\n"
    response = upload(coordinator, import_url(net.distribution), content.encode())
    assert response.status_code == 422
    assert re.findall(r'data-reason="(\w+)"', response.get_data(as_text=True)) == ["unknown_member"] * 2
    page = text_of(response)
    assert f"3 member {points['erin']} No member of your points has this number or e-mail." in page
    assert "4 member erin@example.org No member of your points" in page
    assert order_count(app) == 2  # the two orders of the fixture, nothing imported

    good = f"member;product;quantity\n{net.alice};LEG-M;1\nbruno@example.org;LEG-S;2\n".encode()
    response = upload(coordinator, import_url(net.distribution), good)
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "orders.import"))
        assert entry.user.email == "coord.a@example.org" and entry.details["created"] == 1


def test_admin_imports_members_of_any_point(app, admin_client, net, points):
    content = f"member;product;quantity\n{points['erin']};LEG-S;1\n".encode()
    assert upload(admin_client, import_url(net.distribution), content).status_code == 302


def test_too_large_upload_to_another_points_import_shows_nothing_of_it(app, client, net, points):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    sign_in_user(app, client, points["other_coordinator"])
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/admin/").get_data(as_text=True)).group(1)
    data = {"csrf_token": token, "file": (io.BytesIO(b"x" * 8192), "c.csv")}
    response = client.post(import_url(net.distribution), data=data)
    assert response.status_code == 413
    assert "Maison de quartier" not in text_of(response) and 'type="file"' not in response.get_data(as_text=True)
    own = client.post(import_url(points["distribution_b"]), data={**data, "file": (io.BytesIO(b"x" * 8192), "c.csv")})
    assert own.status_code == 413 and 'type="file"' in own.get_data(as_text=True)
