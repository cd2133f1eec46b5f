"""CSV exports of a distribution's hand-overs, payments and top-ups, and of payments and top-ups over a period, for
accounting."""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, request, stream_with_context
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from server.account_words import MovementWords, has_receipt, receipt_number
from server.admin import bp
from server.admin.forms import managed, network_timezone
from server.admin.log import Words, _distribution
from server.admin.views import actor
from server.auth.access import admin_required, require_points, staff_required
from server.domain.distribution_log import DistributionLog, LogEntry, load_log
from server.errors import error_response
from server.extensions import db
from server.labels import (
    ACCOUNT_KIND_LABELS,
    HANDOVER_OUTCOME_LABELS,
    ORDER_STATUS_LABELS,
    PAYMENT_METHOD_LABELS,
    PAYMENT_PURPOSE_LABELS,
)
from server.models import Account, AccountMovement, Distribution, Household, MembershipFee, Point, SyncedEvent, User
from server.urls import MAX_ID
from sync import membership as seasons
from sync.events import (
    HandoverEvent,
    PaymentEvent,
    SaleEvent,
    TopUpEvent,
)

EXPORT_MAX_DAYS = 366  # one accounting year, and a leap day


# For spreadsheet apps as French users have them (UTF-8 with a BOM, ";"), amounts twice (euros with a
# decimal comma to read, cents to add up exactly).

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(,\d+)?")


def cell(value: Any) -> Any:
    """Text people typed, made harmless for a spreadsheet: a leading ``=``, ``+``, ``-`` or ``@`` would make it a
    formula (CSV injection), so such text gets a leading apostrophe. Numbers pass as they are, negative ones too
    (``-18,76``, ``-1876``): a plain number is no formula, and the spreadsheet must be able to add it up."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def euros(cents: int) -> str:
    """``1250`` → ``12,50``: euros with a decimal comma and no thousands separator, exact."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """The file as a streamed download: the BOM and the header go out at once, then the rows as ``rows`` yields
    them, ``FLUSH_ROWS`` at a time. ``rows`` is read inside the request's context (``stream_with_context``), so
    it may query the database; nothing holds the whole file."""

    def lines() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        buffer.write("\ufeff")  # the BOM: spreadsheet apps then read UTF-8, accents included
        writer.writerow(header)
        yield _taken(buffer)  # the first byte before any row is read
        for count, row in enumerate(rows, start=1):
            writer.writerow([cell(value) for value in row])
            if count % FLUSH_ROWS == 0:
                yield _taken(buffer)
        rest = _taken(buffer)
        if rest:
            yield rest

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # names and amounts: not for shared caches
    return response


FLUSH_ROWS = 200  # rows per piece sent: small pieces cost a write each, large ones memory and waiting


def _taken(buffer: io.StringIO) -> bytes:
    """What ``buffer`` holds, encoded, and the buffer emptied."""
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def local_text(value: datetime, timezone: ZoneInfo | None = None) -> str:
    return value.astimezone(timezone or network_timezone()).strftime("%Y-%m-%d %H:%M:%S")


def plain(labels: Mapping[str, Any]) -> dict[str, str]:
    """``labels`` translated once: a lazy label looks the request's language up each time it is read, which an
    export would do on every row."""
    return {code: str(label) for code, label in labels.items()}


class RowWords:
    """What each row of one log's export repeats, worked out once for the log: the names (``Words``), the
    timezone, the distribution's own columns."""

    def __init__(self, log: DistributionLog):
        self.log, self.words, self.timezone = log, Words(log), network_timezone()
        distribution = log.distribution
        day = distribution.starts_at.astimezone(self.timezone).date().isoformat()
        self.distribution = [day, distribution.point.name, distribution.id]

    def context(self, entry: LogEntry) -> list[Any]:
        """The columns every export of a log starts with (``_context_header``)."""
        event = entry.event
        household = self.log.household_of(event)
        return [
            *self.distribution,
            event.id,
            local_text(event.device_time, self.timezone),
            self.words.device(event.device_id),
            self.words.person(event.volunteer_id),
            household.last_name if household is not None else "",
            household.first_name if household is not None else "",
            household.id if household is not None else "",
        ]


def _context_header() -> list[str]:
    return [
        _("Date"),
        _("Point"),
        _("Distribution"),
        _("Event"),
        _("Time"),
        _("Phone"),
        _("Volunteer"),
        _("Last name"),
        _("First name"),
        _("Member number"),
    ]


def handover_rows(log: DistributionLog) -> Iterator[list[Any]]:
    row = RowWords(log)
    outcomes, statuses = plain(HANDOVER_OUTCOME_LABELS), plain(ORDER_STATUS_LABELS)
    status = {state.order_id: state.status for state in log.state.orders}
    for entry in log.live(HandoverEvent):
        payload = entry.event.payload
        received = [(line.product_id, line.quantity_received) for line in payload.lines]
        order = log.orders.get(payload.order_id)
        if payload.outcome == "all" and order is not None:
            received = [(line.product_id, line.quantity) for line in order.lines]
        weights = payload.weights()
        received = [(product, weights.get(product, quantity)) for product, quantity in received]
        swaps = payload.swaps()  # a line given as another product: that product, what was given of it
        received = [
            (swaps[product].by_product_id, swaps[product].quantity) if product in swaps else (product, quantity)
            for product, quantity in received
        ]
        listed = {product for product, _quantity in received}
        received += [(i.by_product_id, i.quantity) for i in payload.substituted if i.by_product_id not in listed]
        yield [
            *row.context(entry),
            payload.order_id,
            outcomes[payload.outcome],
            "; ".join(row.words.line(product, quantity) for product, quantity in received),
            payload.substitution_note or "",
            statuses[status[payload.order_id]] if payload.order_id in status else "",
        ]


def handover_header() -> list[str]:
    return [*_context_header(), _("Order"), _("Outcome"), _("Received"), _("Substitution"), _("Order status")]


def payment_parts(payment) -> list[tuple[str, int]]:
    """A payment's parts, each with its one way of paying: the rest by its method, then what the prepaid balance and
    the allowance covered. A payment taken whole from an account is that account's part alone."""
    parts = [
        (method, cents)
        for method, cents in (
            (payment.method, payment.rest_cents),
            ("prepaid", payment.from_prepaid_cents),
            ("allowance", payment.from_allowance_cents),
        )
        if cents
    ]
    return parts or [(payment.method, payment.amount_cents)]


def payment_rows(log: DistributionLog) -> Iterator[list[Any]]:
    """One row per part of a payment or a sale of extras (``payment_parts``): 8,76 € in cash and 10,00 € from the
    allowance are two rows, so the amounts summed by method are the log's totals by method. The payment's total
    repeats on each of its rows (the event id groups them); its solidarity share is on its first row only, so that
    column sums too."""
    row = RowWords(log)
    methods, purposes = plain(PAYMENT_METHOD_LABELS), plain(PAYMENT_PURPOSE_LABELS)
    for entry in log.live(PaymentEvent | SaleEvent):  # a sale of extras is paid as a payment is, for no order
        p = entry.event.payload
        for number, (method, cents) in enumerate(payment_parts(p)):
            solidarity = p.solidarity_cents if number == 0 else 0
            yield [
                *row.context(entry),
                p.order_id or "",
                methods[method],
                (p.method_details or "") if method == p.method else "",
                *(value for amount in (cents, p.amount_cents, solidarity) for value in (euros(amount), amount)),
                purposes[p.purpose],  # what the money is for: last, so older columns stay put
            ]


def payment_header() -> list[str]:
    return [
        *_context_header(),
        _("Order"),
        _("Method"),
        _("Method details"),
        _("Amount (€)"),
        _("Amount (cents)"),
        _("Whole payment (€)"),
        _("Whole payment (cents)"),
        _("Solidarity share (€)"),
        _("Solidarity share (cents)"),
        _("Purpose"),
    ]


def top_up_rows(log: DistributionLog) -> Iterator[list[Any]]:
    """The credits paid at the point (top-ups) not undone: one row each, the same context columns as payments."""
    row = RowWords(log)
    accounts, methods = plain(ACCOUNT_KIND_LABELS), plain(PAYMENT_METHOD_LABELS)
    for entry in log.live(TopUpEvent):
        top_up = entry.event.payload
        yield [
            *row.context(entry),
            accounts[top_up.account],
            methods[top_up.method],
            top_up.method_details or "",
            euros(top_up.amount_cents),
            top_up.amount_cents,
        ]


def top_up_header() -> list[str]:
    return [
        *_context_header(),
        _("Account"),
        _("Method"),
        _("Method details"),
        _("Amount (€)"),
        _("Amount (cents)"),
    ]


RowsOf = Callable[[DistributionLog], Iterable[list[Any]]]


def _log_rows(distribution_id: int, rows_of: RowsOf) -> Iterator[list[Any]]:
    """The rows ``rows_of`` gives for a distribution's log, read once the response has started. The view's session
    is closed by then (its request ended; ``stream_with_context`` pushes it again with a new session): the
    distribution is read again here, as anything a generator needs from the database."""
    query = select(Distribution).options(joinedload(Distribution.point)).where(Distribution.id == distribution_id)
    distribution = db.session.scalars(query).one()
    yield from rows_of(load_log(distribution))


def _file_day(distribution: Distribution) -> str:
    return distribution.starts_at.astimezone(network_timezone()).date().isoformat()


@bp.get("/distributions/<id:distribution_id>/export/handovers.csv")
@staff_required
def export_handovers(distribution_id: int):
    distribution = _distribution(distribution_id)
    name = f"handovers-{_file_day(distribution)}-distribution-{distribution.id}.csv"
    return csv_response(name, handover_header(), _log_rows(distribution.id, handover_rows))


@bp.get("/distributions/<id:distribution_id>/export/payments.csv")
@staff_required
def export_payments(distribution_id: int):
    distribution = _distribution(distribution_id)
    name = f"payments-{_file_day(distribution)}-distribution-{distribution.id}.csv"
    return csv_response(name, payment_header(), _log_rows(distribution.id, payment_rows))


@bp.get("/distributions/<id:distribution_id>/export/top-ups.csv")
@staff_required
def export_top_ups(distribution_id: int):
    distribution = _distribution(distribution_id)
    name = f"top-ups-{_file_day(distribution)}-distribution-{distribution.id}.csv"
    return csv_response(name, top_up_header(), _log_rows(distribution.id, top_up_rows))


DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
EARLIEST_DAY, LATEST_DAY = date(1970, 1, 1), date(8999, 12, 31)  # as events' times (sync.events)


class BadQuery(Exception):
    pass


def _date_arg(name: str) -> date:
    value = request.args.get(name, "").strip()
    if not value:
        if name == "at":
            raise BadQuery(_("Give the day of the balances, such as 2026-03-01."))
        raise BadQuery(_("Give the first and last day of the period (from and to), such as 2026-03-01."))
    try:
        if not DATE_PATTERN.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise BadQuery(_("“%(value)s” is not a date: write it as 2026-03-01.", value=value[:20])) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise BadQuery(_("Choose a day between 1970 and 8999."))
    return day


@bp.get("/exports/payments.csv")
@staff_required
def export_payments_range():
    """Every payment of the distributions held between two days (inclusive, local dates) at the points the user
    manages, or at one of them (``point``)."""
    return _period_export("payments", payment_header(), payment_rows)


@bp.get("/exports/top-ups.csv")
@staff_required
def export_top_ups_range():
    """Every credit paid at the point (top-up) of the distributions of a period, as ``export_payments_range``."""
    return _period_export("top-ups", top_up_header(), top_up_rows)


def _period() -> tuple[date, date]:
    """The ``from`` and ``to`` days of the query (local dates, both included), refused when they make no period."""
    first, last = _date_arg("from"), _date_arg("to")
    if last < first:
        raise BadQuery(_("The period ends before it starts."))
    if (last - first).days >= EXPORT_MAX_DAYS:
        raise BadQuery(_("The period is too long: at most %(days)d days.", days=EXPORT_MAX_DAYS))
    return first, last


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), network_timezone()).astimezone(UTC)


def _period_export(kind: str, header: list[str], rows_of) -> Response:
    """The rows ``rows_of`` gives for each distribution of the period the query names (``from``, ``to``, ``point``),
    in the order they were held; a bad period is a 400 that says what to write."""
    try:
        first, last = _period()
        point_text = request.args.get("point", "").strip()
        point_id = None
        if point_text:
            if not point_text.isdigit() or not 1 <= int(point_text) <= MAX_ID:
                raise BadQuery(_("Choose a point from the list."))
            point_id = int(point_text)
    except BadQuery as bad:
        return error_response(400, "bad_request", str(bad))
    if point_id is not None:
        require_points([db.get_or_404(Point, point_id).id])
    since, until = _start_of(first), _start_of(last + timedelta(days=1))
    conditions = [
        Distribution.starts_at >= since,
        Distribution.starts_at < until,
        managed(Distribution.point_id, actor()),
    ]
    if point_id is not None:
        conditions.append(Distribution.point_id == point_id)
    name = f"{kind}-{first.isoformat()}-{last.isoformat()}" + (f"-point-{point_id}" if point_id else "") + ".csv"
    return csv_response(name, header, _period_rows(conditions, rows_of))


DISTRIBUTIONS_CHUNK = 100  # distributions read at once: their ids and points, not their logs


def _period_rows(conditions: list[Any], rows_of: RowsOf) -> Iterator[list[Any]]:
    """The rows of each distribution meeting ``conditions``, in the order they were held: the distributions a chunk
    at a time (keyset on ``starts_at``, id), each one's log read, written and let go before the next, so memory
    holds one distribution's log whatever the period (a year of the whole network included)."""
    after: tuple[datetime, int] | None = None
    while True:
        query = (
            select(Distribution)
            .options(joinedload(Distribution.point))
            .where(*conditions)
            .order_by(Distribution.starts_at, Distribution.id)
            .limit(DISTRIBUTIONS_CHUNK)
        )
        if after is not None:
            query = query.where(
                or_(
                    Distribution.starts_at > after[0],
                    and_(Distribution.starts_at == after[0], Distribution.id > after[1]),
                )
            )
        chunk = db.session.scalars(query).all()
        if not chunk:
            return
        after = (chunk[-1].starts_at, chunk[-1].id)
        for distribution in chunk:
            yield from rows_of(load_log(distribution, keep=False))  # the session's identity map holds no log


# The ledger for an accountant (docs/accounts.md, "Accounting exports"): streamed a chunk at a time (keyset on
# indexed columns), so no request holds the network's movements or accounts in memory.

CHUNK = 1000


def movement_header() -> list[str]:
    return [
        _("Movement"),
        _("Date"),
        _("Member number"),
        _("Last name"),
        _("First name"),
        _("Account"),
        _("What"),
        _("Amount (€)"),
        _("Amount (cents)"),
        _("Corrects movement"),
        _("Event"),
        _("Receipt"),
        _("By"),
        _("Distribution"),
    ]


def movement_rows(since: datetime, until: datetime) -> Iterator[list[Any]]:
    """Movements with ``since <= occurred_at < until``, oldest first, a chunk at a time (``ix_account_movements_
    occurred_at_id``); each chunk's names (admins, phones, distributions) read at once."""
    after: tuple[datetime, int] | None = None
    timezone, kinds = network_timezone(), plain(ACCOUNT_KIND_LABELS)
    while True:
        query = (
            select(AccountMovement, Account.kind, Household)
            .join(Account, AccountMovement.account_id == Account.id)
            .join(Household, Account.household_id == Household.id)
            .where(AccountMovement.occurred_at >= since, AccountMovement.occurred_at < until)
            .order_by(AccountMovement.occurred_at, AccountMovement.id)
            .limit(CHUNK)
        )
        if after is not None:
            query = query.where(
                or_(
                    AccountMovement.occurred_at > after[0],
                    and_(AccountMovement.occurred_at == after[0], AccountMovement.id > after[1]),
                )
            )
        chunk = db.session.execute(query).all()
        if not chunk:
            return
        words = MovementWords.for_movements(movement for movement, _kind, _household in chunk)
        for movement, kind, household in chunk:
            yield [
                movement.id,
                local_text(movement.occurred_at, timezone),
                household.id,
                household.last_name,
                household.first_name,
                kinds[kind],
                words.what(movement),
                euros(movement.amount_cents),
                movement.amount_cents,
                movement.corrects_id or "",
                movement.event_id or "",
                receipt_number(movement) if has_receipt(movement) else "",
                words.who(movement) if words.who(movement) != "—" else "",
                movement.distribution_id or "",
            ]
        last = chunk[-1][0]
        after = (last.occurred_at, last.id)
        db.session.expunge_all()  # what was written is not kept


@bp.get("/exports/movements.csv")
@admin_required
def export_movements():
    """Every account movement dated within two days (inclusive, local dates)."""
    try:
        first, last = _period()
    except BadQuery as bad:
        return error_response(400, "bad_request", str(bad))
    rows = movement_rows(_start_of(first), _start_of(last + timedelta(days=1)))
    return csv_response(f"account-movements-{first.isoformat()}-{last.isoformat()}.csv", movement_header(), rows)


def balance_header() -> list[str]:
    return [
        _("Member number"),
        _("Last name"),
        _("First name"),
        _("Account"),
        _("Balance (€)"),
        _("Balance (cents)"),
    ]


def balance_rows(until: datetime) -> Iterator[list[Any]]:
    """Each account's balance from its movements before ``until``, a chunk of accounts at a time (by id; the sums
    through ``ix_account_movements_statement``); then the totals, which must agree: the sum of the balances, the
    sum of the movements (counted apart, in one query), the credits and the spending."""
    after, total = 0, 0
    kinds = plain(ACCOUNT_KIND_LABELS)
    while True:
        accounts = db.session.execute(
            select(Account.id, Account.kind, Household.id, Household.last_name, Household.first_name)
            .join(Household, Account.household_id == Household.id)
            .where(Account.id > after)
            .order_by(Account.id)
            .limit(CHUNK)
        ).all()
        if not accounts:
            break
        sums = dict(
            db.session.execute(
                select(AccountMovement.account_id, func.sum(AccountMovement.amount_cents))
                .where(
                    AccountMovement.account_id.in_([row[0] for row in accounts]),
                    AccountMovement.occurred_at < until,
                )
                .group_by(AccountMovement.account_id)
            ).all()
        )
        for account_id, kind, household_id, last_name, first_name in accounts:
            if account_id in sums:
                cents = int(sums[account_id])
                total += cents
                yield [household_id, last_name, first_name, kinds[kind], euros(cents), cents]
        after = accounts[-1][0]
    amount = AccountMovement.amount_cents
    movements, credits, spending = (
        int(value or 0)
        for value in db.session.execute(
            select(
                func.sum(amount),
                func.sum(case((amount > 0, amount), else_=0)),
                func.sum(case((amount < 0, amount), else_=0)),
            ).where(AccountMovement.occurred_at < until)
        ).one()
    )  # one pass over the movements, apart from the balances above: the two must agree
    for label, cents in (
        (_("Total of the balances"), total),
        (_("Total of the movements"), movements),
        (_("Credits"), credits),
        (_("Spending and other debits"), spending),
        (_("Credits minus spending"), credits + spending),
    ):
        yield ["", label, "", "", euros(cents), cents]


@bp.get("/exports/balances.csv")
@admin_required
def export_balances():
    """Each account's balance at the end of a day (local date ``at``), with totals that reconcile."""
    try:
        day = _date_arg("at")
    except BadQuery as bad:
        return error_response(400, "bad_request", str(bad))
    rows = balance_rows(_start_of(day + timedelta(days=1)))
    return csv_response(f"balances-{day.isoformat()}.csv", balance_header(), rows)


def membership_fee_header() -> list[str]:
    return [
        _("Fee"),
        _("Date paid"),
        _("Member number"),
        _("Last name"),
        _("First name"),
        _("Amount (€)"),
        _("Amount (cents)"),
        _("Method"),
        _("Method details"),
        _("Season covered"),
        _("Where"),
        _("Distribution"),
        _("By"),
        _("Voided"),
    ]


def _seasons_of(household_ids: list[int], last: date) -> dict[int, str]:
    """Each fee's season, by fee id: the household's fees that count replayed in the order paid (``sync.membership``:
    a fee paid while covered covers the season after); a voided fee names the season it would have covered."""
    rows = db.session.execute(
        select(MembershipFee.id, MembershipFee.household_id, MembershipFee.paid_on, MembershipFee.voided)
        .where(MembershipFee.household_id.in_(household_ids), MembershipFee.paid_on <= last)
        .order_by(MembershipFee.household_id, MembershipFee.paid_on, MembershipFee.id)
    ).all()
    covered: dict[int, date | None] = {}
    found = {}
    for fee_id, household_id, paid_on, voided in rows:
        until = seasons.extended(covered.get(household_id), paid_on)
        found[fee_id] = seasons.season_label(until)
        if not voided:
            covered[household_id] = until
    return found


def membership_fee_rows(first: date, last: date) -> Iterator[list[Any]]:
    """Every membership fee paid from ``first`` to ``last`` (local dates, inclusive), at the point or at the office,
    voided ones included (marked), a chunk at a time by (day, id) (``ix_membership_fees_paid_on``)."""
    volunteer = User.__table__.alias("volunteer")
    admin = User.__table__.alias("admin")
    after: tuple[date, int] | None = None
    timezone, methods = network_timezone(), plain(PAYMENT_METHOD_LABELS)
    while True:
        query = (
            select(
                MembershipFee,
                Household.last_name,
                Household.first_name,
                Point.name,
                Distribution.starts_at,
                volunteer.c.display_name,
                admin.c.display_name,
            )
            .join(Household, MembershipFee.household_id == Household.id)
            .outerjoin(Distribution, MembershipFee.distribution_id == Distribution.id)
            .outerjoin(Point, Distribution.point_id == Point.id)
            .outerjoin(SyncedEvent, SyncedEvent.event_id == MembershipFee.event_id)
            .outerjoin(volunteer, volunteer.c.id == SyncedEvent.user_id)
            .outerjoin(admin, admin.c.id == MembershipFee.recorded_by_id)
            .where(MembershipFee.paid_on >= first, MembershipFee.paid_on <= last)
            .order_by(MembershipFee.paid_on, MembershipFee.id)
            .limit(CHUNK)
        )
        if after is not None:
            query = query.where(
                or_(
                    MembershipFee.paid_on > after[0],
                    and_(MembershipFee.paid_on == after[0], MembershipFee.id > after[1]),
                )
            )
        chunk = db.session.execute(query).all()
        if not chunk:
            return
        season = _seasons_of(sorted({row[0].household_id for row in chunk}), last)
        for fee, last_name, first_name, point, starts_at, volunteer_name, admin_name in chunk:
            if fee.distribution_id is not None:
                held = starts_at.astimezone(timezone).date().isoformat() if starts_at else ""
                where = _("At the distribution of %(day)s, %(point)s", day=held, point=point or "")
            else:
                where = _("At the office")
            yield [
                fee.id,
                fee.paid_on.isoformat(),
                fee.household_id,
                last_name,
                first_name,
                euros(fee.amount_cents),
                fee.amount_cents,
                methods.get(fee.method, fee.method),
                fee.method_details or "",
                season.get(fee.id, ""),
                where,
                fee.distribution_id or "",
                volunteer_name or admin_name or "",
                _("Yes") if fee.voided else _("No"),
            ]
        last_fee = chunk[-1][0]
        after = (last_fee.paid_on, last_fee.id)
        db.session.expunge_all()


@bp.get("/exports/membership-fees.csv")
@admin_required
def export_membership_fees():
    """Every membership fee paid within two days (inclusive, local dates), at the point and at the office."""
    try:
        first, last = _period()
    except BadQuery as bad:
        return error_response(400, "bad_request", str(bad))
    rows = membership_fee_rows(first, last)
    return csv_response(f"membership-fees-{first.isoformat()}-{last.isoformat()}.csv", membership_fee_header(), rows)
