"""The SSA contribution (what a household pays into the scheme each period, by band): a contribution taken at the
point through the real ingest marks the household's period paid, once (duplicates), a void takes it back, the pack
says who still owes it and how much, and the member page and the admin household page say it. On SQLite and
PostgreSQL."""

from datetime import UTC, date, datetime, timedelta

import pytest

from server.extensions import db
from server.models import (
    AllowanceRule,
    Contribution,
    ContributionBand,
    Distribution,
    Household,
    Order,
    Point,
    Tier,
    User,
)
from tests.phones import enrol_phone

NOW = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # 4 December 2026, 17:00 in Paris


@pytest.fixture
def world(app, time_machine):
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        AllowanceRule.current().period = "month"
        db.session.add(ContributionBand(code="T2", label="Tranche 2", contribution_cents=1500))
        db.session.add(ContributionBand(code="T0", label="Tranche 0", contribution_cents=0))
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        tier = Tier(name="Tarif plein", share_percent=100)
        awa = Household(first_name="Awa", last_name="Diallo", tier=tier, point=point, contribution_band="T2")
        bruno = Household(first_name="Bruno", last_name="Martin", tier=tier, point=point, contribution_band="T0")
        chloe = Household(first_name="Chloé", last_name="Petit", tier=tier, point=point)
        volunteer = User(email="v@example.org", role="volunteer", points=[point])
        distribution = Distribution(point=point, starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=2))
        orders = [Order(distribution=distribution, household=h, share_percent=100) for h in (awa, bruno, chloe)]
        db.session.add_all([volunteer, *orders])
        db.session.commit()
        ids = {"point": point.id, "distribution": distribution.id, "volunteer": volunteer.id}
        ids |= {"awa": awa.id, "bruno": bruno.id, "chloe": chloe.id}
    ids["phone"] = enrol_phone(app, [ids["point"]], ids["volunteer"])
    return ids


def contribution(phone, world, household: str = "awa", **changes):
    payload = {"household_id": world[household], "amount_cents": 1500, "method": "cash", "purpose": "contribution"}
    return phone.record("payment", payload | changes, world["distribution"])


def paid_periods(app, household_id: int) -> list[tuple[str, bool]]:
    with app.app_context():
        rows = db.session.query(Contribution).filter_by(household_id=household_id).order_by(Contribution.id).all()
        return [(row.period, row.voided) for row in rows]


def pack_members(phone, world) -> dict[int, dict]:
    pack = phone.client.get(f"/api/distributions/{world['distribution']}/pack", headers=phone.headers).get_json()
    return {member["id"]: member for member in pack["members"]}


def test_a_contribution_taken_at_the_point_pays_the_period_once_and_a_void_takes_it_back(app, world):
    phone = world["phone"]
    taken = contribution(phone, world)
    assert phone.push([taken]).status_code == 200
    assert paid_periods(app, world["awa"]) == [("2026-12", False)]

    again = phone.push([taken])  # the same event twice: counted once
    assert again.get_json()["results"][0]["status"] == "duplicate"
    assert paid_periods(app, world["awa"]) == [("2026-12", False)]

    void = phone.record("void", {"event_id": taken["id"], "reason": "Erreur"}, world["distribution"])
    phone.push([void])
    assert paid_periods(app, world["awa"]) == [("2026-12", True)]
    assert pack_members(phone, world)[world["awa"]]["contribution_due_cents"] == 1500

    restore = phone.record("void", {"event_id": void["id"]}, world["distribution"])
    phone.push([restore])
    assert paid_periods(app, world["awa"]) == [("2026-12", False)]


def test_a_void_arriving_before_its_contribution_still_counts(app, world):
    phone = world["phone"]
    taken = contribution(phone, world)
    undone = phone.record("void", {"event_id": taken["id"]}, world["distribution"])
    assert phone.push([undone, taken]).status_code == 200
    assert paid_periods(app, world["awa"]) == [("2026-12", True)]


def test_the_pack_says_who_owes_this_periods_contribution(app, world):
    phone = world["phone"]
    members = pack_members(phone, world)
    assert members[world["awa"]]["contribution_due_cents"] == 1500
    assert "contribution_due_cents" not in members[world["bruno"]]  # a band that asks nothing
    assert "contribution_due_cents" not in members[world["chloe"]]  # no band
    phone.push([contribution(phone, world)])
    assert "contribution_due_cents" not in pack_members(phone, world)[world["awa"]]


def test_a_weekly_rule_asks_the_contribution_each_week(app, world, time_machine):
    with app.app_context():
        AllowanceRule.current().period = "week"
        db.session.commit()
    phone = world["phone"]
    phone.push([contribution(phone, world)])
    assert paid_periods(app, world["awa"]) == [("2026W49", False)]
    assert "contribution_due_cents" not in pack_members(phone, world)[world["awa"]]


def test_the_member_page_and_the_household_page_say_it(app, world, admin_client):
    with app.app_context():
        awa = db.session.get(Household, world["awa"])
        awa.page_token = "t" * 43
        db.session.commit()
    member_page = app.test_client().get("/m/" + "t" * 43).get_data(as_text=True)
    assert "Contribution de décembre : à régler : 15,00\u00a0€" in member_page
    household = admin_client.get(f"/admin/members/{world['awa']}/accounts").get_data(as_text=True)
    assert "Contribution de décembre 2026 : à régler : 15,00\u00a0€" in household

    phone = world["phone"]
    phone.push([contribution(phone, world, method="cheque", method_details="0001234")])
    member_page = app.test_client().get("/m/" + "t" * 43).get_data(as_text=True)
    assert "Contribution de décembre : réglée le 4 décembre" in member_page
    household = admin_client.get(f"/admin/members/{world['awa']}/accounts").get_data(as_text=True)
    assert "Contribution de décembre 2026 : réglée le 4 décembre 2026 (15,00\u00a0€, chèque)" in household
    with app.app_context():
        assert db.session.get(Household, world["bruno"]).contribution_band == "T0"
    bruno = admin_client.get(f"/admin/members/{world['bruno']}/accounts").get_data(as_text=True)
    assert "Contribution de" not in bruno
    assert date(2026, 12, 4) == NOW.date()


def test_a_resolution_that_voids_a_contribution_takes_it_back(app, world):
    from server.domain.conflicts import resolve_conflict
    from server.domain.events import check_conflicts
    from server.models import Conflict

    phone = world["phone"]
    with app.app_context():  # Dina has no order here: her contribution is an unknown_member conflict
        dina = Household(
            first_name="Dina", last_name="Roux", tier=db.session.query(Tier).first(), contribution_band="T2"
        )
        db.session.add(dina)
        db.session.commit()
        world["dina"] = dina.id
    phone.push([contribution(phone, world, "dina")])
    assert paid_periods(app, world["dina"]) == [("2026-12", False)]
    with app.app_context():
        check_conflicts(db.session.get(Distribution, world["distribution"]))
        conflict = db.session.query(Conflict).filter_by(kind="unknown_member").one()
        admin = db.session.query(User).filter_by(role="admin").first()
        resolve_conflict(conflict, "void_event", "Contribution prise par erreur ici.", admin)
        db.session.commit()
    assert paid_periods(app, world["dina"]) == [("2026-12", True)]
