"""The Comptoir server: ``create_app`` builds a configured Flask application."""

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import event

from server.auth.access import public
from server.auth.session import current_user
from server.config import CONTENT_SECURITY_POLICY, DEFAULTS, instance_secret_key
from server.extensions import babel, csrf, db, limiter, migrate, talisman
from server.memory import orm_states_with_their_own_dict
from server.models.types import render_migration_item
from server.proxies import trust_proxies
from server.urls import IdConverter

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Defaults, then ``COMPTOIR_*`` environment variables (or the ``config`` mapping tests pass), then extensions."""
    orm_states_with_their_own_dict()  # before any row is read: CPython 3.11's collector crash (server.memory)
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("COMPTOIR_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    if config is None:
        app.config.from_prefixed_env("COMPTOIR")
    else:
        app.config.from_mapping(config)
    os.makedirs(app.instance_path, exist_ok=True)

    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI",
        app.config.get("DATABASE_URL") or f"sqlite:///{os.path.join(app.instance_path, 'comptoir.sqlite')}",
    )
    _secret_keys(app)
    https = app.config["BASE_URL"].startswith("https://")
    app.config["SESSION_COOKIE_SECURE"] = https
    base = urlsplit(app.config["BASE_URL"])
    app.config.setdefault("WEBAUTHN_RP_ID", base.hostname)
    app.config.setdefault("WEBAUTHN_ORIGINS", [f"{base.scheme}://{base.netloc}"])

    trust_proxies(app)
    from server.auth.session import RenewingSessionInterface

    app.session_interface = RenewingSessionInterface()
    _init_database(app)
    app.url_map.converters["id"] = IdConverter
    from server.i18n import select_locale

    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    talisman.init_app(
        app,
        force_https=False,  # the HTTPS proxy in front redirects; see docs/deployment.md
        strict_transport_security=https,
        session_cookie_secure=https,
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="no-referrer",  # one-time tokens travel in URLs: never leak them to another site
        frame_options="DENY",
        permissions_policy={"camera": "(self)", "microphone": "()", "geolocation": "()"},
    )

    from server import errors
    from server.admin import bp as admin_bp
    from server.api import bp as api_bp
    from server.auth import bp as auth_bp
    from server.cli import register_cli
    from server.formatting import register_filters
    from server.i18n import register_i18n
    from server.members import bp as members_bp
    from server.pwa import bp as pwa_bp
    from server.static_vendor import bp as vendor_bp

    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    csrf.exempt(api_bp)  # devices authenticate by headers, not cookies: see docs/devices.md
    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(vendor_bp, url_prefix="/vendor")
    app.register_blueprint(pwa_bp)
    app.register_blueprint(members_bp)
    errors.register(app)
    from server import instance_keys

    instance_keys.register(app)
    register_i18n(app)
    register_cli(app)
    register_filters(app)
    app.jinja_env.globals["current_user"] = current_user

    @app.get("/")
    @public
    def index():
        """Staff to the admin, volunteers to their app, anyone else to the sign-in page."""
        from flask import redirect, url_for

        from server.auth.views import home_url

        user = current_user()
        return redirect(home_url(user) if user else url_for("auth.sign_in_page"))

    from server.ratelimits import apply_rate_limits

    apply_rate_limits(app)  # last: it wraps views every blueprint above has registered
    return app


def _secret_keys(app: Flask) -> None:
    """The secret key every app server shares (COMPTOIR_SECRET_KEY): it signs sessions and CSRF tokens, derives the
    decoy passkey ids and seals the private keys kept in the database (server/sealed.py). Without it, a single
    server uses instance/secret_key, which only that server has. Fallbacks (older secrets, tried after it) may be a
    JSON list or comma-separated."""
    if app.config.get("SECRET_KEY"):
        app.extensions["comptoir_secret_source"] = "COMPTOIR_SECRET_KEY"
    else:
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
        app.extensions["comptoir_secret_source"] = f"{app.instance_path}/secret_key, not COMPTOIR_SECRET_KEY"
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            app.logger.warning(
                "COMPTOIR_SECRET_KEY is not set: this server's secret key is its own instance/secret_key; every "
                "app server sharing this database needs the same COMPTOIR_SECRET_KEY (docs/deployment.md)"
            )
    fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or []
    if not isinstance(fallbacks, list | tuple):  # a plain value from the environment
        fallbacks = [part.strip() for part in str(fallbacks).split(",") if part.strip()]
    app.config["SECRET_KEY_FALLBACKS"] = list(fallbacks)


def _init_database(app: Flask) -> None:
    """Bind SQLAlchemy and Alembic; on SQLite, enforce foreign keys and use WAL on every connection."""
    import server.models  # noqa: F401  (registers every table on the metadata)

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=MIGRATIONS_DIR,
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )
    if uri.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _translate(text: str | None, source: str, target: str) -> str | None:
    """PostgreSQL's ``translate`` for SQLite: each character of ``source`` becomes the one of ``target``."""
    return None if text is None else text.translate(str.maketrans(source, target))


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.create_function("translate", 3, _translate, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
