"""Admin pages. Views parse forms and call domain operations; they commit, the operations only flush.

Admins see and change everything. A coordinator (``staff_required``) sees only their points: every list is filtered
in SQL (``managed``), every object fetched by id belongs to one of their points or is a 404 (``require_points``),
forms offer only their points, and the domain operations get the acting user (``actor``) and refuse the rest.
Tiers and products are the network's: coordinators read them, admins change them. See ``docs/security.md``.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager, joinedload

from server.account_words import MovementWords
from server.admin import bp
from server.admin.forms import (
    AdminForm,
    DistributionForm,
    HouseholdForm,
    PointForm,
    ProductForm,
    TierForm,
    managed,
    network_timezone,
)
from server.auth.access import admin_required, require_points, staff_required
from server.auth.session import current_user
from server.clock import today, utcnow
from server.domain import DomainError
from server.domain.checks import attention, week_start
from server.domain.distributions import create_distribution, update_distribution
from server.domain.members import create_household, create_tier, delete_tier, update_household, update_tier
from server.domain.points import create_point, update_point
from server.domain.products import create_product, update_product
from server.extensions import db
from server.labels import LABELS
from server.models import (
    Account,
    Distribution,
    Household,
    NetworkSettings,
    Order,
    Point,
    Producer,
    Product,
    Tier,
    User,
)
from server.paging import within_pages
from server.search_text import member_matches, search_pattern
from server.statements import last_movements
from server.urls import MAX_ID
from sync.vocabulary import ACCOUNT_KINDS, HOUSEHOLD_STATUSES

PER_PAGE = 25
LAST_MOVEMENTS = 5


@bp.context_processor
def inject_labels() -> dict[str, Any]:
    user = current_user()
    return {"labels": LABELS, "is_admin": user is not None and user.role == "admin"}


def actor() -> User:
    """The signed-in staff member (the access decorators ran first)."""
    user = current_user()
    assert user is not None
    return user


@bp.get("/")
@staff_required
def dashboard():
    user, now = actor(), utcnow()
    upcoming = db.session.scalars(
        select(Distribution)
        .options(joinedload(Distribution.point))
        .where(
            Distribution.ends_at >= now,
            Distribution.starts_at < now + timedelta(days=8),
            managed(Distribution.point_id, user),
        )
        .order_by(Distribution.starts_at)
    ).all()
    order_counts = dict(
        db.session.execute(
            select(Order.distribution_id, func.count(Order.id))
            .where(Order.distribution_id.in_([d.id for d in upcoming]))
            .group_by(Order.distribution_id)
        ).all()
    )
    stats = {
        "points": db.session.scalar(
            select(func.count(Point.id)).where(Point.active.is_(True), managed(Point.id, user))
        ),
        "households": db.session.scalar(
            select(func.count(Household.id)).where(Household.status == "active", managed(Household.point_id, user))
        ),
        "upcoming": len(upcoming),
    }
    own_points = [] if user.role == "admin" else managed_points()
    return render_template(
        "admin/dashboard.html",
        stats=stats,
        upcoming=upcoming,
        order_counts=order_counts,
        own_points=own_points,
        to_check=attention(lambda point_id: managed(point_id, user), now),
        points=managed_points(),
        this_week=week_start(today(network_timezone())),
    )


# Shared by the pages below.


def form_page(
    form: AdminForm,
    save: Callable[[dict[str, Any]], Any],
    *,
    title: str,
    back: str,
    saved: str,
    template: str = "admin/form.html",
    **context: Any,
):
    """The one create/edit flow: show the form; on a valid POST run ``save``, commit, flash, go ``back``.

    A refusal (invalid input, a domain rule) shows the form again with its errors, answers 400 and changes nothing.
    """
    if form.validate_on_submit():
        try:
            save(form.values())
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            field = form.field_named(refused.field)
            (field.errors if field is not None else form.form_errors).append(str(refused))
        except IntegrityError:
            db.session.rollback()
            current_app.logger.warning("integrity error on %s", request.path, exc_info=True)
            form.form_errors.append(
                _("This change clashes with another one made at the same time. Check the form and try again.")
            )
        else:
            flash(saved, "success")
            return redirect(back)
    status = 400 if form.errors else 200
    return render_template(template, form=form, title=title, back=back, **context), status


def id_arg(name: str) -> int | None:
    """A positive id from the query string, or None when it is missing or not a usable id."""
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None


def paginate(query):
    return within_pages(db.paginate(query, page=id_arg("page") or 1, per_page=PER_PAGE, error_out=False))


def managed_points() -> list[Point]:
    """The points the signed-in user manages (every point for an admin), by name: the choices of list filters."""
    return list(db.session.scalars(select(Point).where(managed(Point.id, actor())).order_by(Point.name)))


# Points: admins create and (de)activate them; a coordinator sees and edits the details of their own.


@bp.get("/points/")
@staff_required
def points():
    query = select(Point).where(managed(Point.id, actor()))
    rows = db.session.scalars(query.order_by(Point.active.desc(), Point.name)).all()
    return render_template("admin/points.html", points=rows)


@bp.route("/points/new", methods=["GET", "POST"])
@admin_required
def point_new():
    return form_page(
        PointForm(),
        lambda values: create_point(values, actor=actor()),
        title=_("New point"),
        back=url_for(".points"),
        saved=_("Point created."),
    )


@bp.route("/points/<id:point_id>/edit", methods=["GET", "POST"])
@staff_required
def point_edit(point_id: int):
    point = db.get_or_404(Point, point_id)
    require_points([point.id])
    form = PointForm(obj=point)
    if actor().role != "admin":
        del form.active  # deactivating a point is the network's decision
    return form_page(
        form,
        lambda values: update_point(point, values, actor=actor()),
        title=_("Point: %(name)s", name=point.name),
        back=url_for(".points"),
        saved=_("Point saved."),
    )


# Distributions.


@bp.get("/distributions/")
@staff_required
def distributions():
    point_id, when = id_arg("point"), request.args.get("when", "upcoming")
    now = utcnow()
    query = select(Distribution).options(joinedload(Distribution.point)).where(managed(Distribution.point_id, actor()))
    if point_id:
        query = query.where(Distribution.point_id == point_id)
    if when == "past":
        query = query.where(Distribution.ends_at < now).order_by(Distribution.starts_at.desc())
    elif when == "all":
        query = query.order_by(Distribution.starts_at.desc())
    else:
        when = "upcoming"
        query = query.where(Distribution.ends_at >= now).order_by(Distribution.starts_at)
    page = paginate(query.order_by(Distribution.id))
    order_counts = dict(
        db.session.execute(
            select(Order.distribution_id, func.count(Order.id))
            .where(Order.distribution_id.in_([d.id for d in page.items]))
            .group_by(Order.distribution_id)
        ).all()
    )
    return render_template(
        "admin/distributions.html",
        page=page,
        order_counts=order_counts,
        points=managed_points(),
        point_id=point_id,
        when=when,
    )


@bp.route("/distributions/new", methods=["GET", "POST"])
@staff_required
def distribution_new():
    form = DistributionForm(actor=actor())
    if not form.point.choices:
        if actor().role != "admin":
            flash(_("None of your points is active: ask an administrator to reactivate one."), "error")
            return redirect(url_for(".points"))
        flash(_("Create an active point first: every distribution happens at one."), "error")
        return redirect(url_for(".point_new"))
    if request.method == "GET" and id_arg("point"):
        form.point.data = id_arg("point")
    return form_page(
        form,
        lambda values: create_distribution(values["point"], values, actor=actor()),
        title=_("New distribution"),
        back=url_for(".distributions"),
        saved=_("Distribution created."),
    )


@bp.route("/distributions/<id:distribution_id>/edit", methods=["GET", "POST"])
@staff_required
def distribution_edit(distribution_id: int):
    distribution = db.get_or_404(Distribution, distribution_id)
    require_points([distribution.point_id])
    return form_page(
        DistributionForm(distribution=distribution, actor=actor()),
        lambda values: update_distribution(distribution, values, actor=actor()),
        title=_("Distribution at %(point)s", point=distribution.point.name),
        back=url_for(".distributions"),
        saved=_("Distribution saved."),
    )


# Members (households).


@bp.get("/members/")
@staff_required
def members():
    text = request.args.get("q", "").strip()[:100]
    tier_id, point_id = id_arg("tier"), id_arg("point")
    status = request.args.get("status", "")
    query = (
        select(Household)
        .outerjoin(PREPAID, and_(PREPAID.household_id == Household.id, PREPAID.kind == "prepaid"))
        .outerjoin(ALLOWANCE, and_(ALLOWANCE.household_id == Household.id, ALLOWANCE.kind == "allowance"))
        .options(joinedload(Household.tier), joinedload(Household.point))
        .where(managed(Household.point_id, actor()))
    )
    if text:
        query = query.where(member_matches(Household.first_name, Household.last_name, Household.email, text))
    if tier_id:
        query = query.where(Household.tier_id == tier_id)
    if point_id:
        query = query.where(Household.point_id == point_id)
    if status in HOUSEHOLD_STATUSES:
        query = query.where(Household.status == status)
    else:
        status = ""
    money_filters = {name: request.args.get(name) == "1" for name in ("allowance", "negative", "due")}
    sort = request.args.get("sort", "name")
    query, sort = with_money(query, sort, money_filters)
    page = paginate(query)
    balances: dict[tuple[int, str], int] = {
        (household_id, kind): cents
        for household_id, kind, cents in db.session.execute(
            select(Account.household_id, Account.kind, Account.balance_cents).where(
                Account.household_id.in_([household.id for household in page.items])
            )
        )
    }
    return render_template(
        "admin/members.html",
        page=page,
        balances=balances,
        sort=sort,
        sorts=MEMBER_SORTS,
        money_filters=money_filters,
        today=today(network_timezone()),
        membership_fee_cents=NetworkSettings.current().membership_fee_cents,
        q=text,
        tiers=db.session.scalars(select(Tier).order_by(Tier.name)).all(),
        points=managed_points(),
        tier_id=tier_id,
        point_id=point_id,
        status=status,
        statuses=HOUSEHOLD_STATUSES,
    )


PREPAID, ALLOWANCE = aliased(Account), aliased(Account)
MEMBER_SORTS = {
    "name": _l("Name"),
    "prepaid_asc": _l("Prepaid balance, lowest first"),
    "prepaid_desc": _l("Prepaid balance, highest first"),
    "allowance_asc": _l("Allowance, lowest first"),
    "allowance_desc": _l("Allowance, highest first"),
}


def with_money(query, sort: str, filters: dict[str, bool]):
    """The members list's money filters and sort, in SQL: each household joined to its two accounts (unique per
    household and kind; no index on balances, see migration ``0025_balances_unindexed``); membership due is
    ``membership_paid_until`` missing or past (indexed)."""
    if filters["allowance"]:
        query = query.where(ALLOWANCE.id.is_not(None))
    if filters["negative"]:
        below_zero = select(Account.household_id).where(
            Account.kind.in_(ACCOUNT_KINDS), Account.balance_cents < 0
        )  # one pass over the accounts, not an OR over two joins
        query = query.where(Household.id.in_(below_zero))
    if filters["due"]:
        query = query.where(
            or_(Household.membership_paid_until.is_(None), Household.membership_paid_until < today(network_timezone()))
        )
    by_name = (Household.last_name, Household.first_name, Household.id)
    if sort not in MEMBER_SORTS:
        sort = "name"
    if sort == "name":
        return query.order_by(*by_name), sort
    account = PREPAID if sort.startswith("prepaid") else ALLOWANCE
    balance = func.coalesce(account.balance_cents, 0)
    return query.order_by(balance.desc() if sort.endswith("desc") else balance, Household.id), sort


@bp.route("/members/new", methods=["GET", "POST"])
@staff_required
def member_new():
    if db.session.scalar(select(Tier.id).limit(1)) is None:
        if actor().role != "admin":
            flash(_("No tier exists yet: ask an administrator to create one."), "error")
            return redirect(url_for(".members"))
        flash(_("Create a tier first: every household belongs to one."), "error")
        return redirect(url_for(".tier_new"))
    return form_page(
        HouseholdForm(actor=actor()),
        lambda values: create_household(values, actor=actor()),
        title=_("New household"),
        back=url_for(".members"),
        saved=_("Household created."),
    )


@bp.route("/members/<id:household_id>/edit", methods=["GET", "POST"])
@staff_required
def member_edit(household_id: int):
    household = db.get_or_404(Household, household_id)
    require_points([household.point_id])  # a household without a home point is the admins'
    accounts = [
        (
            account,
            account.balance_cents,
            last_movements(account, LAST_MOVEMENTS),
        )
        for account in sorted(household.accounts, key=lambda a: a.kind)
    ]
    words = MovementWords.for_movements(m for _account, _balance, movements in accounts for m in movements)
    return form_page(
        HouseholdForm(household=household, actor=actor()),
        lambda values: update_household(household, values, actor=actor()),
        title=_("Household: %(name)s", name=household.display_name),
        back=url_for(".members"),
        saved=_("Household saved."),
        template="admin/member_edit.html",
        household=household,
        accounts=accounts,
        words=words,
    )


# Tiers: the network's pricing. Coordinators read them (they set their households' tier); admins change them.


@bp.get("/tiers/")
@staff_required
def tiers():
    counted = and_(Household.tier_id == Tier.id, managed(Household.point_id, actor()))  # a coordinator's households
    rows = db.session.execute(
        select(Tier, func.count(Household.id))
        .outerjoin(Household, counted)
        .group_by(Tier.id)
        .order_by(Tier.share_percent.desc(), Tier.name)
    ).all()
    return render_template("admin/tiers.html", rows=rows, form=FlaskForm())


@bp.route("/tiers/new", methods=["GET", "POST"])
@admin_required
def tier_new():
    return form_page(
        TierForm(),
        lambda values: create_tier(values, actor=actor()),
        title=_("New tier"),
        back=url_for(".tiers"),
        saved=_("Tier created."),
    )


@bp.route("/tiers/<id:tier_id>/edit", methods=["GET", "POST"])
@admin_required
def tier_edit(tier_id: int):
    tier = db.get_or_404(Tier, tier_id)
    return form_page(
        TierForm(obj=tier),
        lambda values: update_tier(tier, values, actor=actor()),
        title=_("Tier: %(name)s", name=tier.name),
        back=url_for(".tiers"),
        saved=_("Tier saved."),
    )


@bp.post("/tiers/<id:tier_id>/delete")
@admin_required
def tier_delete(tier_id: int):
    tier = db.get_or_404(Tier, tier_id)
    if FlaskForm().validate_on_submit():
        try:
            delete_tier(tier, actor=actor())
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            flash(str(refused), "error")
        else:
            flash(_("Tier deleted."), "success")
    return redirect(url_for(".tiers"))


# Products: the network's catalogue. Coordinators read it (their order files use its codes); admins change it.


@bp.get("/products/")
@staff_required
def products():
    text = request.args.get("q", "").strip()[:100]
    show = request.args.get("show", "active")
    query = select(Product).outerjoin(Product.producer).options(contains_eager(Product.producer))
    if text:
        pattern = search_pattern(text)
        query = query.where(
            or_(
                Product.code.ilike(pattern, escape="\\"),
                Product.name.ilike(pattern, escape="\\"),
                Producer.name.ilike(pattern, escape="\\"),
            )
        )
    if show == "inactive":
        query = query.where(Product.active.is_(False))
    elif show != "all":
        show = "active"
        query = query.where(Product.active.is_(True))
    page = paginate(query.order_by(Product.name, Product.id))
    return render_template("admin/products.html", page=page, q=text, show=show)


@bp.route("/products/new", methods=["GET", "POST"])
@admin_required
def product_new():
    return form_page(
        ProductForm(),
        lambda values: create_product(values, actor=actor()),
        title=_("New product"),
        back=url_for(".products"),
        saved=_("Product created."),
    )


@bp.route("/products/<id:product_id>/edit", methods=["GET", "POST"])
@admin_required
def product_edit(product_id: int):
    product = db.get_or_404(Product, product_id)
    return form_page(
        ProductForm(obj=product),
        lambda values: update_product(product, values, actor=actor()),
        title=_("Product: %(code)s", code=product.code),
        back=url_for(".products"),
        saved=_("Product saved."),
    )
