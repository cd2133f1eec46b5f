"""Session lifetime (configurable, idle) and the reverse-proxy setting (PROXY_FIX) that makes addresses and https
right behind a proxy under WSGI servers other than deploy/serve's waitress, and cannot be forged without it
(the documented deployment itself: tests/test_reverse_proxy.py)."""

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from server import create_app
from server.extensions import db
from server.models import AuditEntry
from tests.helpers import make_sign_in_token, submit_form

HTTPS = "https://comptoir.example.org"


@pytest.fixture
def env_app(monkeypatch, tmp_path):
    """``create_app()`` as production calls it: configured from ``COMPTOIR_*`` environment variables."""
    monkeypatch.setenv("COMPTOIR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")

    def make(**variables: str):
        for name, value in variables.items():
            monkeypatch.setenv(f"COMPTOIR_{name}", value)
        return create_app()

    return make


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("comptoir_session=")]
    assert cookies, "no session cookie"
    return cookies[0]


def cookie_expiry(cookie: str) -> datetime:
    expires = next(part.split("=", 1)[1] for part in cookie.split("; ") if part.startswith("Expires="))
    return parsedate_to_datetime(expires)


def sign_in(app, client, **kwargs):
    token = make_sign_in_token(app, "admin@example.org")
    response = submit_form(client, f"/auth/link/{token}", {}, **kwargs)
    assert response.status_code == 302 and response.location.endswith("/admin/"), response.status_code
    return response


# Sessions.


def test_session_lifetime_from_the_environment(env_app):
    app = env_app(PERMANENT_SESSION_LIFETIME="43200")
    assert app.permanent_session_lifetime == timedelta(seconds=43200)


def test_default_session_lifetime_is_twelve_hours(env_app):
    assert env_app().permanent_session_lifetime == timedelta(hours=12)


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return app_config | {"PERMANENT_SESSION_LIFETIME": 600}


def test_signed_in_cookie_lasts_the_configured_lifetime(app, client):
    expires = cookie_expiry(session_cookie(sign_in(app, client)))
    expected = datetime.now(UTC) + timedelta(seconds=600)
    assert abs((expires - expected).total_seconds()) < 5


@pytest.fixture
def clock(time_machine):
    """Stops the clock now; ``clock(seconds)`` moves it that far from the start (the server's clock and the one the
    session signature is checked with alike)."""
    start = datetime.now(UTC)
    time_machine.move_to(start, tick=False)
    return lambda seconds: time_machine.move_to(start + timedelta(seconds=seconds), tick=False)


def test_the_lifetime_is_idle_time(app, client, clock):
    """Each request renews the session: a user active every few minutes stays signed in past the lifetime; one idle
    for longer than it is signed out."""
    sign_in(app, client)
    for minutes in (8, 16, 24):  # 24 min after sign-in, never idle for 10
        clock(minutes * 60)
        assert client.get("/admin/").status_code == 200, minutes
    clock(24 * 60 + 601)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/auth/sign-in" in response.location


def test_requests_do_not_rewrite_the_cookie_between_renewals(app, client, clock):
    """Concurrent requests each answer with their own copy of the session: only one that changed it, or a renewal
    due (every tenth of the lifetime here, at most every 5 minutes), writes the cookie, so a page's assets or
    scripts never overwrite the CSRF token its form just stored."""
    sign_in(app, client)
    form = client.get("/admin/points/new")
    assert form.status_code == 200 and session_cookie(form)  # the form's CSRF token, stored in the session
    for path in ("/admin/", "/app/", "/static/icons/icon-192.png", "/auth/passkeys"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert not [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("comptoir_session=")], path
    clock(61)  # the lifetime is 600 s: renewed after 60 s
    assert session_cookie(client.get("/admin/"))  # renewed
    assert not client.get("/admin/").headers.getlist("Set-Cookie")


# Proxies.


def audit_addresses(app, action: str = "sign_in.link") -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.remote_addr).where(AuditEntry.action == action)))


def test_forwarded_for_is_ignored_without_proxy_fix(app, client):
    sign_in(app, client, headers={"X-Forwarded-For": "203.0.113.5"})
    assert audit_addresses(app) == ["127.0.0.1"]


@pytest.fixture
def proxied_app(app_config, backend):
    app = create_app(app_config | {"PROXY_FIX": 1, "BASE_URL": HTTPS})
    with app.app_context():
        if backend == "postgresql":
            db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if backend == "postgresql":
            db.drop_all()
        db.engine.dispose()


def test_forwarded_for_is_the_client_behind_a_trusted_proxy(proxied_app):
    client = proxied_app.test_client()
    sign_in(proxied_app, client, headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.5"})
    assert audit_addresses(proxied_app) == ["203.0.113.5"]  # the one the proxy added; the client's own is not trusted


def test_forwarded_proto_makes_https_behind_a_trusted_proxy(proxied_app):
    @proxied_app.get("/_seen")
    def seen():
        from flask import request

        return {"scheme": request.scheme, "secure": request.is_secure, "remote_addr": request.remote_addr}

    client = proxied_app.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    assert client.get("/_seen", headers=headers).get_json() == {
        "scheme": "https",
        "secure": True,
        "remote_addr": "203.0.113.5",
    }
    response = client.get("/auth/sign-in", headers=headers)
    assert "Strict-Transport-Security" in response.headers
    assert "Secure" in session_cookie(response)


def test_forwarded_headers_change_nothing_without_proxy_fix(app):
    @app.get("/_seen")
    def seen():
        from flask import request

        return {"scheme": request.scheme, "remote_addr": request.remote_addr}

    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    assert app.test_client().get("/_seen", headers=headers).get_json() == {"scheme": "http", "remote_addr": "127.0.0.1"}


def test_proxy_fix_from_the_environment(env_app):
    app = env_app(PROXY_FIX="1")
    assert app.config["PROXY_FIX"] == 1
    assert type(app.wsgi_app.app).__name__ == "ProxyFix"
    assert not hasattr(env_app(PROXY_FIX="0").wsgi_app, "app")  # the app's own wsgi_app, nothing around it


def test_proxy_fix_without_forwarded_for_is_said_in_the_log(proxied_app, caplog):
    """PROXY_FIX set, but the header never arrives (a proxy that does not set it, or waitress removing it when not
    told to trust the proxy): every client would be the proxy. Said once in the log, not at every request."""
    client = proxied_app.test_client()
    with caplog.at_level("WARNING", logger="server.proxies"):
        client.get("/auth/sign-in", headers={"X-Forwarded-For": "203.0.113.5"})
        assert not caplog.records
        client.get("/auth/sign-in")
        client.get("/auth/sign-in")
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "without X-Forwarded-For" in warnings[0] and "deploy/serve" in warnings[0]


@pytest.mark.parametrize("value", ["yes", -1, True, 1.5, None])
def test_a_wrong_proxy_fix_stops_the_start(tmp_path, value):
    config = {
        "TESTING": True,
        "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "INSTANCE_PATH": str(tmp_path),
    }
    with pytest.raises(ValueError, match="PROXY_FIX"):
        create_app(config | {"PROXY_FIX": value})
