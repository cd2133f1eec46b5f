"""Domain operations: verb functions that check the network's rules, change state, flush and audit; callers commit."""

from collections.abc import Iterable, Mapping
from datetime import date, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, func, select

from server.extensions import db


class DomainError(Exception):
    """A rule refused the change. ``message`` is for people; ``field`` names the data key it is about, if any."""

    def __init__(self, message: Any, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


def clean(model: type[db.Model], data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The whitelisted ``fields`` present in ``data``: text stripped and checked against its column's length."""
    columns = model.__table__.columns
    values: dict[str, Any] = {}
    for name in fields:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip()
            column = columns.get(name)
            length = column.type.length if column is not None and isinstance(column.type, String) else None
            if length and len(value) > length:
                raise DomainError(_l("This is too long: at most %(max)d characters.", max=length), field=name)
        values[name] = value
    return values


def require_text(values: Mapping[str, Any], name: str, message: Any) -> None:
    """Refuse a required text that is missing or blank (only checked when ``name`` is being set)."""
    if name in values and not values[name]:
        raise DomainError(message, field=name)


def is_taken(model: type[db.Model], column: Any, value: str, current: db.Model | None = None) -> bool:
    """Whether another row already uses ``value`` in ``column``, ignoring case; checked before a flush."""
    query = select(model.id).where(func.lower(column) == func.lower(value))
    if current is not None and current.id is not None:
        query = query.where(model.id != current.id)
    return db.session.scalar(query.limit(1)) is not None


def apply_changes(obj: db.Model, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set ``values`` on ``obj``; return ``{name: [old, new]}`` for what really changed, ready for the audit log."""
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            setattr(obj, name, new)
            changes[name] = [audit_value(old), audit_value(new)]
    return changes


def audit_value(value: Any) -> Any:
    """A value as the audit log's JSON keeps it: rows by id, times and dates in ISO 8601."""
    if isinstance(value, db.Model):
        return value.id
    if isinstance(value, date | time):  # a datetime too
        return value.isoformat()
    return value
