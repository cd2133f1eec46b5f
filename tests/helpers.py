"""Small actions tests repeat: reading a form's CSRF token, posting a form, signing in."""

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# For a test of the demo generator's own behaviour (the same seed plays the same network, what it reuses, its command's
# options) that loads the whole demo: on SQLite only, for nothing in it is the database's to decide, and each load
# costs 25 s on PostgreSQL. The demo itself still loads on PostgreSQL (the module fixtures of ``test_demo.py`` and
# ``test_demo_past.py``, which check what it holds, and ``prepare`` in ``test_migrations.py``).
ON_SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def submit_form(client: FlaskClient, url: str, data: dict, **kwargs):
    """GET the page at ``url`` for its CSRF token, then POST ``data`` to it, as a browser would."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data}, **kwargs)


def make_sign_in_token(app: Flask, email: str) -> str:
    from server.domain.links import create_sign_in_link, ensure_admin
    from server.extensions import db

    with app.app_context():
        token = create_sign_in_link(ensure_admin(email), app.config["SIGN_IN_LINK_MINUTES"])
        db.session.commit()
    return token


def sign_in_as_admin(app: Flask, client: FlaskClient, email: str) -> None:
    token = make_sign_in_token(app, email)
    response = submit_form(client, f"/auth/link/{token}", {})
    assert response.status_code == 302 and response.location.endswith("/admin/"), response.status_code


def sign_in_user(app: Flask, client: FlaskClient, user_id: int):
    """Sign ``client`` in as the user ``user_id`` through a real one-time link; returns the redirect response."""
    from server.domain.links import create_sign_in_link
    from server.extensions import db
    from server.models import User

    with app.app_context():
        token = create_sign_in_link(db.session.get(User, user_id), 15)
        db.session.commit()
    response = submit_form(client, f"/auth/link/{token}", {})
    assert response.status_code == 302, response.status_code
    return response


def statements_run(app: Flask, client: FlaskClient, url: str, keep=lambda statement: True) -> list[tuple[str, Any]]:
    """The SQL statements (with their parameters) answering ``url`` runs, those ``keep`` accepts (the page must
    answer 200)."""
    from sqlalchemy import event

    from server.extensions import db

    seen: list[tuple[str, Any]] = []

    def note(_conn, _cursor, statement, parameters, *_args) -> None:
        if keep(statement):
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert response.status_code == 200, url
    return seen


def statements_of(app: Flask, client: FlaskClient, url: str) -> int:
    """How many SQL statements answering ``url`` takes (the page must answer 200)."""
    return len(statements_run(app, client, url))
