"""Fixtures: a fresh app and an empty database per test, on SQLite and (when configured) PostgreSQL.

``COMPTOIR_TEST_POSTGRES_URL`` (set by ``.ci/run``) adds PostgreSQL to every database test. With ``CI=true``
a missing PostgreSQL or Chromium fails the run instead of skipping. ``COMPTOIR_TEST_CLOCK_AHEAD_DAYS`` runs the whole
session that many days in the future, and ``COMPTOIR_TEST_CLOCK_AT`` (``HH:MM``, Paris time, the networks' default
timezone) starts it at that time of day (``make test``: a year ahead at 23:00 on SQLite and without a database,
tomorrow at 01:30 on PostgreSQL).
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from server import create_app
from server.extensions import db
from tests.url_builders import remember_url_builders

remember_url_builders()

POSTGRES_URL = os.environ.get("COMPTOIR_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]
CLOCK_AHEAD_DAYS = int(os.environ.get("COMPTOIR_TEST_CLOCK_AHEAD_DAYS", "0"))
CLOCK_AT = os.environ.get("COMPTOIR_TEST_CLOCK_AT", "")


def missing(what: str) -> None:
    """Fail in CI, skip on a developer machine."""
    if IN_CI:
        pytest.fail(f"{what} is required when CI=true", pytrace=False)
    pytest.skip(f"{what} not available")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``make test`` splits the run by the database a test id names (``-k "not sqlite"``, ``-k "not postgresql"``):
    an id naming both would run in neither lane."""
    both = [item.nodeid for item in items if "sqlite" in item.nodeid and "postgresql" in item.nodeid]
    if both:
        raise pytest.UsageError(f"a test id names both databases, rename it: {', '.join(both)}")


def session_start(now: datetime) -> datetime:
    """When the run starts: that many days ahead, at that time of day in Paris if one is given."""
    start = now + timedelta(days=CLOCK_AHEAD_DAYS)
    if CLOCK_AT:
        paris = ZoneInfo("Europe/Paris")
        start = datetime.combine(start.astimezone(paris).date(), time.fromisoformat(CLOCK_AT), paris)
    return start.astimezone(UTC)


@pytest.fixture(scope="session", autouse=True)
def clock_ahead() -> Iterator[None]:
    """The whole run, that many days ahead and at that time of day: a test that passes only near the day it was
    written fails today, and one that passes only at some hours of the day fails every run."""
    if not CLOCK_AHEAD_DAYS and not CLOCK_AT:
        yield
        return
    with time_machine.travel(session_start(datetime.now(UTC)), tick=True):
        yield


@pytest.fixture
def midday() -> Iterator[None]:
    """The test's day from noon in Paris (the clock still running): a world whose hours must not cross a midnight,
    the end of a volunteer's shift, asks for it (``pytest.mark.usefixtures("midday")``)."""
    paris = ZoneInfo("Europe/Paris")
    noon = datetime.combine(datetime.now(UTC).astimezone(paris).date(), time(12), paris)
    with time_machine.travel(noon, tick=True):
        yield


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A private schema for this test run, so concurrent runs on the same database never meet."""
    if not POSTGRES_URL:
        missing("PostgreSQL (COMPTOIR_TEST_POSTGRES_URL)")
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        missing(f"PostgreSQL at {engine.url.render_as_string()} ({exc.orig})")
    yield schema
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def database_config(backend: str, request: pytest.FixtureRequest, tmp_path) -> dict:
    if backend == "sqlite":
        return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite'}"}
    schema = request.getfixturevalue("postgres_schema")
    return {
        "SQLALCHEMY_DATABASE_URI": POSTGRES_URL,
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
    }


def make_config(backend: str, request: pytest.FixtureRequest, tmp_path, **extra) -> dict:
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        **database_config(backend, request, tmp_path),
        **extra,
        "INSTANCE_PATH": str(instance),
    }


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app_config(backend: str, request: pytest.FixtureRequest, tmp_path) -> dict:
    return make_config(backend, request, tmp_path)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An SQLite file with every table, made once per run: each test starts from a copy (a millisecond, where
    creating the tables takes about fifty)."""
    folder = tmp_path_factory.mktemp("template")
    template = folder / "template.sqlite"
    made = create_app(
        {"SECRET_KEY": "x", "INSTANCE_PATH": str(folder), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{template}"}
    )
    with made.app_context():
        db.create_all()
        db.engine.dispose()  # the last connection checkpoints the write-ahead log into the file
    return template


@pytest.fixture
def app(app_config: dict, backend: str, request: pytest.FixtureRequest):
    """A new app on an empty database: on SQLite a copy of the run's template file, on PostgreSQL the run's schema,
    its tables made once and emptied before and after each test (a few milliseconds, where dropping and creating
    them took a quarter of a second)."""
    database = make_url(app_config["SQLALCHEMY_DATABASE_URI"]).database
    if backend == "sqlite" and database not in (None, "", ":memory:") and not os.path.exists(database):
        shutil.copyfile(request.getfixturevalue("sqlite_template"), database)
    app = create_app(app_config)
    with app.app_context():
        if backend == "postgresql":
            complete_tables()
            empty_tables()
        else:
            db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if backend == "postgresql":
            empty_tables()
        db.engine.dispose()


def complete_tables() -> None:
    """Make the schema's missing tables: all of them for the run's first test, those a test dropped after it. One
    query when none is missing (``create_all`` asks about each table: 14 ms more a test, half a minute of a run)."""
    present = db.session.scalar(
        text("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()")
    )
    if present != len(db.metadata.tables):
        db.create_all()
    db.session.remove()


def empty_tables() -> None:
    """Delete every row of the schema's tables (children first) and start their id sequences again at 1."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql("; ".join(f'DELETE FROM "{t.name}"' for t in reversed(db.metadata.sorted_tables)))
        sequences = connection.execute(
            text("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()")
        ).scalars()
        restarts = [f"setval('\"{name}\"', 1, false)" for name in sequences]
        if restarts:
            connection.exec_driver_sql("SELECT " + ", ".join(restarts))


@contextmanager
def own_database(backend: str, folder: Path, **extra: Any) -> Iterator[dict]:
    """The config of an app on a database nobody else uses (a new SQLite file in ``folder``, or a new PostgreSQL
    schema dropped afterwards: dispose of the app's engine first). ``extra`` adds to or overrides the config."""
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "INSTANCE_PATH": str(folder), **extra}
    if backend == "sqlite":
        yield config | {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'own.sqlite'}"}
        return
    if not POSTGRES_URL:
        missing("PostgreSQL (COMPTOIR_TEST_POSTGRES_URL)")
    schema = f"own_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield config | {
            "SQLALCHEMY_DATABASE_URI": POSTGRES_URL,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
        }
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def module_app(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator:
    """An app on a database of its own for one test module (one the per-test ``app`` never empties): for modules
    whose tests only read what one costly load wrote."""
    with own_database(request.param, tmp_path_factory.mktemp("module")) as config:
        made = create_app(config)
        with made.app_context():
            db.create_all()
        yield made
        with made.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def admin_client(app, client):
    """A test client signed in as an admin through a real one-time link."""
    from tests.helpers import sign_in_as_admin

    sign_in_as_admin(app, client, "admin@example.org")
    return client


@pytest.fixture(params=BACKENDS)
def empty_app(request, tmp_path):
    """An app on a database nobody has touched: a new SQLite file, or a new PostgreSQL schema."""
    with own_database(request.param, tmp_path, SECRET_KEY="x") as config:
        app = create_app(config)
        yield app
        with app.app_context():
            db.engine.dispose()
