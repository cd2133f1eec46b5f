"""The cheques page: the cheques members gave, by payee producer, state, distribution and period; several marked as
handed to their producer or deposited at once; the CSV export of the same selection (``docs/producers.md``).

Admins see every cheque; a coordinator those taken at their points. Every list is bounded: a period of at most a
year (the last 31 days unless asked), read by the indexes on (payee, day), (state, day) and (day), paged.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from server.admin import bp
from server.admin.exports import EXPORT_MAX_DAYS, csv_response, euros, plain
from server.admin.forms import managed, network_timezone
from server.admin.views import actor, id_arg, paginate
from server.auth.access import staff_required
from server.clock import today
from server.domain import DomainError
from server.domain.cheques import SETTLED_STATES, mark_cheques
from server.extensions import db
from server.labels import CHEQUE_STATE_LABELS
from server.models import Cheque, Contract, Distribution, Producer
from sync.vocabulary import CHEQUE_STATES

DEFAULT_DAYS = 31
NO_PAYEE = "none"
CANCELLED = "cancelled"


@dataclass
class ChequeFilters:
    """What the page and the export select, read from the query string (anything unusable falls back)."""

    producer: int | None = None
    no_payee: bool = False
    state: str = ""
    distribution: int | None = None
    start: date | None = None
    end: date | None = None

    @classmethod
    def from_args(cls) -> "ChequeFilters":
        producer_arg = request.args.get("producer", "")
        state = request.args.get("state", "")
        filters = cls(
            producer=id_arg("producer"),
            no_payee=producer_arg == NO_PAYEE,
            state=state if state in (*CHEQUE_STATES, CANCELLED) else "",
            distribution=id_arg("distribution"),
        )
        end = _date_arg("to") or today(network_timezone())
        start = _date_arg("from") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            start, end = end, start
        if (end - start).days >= EXPORT_MAX_DAYS:
            start = end - timedelta(days=EXPORT_MAX_DAYS - 1)
        filters.start, filters.end = start, end
        return filters

    def args(self) -> dict[str, Any]:
        """The query string that selects the same cheques (links, the export, back after marking)."""
        values: dict[str, Any] = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.producer is not None:
            values["producer"] = self.producer
        elif self.no_payee:
            values["producer"] = NO_PAYEE
        if self.state:
            values["state"] = self.state
        if self.distribution is not None:
            values["distribution"] = self.distribution
        return values

    def where(self, query: Select) -> Select:
        query = query.outerjoin(Distribution, Distribution.id == Cheque.distribution_id).outerjoin(
            Contract, Contract.id == Cheque.contract_id
        )
        user = actor()
        if user.role != "admin":  # a season's cheque has no distribution: its contract's point
            query = query.where(or_(managed(Distribution.point_id, user), managed(Contract.point_id, user)))
        if self.producer is not None:
            query = query.where(Cheque.payee_producer_id == self.producer)
        elif self.no_payee:
            query = query.where(Cheque.payee_producer_id.is_(None))
        if self.state == CANCELLED:
            query = query.where(Cheque.voided.is_(True))
        elif self.state:
            query = query.where(Cheque.state == self.state, Cheque.voided.is_(False))
        if self.distribution is not None:
            query = query.where(Cheque.distribution_id == self.distribution)
        else:
            query = query.where(Cheque.received_on.between(self.start, self.end))
        return query


def _point_name(cheque: Cheque) -> str:
    """Where the cheque was taken: its distribution's point, or its season contract's."""
    if cheque.distribution is not None:
        return cheque.distribution.point.name
    return cheque.contract.point.name if cheque.contract is not None else ""


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/cheques/")
@staff_required
def cheques():
    filters = ChequeFilters.from_args()
    query = filters.where(select(Cheque)).options(
        joinedload(Cheque.payee),
        joinedload(Cheque.household),
        joinedload(Cheque.distribution).joinedload(Distribution.point),
        joinedload(Cheque.contract),
    )
    page = paginate(query.order_by(Cheque.received_on.desc(), Cheque.id.desc()))
    # The totals read every cheque of the selection: bounded to a distribution, a producer or a month.
    summed = filters.distribution is not None or filters.producer is not None
    summed = summed or (filters.end - filters.start).days < DEFAULT_DAYS
    totals = (
        []
        if not summed
        else db.session.execute(
            filters.where(
                select(Cheque.payee_producer_id, func.count(Cheque.id), func.sum(Cheque.amount_cents)).where(
                    Cheque.voided.is_(False)
                )
            ).group_by(Cheque.payee_producer_id)
        ).all()
    )
    payees = {
        p.id: p for p in db.session.scalars(select(Producer).where(Producer.id.in_([t[0] for t in totals if t[0]])))
    }
    by_payee = sorted(
        ((payees.get(producer_id), count, cents) for producer_id, count, cents in totals),
        key=lambda row: (row[0] is None, row[0].name if row[0] else ""),
    )
    return render_template(
        "admin/cheques.html",
        page=page,
        filters=filters,
        by_payee=by_payee,
        summed=summed,
        producers=db.session.scalars(select(Producer).order_by(Producer.sort_name, Producer.id)).all(),
        states=CHEQUE_STATE_LABELS,
        settled_states=SETTLED_STATES,
        today=today(network_timezone()),
    )


@bp.post("/cheques/mark")
@staff_required
def cheques_mark():
    back = url_for(
        ".cheques",
        **{k: v for k, v in request.form.items() if k in ("producer", "state", "distribution", "from", "to")},
    )
    return mark_ticked(ticked_ids(), back)


def ticked_ids() -> list[int]:
    """The cheques ticked on a marking form."""
    return [int(value) for value in request.form.getlist("cheque_ids") if value.isdigit()]


def mark_ticked(ids: list[int], back: str):
    """Mark the cheques ``ids`` with the form's state and date (handed over, deposited), then back to ``back`` saying
    how many, or why not: the cheques page and a contract's cheque calendar share it."""
    try:
        on = date.fromisoformat(request.form.get("on", ""))
    except ValueError:
        flash(_("Give the date as day, month and year."), "error")
        return redirect(back, 303)
    try:
        count = mark_cheques(ids, request.form.get("to_state", ""), on, actor=actor())
        db.session.commit()
    except DomainError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(back, 303)
    flash(_("Cheques marked: %(count)d.", count=count), "success")
    return redirect(back, 303)


@bp.get("/cheques/export.csv")
@staff_required
def cheques_export():
    filters = ChequeFilters.from_args()
    query = (
        filters.where(select(Cheque))
        .options(
            joinedload(Cheque.payee),
            joinedload(Cheque.household),
            joinedload(Cheque.distribution).joinedload(Distribution.point),
            joinedload(Cheque.contract).joinedload(Contract.point),
        )
        .order_by(Cheque.received_on, Cheque.id)
        .execution_options(yield_per=500)
    )
    states = plain(CHEQUE_STATE_LABELS)
    cancelled = _("Cancelled")

    def rows():
        for cheque in db.session.scalars(query):
            household = cheque.household
            yield [
                cheque.received_on.isoformat() if cheque.received_on else "",
                _point_name(cheque),
                cheque.distribution_id or "",
                cheque.payee.name if cheque.payee else "",
                cheque.payee.payee if cheque.payee else "",
                household.last_name if household else "",
                household.first_name if household else "",
                household.id if household else "",
                cheque.number,
                euros(cheque.amount_cents),
                cheque.amount_cents,
                cancelled if cheque.voided else states[cheque.state],
                cheque.state_on.isoformat() if cheque.state_on else "",
                cheque.id,
            ]

    header = [
        _("Date"),
        _("Point"),
        _("Distribution"),
        _("Producer"),
        _("Cheques made out to"),
        _("Last name"),
        _("First name"),
        _("Member number"),
        _("Cheque number"),
        _("Amount (€)"),
        _("Amount (cents)"),
        _("State"),
        _("State date"),
        _("Cheque"),
    ]
    name = f"cheques-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    return csv_response(name, header, rows())
