"""A point's week on one printable page: each distribution's orders, who collected, the money by payment method,
the cash gaps, the conflicts open and resolved and the refused scans, read from the check figures
(``server.domain.checks``), never from the events."""

from datetime import date, timedelta

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from server.admin import bp
from server.admin.forms import network_timezone
from server.admin.views import id_arg
from server.auth.access import require_points, staff_required
from server.clock import today
from server.domain.checks import week_start, week_summary
from server.extensions import db
from server.models import Point
from sync.vocabulary import PAYMENT_METHODS

# The weeks a summary can show: a date outside these years is a typo (and the weeks around year 1 or 9999 cannot
# be computed), refused like a date that does not exist.
FIRST_YEAR, LAST_YEAR = 2000, 2999
SHOWN_CHARS = 40  # of a bad value, in the message that names it


def _monday() -> tuple[date, str | None]:
    """The Monday of the week asked (``?week=2026-11-30``, any day of it), else of this week; with the message that
    says why the week asked for was not shown (None: none asked, or shown)."""
    asked = request.args.get("week", "").strip()
    current = week_start(today(network_timezone()))
    if not asked:
        return current, None
    try:
        day = date.fromisoformat(asked)
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        shown = "".join(char for char in asked if char.isprintable())[:SHOWN_CHARS]
        return current, _("Invalid week date: %(value)s; here is the current week.", value=shown)
    return week_start(day), None


@bp.get("/points/<id:point_id>/week")
@staff_required
def point_week(point_id: int):
    point = db.get_or_404(Point, point_id)
    require_points([point.id])
    monday, invalid = _monday()
    days = week_summary(point.id, monday, network_timezone())
    methods = [m for m in PAYMENT_METHODS if any(day.check and day.check.by_method.get(m) for day in days)]
    return render_template(
        "admin/point_week.html",
        point=point,
        monday=monday,
        sunday=monday + timedelta(days=6),
        previous=monday - timedelta(weeks=1),
        next=monday + timedelta(weeks=1),
        days=days,
        methods=methods,
        invalid=invalid,
    )


@bp.get("/points/week")
@staff_required
def point_week_pick():
    """The dashboard's form: the point and a day of the week chosen, the summary's own address (no point: back to
    the form)."""
    point_id = id_arg("point")
    if point_id is None:
        return redirect(url_for(".dashboard", _anchor="weekly-summary"))
    week = request.args.get("week", "")
    return redirect(url_for(".point_week", point_id=point_id, week=week or None))
