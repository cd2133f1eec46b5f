"""Allowance cycles (SSA): the rule's amounts, the unspent balance kept, capped or expired at a period's end, the
scheduled credit posted once per household and period (re-run, two runs at once on PostgreSQL), on both engines.
Every date is set with time_machine: no test depends on today's."""

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from server.domain import allowance_cycles
from server.domain.allowance_cycles import (
    amount_cents,
    credit_due,
    next_credit,
    period_containing,
    preceding,
    preview,
)
from server.domain.ledger import account_for, accounts_for, post
from server.extensions import db
from server.models import Account, AccountMovement, AllowanceCycle, AllowanceRule, ContributionBand, Household, Point
from tests.factories import primitives

PARIS_MORNING = "T09:00:00+01:00"


def at(day: str) -> datetime:
    """10:00 in Paris on ``day`` (winter time: these tests stay in the winter months)."""
    return datetime.fromisoformat(day + PARIS_MORNING).astimezone(UTC)


def network(count: int = 3, *, enrolled: int | None = None) -> list[int]:
    """``count`` active households at one point, the first ``enrolled`` (default all) with an allowance account."""
    point = Point(name="Épicerie solidaire des Deux Rives", town="Lognes")
    tier = primitives.solidarity_tier()
    people = [(f"Prénom{i}", f"Nom{i}", tier) for i in range(count)]
    made = primitives.households(point, people)
    db.session.add_all(made)
    db.session.flush()
    accounts_for([h.id for h in made[: count if enrolled is None else enrolled]], "allowance")
    db.session.commit()
    return [h.id for h in made]


def rule(**values) -> AllowanceRule:
    made = AllowanceRule.current()
    defaults = {"enabled": True, "period": "month", "base_cents": 10000, "per_person_cents": 5000, "unspent": "keep"}
    for name, value in (defaults | values).items():
        setattr(made, name, value)
    db.session.commit()
    return made


def run(when: datetime, **options) -> list:
    return list(credit_due(when, commit=db.session.commit, **options))


def balance(household_id: int) -> int:
    account = account_for(household_id, "allowance")
    assert account.balance_cents == account.movements_sum_cents()
    return account.balance_cents


def test_the_amount_is_a_base_plus_each_additional_person_by_band():
    made = AllowanceRule(base_cents=10000, per_person_cents=5000)
    reduced = ContributionBand(code="B", label="B", allowance_percent=50)
    own = ContributionBand(code="C", label="C", base_cents=20000, per_person_cents=None, allowance_percent=100)
    odd = ContributionBand(code="D", label="D", allowance_percent=33)
    assert amount_cents(made, None, 1) == 10000
    assert amount_cents(made, None, 4) == 10000 + 3 * 5000
    assert amount_cents(made, reduced, 3) == 10000
    assert amount_cents(made, own, 2) == 25000
    assert amount_cents(made, odd, 1) == 3300
    assert amount_cents(made, None, 0) == 10000  # a size below one counts as one person


def test_periods_have_stable_codes_for_months_and_weeks():
    assert period_containing(date(2030, 12, 31), "month").code == "2030-12"
    january = period_containing(date(2031, 1, 15), "month")
    assert (january.starts_on, january.ends_on, preceding(january).code) == (
        date(2031, 1, 1),
        date(2031, 2, 1),
        "2030-12",
    )
    week = period_containing(date(2030, 12, 31), "week")  # a Tuesday in ISO week 1 of 2031
    assert (week.code, week.starts_on, preceding(week).code) == ("2031W01", date(2030, 12, 30), "2030W52")
    assert len(week.code) == 7


def test_each_eligible_household_is_credited_once_per_period(app, runner):
    with app.app_context():
        ids = network(4, enrolled=3)
        db.session.get(Household, ids[1]).status = "suspended"
        db.session.get(Household, ids[2]).size = 3
        rule(starts_on=date(2031, 1, 1))

        first = runner.invoke(args=["accounts", "credit-due", "--now", "2031-01-01T06:00+0100"])
        assert first.exit_code == 0, first.output
        assert "Period 2031-01 (from 2031-01-01): 2 households credited" in first.output
        again = runner.invoke(args=["accounts", "credit-due", "--now", "2031-01-20T06:00+0100"])
        assert "Nothing due" in again.output
        forced = runner.invoke(args=["accounts", "credit-due", "--again", "--now", "2031-01-20T06:00+0100"])
        assert "0 households credited" in forced.output and "2 already credited" in forced.output

        assert balance(ids[0]) == 10000 and balance(ids[2]) == 20000
        assert db.session.scalar(select(Account.id).where(Account.household_id == ids[3])) is None
        assert db.session.scalar(select(func.count()).select_from(AccountMovement)) == 2
        cycle = db.session.get(AllowanceCycle, "2031-01")
        assert (cycle.credited_households, cycle.credited_cents) == (2, 30000) and cycle.completed_at is not None


def test_nothing_is_credited_before_the_first_period_or_when_the_rule_is_off(app, runner):
    with app.app_context():
        ids = network(1)
        rule(enabled=False, starts_on=date(2031, 1, 1))
        assert "off" in runner.invoke(args=["accounts", "credit-due", "--now", "2031-01-05T06:00+0100"]).output
        rule(starts_on=date(2031, 2, 1))
        assert run(at("2031-01-05")) == []
        assert balance(ids[0]) == 0
        assert next_credit(db.session.get(Household, ids[0])) == (date(2031, 2, 1), 10000)


@pytest.mark.parametrize(
    ("unspent", "cap", "left"),
    [("keep", None, 6000 + 10000), ("cap", 2500, 2500 + 10000), ("expire", None, 10000)],
)
def test_the_unspent_balance_is_kept_capped_or_expired_at_the_period_boundary(app, time_machine, unspent, cap, left):
    with app.app_context():
        (household,) = network(1)
        rule(unspent=unspent, cap_cents=cap, starts_on=date(2031, 1, 1))
        time_machine.move_to(at("2031-01-01"), tick=False)
        run(at("2031-01-01"))
        post(household, "allowance", -4000, "payment", event_id="e-spent-in-january")
        db.session.commit()
        assert balance(household) == 6000

        time_machine.move_to(at("2031-01-31"), tick=False)  # the last day of January: nothing due yet
        assert run(at("2031-01-31")) == []
        assert next_credit(db.session.get(Household, household)) == (date(2031, 2, 1), 10000)

        time_machine.move_to(at("2031-02-01"), tick=False)
        (report,) = run(at("2031-02-01"))
        assert balance(household) == left
        expiry = db.session.scalar(select(AccountMovement).where(AccountMovement.kind == "cycle_expiry"))
        cut = 6000 + 10000 - left
        if cut:
            assert (expiry.amount_cents, expiry.period) == (-cut, "2031-01")
            assert db.session.get(AllowanceCycle, "2031-01").expired_cents == cut
        else:
            assert expiry is None
        assert (report.expired_households, report.expired_cents) == ((1, cut) if cut else (0, 0))
        run(at("2031-02-01"), again=True)  # a re-run neither expires nor credits twice
        assert balance(household) == left


def test_a_missed_month_is_caught_up_in_order(app):
    with app.app_context():
        (household,) = network(1)
        rule(unspent="expire", starts_on=date(2031, 1, 1))
        reports = run(at("2031-03-10"))
        assert [r.period.code for r in reports] == ["2031-01", "2031-02", "2031-03"]
        assert balance(household) == 10000
        kinds = db.session.execute(
            select(AccountMovement.kind, AccountMovement.period, AccountMovement.amount_cents).order_by(
                AccountMovement.id
            )
        ).all()
        assert [tuple(k) for k in kinds] == [
            ("cycle_credit", "2031-01", 10000),
            ("cycle_expiry", "2031-01", -10000),
            ("cycle_credit", "2031-02", 10000),
            ("cycle_expiry", "2031-02", -10000),
            ("cycle_credit", "2031-03", 10000),
        ]


def test_weekly_cycles_credit_each_week(app):
    with app.app_context():
        (household,) = network(1)
        rule(period="week", base_cents=3500, per_person_cents=0, starts_on=date(2031, 1, 6))
        assert [r.period.code for r in run(at("2031-01-14"))] == ["2031W02", "2031W03"]
        assert balance(household) == 7000


def test_the_preview_counts_and_totals_by_band(app):
    with app.app_context():
        ids = network(3)
        db.session.add(ContributionBand(code="T1", label="Tranche 1", contribution_cents=1000, allowance_percent=50))
        db.session.get(Household, ids[0]).contribution_band = "T1"
        db.session.get(Household, ids[1]).contribution_band = "T1"
        db.session.get(Household, ids[1]).size = 2
        made = rule(starts_on=date(2031, 1, 1))
        rows = [
            (row.band.code if row.band else None, row.households, row.total_cents, row.contributions_cents)
            for row in preview(made)
        ]
        assert rows == [("T1", 2, 5000 + 7500, 2000), (None, 1, 10000, 0)]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite takes one writer at a time: no race
def test_two_runs_at_once_credit_each_household_once(app, backend, monkeypatch):
    monkeypatch.setattr(allowance_cycles, "BATCH", 7)
    with app.app_context():
        ids = network(60)
        rule(unspent="cap", cap_cents=3000, starts_on=date(2031, 1, 1))
        run(at("2031-01-01"))
        spent = {h: (1500, 8000, 0)[i % 3] for i, h in enumerate(ids)}  # 2,000 € left: under the cap
        for household, cents in spent.items():
            if cents:
                post(household, "allowance", -cents, "payment", event_id=f"e-{household}")
        db.session.commit()

    barrier, reports, errors = threading.Barrier(2), [], []

    def credit() -> None:
        try:
            with app.app_context():
                barrier.wait()
                reports.extend(run(at("2031-02-01"), again=True))
                db.session.remove()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=credit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with app.app_context():
        assert sum(r.credited_households for r in reports) == 60
        for household in ids:  # a fresh credit is never capped: 2,000 € left + 100 € stays 120 €
            assert balance(household) == (12000 if spent[household] == 8000 else 3000 + 10000)
        credits = db.session.scalar(
            select(func.count()).where(AccountMovement.kind == "cycle_credit", AccountMovement.period == "2031-02")
        )
        february = db.session.get(AllowanceCycle, "2031-02")
        january = db.session.get(AllowanceCycle, "2031-01")
        assert credits == february.credited_households == 60
        assert (january.expired_households, january.expired_cents) == (40, 20 * 5500 + 20 * 7000)
