"""Writing the audit log: every admin and coordinator action goes through ``record``."""

from typing import Any

from flask import has_request_context, request

from server.extensions import db
from server.models import AuditEntry, User


def record(action: str, *, target: str = "", user: User | None = None, **details: Any) -> AuditEntry:
    """Add an audit entry in the current transaction (the caller commits)."""
    if user is None and has_request_context():
        from server.auth.session import current_user  # late: the auth views themselves write the audit log

        user = current_user()
    entry = AuditEntry(
        user=user,
        action=action,
        target=target,
        details=details,
        remote_addr=(request.remote_addr or "") if has_request_context() else "cli",
    )
    db.session.add(entry)
    return entry
