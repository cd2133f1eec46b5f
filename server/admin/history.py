"""A point's history, week by week: a table and two bar charts drawn as SVG on the server (no script)."""

from collections.abc import Sequence
from dataclasses import dataclass

from flask import render_template
from flask_babel import format_date
from flask_babel import gettext as _

from server.admin import bp
from server.admin.forms import network_timezone
from server.auth.access import require_points, staff_required
from server.clock import utcnow
from server.domain.distribution_log import Week, point_history
from server.extensions import db
from server.formatting import money
from server.models import Point
from sync.vocabulary import PAYMENT_METHODS


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # under the bar
    title: str  # what it says, for a tooltip and screen readers


CHART_WIDTH, CHART_HEIGHT, CHART_AXIS = 600, 200, 30  # the drawing's units (it scales with the page)


def bars(values: Sequence[int | None], labels: Sequence[str], titles: Sequence[str], top: int) -> list[Bar]:
    """One bar per value, scaled to ``top`` (None or 0: no bar, the label stays)."""
    slot = CHART_WIDTH / max(len(values), 1)
    drawn = CHART_HEIGHT - CHART_AXIS
    found = []
    for index, value in enumerate(values):
        height = round(drawn * (value or 0) / top, 1) if top else 0
        found.append(
            Bar(
                round(index * slot + slot * 0.15, 1),
                drawn - height,
                round(slot * 0.7, 1),
                height,
                labels[index],
                titles[index],
            )
        )
    return found


@bp.get("/points/<id:point_id>/history")
@staff_required
def point_history_page(point_id: int):
    point = db.get_or_404(Point, point_id)
    require_points([point.id])
    weeks = point_history(point, utcnow(), network_timezone())
    shown = [method for method in PAYMENT_METHODS if any(dict(week.by_method)[method] for week in weeks)]
    labels = [format_date(week.start, "d/M") for week in weeks]
    attendance = bars(
        [week.attendance_percent for week in weeks],
        labels,
        [_week_attendance(week) for week in weeks],
        100,
    )
    takings = bars(
        [week.paid_cents for week in weeks],
        labels,
        [
            _("Week of %(day)s: %(amount)s", day=format_date(week.start, "d MMMM"), amount=money(week.paid_cents))
            for week in weeks
        ],
        max((week.paid_cents for week in weeks), default=0),
    )
    rows = [
        (week, week.start.isocalendar().week, format_date(week.start, "d MMM y"), dict(week.by_method))
        for week in reversed(weeks)  # the table reads from the latest week down
    ]
    return render_template(
        "admin/point_history.html",
        point=point,
        rows=rows,
        methods=shown,
        attendance=attendance,
        takings=takings,
        geometry={"width": CHART_WIDTH, "height": CHART_HEIGHT, "axis": CHART_AXIS},
        top_takings=max((week.paid_cents for week in weeks), default=0),
    )


def _week_attendance(week: Week) -> str:
    day = format_date(week.start, "d MMMM")
    if week.attendance_percent is None:
        return _("Week of %(day)s: no order", day=day)
    return _("Week of %(day)s: %(percent)d %% collected", day=day, percent=week.attendance_percent)
