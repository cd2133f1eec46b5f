"""Allowance cycles (SSA): each period, every eligible household's allowance account is credited once, after the
previous period's unspent balance was kept, capped or expired as the network's rule says (``docs/accounts.md``).

Eligible: a household whose status is active and that holds an allowance account (the admin enrols a household by
opening it, ``server.domain.allowance_rules.set_household_allowance``; the demo opens one for the solidarity tiers).

``credit_due`` is what ``flask --app wsgi accounts credit-due`` runs. It walks the eligible households in batches by
household id (keyset pagination: it never holds more than one batch), and for each batch, in one transaction: locks
the batch's allowance accounts (``FOR UPDATE`` on PostgreSQL: a payment posted meanwhile waits, so an expiry is
computed on the balance it really takes from), skips the households already credited for the period, posts the
previous period's expiry (``cycle_expiry``, negative, keyed by the expired period) then the credit (``cycle_credit``,
keyed by the period) through ``server.domain.ledger.post_on_accounts`` (ON CONFLICT DO NOTHING), and adds the rows it
really inserted to the period's ``allowance_cycles`` counters. Two runs at once therefore credit each household
once, and count it once. Time comes from ``server.clock`` only.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.clock import utcnow
from server.domain.ledger import post_on_accounts
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    AllowanceCycle,
    AllowanceRule,
    ContributionBand,
    Household,
    NetworkSettings,
)

BATCH = 5000


@dataclass(frozen=True, order=True)
class Period:
    """One allowance cycle: from ``starts_on`` (included) to ``ends_on`` (excluded), named ``code`` on movements
    ("2026-12" for a month, "2026W49" for an ISO week: seven characters, the ``period`` column's size)."""

    starts_on: date
    ends_on: date
    code: str
    kind: str


def period_containing(day: date, kind: str) -> Period:
    """The period of ``kind`` ("month" or "week", weeks from Monday) that contains ``day``."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        return Period(start, start + timedelta(days=7), f"{year}W{week:02d}", kind)
    start = day.replace(day=1)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return Period(start, end, f"{start:%Y-%m}", kind)


def following(period: Period) -> Period:
    return period_containing(period.ends_on, period.kind)


def preceding(period: Period) -> Period:
    return period_containing(period.starts_on - timedelta(days=1), period.kind)


def period_words(period: Period) -> str:
    """The period as the movements' reasons name it, in French like the rest of the ledger's wording ("janvier
    2031", "semaine du 6 janvier 2031")."""
    if period.kind == "week":
        return f"semaine du {format_date(period.starts_on, 'd MMMM y', locale='fr')}"
    return format_date(period.starts_on, "MMMM y", locale="fr")


def amount_cents(rule: AllowanceRule, band: ContributionBand | None, size: int) -> int:
    """What a household of ``size`` people in ``band`` receives per period: the base plus the amount per person
    beyond the first (the band's own amounts where it sets them, else the rule's), times the band's percentage,
    rounded down to the cent."""
    base = band.base_cents if band is not None and band.base_cents is not None else rule.base_cents
    per_person = (
        band.per_person_cents if band is not None and band.per_person_cents is not None else rule.per_person_cents
    )
    percent = band.allowance_percent if band is not None else 100
    return (base + per_person * max(size - 1, 0)) * percent // 100


def left_after(rule: AllowanceRule, balance_cents: int) -> int:
    """What the unspent ``balance_cents`` is cut to when a period ends (kept, capped or expired)."""
    if rule.unspent == "expire":
        return min(balance_cents, 0)
    if rule.unspent == "cap":
        return min(balance_cents, rule.cap_cents or 0)
    return balance_cents


def bands_by_code() -> dict[str, ContributionBand]:
    return {band.code: band for band in db.session.scalars(select(ContributionBand))}


def network_zone() -> ZoneInfo:
    return ZoneInfo(NetworkSettings.current().timezone)


def eligible_households():
    """Active households holding an allowance account: (household id, size, band code, account id, balance)."""
    return (
        select(Household.id, Household.size, Household.contribution_band, Account.id, Account.balance_cents)
        .join(Account, and_(Account.household_id == Household.id, Account.kind == "allowance"))
        .where(Household.status == "active")
    )


def first_period(rule: AllowanceRule) -> Period | None:
    return period_containing(rule.starts_on, rule.period) if rule.starts_on is not None else None


def due_periods(rule: AllowanceRule, today: date, *, again: bool = False) -> list[Period]:
    """The periods that have started and whose run has not gone through every household, oldest first: the one after
    the last completed run (or the rule's first period) up to today's. ``again``: today's period even if its run
    completed (to credit households enrolled since)."""
    first = first_period(rule)
    if not rule.enabled or first is None:
        return []
    current = period_containing(today, rule.period)
    # Only the runs of the rule's kind of period: a month's run (its code has no "W") says nothing of the weeks
    # it overlaps, and the other way round (a rule switched from months to weeks keeps its old rows).
    same_kind = AllowanceCycle.period.contains("W")
    last_done = db.session.scalar(
        select(func.max(AllowanceCycle.starts_on)).where(
            AllowanceCycle.completed_at.is_not(None),
            AllowanceCycle.starts_on >= first.starts_on,
            same_kind if rule.period == "week" else ~same_kind,
        )
    )
    period = following(period_containing(last_done, rule.period)) if last_done else first
    due = []
    while period.starts_on <= current.starts_on:
        due.append(period)
        period = following(period)
    if again and current not in due and current.starts_on >= first.starts_on:
        due.append(current)
    return due


@dataclass
class PeriodReport:
    """What one run did for one period (only what this run inserted: another run's postings are not counted)."""

    period: Period
    credited_households: int = 0
    credited_cents: int = 0
    expired_households: int = 0
    expired_cents: int = 0
    already: int = 0  # households found credited for the period already
    batches: int = 0
    lines: list[str] = field(default_factory=list)


def _insert_ignore(table):
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def credit_batch(
    rule: AllowanceRule,
    bands: dict[str, ContributionBand],
    period: Period,
    after_id: int,
    report: PeriodReport,
    dated: datetime | None = None,
) -> int | None:
    """Credit the next ``BATCH`` eligible households after ``after_id`` for ``period`` (and post the previous
    period's expiry first); returns the last household id seen, or None when there are none left. Flushes; the
    caller commits (one transaction per batch). ``dated``: when the movements happened (default now)."""
    first = first_period(rule)
    previous = preceding(period)
    expires = rule.unspent != "keep" and first is not None and previous.starts_on >= first.starts_on
    batch = eligible_households().where(Household.id > after_id).order_by(Household.id).limit(BATCH)
    # A cap or an expiry is computed on the balance: lock it (a payment posted meanwhile waits for this batch).
    rows = db.session.execute(batch.with_for_update(of=Account) if expires else batch).all()
    if not rows:
        return None
    # Asked in its own statement, after the locks are held: its snapshot sees what a run that held them before
    # committed (a subquery of the locking statement would not, and a fresh credit could then be capped).
    credited = set(
        db.session.scalars(
            select(AccountMovement.account_id).where(
                AccountMovement.kind == "cycle_credit",
                AccountMovement.period == period.code,
                AccountMovement.account_id.in_([row[3] for row in rows]),
            )
        )
    )
    rows_out: list[dict] = []
    credit_reason = f"Allocation solidaire (SSA), {period_words(period)}"
    cut_reason = (
        f"Solde d'allocation non dépensé, {period_words(previous)} (perdu)"
        if rule.unspent == "expire"
        else f"Solde d'allocation au-delà du plafond, {period_words(previous)}"
    )
    for _household_id, size, band_code, account_id, balance in rows:
        if account_id in credited:
            report.already += 1
            continue
        if expires and (cut := balance - left_after(rule, balance)) > 0:
            rows_out.append(
                {"account_id": account_id, "amount_cents": -cut, "kind": "cycle_expiry", "period": previous.code}
                | {"reason": cut_reason}
            )
        if (cents := amount_cents(rule, bands.get(band_code or ""), size)) > 0:
            rows_out.append(
                {"account_id": account_id, "amount_cents": cents, "kind": "cycle_credit", "period": period.code}
                | {"reason": credit_reason}
            )
    if dated is not None:
        rows_out = [row | {"created_at": dated, "occurred_at": dated} for row in rows_out]
    inserted = post_on_accounts(rows_out)
    credits = [row.amount_cents for row in inserted if row.amount_cents > 0]
    expiries = [-row.amount_cents for row in inserted if row.amount_cents < 0]
    report.credited_households += len(credits)
    report.credited_cents += sum(credits)
    report.expired_households += len(expiries)
    report.expired_cents += sum(expiries)
    if credits:
        _add_to_cycle(period.code, credited_households=len(credits), credited_cents=sum(credits))
    if expiries:
        _add_to_cycle(previous.code, expired_households=len(expiries), expired_cents=sum(expiries))
    report.batches += 1
    db.session.flush()
    return rows[-1][0]


def _add_to_cycle(code: str, **amounts: int) -> None:
    table = AllowanceCycle.__table__
    db.session.execute(
        update(table).where(table.c.period == code).values({name: table.c[name] + n for name, n in amounts.items()})
    )


def _open_cycle(period: Period, *, previous: Period | None = None, started_at: datetime | None = None) -> None:
    """The period's counters row (and the previous period's, which its expiries add to), made once."""
    rows = [period] + ([previous] if previous is not None else [])
    db.session.execute(
        _insert_ignore(AllowanceCycle.__table__),
        [{"period": p.code, "starts_on": p.starts_on, "started_at": started_at or utcnow()} for p in rows],
    )


def credit_due(
    at: datetime | None = None, *, commit: Callable[[], None], again: bool = False, dated: bool = False
) -> Iterator[PeriodReport]:
    """Credit every due period, oldest first, one batch per transaction (``commit`` is the caller's: the command
    passes ``db.session.commit``); yields each period's report when it is done. ``dated``: the movements and the
    run are dated ``at`` rather than when the run happens (the demo plays its past months so)."""
    when = at if dated else None
    rule = AllowanceRule.current()
    today = (at or utcnow()).astimezone(network_zone()).date()
    for period in due_periods(rule, today, again=again):
        bands = bands_by_code()
        report = PeriodReport(period)
        previous = preceding(period)
        first = first_period(rule)
        kept = previous if first is not None and previous.starts_on >= first.starts_on else None
        _open_cycle(period, previous=kept, started_at=when)
        commit()
        after = 0
        while (last := credit_batch(rule, bands, period, after, report, when)) is not None:
            commit()
            after = last
        cycle = db.session.get(AllowanceCycle, period.code)
        if cycle.completed_at is None:
            cycle.completed_at = when or utcnow()
        commit()
        yield report


@dataclass(frozen=True)
class BandPreview:
    band: ContributionBand | None  # None: households without a band (or with a band no longer in the list)
    households: int
    total_cents: int
    contributions_cents: int


@dataclass(frozen=True)
class NextCredit:
    """Which period the next run credits and when: the one thing the member page, the admin's preview and
    ``accounts credit-due`` agree on (``next_to_credit``)."""

    period: Period
    on: date  # the period's first day, or today when it has started and is still to credit (never a past day)
    late: tuple[Period, ...] = ()  # the periods that have started and no run completed, oldest first


def upcoming(rule: AllowanceRule, today: date) -> Period:
    """The first period of the rule that starts after ``today`` (or its first period, if still to come)."""
    current = period_containing(today, rule.period)
    first = first_period(rule)
    return first if first is not None and first.starts_on > current.starts_on else following(current)


def next_to_credit(rule: AllowanceRule, today: date) -> NextCredit | None:
    """The period the next run of ``credit-due`` credits: the oldest one that has started and that no run completed
    (due today, even if it started before the rule was saved: ``late`` lists them all), else the next one to start.
    None when the rule is off."""
    if not rule.enabled or rule.starts_on is None:
        return None
    due = due_periods(rule, today)
    if due:
        return NextCredit(due[0], today, tuple(due))
    period = upcoming(rule, today)
    return NextCredit(period, period.starts_on)


def next_period(rule: AllowanceRule, today: date) -> Period | None:
    """The period the next run credits (``next_to_credit``)."""
    found = next_to_credit(rule, today)
    return found.period if found is not None else None


def preview(rule: AllowanceRule, period: Period | None = None) -> list[BandPreview]:
    """What a period credits today's eligible households, by band (only those not credited for ``period`` yet, when
    given): one aggregate query (households counted by band and size), never a row per household."""
    bands = bands_by_code()
    query = eligible_households()
    if period is not None:
        credited = select(AccountMovement.id).where(
            AccountMovement.account_id == Account.id,
            AccountMovement.kind == "cycle_credit",
            AccountMovement.period == period.code,
        )
        query = query.where(~credited.exists())
    eligible = query.subquery()
    groups = db.session.execute(
        select(eligible.c.contribution_band, eligible.c.size, func.count()).group_by(
            eligible.c.contribution_band, eligible.c.size
        )
    ).all()
    totals: dict[str | None, list[int]] = {}
    for code, size, count in groups:
        band = bands.get(code or "")
        key = band.code if band is not None else None
        entry = totals.setdefault(key, [0, 0, 0])
        entry[0] += count
        entry[1] += count * amount_cents(rule, band, size)
        entry[2] += count * (band.contribution_cents if band is not None else 0)
    order = [band.code for band in sorted(bands.values(), key=lambda b: (b.label.casefold(), b.id))] + [None]
    return [BandPreview(bands[code] if code else None, *totals[code]) for code in order if code in totals]


def has_allowance_account(household: Household) -> bool:
    return (
        db.session.scalar(select(Account.id).where(Account.household_id == household.id, Account.kind == "allowance"))
        is not None
    )


def next_credit(household: Household) -> tuple[date, int] | None:
    """When the household's next allowance comes and how much (None: it receives none): today while a period that
    has started is still to credit for it (``next_to_credit``'s ``late``), else the next period's first day."""
    rule = db.session.get(AllowanceRule, 1)
    if rule is None or not rule.enabled or rule.starts_on is None:
        return None
    if household.status != "active" or not has_allowance_account(household):
        return None
    cents = amount_cents(rule, bands_by_code().get(household.contribution_band or ""), household.size)
    if cents <= 0:
        return None
    today = utcnow().astimezone(network_zone()).date()
    found = next_to_credit(rule, today)
    credited = set(
        db.session.scalars(
            select(AccountMovement.period)
            .join(Account, Account.id == AccountMovement.account_id)
            .where(
                Account.household_id == household.id,
                Account.kind == "allowance",
                AccountMovement.kind == "cycle_credit",
                AccountMovement.period.in_([period.code for period in found.late]),
            )
        )
    )
    if any(period.code not in credited for period in found.late):
        return today, cents  # a started period the next run credits it for
    if found.late:
        return upcoming(rule, today).starts_on, cents
    return found.on, cents
