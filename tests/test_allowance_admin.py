"""The solidarity allowance's admin pages: the rule and bands forms (bad input gets its error next to the field,
never a 500, and changes nothing), what was and will be credited, a household's size, band and enrolment, and the
next credit on the household and member pages. Dates are set with time_machine."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

import server.auth  # noqa: F401  (before server.audit: see the import cycle note in audit)
from server.domain.allowance_cycles import credit_due
from server.domain.ledger import accounts_for, post
from server.extensions import db
from server.models import AllowanceCycle, AllowanceRule, AuditEntry, ContributionBand, Household, Point
from tests.factories import primitives
from tests.helpers import csrf_token, sign_in_as_admin, submit_form

JANUARY_10 = datetime(2031, 1, 10, 9, 0, tzinfo=UTC)
RULE = {
    "enabled": "y",
    "period": "month",
    "base_cents": "100",
    "per_person_cents": "50,00",
    "unspent": "cap",
    "cap_cents": "30",
    "starts_on": "2031-02-01",
}
BAND = {"code": "T1", "label": "Tranche 1", "contribution_cents": "10", "allowance_percent": "150"}


@pytest.fixture
def admin(app, client, time_machine):
    """An admin reading English, on 10 January 2031 in Paris, with three households (two enrolled)."""
    time_machine.move_to(JANUARY_10, tick=False)
    sign_in_as_admin(app, client, "admin@example.org")
    assert client.get("/admin/?lang=en").status_code == 200
    with app.app_context():
        point = Point(name="Épicerie solidaire des Deux Rives", town="Lognes")
        tier = primitives.solidarity_tier()
        made = primitives.households(point, [("Awa", "Diallo", tier), ("Inès", "Martin", tier), ("Jo", "Ngô", tier)])
        db.session.add_all(made)
        db.session.flush()
        accounts_for([made[0].id, made[1].id], "allowance")
        db.session.commit()
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def household_id(app, first_name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Household.id).where(Household.first_name == first_name))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("base_cents", "cent euros", "Enter an amount in euros, such as 12,50."),
        ("base_cents", "", "Give the amount per household, in euros."),
        ("cap_cents", "", "Give the most a balance may keep from one period to the next."),
        ("starts_on", "2030-12-01", "The first period cannot lie in the past"),
        ("starts_on", "", "Give the day the first allowance is credited."),
        ("starts_on", "1er février", "Enter a date such as 2025-03-18."),
        ("period", "year", "Choose an option from the list."),
    ],
)
def test_a_bad_rule_is_refused_next_to_its_field(app, admin, field, value, message):
    response = submit_form(admin, "/admin/allowance/rule", {**RULE, field: value})
    assert response.status_code == 400
    page = text(response)
    assert message in page and f'id="{field}-error"' in page
    with app.app_context():
        assert AllowanceRule.current().enabled is False


def test_the_rule_and_a_band_set_what_the_next_period_credits(app, admin, time_machine):
    assert submit_form(admin, "/admin/allowance/rule", RULE).status_code == 302
    assert submit_form(admin, "/admin/allowance/bands/new", BAND).status_code == 302
    refused = submit_form(admin, "/admin/allowance/bands/new", {**BAND, "allowance_percent": "deux"})
    assert refused.status_code == 400 and "Give a whole percentage between 0 and 1000." in text(refused)
    duplicate = submit_form(admin, "/admin/allowance/bands/new", BAND)
    assert duplicate.status_code == 400 and "Another band already has this code." in text(duplicate)

    awa = household_id(app, "Awa")
    response = submit_form(admin, f"/admin/members/{awa}/allowance", {"size": "3", "contribution_band": "T1"})
    assert response.status_code == 302 and response.location.endswith(f"/admin/members/{awa}/edit")
    with app.app_context():
        rule = AllowanceRule.current()
        assert (rule.enabled, rule.base_cents, rule.per_person_cents, rule.cap_cents) == (True, 10000, 5000, 3000)
        assert rule.starts_on == date(2031, 2, 1)
        assert db.session.get(Household, awa).size == 3
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"allowance_rule.update", "contribution_band.create", "household.allowance"} <= actions

    page = text(admin.get("/admin/allowance/"))
    assert "Next credit: February 2031" in page
    assert "2 households, €400.00 in all" in page  # Awa: (100 + 2 × 50) × 150 %, Inès: 100
    assert "Tranche 1" in page and "€300.00" in page and "No band" in page
    assert "Nothing credited yet." in page

    household_page = text(admin.get(f"/admin/members/{awa}/edit"))
    assert "Next allowance: €300.00 on February 1" in household_page

    time_machine.move_to(datetime(2031, 2, 1, 8, tzinfo=UTC), tick=False)
    with app.app_context():
        reports = list(credit_due(commit=db.session.commit))
        assert [r.credited_households for r in reports] == [2]
    sign_in_as_admin(app, admin, "admin@example.org")  # three weeks later: signed out meanwhile
    page = text(admin.get("/admin/allowance/?lang=en"))
    assert "Next credit: March 2031" in page
    assert "<td>February 2031</td>" in page and "€400.00" in page


def test_a_band_in_use_keeps_its_code_and_is_not_deleted(app, admin):
    assert submit_form(admin, "/admin/allowance/bands/new", BAND).status_code == 302
    awa = household_id(app, "Awa")
    submit_form(admin, f"/admin/members/{awa}/allowance", {"size": "1", "contribution_band": "T1"})
    with app.app_context():
        band_id = db.session.scalar(select(ContributionBand.id))
    renamed = submit_form(admin, f"/admin/allowance/bands/{band_id}/edit", {**BAND, "code": "T9"})
    assert renamed.status_code == 400 and "Households are in this band: its code cannot change." in text(renamed)
    page = text(admin.get("/admin/allowance/"))
    assert f"/admin/allowance/bands/{band_id}/delete" not in page
    response = admin.post(f"/admin/allowance/bands/{band_id}/delete", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert "1 household is still in this band" in text(admin.get("/admin/allowance/"))


def test_enrolling_a_household_and_bad_sizes(app, admin):
    jo = household_id(app, "Jo")
    for size in ("0", "many", "31"):
        response = submit_form(admin, f"/admin/members/{jo}/allowance", {"size": size, "contribution_band": ""})
        assert response.status_code == 400 and "Give the number of people, from 1 to 30." in text(response)
    unknown = submit_form(admin, f"/admin/members/{jo}/allowance", {"size": "2", "contribution_band": "ZZ"})
    assert unknown.status_code == 400 and "Choose an option from the list." in text(unknown)
    response = submit_form(admin, f"/admin/members/{jo}/allowance", {"size": "2", "enrolled": "y"})
    assert response.status_code == 302
    page = text(admin.get(f"/admin/members/{jo}/edit"))
    assert "To stop the allowance, set the household" in page


def test_the_next_allowance_in_french_on_the_member_page(app, admin):
    submit_form(admin, "/admin/allowance/rule", RULE)
    awa = household_id(app, "Awa")
    with app.app_context():
        household = db.session.get(Household, awa)
        household.page_token = "page-awa-" + "x" * 40
        db.session.commit()
    page = text(admin.get(f"/m/{'page-awa-' + 'x' * 40}?lang=fr"))
    assert "Prochaine allocation : 100,00\u00a0€ le 1er février" in page


def test_coordinators_do_not_see_the_rule(app, admin):
    with app.app_context():
        point = db.session.scalar(select(Point))
        coordinator = primitives.member_of(point, "coordinator", "coord@example.org")
        db.session.add(coordinator)
        db.session.commit()
        coordinator_id = coordinator.id
    from tests.helpers import sign_in_user

    other = app.test_client()
    sign_in_user(app, other, coordinator_id)
    assert other.get("/admin/allowance/").status_code in (403, 404)
    awa = household_id(app, "Awa")
    assert other.get(f"/admin/members/{awa}/allowance").status_code == 200


def test_a_started_week_is_credited_once_and_every_page_agrees(app, admin, runner, time_machine):
    """The walk of issue 13: on Friday 4 April, after the month's run of April (its "2031-04" row, from Tuesday the
    1st, says nothing of the weeks), a weekly rule from Monday 31 March. That week is due now: not skipped by
    ``credit-due``, not shown as past on the member page, nor as next week's in the admin."""
    time_machine.move_to(datetime(2031, 4, 4, 8, tzinfo=UTC), tick=False)
    sign_in_as_admin(app, admin, "admin@example.org")
    with app.app_context():
        moment = datetime(2031, 4, 1, 4, tzinfo=UTC)
        db.session.add(
            AllowanceCycle(period="2031-04", starts_on=date(2031, 4, 1), started_at=moment, completed_at=moment)
        )
        household = db.session.get(Household, household_id(app, "Awa"))
        household.page_token = "page-awa-" + "x" * 40
        db.session.commit()
    saved = submit_form(admin, "/admin/allowance/rule?lang=en", {**RULE, "period": "week", "starts_on": "2031-03-31"})
    assert saved.status_code == 302, text(saved)
    page = text(admin.get("/admin/allowance/?lang=en"))
    assert "Next credit: week of Mar 31, 2031" in page
    assert "Started and not credited yet: week of Mar 31, 2031." in page
    assert "Still to credit for week of Mar 31, 2031: 2 households, €200.00 in all" in page
    member = text(admin.get(f"/m/{'page-awa-' + 'x' * 40}?lang=fr"))
    assert "Prochaine allocation : 100,00\u00a0€ le 4 avril" in member

    done = runner.invoke(args=["accounts", "credit-due", "--now", "2031-04-04T10:00+0200"])
    assert "Period 2031W14 (from 2031-03-31): 2 households credited" in done.output, done.output
    again = runner.invoke(args=["accounts", "credit-due", "--now", "2031-04-04T10:05+0200"])
    assert "Nothing due" in again.output and "Next: period 2031W15, from 2031-04-07." in again.output
    page = text(admin.get("/admin/allowance/?lang=en"))
    assert "Next credit: week of Apr 7, 2031" in page and "Started and not credited" not in page
    assert "Prochaine allocation : 100,00\u00a0€ le 7 avril" in text(admin.get(f"/m/{'page-awa-' + 'x' * 40}?lang=fr"))


def test_the_preview_leaves_out_the_households_already_credited_for_the_period(app, admin, runner):
    """The demo credits its months itself (no run's row): the preview counts only who the run will credit."""
    submit_form(admin, "/admin/allowance/rule", {**RULE, "starts_on": "2031-01-01"})
    with app.app_context():
        post(household_id(app, "Awa"), "allowance", 10000, "cycle_credit", reason="Allocation", period="2031-01")
        db.session.commit()
    page = text(admin.get("/admin/allowance/?lang=en"))
    assert "Next credit: January 2031" in page
    assert "Still to credit for January 2031: 1 households, €100.00 in all" in page
    done = runner.invoke(args=["accounts", "credit-due", "--now", "2031-01-10T10:00+0100"])
    assert "1 households credited, 100,00\u00a0€" in done.output and "1 already credited" in done.output, done.output
