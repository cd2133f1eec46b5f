"""Admin pages for points, distributions, tiers, members and products: real form posts, on both databases."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

import server.auth  # noqa: F401  (before server.audit, which the domain imports: see the import cycle note in audit)
from server.domain.distributions import create_distribution
from server.domain.members import create_household, create_tier
from server.domain.points import create_point
from server.domain.products import create_product
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    AuditEntry,
    Distribution,
    Household,
    Order,
    OrderLine,
    Point,
    Product,
    Tier,
)
from tests.helpers import csrf_token, sign_in_user, submit_form

LIST_PAGES = ["/admin/points/", "/admin/distributions/", "/admin/members/", "/admin/tiers/", "/admin/products/"]
FORM_PAGES = [
    "/admin/points/new",
    "/admin/points/{point}/edit",
    "/admin/distributions/new",
    "/admin/distributions/{distribution}/edit",
    "/admin/members/new",
    "/admin/members/{household}/edit",
    "/admin/tiers/new",
    "/admin/tiers/{tier}/edit",
    "/admin/products/new",
    "/admin/products/{product}/edit",
]
TABLES = [Point, Distribution, Tier, Household, Product, AuditEntry]


@pytest.fixture
def ids(app) -> dict[str, int]:
    """A small network made with the domain operations: one of each entity, committed."""
    with app.app_context():
        tier = create_tier({"name": "Tarif plein", "share_percent": 100})
        create_tier({"name": "Solidaire", "share_percent": 50})
        point = create_point({"name": "Maison de quartier", "town": "Torcy"})
        household = create_household(
            {"first_name": "Marie", "last_name": "Curie", "email": "marie@example.org", "tier": tier, "point": point}
        )
        product = create_product({"code": "PAIN-1", "name": "Pain 1 kg", "unit_price_cents": 450})
        distribution = create_distribution(
            point,
            {
                "starts_at": datetime(2030, 7, 9, 15, 30, tzinfo=UTC),
                "ends_at": datetime(2030, 7, 9, 17, 0, tzinfo=UTC),
            },
        )
        db.session.commit()
        return {
            "tier": tier.id,
            "point": point.id,
            "household": household.id,
            "product": product.id,
            "distribution": distribution.id,
        }


@pytest.fixture
def admin(admin_client):
    """The signed-in admin client, reading English (the default locale is French)."""
    assert admin_client.get("/admin/?lang=en").status_code == 200
    return admin_client


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of the tables these pages change, to prove a refused form changed nothing."""
    with app.app_context():
        return {
            model.__tablename__: [
                tuple(getattr(row, c.key) for c in model.__table__.columns)
                for row in db.session.scalars(select(model).order_by(model.id))
            ]
            for model in TABLES
        }


def audit_entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def text(response) -> str:
    return response.get_data(as_text=True)


def valid(entity: str, ids: dict[str, int]) -> dict[str, str]:
    """What a person fills in on each form, as the browser posts it."""
    return {
        "point": {"name": "Salle des fêtes", "town": "Lognes", "address": "2 rue de la Gare", "active": "y"},
        "distribution": {
            "point": str(ids["point"]),
            "date": "2030-07-02",
            "start_time": "17:30",
            "end_time": "19:00",
            "status": "planned",
            "notes": "",
        },
        "tier": {"name": "Très solidaire", "share_percent": "30", "description": "SSA"},
        "member": {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "Ada@Example.org",
            "phone": "06 12 34 56 78",
            "tier": str(ids["tier"]),
            "point": str(ids["point"]),
            "status": "active",
            "notes": "",
        },
        "product": {
            "code": "OEUFS-12",
            "name": "Œufs",
            "unit": "douzaine",
            "producer_id": "",
            "sold_by": "kg",
            "unit_price_cents": "4,20",
            "active": "y",
        },
    }[entity]


# Access and rendering.


@pytest.mark.parametrize("url", [*LIST_PAGES, "/admin/points/new", "/admin/tiers/1/edit"])
def test_pages_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/auth/sign-in" in response.location


@pytest.mark.parametrize("url", LIST_PAGES)
def test_list_pages_render(admin, ids, url):
    response = admin.get(url)
    assert response.status_code == 200
    assert "<table" in text(response)


@pytest.mark.parametrize("url", LIST_PAGES)
def test_empty_list_pages_render(admin, url):
    assert admin.get(url).status_code == 200


PAGINATED = [
    "/admin/distributions/",
    "/admin/members/",
    "/admin/products/",
    "/admin/users/",
    "/admin/devices/",
    "/admin/audit/",
    "/admin/notifications/",
    "/admin/cards/",
    "/admin/membership/",
]


@pytest.mark.parametrize("url", PAGINATED)
def test_a_page_past_the_end_opens_the_last_and_a_bad_page_the_first(admin, ids, url):
    """Never an empty list that says there is nothing, when there is (a link made before the list shrank)."""
    join = "&" if "?" in url else "?"
    past = admin.get(f"{url}{join}page=7")
    assert past.status_code == 302, url
    assert past.location == url  # one page of rows, or none: the first page, where the list says so
    garbage = admin.get(f"{url}{join}page=x")
    assert garbage.status_code == 302 and garbage.location == url
    assert admin.get(f"{url}{join}page=1").status_code == 200


@pytest.mark.parametrize("url", FORM_PAGES)
def test_form_pages_render(admin, ids, url):
    response = admin.get(url.format(**ids))
    assert response.status_code == 200
    page = text(response)
    assert 'name="csrf_token"' in page and "Cancel" in page
    assert "style=" not in page and "<script" not in page


def test_nav_links_every_section(admin):
    page = text(admin.get("/admin/"))
    for url in LIST_PAGES:
        assert f'href="{url}"' in page


ODD_QUERIES = [
    "page=-1",
    "page=abc",
    "page=0",
    "page=99999999999999999999999",
    "page=2147483647",
    "point=abc",
    "point=99999999999999999999999",
    "tier=-5",
    "status=bogus",
    "when=later",
    "show=nothing",
    "q=%25_%5C",
    "q=" + "x" * 500,
]


@pytest.mark.parametrize("url", [u for u in FORM_PAGES if "{" in u])
def test_unknown_ids_are_404(admin, ids, url):
    for missing_id in ["999999", "2147483648", "99999999999999999999999"]:
        unknown = url.format(**dict.fromkeys(ids, missing_id))
        assert admin.get(unknown).status_code == 404, unknown
        assert admin.post(unknown, data={}).status_code in (400, 404), unknown


@pytest.mark.parametrize("url", ["/admin/members/", "/admin/distributions/", "/admin/products/"])
def test_odd_query_strings_never_fail(admin, ids, url):
    for query in ODD_QUERIES:  # an odd page number leads to a page that exists (a redirect)
        assert admin.get(f"{url}?{query}", follow_redirects=True).status_code == 200, query


# Creating and editing through the real forms.


def test_create_and_edit_point(app, admin, ids):
    response = submit_form(admin, "/admin/points/new", valid("point", ids))
    assert response.status_code == 302 and response.location.endswith("/admin/points/")
    with app.app_context():
        point = db.session.scalar(select(Point).where(Point.name == "Salle des fêtes"))
        assert (point.town, point.address, point.active, point.ephemeral) == ("Lognes", "2 rue de la Gare", True, False)
        point_id = point.id
    assert "Point created." in text(admin.get("/admin/points/"))
    assert [e.target for e in audit_entries(app, "point.create")][-1] == f"point:{point_id}"

    edit = {**valid("point", ids), "town": "Noisiel", "ephemeral": "y"}
    del edit["active"]  # an unticked box is not sent: the point is deactivated
    assert submit_form(admin, f"/admin/points/{point_id}/edit", edit).status_code == 302
    with app.app_context():
        point = db.session.get(Point, point_id)
        assert (point.town, point.ephemeral, point.active) == ("Noisiel", True, False)
    (entry,) = audit_entries(app, "point.update")
    assert entry.details["changes"]["town"] == ["Lognes", "Noisiel"]
    assert entry.details["changes"]["active"] == [True, False]
    assert entry.user_id is not None


def test_unchanged_edit_writes_no_audit_entry(app, admin, ids):
    form = {"name": "Maison de quartier", "town": "Torcy", "address": "", "active": "y", "notes": ""}
    assert submit_form(admin, f"/admin/points/{ids['point']}/edit", form).status_code == 302
    assert audit_entries(app, "point.update") == []


def test_create_distribution_converts_paris_time_to_utc(app, admin, ids):
    response = submit_form(admin, "/admin/distributions/new", valid("distribution", ids))
    assert response.status_code == 302
    with app.app_context():
        distribution = db.session.scalar(select(Distribution).order_by(Distribution.id.desc()))
        # 2 July is summer time in Paris (UTC+2).
        assert distribution.starts_at == datetime(2030, 7, 2, 15, 30, tzinfo=UTC)
        assert distribution.ends_at == datetime(2030, 7, 2, 17, 0, tzinfo=UTC)
        assert distribution.point_id == ids["point"]
        assert distribution.status == "planned"
    (entry,) = audit_entries(app, "distribution.create")[-1:]
    assert entry.details["starts_at"].startswith("2030-07-02T15:30")


def test_edit_distribution_shows_and_keeps_local_times(app, admin, ids):
    url = f"/admin/distributions/{ids['distribution']}/edit"
    page = text(admin.get(url))
    assert 'value="17:30"' in page and 'value="19:00"' in page and 'value="2030-07-09"' in page
    form = {**valid("distribution", ids), "date": "2030-12-10", "status": "open", "notes": "Bring the scales"}
    assert submit_form(admin, url, form).status_code == 302
    with app.app_context():
        distribution = db.session.get(Distribution, ids["distribution"])
        # 10 December is winter time in Paris (UTC+1).
        assert distribution.starts_at == datetime(2030, 12, 10, 16, 30, tzinfo=UTC)
        assert (distribution.status, distribution.notes) == ("open", "Bring the scales")
    (entry,) = audit_entries(app, "distribution.update")
    assert entry.details["changes"]["status"] == ["planned", "open"]


def test_distribution_list_filters_and_orders(app, admin, ids):
    with app.app_context():
        point = db.session.get(Point, ids["point"])
        other = create_point({"name": "École Jules Ferry", "town": "Chelles"})
        for day in (16, 2):
            create_distribution(
                point,
                {
                    "starts_at": datetime(2030, 7, day, 15, 30, tzinfo=UTC),
                    "ends_at": datetime(2030, 7, day, 17, 0, tzinfo=UTC),
                },
            )
        create_distribution(
            other,
            {"starts_at": datetime(2020, 1, 7, 16, 0, tzinfo=UTC), "ends_at": datetime(2020, 1, 7, 18, 0, tzinfo=UTC)},
        )
        db.session.commit()
        other_id = other.id
    upcoming = text(admin.get("/admin/distributions/"))
    assert upcoming.index("2 Jul 2030") < upcoming.index("9 Jul 2030") < upcoming.index("16 Jul 2030")
    assert "2020" not in upcoming
    past = text(admin.get("/admin/distributions/?when=past"))
    assert "7 Jan 2020" in past and "2030" not in past
    by_point = text(admin.get(f"/admin/distributions/?when=all&point={other_id}"))
    assert "7 Jan 2020" in by_point and "9 Jul 2030" not in by_point


def test_create_edit_and_delete_tier(app, admin, ids):
    assert submit_form(admin, "/admin/tiers/new", valid("tier", ids)).status_code == 302
    with app.app_context():
        tier = db.session.scalar(select(Tier).where(Tier.name == "Très solidaire"))
        assert (tier.share_percent, tier.description) == (30, "SSA")
        tier_id = tier.id
    form = {**valid("tier", ids), "share_percent": "0"}
    assert submit_form(admin, f"/admin/tiers/{tier_id}/edit", form).status_code == 302
    with app.app_context():
        assert db.session.get(Tier, tier_id).share_percent == 0

    page = text(admin.get("/admin/tiers/"))
    response = admin.post(f"/admin/tiers/{tier_id}/delete", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Tier, tier_id) is None
    assert [len(audit_entries(app, f"tier.{verb}")) for verb in ("update", "delete")] == [1, 1]


def test_tier_in_use_cannot_be_deleted(app, admin, ids):
    page = text(admin.get("/admin/tiers/"))
    before = snapshot(app)
    response = admin.post(f"/admin/tiers/{ids['tier']}/delete", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert "1 household still has this tier" in text(admin.get("/admin/tiers/"))
    assert snapshot(app) == before


def test_delete_without_csrf_does_nothing(app, admin, ids):
    before = snapshot(app)
    assert admin.post(f"/admin/tiers/{ids['tier']}/delete", data={}).status_code == 400
    assert snapshot(app) == before


def test_create_and_edit_household(app, admin, ids):
    response = submit_form(admin, "/admin/members/new", valid("member", ids))
    assert response.status_code == 302 and response.location.endswith("/admin/members/")
    with app.app_context():
        household = db.session.scalar(select(Household).where(Household.last_name == "Lovelace"))
        assert household.email == "ada@example.org"
        assert (household.tier_id, household.point_id, household.status) == (ids["tier"], ids["point"], "active")
        household_id = household.id

    form = {**valid("member", ids), "point": "", "status": "suspended", "email": ""}
    assert submit_form(admin, f"/admin/members/{household_id}/edit", form).status_code == 302
    with app.app_context():
        household = db.session.get(Household, household_id)
        assert (household.point_id, household.status, household.email) == (None, "suspended", None)
    (entry,) = audit_entries(app, "household.update")
    assert entry.details == {"fields": ["email", "point", "status"]}  # no personal values in the audit log


def test_member_edit_shows_accounts_and_movements(app, admin, ids):
    with app.app_context():
        account = Account(household_id=ids["household"], kind="prepaid")
        db.session.add(account)
        db.session.flush()
        db.session.add_all(
            [
                AccountMovement(account=account, amount_cents=2000, reason="Top-up by cheque"),
                AccountMovement(account=account, amount_cents=-750, reason="Basket 2030-07-09"),
            ]
        )
        db.session.commit()
    page = text(admin.get(f"/admin/members/{ids['household']}/edit"))
    assert "Prepaid balance" in page
    assert "€12.50" in page and "Top-up by cheque" in page and "−€7.50" in page and "+€20.00" in page


def test_member_search_and_filters(app, admin, ids):
    with app.app_context():
        tier = db.session.scalar(select(Tier).where(Tier.name == "Solidaire"))
        for n in range(30):
            create_household({"first_name": f"Jean{n:02d}", "last_name": "Martin", "tier": tier, "status": "left"})
        create_household({"first_name": "Zoé", "last_name": "100%_bio", "tier": tier})
        db.session.commit()
        tier_id = tier.id
    assert "Marie" in text(admin.get("/admin/members/?q=marie+curie"))
    assert "Marie" in text(admin.get("/admin/members/?q=MARIE@EXAMPLE"))
    assert "Zoé" in text(admin.get("/admin/members/?q=zoe"))  # accents and case aside
    assert "Zoé" in text(admin.get("/admin/members/?q=ZOE+100"))
    assert "Marie" not in text(admin.get(f"/admin/members/?tier={tier_id}"))
    assert "Marie" not in text(admin.get("/admin/members/?status=left"))
    literal = text(admin.get("/admin/members/?q=0%25_"))  # "0%_": LIKE wildcards taken literally
    assert "Zoé" in literal and "Jean" not in literal
    first, second = (text(admin.get(f"/admin/members/?status=left&page={n}")) for n in (1, 2))
    assert "30 results" in first and "Page 1 of 2" in first
    assert second.count("Jean") == 5 and "Previous page" in second


def test_create_and_edit_product(app, admin, ids):
    assert submit_form(admin, "/admin/products/new", valid("product", ids)).status_code == 302
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.code == "OEUFS-12"))
        assert (product.unit_price_cents, product.producer, product.sold_by, product.active) == (420, None, "kg", True)
        product_id = product.id
    url = f"/admin/products/{product_id}/edit"
    assert 'value="4,20"' in text(admin.get(url))
    form = {**valid("product", ids), "unit_price_cents": "12.5 €"}
    del form["active"]
    assert submit_form(admin, url, form).status_code == 302
    with app.app_context():
        product = db.session.get(Product, product_id)
        assert (product.unit_price_cents, product.active) == (1250, False)
    (entry,) = audit_entries(app, "product.update")
    assert entry.details["changes"]["unit_price_cents"] == [420, 1250]
    assert "OEUFS-12" not in text(admin.get("/admin/products/"))  # inactive ones are hidden by default
    assert "€12.50" in text(admin.get("/admin/products/?show=inactive"))


# Refusals: the form comes back with a clear message and nothing changes.

BAD_INPUT = [
    ("/admin/points/new", "point", {"name": ""}, "Give the point a name."),
    ("/admin/points/new", "point", {"name": "   "}, "Give the point a name."),
    ("/admin/points/new", "point", {"name": "maison de QUARTIER"}, "Another point already has this name."),
    ("/admin/points/{point}/edit", "point", {"town": ""}, "Give the town of the point."),
    ("/admin/points/{point}/edit", "point", {"name": "x" * 121}, "120 characters"),
    ("/admin/products/new", "product", {"unit_price_cents": "abc"}, "Enter an amount in euros"),
    ("/admin/products/new", "product", {"unit_price_cents": "-3"}, "Enter an amount in euros"),
    ("/admin/products/new", "product", {"unit_price_cents": ""}, "Give the full price"),
    ("/admin/products/new", "product", {"unit_price_cents": "  "}, "Give the full price"),
    ("/admin/products/new", "product", {"code": "pain-1"}, "Another product already has this code."),
    ("/admin/products/new", "product", {"code": "two words"}, "with no spaces"),
    ("/admin/products/{product}/edit", "product", {"name": ""}, "Give the product a name."),
    ("/admin/tiers/new", "tier", {"share_percent": "150"}, "between 0 and 100"),
    ("/admin/tiers/new", "tier", {"share_percent": "-1"}, "between 0 and 100"),
    ("/admin/tiers/new", "tier", {"share_percent": "abc"}, "between 0 and 100"),
    ("/admin/tiers/new", "tier", {"name": "TARIF PLEIN"}, "Another tier already has this name."),
    ("/admin/tiers/{tier}/edit", "tier", {"share_percent": "100.5"}, "between 0 and 100"),
    ("/admin/members/new", "member", {"email": "MARIE@example.org"}, "already uses this e-mail address"),
    ("/admin/members/new", "member", {"email": "not-an-email"}, "Enter an e-mail address"),
    ("/admin/members/new", "member", {"first_name": ""}, "Give the first name"),
    ("/admin/members/new", "member", {"tier": "999999"}, "Choose an option from the list."),
    ("/admin/members/new", "member", {"tier": "abc"}, "Choose an option from the list."),
    ("/admin/members/new", "member", {"point": "abc"}, "Choose an option from the list."),
    ("/admin/members/new", "member", {"status": "bogus"}, "Choose an option from the list."),
    ("/admin/members/{household}/edit", "member", {"phone": "0" * 33}, "32 characters"),
    ("/admin/distributions/new", "distribution", {"end_time": "17:00"}, "must end after it starts"),
    ("/admin/distributions/new", "distribution", {"end_time": "17:30"}, "must end after it starts"),
    ("/admin/distributions/new", "distribution", {"date": "2030-13-40"}, "Enter a date"),
    ("/admin/distributions/new", "distribution", {"start_time": "5pm"}, "Enter a time"),
    ("/admin/distributions/new", "distribution", {"date": "2030-07-09"}, "overlaps these times"),
    ("/admin/distributions/new", "distribution", {"point": "999999"}, "Choose an option from the list."),
    ("/admin/distributions/new", "distribution", {"status": "done"}, "Choose an option from the list."),
    ("/admin/distributions/{distribution}/edit", "distribution", {"start_time": "20:00"}, "must end after"),
]


@pytest.mark.parametrize(("url", "entity", "changes", "message"), BAD_INPUT)
def test_bad_input_is_refused_and_changes_nothing(app, admin, ids, url, entity, changes, message):
    before = snapshot(app)
    response = submit_form(admin, url.format(**ids), {**valid(entity, ids), **changes})
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert 'aria-invalid="true"' in page and "This was not saved" in page
    assert snapshot(app) == before


def test_distribution_refused_at_inactive_point(app, admin, ids):
    with app.app_context():
        db.session.get(Point, ids["point"]).active = False
        db.session.commit()
    response = admin.get("/admin/distributions/new")
    assert response.status_code == 302 and response.location.endswith("/admin/points/new")
    # The edit form keeps offering a deactivated point its distribution already uses.
    url = f"/admin/distributions/{ids['distribution']}/edit"
    form = {**valid("distribution", ids), "date": "2030-07-09", "notes": "Moved indoors"}
    assert submit_form(admin, url, form).status_code == 302


def test_how_an_ordered_product_is_sold_cannot_change(app, admin, ids):
    """Its order lines count pieces: read as grams they would be worth a thousandth. A new product is the way."""
    with app.app_context():
        order = Order(distribution_id=ids["distribution"], household_id=ids["household"], share_percent=100)
        order.lines.append(OrderLine(product_id=ids["product"], quantity=2, unit_price_cents=450))
        db.session.add(order)
        db.session.commit()
    before = snapshot(app)
    url = f"/admin/products/{ids['product']}/edit"
    response = submit_form(admin, url, {**valid("product", ids), "code": "PAIN-1", "sold_by": "kg"})
    assert response.status_code == 400
    assert "how it is sold cannot change" in text(response)
    assert snapshot(app) == before
    assert submit_form(admin, url, {**valid("product", ids), "code": "PAIN-1", "sold_by": "piece"}).status_code == 302


def test_new_member_needs_a_tier(app, admin):
    response = admin.get("/admin/members/new")
    assert response.status_code == 302 and response.location.endswith("/admin/tiers/new")


def test_form_post_without_csrf_is_refused(app, admin, ids):
    before = snapshot(app)
    response = admin.post("/admin/points/new", data=valid("point", ids))
    assert response.status_code == 400
    assert snapshot(app) == before


# Coordinators: their points only; another point's objects are 404; tiers and products read-only.


@pytest.fixture
def two_points(app, ids) -> dict[str, int]:
    """``ids`` at point A, plus point B with its own household and distribution, a coordinator of each point and
    a volunteer of A."""
    from server.models import User

    with app.app_context():
        point_a = db.session.get(Point, ids["point"])
        tier = db.session.get(Tier, ids["tier"])
        point_b = create_point({"name": "École Jules Ferry", "town": "Chelles"})
        household_b = create_household({"first_name": "Bruno", "last_name": "Bézout", "tier": tier, "point": point_b})
        distribution_b = create_distribution(
            point_b,
            {
                "starts_at": datetime(2030, 7, 11, 15, 30, tzinfo=UTC),
                "ends_at": datetime(2030, 7, 11, 17, 0, tzinfo=UTC),
            },
        )
        coordinator = User(email="coord.a@example.org", role="coordinator", points=[point_a])
        other = User(email="coord.b@example.org", role="coordinator", points=[point_b])
        volunteer = User(email="vol.a@example.org", role="volunteer", points=[point_a])
        db.session.add_all([coordinator, other, volunteer])
        db.session.commit()
        return {
            **ids,
            "point_b": point_b.id,
            "household_b": household_b.id,
            "distribution_b": distribution_b.id,
            "coordinator": coordinator.id,
            "other_coordinator": other.id,
            "volunteer": volunteer.id,
        }


@pytest.fixture
def coordinator(app, client, two_points):
    """A client signed in as the coordinator of point A."""
    sign_in_user(app, client, two_points["coordinator"])
    client.get("/admin/points/?lang=en")
    return client


def test_coordinator_lists_show_only_their_points(coordinator, two_points):
    points = text(coordinator.get("/admin/points/"))
    assert "Maison de quartier" in points and "École Jules Ferry" not in points
    assert 'href="/admin/points/new"' not in points  # only admins create points
    distributions = text(coordinator.get("/admin/distributions/?when=all"))
    assert "9 Jul 2030" in distributions and "11 Jul 2030" not in distributions
    assert "École Jules Ferry" not in distributions  # not even in the point filter
    assert "11 Jul 2030" not in text(coordinator.get(f"/admin/distributions/?when=all&point={two_points['point_b']}"))
    members = text(coordinator.get("/admin/members/"))
    assert "Marie" in members and "Bruno" not in members and "1 result" in members
    assert "Bruno" not in text(coordinator.get("/admin/members/?q=bruno"))
    dashboard = text(coordinator.get("/admin/"))
    assert "Figures for the points you coordinate: Maison de quartier." in dashboard


@pytest.mark.parametrize(
    "url",
    [
        "/admin/points/{point_b}/edit",
        "/admin/distributions/{distribution_b}/edit",
        "/admin/distributions/{distribution_b}/orders",
        "/admin/distributions/{distribution_b}/orders/import",
        "/admin/members/{household_b}/edit",
    ],
)
def test_coordinator_gets_404_for_another_points_objects(app, coordinator, two_points, url):
    url = url.format(**two_points)
    before = snapshot(app)
    assert coordinator.get(url).status_code == 404
    token = csrf_token(text(coordinator.get("/admin/points/")))
    form = {**valid("distribution", two_points), "csrf_token": token, "point": str(two_points["point_b"])}
    if not url.endswith("/orders"):  # a page without a form
        assert coordinator.post(url, data=form).status_code == 404
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "url",
    [
        "/admin/points/{point}/edit",
        "/admin/distributions/new",
        "/admin/distributions/{distribution}/edit",
        "/admin/distributions/{distribution}/orders",
        "/admin/members/new",
        "/admin/members/{household}/edit",
        "/admin/tiers/",
        "/admin/products/",
    ],
)
def test_coordinator_opens_their_own_points_pages(coordinator, two_points, url):
    response = coordinator.get(url.format(**two_points))
    assert response.status_code == 200
    assert "École Jules Ferry" not in text(response)  # another point is never offered


@pytest.mark.parametrize(
    "url",
    [
        "/admin/points/new",
        "/admin/tiers/new",
        "/admin/tiers/{tier}/edit",
        "/admin/products/new",
        "/admin/products/{product}/edit",
    ],
)
def test_coordinator_cannot_open_admin_only_pages(app, coordinator, two_points, url):
    url = url.format(**two_points)
    assert coordinator.get(url).status_code == 403
    token = csrf_token(text(coordinator.get("/admin/points/")))
    before = snapshot(app)
    assert coordinator.post(url, data={**valid("tier", two_points), "csrf_token": token}).status_code == 403
    assert coordinator.post(f"/admin/tiers/{two_points['tier']}/delete", data={"csrf_token": token}).status_code == 403
    assert snapshot(app) == before


def test_coordinator_reads_tiers_and_products_without_edit_links(coordinator, two_points):
    tiers = text(coordinator.get("/admin/tiers/"))
    assert "Tarif plein" in tiers and "/admin/tiers/new" not in tiers and "/edit" not in tiers
    assert "/delete" not in tiers
    products = text(coordinator.get("/admin/products/"))
    assert "PAIN-1" in products and "/admin/products/new" not in products and "/edit" not in products


def test_coordinator_edits_their_point_but_cannot_deactivate_it(app, coordinator, two_points):
    url = f"/admin/points/{two_points['point']}/edit"
    assert 'name="active"' not in text(coordinator.get(url))
    form = {"name": "Maison de quartier", "town": "Noisiel", "address": "", "notes": "Keys at the bakery"}
    assert submit_form(coordinator, url, form).status_code == 302  # the unticked "active" box is not even read
    with app.app_context():
        point = db.session.get(Point, two_points["point"])
        assert (point.town, point.notes, point.active) == ("Noisiel", "Keys at the bakery", True)


def test_coordinator_plans_distributions_only_at_their_points(app, coordinator, two_points):
    new = text(coordinator.get("/admin/distributions/new"))
    assert "Maison de quartier" in new and "École Jules Ferry" not in new
    before = snapshot(app)
    elsewhere = {**valid("distribution", two_points), "point": str(two_points["point_b"])}
    response = submit_form(coordinator, "/admin/distributions/new", elsewhere)
    assert response.status_code == 400 and "Choose an option from the list." in text(response)
    moved = submit_form(coordinator, f"/admin/distributions/{two_points['distribution']}/edit", elsewhere)
    assert moved.status_code == 400 and "Choose an option from the list." in text(moved)
    assert snapshot(app) == before
    assert submit_form(coordinator, "/admin/distributions/new", valid("distribution", two_points)).status_code == 302
    url = f"/admin/distributions/{two_points['distribution']}/edit"
    opened = {**valid("distribution", two_points), "date": "2030-07-09", "status": "open"}
    assert submit_form(coordinator, url, opened).status_code == 302
    with app.app_context():
        assert db.session.get(Distribution, two_points["distribution"]).status == "open"


def test_coordinator_creates_members_at_their_points_only(app, coordinator, two_points):
    page = text(coordinator.get("/admin/members/new"))
    assert "No home point" not in page and "École Jules Ferry" not in page
    before = snapshot(app)
    for point in (str(two_points["point_b"]), ""):
        response = submit_form(coordinator, "/admin/members/new", {**valid("member", two_points), "point": point})
        assert response.status_code == 400 and "Choose an option from the list." in text(response), point
    url = f"/admin/members/{two_points['household']}/edit"
    moved = submit_form(coordinator, url, {**valid("member", two_points), "point": str(two_points["point_b"])})
    assert moved.status_code == 400
    assert snapshot(app) == before
    solidarity = {**valid("member", two_points), "tier": str(two_points["tier"])}
    assert submit_form(coordinator, "/admin/members/new", solidarity).status_code == 302
    with app.app_context():
        household = db.session.scalar(select(Household).where(Household.last_name == "Lovelace"))
        assert household.point_id == two_points["point"]


def test_volunteer_gets_no_admin_page(app, client, two_points):
    sign_in_user(app, client, two_points["volunteer"])
    client.get("/admin/points/?lang=en")
    for url in [*LIST_PAGES, "/admin/", f"/admin/points/{two_points['point']}/edit", "/admin/members/new"]:
        assert client.get(url).status_code == 403, url


def test_domain_operations_refuse_what_the_actor_may_not_do(app, two_points):
    """The last guard: the rules hold for any caller that passes the acting user, not only for the pages."""
    from server.domain.distributions import update_distribution
    from server.domain.members import update_household, update_tier
    from server.domain.points import NotAllowed, update_point
    from server.domain.products import update_product
    from server.models import User

    with app.app_context():
        coordinator = db.session.get(User, two_points["coordinator"])
        point_a, point_b = db.session.get(Point, two_points["point"]), db.session.get(Point, two_points["point_b"])
        distribution = db.session.get(Distribution, two_points["distribution"])
        household = db.session.get(Household, two_points["household"])
        refused = [
            lambda: create_point({"name": "Nouveau", "town": "Torcy"}, actor=coordinator),
            lambda: update_point(point_a, {"active": False}, actor=coordinator),
            lambda: update_point(point_b, {"notes": "x"}, actor=coordinator),
            lambda: create_distribution(point_b, valid_times(), actor=coordinator),
            lambda: update_distribution(distribution, {"point": point_b}, actor=coordinator),
            lambda: update_household(household, {"point": None}, actor=coordinator),
            lambda: update_household(db.session.get(Household, two_points["household_b"]), {}, actor=coordinator),
            lambda: create_household({"first_name": "Z", "tier": household.tier, "point": point_b}, actor=coordinator),
            lambda: update_tier(household.tier, {"share_percent": 10}, actor=coordinator),
            lambda: update_product(db.session.get(Product, two_points["product"]), {"name": "x"}, actor=coordinator),
        ]
        for attempt in refused:
            with pytest.raises(NotAllowed):
                attempt()
            db.session.rollback()
        update_point(point_a, {"notes": "Keys at the bakery"}, actor=coordinator)
        create_distribution(point_a, valid_times(), actor=coordinator)
        db.session.rollback()


def valid_times() -> dict[str, datetime]:
    return {"starts_at": datetime(2030, 8, 6, 15, 30, tzinfo=UTC), "ends_at": datetime(2030, 8, 6, 17, 0, tzinfo=UTC)}


def _form(html: str, action: str) -> str:
    return re.search(rf'<form method="get" action="{re.escape(action)}">(.*?)</form>', html, re.S).group(1)


def test_period_exports_offer_their_fields_and_downloads(admin, ids):
    """Each period export form (one macro) asks From and To; the payments one also a point, and downloads the
    top-ups of the same period with a second button."""
    payments = _form(text(admin.get("/admin/distributions/")), "/admin/exports/payments.csv")
    assert re.findall(r'<(?:input|select)[^>]* name="(\w+)"', payments) == ["from", "to", "point"]
    assert 'formaction="/admin/exports/top-ups.csv"' in payments
    members = text(admin.get("/admin/members/"))
    for action in ("/admin/exports/movements.csv", "/admin/exports/membership-fees.csv"):
        assert re.findall(r'<input[^>]* name="(\w+)"', _form(members, action)) == ["from", "to"]
