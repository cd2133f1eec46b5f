"""The member's season contracts (``/m/<page_token>/contracts``): what they subscribe to, the coming deliveries,
their absences within the contract's cap (the basket not due, given to a household of the point they name by
e-mail, or offered to the waiting list) until the distribution's orders close, and the contracts of their point open
to subscription (a subscription starts at the first delivery whose orders are still open).

Online only: the member page's service worker keeps ``/m/<page_token>`` alone. The rules are the domain's
(``server.domain.contracts``, acting for the member: ``actor=None``, ``by_member``); this view checks that the
subscription is the member's own.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from server.auth.access import member_link
from server.cheque_words import calendar_sentence, cheque_words
from server.clock import utcnow
from server.domain import DomainError
from server.domain.cheque_calendar import household_calendars
from server.domain.contract_orders import Generated, deliveries, turns
from server.domain.contracts import absences_left, mark_absence, remove_absence, subscribe, typed_quantity
from server.domain.orders_close import closes_at, orders_closed
from server.extensions import db
from server.members import bp
from server.models import Absence, Contract, Distribution, Household, Subscription


def has_contracts(household: Household) -> bool:
    """Whether the member has a subscription or their point offers an open contract (the page links here)."""
    mine = (
        select(Subscription.id)
        .where(or_(Subscription.household_id == household.id, Subscription.partner_id == household.id))
        .limit(1)
    )
    open_here = select(Contract.id).where(
        Contract.point_id == household.point_id, Contract.subscriptions_open.is_(True)
    )
    return db.session.scalar(mine) is not None or db.session.scalar(open_here.limit(1)) is not None


@bp.get("/m/<page_token>/contracts")
@member_link
def contracts(household: Household):
    subscriptions = db.session.scalars(
        select(Subscription)
        .options(
            joinedload(Subscription.contract).joinedload(Contract.producer),
            joinedload(Subscription.household),
            joinedload(Subscription.partner),
            selectinload(Subscription.quantities),
            selectinload(Subscription.absences).joinedload(Absence.given_to),
        )
        .where(
            or_(
                Subscription.household_id == household.id,
                and_(Subscription.partner_id == household.id, Subscription.status == "active"),
            )
        )
        .order_by(Subscription.id)
    ).all()
    now = utcnow()
    coming = {
        s.id: [(d, holder) for d, holder in turns(s) if d.starts_at > now and d.status != "closed"]
        if s.status == "active"
        else []
        for s in subscriptions
    }
    closed = {d.id for days in coming.values() for d, _holder in days if orders_closed(d, now)}
    absences = {s.id: {a.distribution_id: a for a in s.absences} for s in subscriptions}
    held = {s.contract_id for s in subscriptions}
    open_contracts = [
        c
        for c in db.session.scalars(
            select(Contract)
            .options(joinedload(Contract.producer), selectinload(Contract.products))
            .where(
                Contract.point_id == household.point_id,
                Contract.subscriptions_open.is_(True),
            )
            .order_by(Contract.starts_on, Contract.id)
        ).unique()
        if c.id not in held
    ]
    # Where a subscription made now would start: the first delivery whose orders are still open.
    starts = {
        c.id: next((d for d in deliveries(c) if d.starts_at > now and not orders_closed(d, now)), None)
        for c in open_contracts
    }
    response = render_template(
        "members/contracts.html",
        token=household.page_token,
        household=household,
        subscriptions=subscriptions,
        coming=coming,
        absences=absences,
        left={s.id: absences_left(s) for s in subscriptions},
        calendars={c.contract.id: c for c in household_calendars(household.id)},
        calendar_sentence=calendar_sentence,
        cheque_words=cheque_words,
        open_contracts=open_contracts,
        starts=starts,
        closed=closed,
        closes_at=closes_at,
    )
    return response, 200, {"Cache-Control": "private, no-cache"}


def _mine(household: Household, contract_id: int) -> Subscription:
    """The subscription to ``contract_id`` the household holds: its own, or the one whose basket it shares."""
    subscription = db.session.scalar(
        select(Subscription)
        .where(
            Subscription.contract_id == contract_id,
            or_(
                Subscription.household_id == household.id,
                and_(Subscription.partner_id == household.id, Subscription.status == "active"),
            ),
        )
        .order_by(Subscription.id)
        .limit(1)
    )
    if subscription is None:
        abort(404)
    return subscription


def _done(household: Household, run, saved: str):
    try:
        run()
        db.session.commit()
    except DomainError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        flash(saved, "success")
    return redirect(url_for("members.contracts", page_token=household.page_token))


def _distribution(subscription: Subscription) -> Distribution:
    distribution = db.session.get(Distribution, request.form.get("distribution", type=int) or 0)
    if distribution is None or distribution.point_id != subscription.contract.point_id:
        raise DomainError(_("Choose a date from the list."))
    return distribution


@bp.post("/m/<page_token>/contracts/<id:contract_id>/absence")
@member_link
def contract_absence(household: Household, contract_id: int):
    subscription = _mine(household, contract_id)

    def run() -> Generated:
        distribution = _distribution(subscription)
        kind = request.form.get("kind", "skip")
        given_to = None
        if kind == "given":
            email = (request.form.get("given_to") or "").strip().lower()
            given_to = db.session.scalar(
                select(Household)
                .where(
                    func.lower(Household.email) == email,
                    Household.point_id == household.point_id,
                    Household.status == "active",
                )
                .limit(1)
            )
            if not email or given_to is None:
                raise DomainError(_("No member of your point has this e-mail."))
        return mark_absence(subscription, distribution, kind, given_to=given_to, by_household=household)

    return _done(household, run, _("Your absence is recorded."))


@bp.post("/m/<page_token>/contracts/<id:contract_id>/present")
@member_link
def contract_present(household: Household, contract_id: int):
    subscription = _mine(household, contract_id)

    def run() -> Generated:
        distribution = _distribution(subscription)
        absence = next((a for a in subscription.absences if a.distribution_id == distribution.id), None)
        if absence is None:
            raise DomainError(_("Choose a date from the list."))
        return remove_absence(absence, by_household=household)

    return _done(household, run, _("Your absence is removed: your basket is back."))


@bp.post("/m/<page_token>/contracts/<id:contract_id>/subscribe")
@member_link
def contract_subscribe(household: Household, contract_id: int):
    contract = db.session.get(Contract, contract_id)
    if contract is None or contract.point_id != household.point_id:
        abort(404)

    def run() -> None:
        quantities = {
            offered.id: typed_quantity(offered.product, request.form.get(f"quantity_{offered.id}"))
            for offered in contract.products
        }
        subscribe(contract, household, quantities, by_member=True)

    return _done(household, run, _("You are subscribed: your baskets are in your next orders."))
