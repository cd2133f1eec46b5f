"""Membership (adhésion): the season rule, a fee taken at the point extends the paid-until date once (duplicates,
voids, voids of voids, any order), an admin records a fee paid elsewhere and sets the fee, the list of who is to
renew, the pack, the log, the sheet, the export and the member page. On SQLite and PostgreSQL."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from server.clock import utcnow
from server.extensions import db
from server.models import AuditEntry, Distribution, Household, NetworkSettings, Order, Point, Tier, User
from sync import membership as rules
from tests.helpers import submit_form
from tests.phones import enrol_phone

NOW = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)


def test_the_season_rule():
    assert rules.season_end(date(2026, 12, 4)) == date(2027, 8, 31)
    assert rules.season_end(date(2026, 9, 1)) == date(2027, 8, 31)
    assert rules.season_end(date(2026, 8, 31)) == date(2026, 8, 31)
    assert rules.season_label(date(2027, 8, 31)) == "2026–2027"
    assert rules.extended(None, date(2026, 12, 4)) == date(2027, 8, 31)
    assert rules.extended(date(2026, 8, 31), date(2026, 12, 4)) == date(2027, 8, 31)  # lapsed: this season
    assert rules.extended(date(2027, 8, 31), date(2026, 12, 4)) == date(2028, 8, 31)  # covered: the next one
    assert rules.paid_until_after([date(2026, 12, 4), date(2026, 10, 1)]) == date(2028, 8, 31)
    assert rules.paid_until_after([]) is None
    assert rules.is_due(None, date(2026, 12, 4), 1500)
    assert not rules.is_due(None, date(2026, 12, 4), 0)
    assert not rules.is_due(date(2026, 12, 4), date(2026, 12, 4), 1500)
    assert rules.is_due(date(2026, 12, 3), date(2026, 12, 4), 1500)


@pytest.fixture
def world(app, time_machine):
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        settings = NetworkSettings.current()
        settings.membership_fee_cents = 1500
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        tier = Tier(name="Tarif plein", share_percent=100)
        awa = Household(first_name="Awa", last_name="Diallo", tier=tier, point=point)
        bruno = Household(
            first_name="Bruno", last_name="Martin", tier=tier, point=point, membership_paid_until=date(2027, 8, 31)
        )
        volunteer = User(email="v@example.org", role="volunteer", points=[point])
        distribution = Distribution(point=point, starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=2))
        orders = [Order(distribution=distribution, household=h, share_percent=100) for h in (awa, bruno)]
        db.session.add_all([volunteer, *orders])
        db.session.commit()
        ids = {"point": point.id, "awa": awa.id, "bruno": bruno.id, "distribution": distribution.id}
        ids["volunteer"] = volunteer.id
    ids["phone"] = enrol_phone(app, [ids["point"]], ids["volunteer"])
    return ids


def paid_until(app, household_id: int) -> date | None:
    with app.app_context():
        return db.session.get(Household, household_id).membership_paid_until


def fee(phone, world, household: str = "awa", **changes):
    payload = {"household_id": world[household], "amount_cents": 1500, "method": "cash", "purpose": "membership"}
    return phone.record("payment", payload | changes, world["distribution"])


def test_a_fee_taken_at_the_point_extends_the_membership_once_and_a_void_takes_it_back(app, world):
    phone = world["phone"]
    first = fee(phone, world)
    assert phone.push([first]).status_code == 200
    assert paid_until(app, world["awa"]) == date(2027, 8, 31)

    again = phone.push([first])  # the same event twice: a duplicate, never a second season
    assert again.status_code == 200 and again.get_json()["results"][0]["status"] == "duplicate"
    assert paid_until(app, world["awa"]) == date(2027, 8, 31)

    second = fee(phone, world)  # a second fee the same day: the next season
    assert phone.push([second]).status_code == 200
    assert paid_until(app, world["awa"]) == date(2028, 8, 31)

    void = phone.record("void", {"event_id": second["id"], "reason": "Deux fois"}, world["distribution"])
    phone.push([void])
    assert paid_until(app, world["awa"]) == date(2027, 8, 31)

    restore = phone.record("void", {"event_id": void["id"]}, world["distribution"])
    phone.push([restore])
    assert paid_until(app, world["awa"]) == date(2028, 8, 31)

    # An order payment, or a fee for another household, changes nothing here.
    with app.app_context():
        order_id = db.session.query(Order.id).filter_by(household_id=world["awa"]).scalar()
    phone.push(
        [phone.record("payment", {"order_id": order_id, "amount_cents": 100, "method": "cash"}, world["distribution"])]
    )
    assert paid_until(app, world["awa"]) == date(2028, 8, 31)


def test_a_void_arriving_before_its_fee_still_counts(app, world):
    phone = world["phone"]
    taken = fee(phone, world)
    undone = phone.record("void", {"event_id": taken["id"]}, world["distribution"])
    response = phone.push([undone, taken])  # reversed in one batch
    assert response.status_code == 200
    assert paid_until(app, world["awa"]) is None


def test_a_membership_payment_must_name_a_household_and_no_order(app, world):
    phone = world["phone"]
    bad = fee(phone, world)
    bad["payload"]["order_id"] = 1  # as a faulty app would send it
    body = phone.push([bad]).get_json()
    assert body["results"][0]["status"] == "rejected"
    assert "payment_purpose" in str(body["results"][0])


@pytest.fixture
def admin(app, admin_client):
    return admin_client


def test_the_admin_sets_the_fee_and_the_rule_with_clear_errors(app, world, admin):
    refused = submit_form(admin, "/admin/membership/", {"membership_fee_cents": "quinze", "membership_required": "y"})
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    refused = submit_form(admin, "/admin/membership/", {"membership_fee_cents": "0", "membership_required": "y"})
    assert refused.status_code == 400
    assert "L’adhésion ne peut être exigée que si le réseau en demande une" in refused.get_data(as_text=True)
    saved = submit_form(admin, "/admin/membership/", {"membership_fee_cents": "18,50", "membership_required": "y"})
    assert saved.status_code == 302
    with app.app_context():
        settings = NetworkSettings.current()
        assert (settings.membership_fee_cents, settings.membership_required) == (1850, True)
        assert db.session.query(AuditEntry).filter_by(action="membership.settings").count() == 1


def test_the_admin_records_a_fee_paid_elsewhere_and_lists_who_is_due(app, world, admin):
    page = admin.get("/admin/membership/").get_data(as_text=True)
    assert "Diallo Awa" in page and "Martin Bruno" not in page  # Bruno is covered to 31 August 2027
    assert "Maison de quartier du Luzard" in page

    url = f"/admin/members/{world['awa']}/membership"
    missing = submit_form(admin, url, {"method": "cheque", "details": ""})
    assert missing.status_code == 400 and "Saisissez le numéro du chèque." in missing.get_data(as_text=True)
    assert 'aria-invalid="true"' in missing.get_data(as_text=True)
    future = submit_form(admin, url, {"method": "cash", "paid_on": "2027-01-01"})
    assert future.status_code == 400 and "La date ne peut pas être dans le futur." in future.get_data(as_text=True)
    bad = submit_form(admin, url, {"method": "cash", "amount_cents": "-3"})
    assert bad.status_code == 400
    assert paid_until(app, world["awa"]) is None

    done = submit_form(admin, url, {"method": "cheque", "details": "0004321", "amount_cents": "15"})
    assert done.status_code == 302
    assert paid_until(app, world["awa"]) == date(2027, 8, 31)
    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(action="membership.fee").one()
        assert entry.details["details"] == "0004321" and entry.details["paid_until"] == [None, "2027-08-31"]
    assert "Diallo Awa" not in admin.get("/admin/membership/").get_data(as_text=True)


def test_the_pack_says_who_is_due(app, world):
    phone = world["phone"]
    pack = phone.client.get(f"/api/distributions/{world['distribution']}/pack", headers=phone.headers).get_json()
    assert pack["network"]["membership_fee_cents"] == 1500 and pack["network"]["membership_required"] is False
    members = {member["id"]: member for member in pack["members"]}
    assert members[world["awa"]]["membership_due"] is True
    assert members[world["awa"]]["membership_paid_until"] is None
    assert members[world["bruno"]]["membership_due"] is False
    assert members[world["bruno"]]["membership_paid_until"] == "2027-08-31"
    phone.push([fee(phone, world)])
    pack = phone.client.get(f"/api/distributions/{world['distribution']}/pack", headers=phone.headers).get_json()
    assert {m["id"]: m for m in pack["members"]}[world["awa"]]["membership_due"] is False


def test_the_fee_closes_every_loop(app, world, admin):
    phone = world["phone"]
    distribution = world["distribution"]
    opening = phone.record("cash_count", {"kind": "opening", "total_cents": 2000}, distribution)
    taken = fee(phone, world)
    closing = phone.record("cash_count", {"kind": "closing", "total_cents": 3500}, distribution)
    phone.push([opening, taken, closing])

    log = admin.get(f"/admin/distributions/{distribution}/log").get_data(as_text=True)
    assert "Adhésion 2026–2027 : 15,00\u00a0€ en espèces" in log
    assert "Adhésion 2026–2027 d&#39;Awa Diallo · 15,00\u00a0€ · Espèces" in log  # the timeline
    assert 'data-figure="cash-expected"><strong>35,00\u00a0€' in log
    assert 'data-figure="due">0,00\u00a0€' in log  # never due for baskets

    sheet = admin.get(f"/admin/distributions/{distribution}/sign-off").get_data(as_text=True)
    assert "Adhésion réglée aujourd’hui : 15,00\u00a0€" in sheet
    assert "Adhésion à renouveler" not in sheet  # Bruno is covered, Awa paid

    exported = admin.get(f"/admin/distributions/{distribution}/export/payments.csv")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][-1] == "Objet" and rows[1][-1] == "Adhésion"

    with app.app_context():
        awa = db.session.get(Household, world["awa"])
        awa.page_token = "t" * 43
        db.session.commit()
    page = app.test_client().get("/m/" + "t" * 43).get_data(as_text=True)
    assert "Adhésion à jour jusqu’au 31 août 2027." in page


def test_the_list_of_who_is_due_reads_one_page(app, world, admin):
    with app.app_context():
        point = db.session.get(Point, world["point"])
        tier = db.session.query(Tier).first()
        db.session.add_all(
            Household(first_name=f"M{i:03d}", last_name="Nguyen", tier=tier, point=point) for i in range(60)
        )
        db.session.commit()
    first = admin.get("/admin/membership/").get_data(as_text=True)
    assert first.count("Nguyen") == 24 and "Diallo Awa" in first and 'rel="next"' in first  # never paid, by name
    last = admin.get("/admin/membership/?page=3").get_data(as_text=True)
    assert last.count("Nguyen") == 11 and "61 résultats" in first
    assert utcnow() == NOW


def test_who_is_due_by_name_within_each_group_and_never_who_left(app, world, admin):
    """Never paid, then ended, then ending within 30 days; by last name then first name within each; a household
    that left the network is not asked to renew."""
    with app.app_context():
        point = db.session.get(Point, world["point"])
        tier = db.session.query(Tier).first()
        made = [
            ("Zola", "Anne", None, "active"),
            ("Abadie", "Luc", None, "active"),
            ("Abadie", "Inès", None, "active"),
            ("Bernard", "Yves", None, "left"),
            ("Cohen", "Eva", date(2026, 8, 31), "active"),
            ("Aubert", "Paul", date(2025, 8, 31), "active"),
            ("Blanc", "Léa", date(2026, 12, 20), "active"),
            ("Roux", "Marc", date(2026, 8, 31), "left"),
        ]
        db.session.add_all(
            Household(
                last_name=last, first_name=first, membership_paid_until=until, status=status, tier=tier, point=point
            )
            for last, first, until, status in made
        )
        db.session.commit()
    page = admin.get("/admin/membership/").get_data(as_text=True)
    listed = [name for name in re.findall(r'/edit">([^<]+)</a>', page)]
    assert listed == [
        "Abadie Inès",
        "Abadie Luc",
        "Diallo Awa",
        "Zola Anne",
        "Aubert Paul",
        "Cohen Eva",
        "Blanc Léa",
    ]


def test_a_resolution_that_voids_a_fee_takes_it_back(app, world):
    from server.domain.conflicts import resolve_conflict
    from server.domain.events import check_conflicts
    from server.models import Conflict

    phone = world["phone"]
    with app.app_context():  # Chloé has no order here: her fee is an unknown_member conflict
        chloe = Household(first_name="Chloé", last_name="Petit", tier=db.session.query(Tier).first())
        db.session.add(chloe)
        db.session.commit()
        world["chloe"] = chloe.id
    taken = fee(phone, world, "chloe")
    phone.push([taken])
    assert paid_until(app, world["chloe"]) == date(2027, 8, 31)
    with app.app_context():
        check_conflicts(db.session.get(Distribution, world["distribution"]))
        conflict = db.session.query(Conflict).filter_by(kind="unknown_member").one()
        admin = db.session.query(User).filter_by(role="admin").first()
        resolve_conflict(conflict, "void_event", "Adhésion prise par erreur ici.", admin)
        db.session.commit()
    assert paid_until(app, world["chloe"]) is None


def test_a_fee_is_shown_apart_from_the_baskets_payments(app, world, admin):
    """A fee in cash and the basket from the prepaid account: the basket's payments are the basket's only, the fee
    has its own line, on the member page and on the admin's pick-up history."""
    from server.domain.ledger import post

    with app.app_context():
        post(world["awa"], "prepaid", 5000, "opening")
        awa = db.session.get(Household, world["awa"])
        awa.page_token = "t" * 43
        order = db.session.query(Order).filter_by(household_id=world["awa"]).one()
        db.session.commit()
        order_id = order.id
    phone = world["phone"]
    basket = {"order_id": order_id, "amount_cents": 3100, "method": "prepaid", "from_prepaid_cents": 3100}
    taken = fee(phone, world, amount_cents=500)
    phone.push([taken, phone.record("payment", basket, world["distribution"])])

    page = app.test_client().get("/m/" + "t" * 43).get_data(as_text=True).replace("\u202f", " ")
    assert "31,00\u00a0€ pris sur votre compte prépayé" in page
    assert "payés en espèces" not in page and "payé en espèces" not in page
    assert "Adhésion 2026–2027 : 5,00\u00a0€ en espèces" in page
    accounts = admin.get(f"/admin/members/{world['awa']}/accounts").get_data(as_text=True)
    pickups = accounts.split('id="pickups"')[1]
    assert "5,00\u00a0€ · Espèces" not in pickups and "31,00\u00a0€ · Solde prépayé" in pickups
    assert "Adhésion 2026–2027 : 5,00\u00a0€ en espèces" in pickups


def test_the_membership_fees_export_lists_every_fee_at_the_point_and_at_the_office(app, world, admin):
    phone = world["phone"]
    taken, twice = fee(phone, world), fee(phone, world, method="card")
    undone = phone.record("void", {"event_id": twice["id"], "reason": "Deux fois"}, world["distribution"])
    assert phone.push([taken, twice, undone]).status_code == 200
    office = {"method": "cheque", "details": "=0004321", "amount_cents": "18", "paid_on": "2026-12-01"}
    assert submit_form(admin, f"/admin/members/{world['bruno']}/membership", office).status_code == 302

    with app.app_context():
        db.session.get(User, world["volunteer"]).display_name = "Inès Petit"
        db.session.query(User).filter_by(role="admin").one().display_name = "Sam Leroy"
        db.session.commit()
    page = admin.get("/admin/membership/").get_data(as_text=True)
    assert "/admin/exports/membership-fees.csv?from=2026-09-01&amp;to=2026-12-04" in page
    assert 'action="/admin/exports/membership-fees.csv"' in admin.get("/admin/members/").get_data(as_text=True)

    response = admin.get("/admin/exports/membership-fees.csv?from=2026-09-01&to=2026-12-04")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Adhésion", "Date du paiement", "Numéro d'adhérent"] and rows[0][-1] == "Annulée"
    body = [row[1:] for row in rows[1:]]
    awa = [str(world["awa"]), "Diallo", "Awa"]
    luzard = ["Distribution du 2026-12-04, Maison de quartier du Luzard", str(world["distribution"]), "Inès Petit"]
    bruno = [str(world["bruno"]), "Martin", "Bruno"]
    office = ["Au bureau", "", "Sam Leroy"]
    assert body == [
        ["2026-12-01", *bruno, "18,00", "1800", "Chèque", "'=0004321", "2026–2027", *office, "Non"],
        ["2026-12-04", *awa, "15,00", "1500", "Espèces", "", "2026–2027", *luzard, "Non"],
        ["2026-12-04", *awa, "15,00", "1500", "Carte", "", "2027–2028", *luzard, "Oui"],  # paid twice: voided
    ]
    assert admin.get("/admin/exports/membership-fees.csv?from=2026-12-05&to=2026-12-04").status_code == 400
    assert len(admin.get("/admin/exports/membership-fees.csv?from=2026-12-05&to=2026-12-31").get_data()) < 300
