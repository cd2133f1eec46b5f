"""Admin pages for member tickets: a member's ticket (issue, re-issue, revoke, personal link) and printable cards."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from server.admin import bp
from server.auth.access import require_points, staff_required
from server.auth.session import current_user
from server.domain.tickets import issue_ticket, revoke_ticket, rotate_page_token, ticket_text
from server.extensions import db
from server.models import Household, Point, Tier
from server.qr import svg
from server.urls import MAX_ID, external_url
from sync.manual_codes import display

CARDS_PER_PAGE = 10  # 2 × 5 cards of 85 × 54 mm on an A4 sheet


def _household(household_id: int) -> Household:
    household = db.get_or_404(Household, household_id)
    require_points([household.point_id])
    return household


@bp.get("/members/<id:household_id>/ticket")
@staff_required
def member_ticket(household_id: int):
    household = _household(household_id)
    text = ticket_text(household)
    return render_template(
        "admin/member_ticket.html",
        household=household,
        qr_svg=svg(text) if text else None,
        manual_code=display(household.manual_code) if text and household.manual_code else None,
        page_url=external_url("members.page", page_token=household.page_token) if household.page_token else None,
    )


@bp.post("/members/<id:household_id>/ticket/issue")
@staff_required
def member_ticket_issue(household_id: int):
    household = _household(household_id)
    if household.status != "active":
        flash(_("Only an active member can get a ticket."), "error")
        return redirect(url_for(".member_ticket", household_id=household.id))
    reissue = household.ticket_serial is not None
    issue_ticket(household)
    db.session.commit()
    flash(_("New ticket issued: the previous one no longer works.") if reissue else _("Ticket issued."), "success")
    return redirect(url_for(".member_ticket", household_id=household.id))


@bp.post("/members/<id:household_id>/ticket/revoke")
@staff_required
def member_ticket_revoke(household_id: int):
    household = _household(household_id)
    revoke_ticket(household)
    db.session.commit()
    flash(_("Ticket revoked. Phones refuse it once they refresh their distribution."), "success")
    return redirect(url_for(".member_ticket", household_id=household.id))


@bp.post("/members/<id:household_id>/page-link/rotate")
@staff_required
def member_page_rotate(household_id: int):
    household = _household(household_id)
    rotate_page_token(household)
    db.session.commit()
    flash(_("New personal link created: the old one no longer works."), "success")
    return redirect(url_for(".member_ticket", household_id=household.id))


@bp.get("/cards/")
@staff_required
def cards():
    """A4 sheets of member cards (QR, name, manual code, point) for members without a smartphone."""
    user = current_user()
    points = db.session.scalars(select(Point).order_by(Point.name)).all()
    if user.role != "admin":
        points = [point for point in points if point.id in user.point_ids]
    tiers = db.session.scalars(select(Tier).order_by(Tier.share_percent.desc())).all()
    point_id = request.args.get("point", type=int)
    tier_id = request.args.get("tier", type=int)
    query = (
        select(Household)
        .where(Household.status == "active", Household.ticket_serial.is_not(None))
        .where(Household.ticket_serial >= Household.ticket_min_serial)
        .options(joinedload(Household.point))
        .order_by(Household.last_name, Household.first_name)
    )
    allowed = [point.id for point in points]
    if point_id is not None and 1 <= point_id <= MAX_ID and point_id in allowed:
        query = query.where(Household.point_id == point_id)
    elif user.role != "admin":
        query = query.where(Household.point_id.in_(allowed))
    if tier_id is not None and 1 <= tier_id <= MAX_ID:
        query = query.where(Household.tier_id == tier_id)
    chosen = "point" in request.args or "tier" in request.args  # the form was sent (``lang`` alone is not a choice)
    households = db.session.scalars(query).all() if chosen else []
    cards = [(h, svg(ticket_text(h)), display(h.manual_code)) for h in households]
    sheets = [cards[i : i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    return render_template(
        "admin/cards.html",
        points=points,
        tiers=tiers,
        point_id=point_id,
        tier_id=tier_id,
        sheets=sheets,
        count=len(cards),
        chosen=chosen,
    )
