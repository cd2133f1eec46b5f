"""Admin pages for member tickets: a member's ticket (issue, re-issue, revoke, personal link) and printable cards."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from server.admin import bp
from server.admin.forms import managed
from server.admin.views import id_arg, managed_points
from server.auth.access import require_points, staff_required
from server.auth.session import current_user
from server.domain.tickets import issue_ticket, revoke_ticket, rotate_page_token, ticket_text, ticket_texts
from server.extensions import db
from server.models import Household, Tier
from server.paging import within_pages
from server.qr import CARD_MASK, TICKET_VERSION, svg
from server.search_text import name_matches
from server.urls import MAX_ID, external_url
from sync.manual_codes import display

CARDS_PER_PAGE = 10  # 2 × 5 cards of 85 × 54 mm on an A4 sheet
CARDS_MAX = 100  # ten sheets: the most cards one page prints
CARDS_LIST_PAGE = 50  # members listed (to tick) per page


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


def _printable(user) -> Select:
    """Members who can have a card: active, with a ticket that is not revoked, at a point ``user`` manages."""
    return (
        select(Household)
        .where(Household.status == "active", Household.ticket_serial.is_not(None))
        .where(Household.ticket_serial >= Household.ticket_min_serial)
        .where(managed(Household.point_id, user))
    )


def card_faces(households: list[Household]) -> list[tuple[Household, str, str]]:
    """Each member's card: the member, the QR code of their ticket (SVG), their manual code for display. The codes
    are drawn with one mask (``CARD_MASK``: a few milliseconds each rather than tens) and the tickets signed with
    keys read once (``ticket_texts``); no statement per member."""
    texts = ticket_texts(households)
    return [(h, svg(texts[h.id], CARD_MASK, TICKET_VERSION), display(h.manual_code)) for h in households]


def _ticked_ids() -> list[int]:
    """The members ticked in the list (``member=`` ids), at most ``CARDS_MAX``; anything else is ignored."""
    ids = []
    for value in request.args.getlist("member", type=int):
        if 1 <= value <= MAX_ID and value not in ids:
            ids.append(value)
    return ids[:CARDS_MAX]


@bp.get("/cards/")
@staff_required
def cards():
    """A4 sheets of member cards (QR, name, manual code, point) for members without a smartphone.

    The coordinator ticks members in a list (newest tickets first, ``CARDS_LIST_PAGE`` a page, searchable by name,
    point and tier: a network can have 200,000 households, so the list is never loaded whole), or prints the whole
    filtered list when it holds at most ``CARDS_MAX`` cards."""
    user = current_user()
    points = managed_points()
    tiers = db.session.scalars(select(Tier).order_by(Tier.share_percent.desc())).all()
    text = request.args.get("q", "").strip()[:100]
    point_id, tier_id = id_arg("point"), id_arg("tier")
    if point_id not in {point.id for point in points}:
        point_id = None  # another point's id: the list stays the user's own points
    listed = _printable(user).options(joinedload(Household.point))
    if text:
        listed = listed.where(name_matches(Household.first_name, Household.last_name, text))
    if point_id:
        listed = listed.where(Household.point_id == point_id)
    if tier_id:
        listed = listed.where(Household.tier_id == tier_id)
    page = within_pages(
        db.paginate(
            listed.order_by(Household.ticket_issued_on.desc(), Household.last_name, Household.first_name, Household.id),
            page=id_arg("page") or 1,
            per_page=CARDS_LIST_PAGE,
            error_out=False,
        )
    )
    ticked = _ticked_ids()
    filtered = any(name in request.args for name in ("q", "point", "tier"))  # ``lang`` alone is not a choice
    if ticked:
        query = _printable(user).where(Household.id.in_(ticked))
    elif filtered and page.total <= CARDS_MAX:
        query = listed
    else:
        query = None
    households = (
        db.session.scalars(
            query.options(joinedload(Household.point)).order_by(Household.last_name, Household.first_name, Household.id)
        ).all()
        if query is not None
        else []
    )
    cards = card_faces(households)
    sheets = [cards[i : i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    return render_template(
        "admin/cards.html",
        points=points,
        tiers=tiers,
        q=text,
        point_id=point_id,
        tier_id=tier_id,
        page=page,
        ticked=set(ticked),
        sheets=sheets,
        count=len(cards),
        shown=query is not None,
        too_many=filtered and not ticked and page.total > CARDS_MAX,
        cards_max=CARDS_MAX,
    )
