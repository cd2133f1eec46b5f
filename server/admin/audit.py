"""The audit log page: who did what, when and from where, newest first, for admins only. Each entry reads as a
sentence with links (``audit_words``); its raw details stay one click away, for support.

Filters come from the query string and are forgiving: a value that is not usable (a malformed date, an unknown user,
an over-long action) is dropped and the page shows the unfiltered list for it, never an error.
"""

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from server.admin import bp
from server.admin.audit_words import AuditWords
from server.admin.views import id_arg, paginate
from server.auth.access import admin_required
from server.extensions import db
from server.models import AuditEntry, User

CLI = "cli"  # the ``user`` filter value for entries written from the command line (no user, address "cli")
MAX_ACTION_LENGTH = 60  # AuditEntry.action's column size
KNOWN_ACTIONS_SHOWN = 200


@bp.get("/audit/")
@admin_required
def audit_log():
    action = request.args.get("action", "").replace("\x00", "").strip()[:MAX_ACTION_LENGTH]  # PostgreSQL refuses NUL
    user_filter = request.args.get("user", "")
    first_day, last_day = date_arg("from"), date_arg("to")

    query = select(AuditEntry).options(joinedload(AuditEntry.user))
    if action:
        query = query.where(AuditEntry.action.ilike(prefix_pattern(action), escape="\\"))
    if user_filter == CLI:
        query = query.where(AuditEntry.user_id.is_(None), AuditEntry.remote_addr == CLI)
    elif user_id := id_arg("user"):
        query = query.where(AuditEntry.user_id == user_id)
        user_filter = str(user_id)
    else:
        user_filter = ""
    if first_day:
        query = query.where(AuditEntry.at >= local_midnight(first_day))
    if last_day:
        query = query.where(AuditEntry.at < local_midnight(last_day + timedelta(days=1)))
    page = paginate(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    words = AuditWords.for_entries(page.items)

    return render_template(
        "admin/audit.html",
        page=page,
        rows=[(entry, words.sentence(entry), full_details(entry.details)) for entry in page.items],
        action=action,
        user_filter=user_filter,
        first_day=first_day.isoformat() if first_day else "",
        last_day=last_day.isoformat() if last_day else "",
        users=db.session.scalars(select(User).order_by(User.email)).all(),
        actions=db.session.scalars(
            select(AuditEntry.action).distinct().order_by(AuditEntry.action).limit(KNOWN_ACTIONS_SHOWN)
        ).all(),
        cli=CLI,
    )


def prefix_pattern(text: str) -> str:
    """A LIKE pattern matching what starts with ``text``, LIKE's own wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def date_arg(name: str) -> date | None:
    """An ISO date (``2026-03-10``, what ``<input type="date">`` sends), or None when missing or unusable."""
    value = request.args.get(name, "").strip()
    if len(value) != len("YYYY-MM-DD"):  # no week dates or other ISO forms
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if 1900 <= day.year <= 9000 else None  # far from the ends where a timezone shift overflows


def local_midnight(day: date) -> datetime:
    """The start of ``day`` in the network's timezone, in UTC (the audit log stores UTC)."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def full_details(details: Any) -> str:
    if details in (None, "", [], {}):
        return ""
    return json.dumps(details, ensure_ascii=False, indent=2, sort_keys=True, default=str)
