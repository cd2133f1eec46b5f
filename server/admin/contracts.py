"""Season contracts in the admin (docs/contracts.md): the list, a contract's terms, its products and prices per
delivery, its subscribers and waiting list, their absences, and what the generation of orders did.

Coordinators manage the contracts of their points (a contract of another point is a 404), admins all. Every change
re-generates the orders it affects; the flash says how many orders were created, changed, removed, or left alone
because the phones already handed them over.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from server.admin import bp
from server.admin.contract_forms import ABSENCE_LABELS, FREQUENCY_LABELS, PAYMENT_LABELS, ContractForm, find_household
from server.admin.forms import managed
from server.admin.views import actor, form_page, paginate
from server.auth.access import require_points, staff_required
from server.clock import utcnow
from server.domain import DomainError
from server.domain.contract_orders import Generated, deliveries, regenerate_contract, season_distributions
from server.domain.contracts import (
    absences_left,
    create_contract,
    mark_absence,
    remove_absence,
    remove_contract_product,
    set_chosen_dates,
    set_contract_product,
    subscribe,
    typed_quantity,
    unsubscribe,
    update_contract,
    update_subscription,
)
from server.domain.orders_close import closes_at, orders_closed
from server.extensions import db
from server.models import Absence, Contract, ContractProduct, Distribution, Household, Point, Product, Subscription
from server.money_input import parse_cents
from server.search_text import name_matches
from sync.pricing import WEIGHED

WAITING_SHOWN = 50  # the waiting list shows its first households (the count says how many wait)


def generated_message(done: Generated) -> str:
    """What a generation did, as the flash says it (and the cheque calendar, when it changed)."""
    said = _(
        "Orders: %(created)d created, %(changed)d changed, %(removed)d removed, %(handed_over)d left as they are "
        "(already handed over or paid at the point).",
        created=done.created,
        changed=done.changed,
        removed=done.removed,
        handed_over=done.handed_over,
    )
    if done.cheques:
        said += " " + _("Expected cheques of the calendar created, changed or removed: %(count)d.", count=done.cheques)
    return said


def after_close_message(done: Generated) -> str:
    """The warning when a change reached a distribution whose orders had closed."""
    days = db.session.scalars(
        select(Distribution.starts_at).where(Distribution.id.in_(done.after_close)).order_by(Distribution.starts_at)
    )
    return _(
        "Orders had closed for %(days)s: the producer's order form was already sent. Tell the producer what changed.",
        days=", ".join(format_datetime(day, "EEEE d MMMM") for day in days),
    )


def managed_contract(contract_id: int) -> Contract:
    contract = db.get_or_404(Contract, contract_id)
    require_points([contract.point_id])
    return contract


@bp.get("/contracts/")
@staff_required
def contracts():
    user = actor()
    query = (
        select(Contract)
        .options(joinedload(Contract.producer), joinedload(Contract.point))
        .where(managed(Contract.point_id, user))
        .order_by(Contract.starts_on.desc(), Contract.id.desc())
    )
    page = paginate(query)
    counts = dict(
        db.session.execute(
            select(Subscription.contract_id, func.count(Subscription.id))
            .where(Subscription.contract_id.in_([c.id for c in page.items]), Subscription.status == "active")
            .group_by(Subscription.contract_id)
        ).all()
    )
    return render_template(
        "admin/contracts.html", page=page, counts=counts, frequencies=FREQUENCY_LABELS, payments=PAYMENT_LABELS
    )


@bp.route("/contracts/new", methods=["GET", "POST"])
@staff_required
def contract_new():
    user = actor()
    form = ContractForm(actor=user)

    def save(values):
        point = db.session.get(Point, form.point_id.data)
        if point is None:
            raise DomainError(_("Choose a point from the list."), field="point_id")
        create_contract(point, values, actor=user)

    return form_page(
        form,
        save,
        title=_("New contract"),
        back=url_for(".contracts"),
        saved=_("Contract saved: now add its products and subscribers."),
    )


@bp.route("/contracts/<id:contract_id>/edit", methods=["GET", "POST"])
@staff_required
def contract_edit(contract_id: int):
    contract = managed_contract(contract_id)
    form = ContractForm(obj=contract, actor=actor(), editing=True)
    outcome: list[Generated] = []

    def save(values):
        outcome.append(update_contract(contract, values, actor=actor()))

    answer = form_page(
        form,
        save,
        title=_("Contract: %(name)s", name=contract.name),
        back=url_for(".contract", contract_id=contract.id),
        saved=_("Contract saved."),
    )
    if outcome and outcome[0].touched + outcome[0].handed_over:
        flash(generated_message(outcome[0]), "success")
    if outcome and outcome[0].after_close:
        flash(after_close_message(outcome[0]), "warning")
    return answer


@bp.get("/contracts/<id:contract_id>")
@staff_required
def contract(contract_id: int):
    """The contract, its products, one page of its subscribers (by name, searchable) and the head of its waiting
    list: a contract of a thousand subscribers is read a page at a time."""
    contract = managed_contract(contract_id)
    text = request.args.get("q", "").strip()[:100]
    listed = (
        select(Subscription)
        .join(Household, Household.id == Subscription.household_id)
        .where(Subscription.contract_id == contract.id)
    )
    if text:
        listed = listed.where(name_matches(Household.first_name, Household.last_name, text))
    details = (
        joinedload(Subscription.household),
        joinedload(Subscription.partner),
        selectinload(Subscription.quantities),
        selectinload(Subscription.absences).joinedload(Absence.distribution),
        selectinload(Subscription.absences).joinedload(Absence.given_to),
    )
    page = paginate(
        listed.options(*details)
        .where(Subscription.status == "active")
        .order_by(Household.last_name, Household.first_name, Subscription.id)
    )
    waiting_query = listed.where(Subscription.status == "waiting")
    waiting = db.session.scalars(waiting_query.options(*details).order_by(Subscription.id).limit(WAITING_SHOWN)).all()
    waiting_count = db.session.scalar(select(func.count()).select_from(waiting_query.subquery()))
    delivered = deliveries(contract)
    now = utcnow()
    upcoming = [d for d in delivered if d.starts_at > now and d.status != "closed"]
    products = db.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.name)).all()
    shown = [*page.items, *waiting]
    return render_template(
        "admin/contract.html",
        contract=contract,
        page=page,
        q=text,
        subscribers=page.items,
        waiting=waiting,
        waiting_count=waiting_count,
        deliveries=delivered,
        upcoming=upcoming,
        closed_upcoming=[d for d in upcoming if orders_closed(d, now)],
        closes_at=closes_at,
        season=season_distributions(contract.point_id, contract.starts_on, contract.ends_on)
        if contract.frequency == "chosen"
        else [],
        chosen={d.id for d in contract.chosen},
        quantities_of={s.id: {q.contract_product_id: q.quantity for q in s.quantities} for s in shown},
        products=products,
        absences_left=absences_left,
        frequencies=FREQUENCY_LABELS,
        payments=PAYMENT_LABELS,
        absence_kinds=ABSENCE_LABELS,
    )


def _done(contract: Contract, run) -> object:
    """Run a change, commit, and flash what the orders did; a refusal flashes why and changes nothing."""
    try:
        done = run()
        db.session.commit()
    except DomainError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        flash(generated_message(done), "success")
        if done.after_close:
            flash(after_close_message(done), "warning")
    return redirect(url_for(".contract", contract_id=contract.id))


def _quantity(product: Product, name: str, default: int = 0) -> int:
    return typed_quantity(product, request.form.get(name), default)


@bp.post("/contracts/<id:contract_id>/products")
@staff_required
def contract_product(contract_id: int):
    contract = managed_contract(contract_id)

    def run():
        product = db.session.get(Product, request.form.get("product_id", type=int) or 0)
        if product is None:
            raise DomainError(_("Choose a product from the list."))
        try:
            price = parse_cents(request.form.get("unit_price", ""))
        except ValueError:
            raise DomainError(_("Give the price per delivery, in euros.")) from None
        default = 500 if product.sold_by == WEIGHED else 1
        quantity = _quantity(product, "default_quantity", default)
        return set_contract_product(contract, product, price, quantity, actor=actor())

    return _done(contract, run)


@bp.post("/contracts/<id:contract_id>/products/<id:offered_id>/remove")
@staff_required
def contract_product_remove(contract_id: int, offered_id: int):
    contract = managed_contract(contract_id)
    offered = db.get_or_404(ContractProduct, offered_id)
    if offered.contract_id != contract.id:
        return redirect(url_for(".contract", contract_id=contract.id))
    return _done(contract, lambda: remove_contract_product(contract, offered, actor=actor()))


@bp.post("/contracts/<id:contract_id>/dates")
@staff_required
def contract_dates(contract_id: int):
    contract = managed_contract(contract_id)
    chosen = [int(value) for value in request.form.getlist("distribution") if value.isdigit()]
    return _done(contract, lambda: set_chosen_dates(contract, chosen, actor=actor()))


@bp.post("/contracts/<id:contract_id>/generate")
@staff_required
def contract_generate(contract_id: int):
    contract = managed_contract(contract_id)
    return _done(contract, lambda: regenerate_contract(contract))


@bp.post("/contracts/<id:contract_id>/subscribers")
@staff_required
def contract_subscribe(contract_id: int):
    contract = managed_contract(contract_id)
    point = db.session.get(Point, contract.point_id)

    def run():
        household = find_household(request.form.get("household", ""), point)
        if household is None:
            raise DomainError(_("No member of this point has this number or e-mail."))
        partner = None
        if (request.form.get("partner") or "").strip():
            partner = find_household(request.form["partner"], point)
            if partner is None:
                raise DomainError(_("No member of this point has this number or e-mail (shared with)."))
        quantities = {p.id: _quantity(p.product, f"quantity_{p.id}", p.default_quantity) for p in contract.products}
        _subscription_made, done = subscribe(
            contract,
            household,
            quantities,
            partner=partner,
            partner_starts=request.form.get("partner_starts") == "1",
            waiting=request.form.get("waiting") == "1",
            actor=actor(),
        )
        return done

    return _done(contract, run)


def _subscription(contract: Contract, subscriber_id: int) -> Subscription:
    subscription = db.get_or_404(Subscription, subscriber_id)
    if subscription.contract_id != contract.id:
        abort(404)
    return subscription


@bp.post("/contracts/<id:contract_id>/subscribers/<id:subscriber_id>")
@staff_required
def contract_subscription(contract_id: int, subscriber_id: int):
    contract = managed_contract(contract_id)
    subscription = _subscription(contract, subscriber_id)
    action = request.form.get("action")
    if action == "remove":
        return _done(contract, lambda: unsubscribe(subscription, actor=actor()))
    if action == "activate":
        return _done(contract, lambda: update_subscription(subscription, status="active", actor=actor()))

    def run():
        quantities = {p.id: _quantity(p.product, f"quantity_{p.id}") for p in contract.products}
        return update_subscription(subscription, quantities=quantities, actor=actor())

    return _done(contract, run)


@bp.post("/contracts/<id:contract_id>/subscribers/<id:subscriber_id>/absences")
@staff_required
def contract_absence(contract_id: int, subscriber_id: int):
    contract = managed_contract(contract_id)
    subscription = _subscription(contract, subscriber_id)

    def run():
        distribution = db.session.get(Distribution, request.form.get("distribution", type=int) or 0)
        if distribution is None:
            raise DomainError(_("Choose a date from the list."))
        kind = request.form.get("kind", "skip")
        given_to = None
        if kind == "given":
            given_to = find_household(request.form.get("given_to", ""), db.session.get(Point, contract.point_id))
            if given_to is None:
                raise DomainError(_("No member of this point has this number or e-mail."))
        return mark_absence(subscription, distribution, kind, given_to=given_to, actor=actor())

    return _done(contract, run)


@bp.post("/contracts/<id:contract_id>/absences/<id:absence_id>/remove")
@staff_required
def contract_absence_remove(contract_id: int, absence_id: int):
    contract = managed_contract(contract_id)
    absence = db.get_or_404(Absence, absence_id)
    if absence.subscription.contract_id != contract.id:
        return redirect(url_for(".contract", contract_id=contract.id))
    return _done(contract, lambda: remove_absence(absence, actor=actor()))
