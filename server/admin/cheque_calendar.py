"""A contract's cheque calendar in the admin (calendrier des chèques, docs/producers.md): one row per member, one
column per month of the season, each cell its cheques' amounts and states; the totals per month; a cheque received
(number, bank, date, amount); the ticked received cheques handed to the producer or deposited; the CSV export.

Bounded for a point with 1,000 subscribers: 25 members a page (the contract's subscribers and whoever holds a cheque
of it), their cheques read by ``ix_cheques_contract_household``; the month totals are one grouped query on the
contract's cheques; the export is streamed.
"""

from collections import defaultdict
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from server.admin import bp
from server.admin.cheques import mark_ticked, ticked_ids
from server.admin.contracts import managed_contract
from server.admin.exports import csv_response, euros, plain
from server.admin.forms import network_timezone
from server.admin.views import actor, paginate
from server.auth.access import staff_required
from server.clock import today
from server.domain import DomainError
from server.domain.cheque_calendar import receive_cheque, season_months
from server.domain.cheques import SETTLED_STATES
from server.extensions import db
from server.formatting import money
from server.labels import CHEQUE_STATE_LABELS
from server.models import Cheque, Contract, Household, Subscription
from server.money_input import parse_cents


def _members(contract: Contract):
    """The calendar's rows: the contract's subscribers and whoever holds a cheque of it, by name."""
    return (
        select(Household)
        .where(
            or_(
                Household.id.in_(
                    select(Subscription.household_id).where(
                        Subscription.contract_id == contract.id, Subscription.status == "active"
                    )
                ),
                Household.id.in_(select(Cheque.household_id).where(Cheque.contract_id == contract.id)),
            )
        )
        .order_by(Household.last_name, Household.first_name, Household.id)
    )


@bp.get("/contracts/<id:contract_id>/cheques")
@staff_required
def contract_cheques(contract_id: int):
    contract = managed_contract(contract_id)
    months = season_months(contract.starts_on, contract.ends_on)
    page = paginate(_members(contract))
    cells: dict[int, dict[date | None, list[Cheque]]] = defaultdict(lambda: defaultdict(list))
    ids = [household.id for household in page.items]
    for cheque in db.session.scalars(
        select(Cheque)
        .where(Cheque.contract_id == contract.id, Cheque.household_id.in_(ids), Cheque.voided.is_(False))
        .order_by(Cheque.planned_month, Cheque.id)
    ):
        cells[cheque.household_id][cheque.planned_month].append(cheque)
    totals: dict[date | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for month, state, cents in db.session.execute(
        select(Cheque.planned_month, Cheque.state, func.sum(Cheque.amount_cents))
        .where(Cheque.contract_id == contract.id, Cheque.voided.is_(False))
        .group_by(Cheque.planned_month, Cheque.state)
    ):
        totals[month][state] += cents or 0
    return render_template(
        "admin/contract_cheques.html",
        contract=contract,
        months=months,
        page=page,
        cells=cells,
        totals=totals,
        states=CHEQUE_STATE_LABELS,
        settled_states=SETTLED_STATES,
        today=today(network_timezone()),
    )


def _cheque(contract: Contract, cheque_id: int) -> Cheque:
    cheque = db.get_or_404(Cheque, cheque_id)
    if cheque.contract_id != contract.id:
        abort(404)
    return cheque


@bp.route("/contracts/<id:contract_id>/cheques/<id:cheque_id>", methods=["GET", "POST"])
@staff_required
def contract_cheque_receive(contract_id: int, cheque_id: int):
    contract = managed_contract(contract_id)
    cheque = _cheque(contract, cheque_id)
    back = url_for(".contract_cheques", contract_id=contract.id, page=request.args.get("page", type=int))
    error, field = "", ""
    if request.method == "POST":
        try:
            try:
                on = date.fromisoformat(request.form.get("on", ""))
            except ValueError:
                raise DomainError(_("Give the date as day, month and year."), field="on") from None
            typed = (request.form.get("amount") or "").strip()
            try:
                amount = parse_cents(typed) if typed else None
            except ValueError:
                raise DomainError(_("Give the cheque's amount, in euros."), field="amount") from None
            receive_cheque(
                cheque,
                on,
                number=request.form.get("number", ""),
                bank=request.form.get("bank", ""),
                amount_cents=amount,
                actor=actor(),
            )
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            error, field = str(refused), refused.field or ""
        else:
            flash(_("Cheque received: %(amount)s.", amount=money(cheque.amount_cents)), "success")
            return redirect(back, 303)
    return render_template(
        "admin/contract_cheque.html",
        contract=contract,
        cheque=db.session.get(Cheque, cheque_id),
        back=back,
        error=error,
        field=field,
        form=request.form,
        today=today(network_timezone()),
    ), 400 if error else 200


@bp.post("/contracts/<id:contract_id>/cheques/mark")
@staff_required
def contract_cheques_mark(contract_id: int):
    contract = managed_contract(contract_id)
    back = url_for(".contract_cheques", contract_id=contract.id, page=request.form.get("page", type=int))
    ids = ticked_ids()
    if db.session.scalar(select(func.count(Cheque.id)).where(Cheque.id.in_(ids), Cheque.contract_id != contract.id)):
        flash(_("Some of these cheques do not exist or are not yours to mark."), "error")
        return redirect(back, 303)
    return mark_ticked(ids, back)


@bp.get("/contracts/<id:contract_id>/cheques.csv")
@staff_required
def contract_cheques_export(contract_id: int):
    contract = managed_contract(contract_id)
    query = (
        select(Cheque)
        .options(joinedload(Cheque.household))
        .where(Cheque.contract_id == contract.id, Cheque.voided.is_(False))
        .order_by(Cheque.household_id, Cheque.planned_month, Cheque.id)
        .execution_options(yield_per=500)
    )
    states = plain(CHEQUE_STATE_LABELS)
    payee = contract.producer.payee

    def rows():
        for cheque in db.session.scalars(query):
            household = cheque.household
            yield [
                household.last_name if household else "",
                household.first_name if household else "",
                household.id if household else "",
                cheque.planned_month.strftime("%Y-%m") if cheque.planned_month else "",
                payee,
                euros(cheque.amount_cents),
                cheque.amount_cents,
                states[cheque.state],
                cheque.number,
                cheque.bank,
                cheque.received_on.isoformat() if cheque.received_on else "",
                cheque.state_on.isoformat() if cheque.state_on and cheque.state != "received" else "",
                cheque.id,
            ]

    header = [
        _("Last name"),
        _("First name"),
        _("Member number"),
        _("Month"),
        _("Cheques made out to"),
        _("Amount (€)"),
        _("Amount (cents)"),
        _("State"),
        _("Cheque number"),
        _("Bank"),
        _("Received on"),
        _("Handed over or deposited on"),
        _("Cheque"),
    ]
    return csv_response(f"cheques-contract-{contract.id}.csv", header, rows())
