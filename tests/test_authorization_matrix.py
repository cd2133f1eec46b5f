"""The authorization matrix: every route of the app's own URL map × every role, sent to the running app.

What each cell should be comes from ``server/cli/security.py`` (each view's ``access`` tag and the point scoping of
its URL arguments), the same code that writes the table of ``docs/security.md``. Every request carries a valid CSRF
token (a refusal must be about who is asking, not about the form) and URL arguments that name objects of point A.

The sample data is built once per database (SQLite, PostgreSQL) with real sign-ins through one-time links, real
enrolled devices and shifts; a request that may have changed something (a non-GET answered below 400) puts every
table back as it was, so the cells stay independent of their order.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from server import create_app
from server.cli import security
from server.extensions import db
from tests.conftest import BACKENDS, own_database
from tests.factories.authorization import Samples, authorization_samples
from tests.helpers import csrf_token

ROOT_DOC = "docs/security.md"
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
COOKIE = "comptoir_session"


def url_map_app():
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


ROUTES = security.routes(url_map_app())


# Sample values for URL arguments: (samples, role) → value. Objects named by a scoped argument belong to point A.
# A new argument name needs a line here, or every request of its route fails.
SAMPLES: dict[str, Callable[["Samples", str], Any]] = {
    "point_id": lambda s, role: s.point_a,
    "distribution_id": lambda s, role: s.distribution,
    "household_id": lambda s, role: s.household,
    "order_id": lambda s, role: s.order,
    "conflict_id": lambda s, role: s.conflict,  # a conflict of the distribution at point A
    "user_id": lambda s, role: s.users["volunteer"],  # a volunteer of point A
    "device_id": lambda s, role: s.device,
    "tier_id": lambda s, role: s.tier,
    "band_id": lambda s, role: s.band,
    "product_id": lambda s, role: s.product,
    "producer_id": lambda s, role: s.producer,
    "extra_id": lambda s, role: s.extra,  # an extra of the distribution at point A
    "movement_id": lambda s, role: s.movement,  # a top-up of the household at point A
    "subscription_id": lambda s, role: s.subscription,  # a push subscription of the member at point A
    "passkey_id": lambda s, role: s.passkeys.get(role, s.passkeys["volunteer"]),  # the caller's own passkey
    "token": lambda s, role: s.link_token,  # a real one-time sign-in link (other tokens: public routes anyway)
    # The member holds their own page link; anyone else can only guess a token of the same shape.
    "page_token": lambda s, role: s.page_token if role == "member" else "x" * len(s.page_token),
    "contract_id": lambda s, role: s.contract,  # a season contract at point A the member subscribes to
    "offered_id": lambda s, role: s.offered,
    "subscriber_id": lambda s, role: s.subscriber,
    "cheque_id": lambda s, role: s.season_cheque,  # an expected cheque of that contract's calendar
    "absence_id": lambda s, role: s.absence,
    "filename": lambda s, role: "admin.css",
    "name": lambda s, role: "pico.min.css",
}


@dataclass
class Caller:
    cookie: str
    csrf: str
    headers: dict[str, str]


@dataclass
class World:
    app: Any
    samples: Samples
    callers: dict[str, Caller]
    snapshot: dict[str, list[dict[str, Any]]]


# The callers (the sample data is built by tests/factories/authorization.py).


def caller(app, user_id: int | None = None, headers: dict[str, str] | None = None) -> Caller:
    """A session cookie (signed in through a real one-time link when ``user_id`` is given) and its CSRF token."""
    from server.domain.links import create_sign_in_link
    from server.models import User

    client = app.test_client()
    if user_id is not None:
        with app.app_context():
            token = create_sign_in_link(db.session.get(User, user_id), 15)
            db.session.commit()
        page = client.get(f"/auth/link/{token}")
        signed_in = client.post(f"/auth/link/{token}", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
        assert signed_in.status_code == 302, signed_in.status_code
    page = client.get("/auth/sign-in")  # mints the session's CSRF token
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    token = META_CSRF.search(page.get_data(as_text=True)).group(1)
    return Caller(cookie=cookie.value, csrf=token, headers=headers or {})


def callers(app, samples: Samples) -> dict[str, Caller]:
    def device(role: str, shift: bool) -> dict[str, str]:
        headers = {"Authorization": f"Device {samples.device_credentials[role]}"}
        if shift:
            headers["X-Comptoir-Shift"] = samples.shift_tokens[role]
        return headers

    found = {"anonymous": caller(app), "member": caller(app)}
    for role in security.SESSION_ROLES:
        found[role] = caller(app, samples.users[role])
    found["device"] = caller(app, headers=device("device", shift=False))
    found["shift"] = caller(app, headers=device("device", shift=True))
    found["revoked_device"] = caller(app, headers=device("revoked_device", shift=True))
    assert set(found) == set(security.ROLE_KEYS)
    return found


def take_snapshot() -> dict[str, list[dict[str, Any]]]:
    return {
        table.name: [dict(row._mapping) for row in db.session.execute(select(table))]
        for table in db.metadata.sorted_tables
    }


def restore(snapshot: dict[str, list[dict[str, Any]]]) -> None:
    """Every table back to the snapshot (rows added since are deleted, changed ones written back)."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(delete(table))
    for table in db.metadata.sorted_tables:
        if snapshot[table.name]:
            db.session.execute(insert(table), snapshot[table.name])
    db.session.commit()


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp(f"matrix-{request.param}")
    # The limits have their own tests; here every role calls every route.
    with own_database(request.param, folder, SECRET_KEY="matrix", RATELIMIT_ENABLED=False) as config:
        app = create_app(config)
        with app.app_context():
            db.create_all()
            samples = authorization_samples()
        found = callers(app, samples)
        with app.app_context():
            snapshot = take_snapshot()
        yield World(app=app, samples=samples, callers=found, snapshot=snapshot)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# The matrix.


@dataclass(frozen=True)
class Case:
    route: security.Route
    method: str
    role: str

    def __str__(self) -> str:
        return f"{self.route.endpoint}-{self.method}-{self.role}"


CASES = [
    Case(route, method, role)
    for route in ROUTES
    if route.access is not None  # an untagged route fails test_every_route_has_an_access_tag
    for method in route.methods
    for role in security.ROLE_KEYS
]


def sample_url(route: security.Route, samples: Samples, role: str) -> str:
    values = {}
    for name in route.arguments:
        if name not in SAMPLES:
            pytest.fail(f"add a sample for <{name}> (route {route.endpoint} {route.path}) to SAMPLES", pytrace=False)
        values[name] = SAMPLES[name](samples, role)
    path = route.path
    for name, value in values.items():
        path = re.sub(rf"<(?:[^<>:]+:)?{name}>", str(value), path)
    return path


def sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and "/auth/sign-in" in (response.location or "")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matrix(world: World, case: Case):
    route, method, role = case.route, case.method, case.role
    url = sample_url(route, world.samples, role)
    who = world.callers[role]
    client = world.app.test_client()
    client.set_cookie(COOKIE, who.cookie)
    options: dict[str, Any] = {"method": method, "headers": {"X-CSRFToken": who.csrf, **who.headers}}
    if method not in ("GET", "HEAD"):
        if route.path.startswith("/api/"):
            options["json"] = {}
        else:
            options["data"] = {"csrf_token": who.csrf}
    response = client.open(url, **options)
    status = response.status_code
    try:
        outcome = route.expected(role)
        where = f"{method} {url} as {role}: the matrix says {outcome}, the app answered {status}"
        assert status < 500, where
        if outcome == security.ALLOWED:
            assert status not in (401, 403), where
            if route.access != "public":  # a public file or token that does not exist is a fair 404
                assert status != 404, where
                assert not sent_to_sign_in(response), where
        elif outcome == security.SIGN_IN:
            assert sent_to_sign_in(response), where
        else:
            assert status == int(outcome), where
    finally:
        if method not in ("GET", "HEAD") and status < 400:
            with world.app.app_context():
                restore(world.snapshot)


def test_every_route_has_an_access_tag():
    untagged = [route.endpoint for route in ROUTES if route.access is None]
    assert not untagged, f"views without an access tag (decorate them from server/auth/access.py): {untagged}"


def test_every_url_argument_has_a_sample():
    unknown = sorted({name for route in ROUTES for name in route.arguments} - set(SAMPLES))
    assert not unknown, f"add a sample for {unknown} to SAMPLES in {__name__}"
    assert set(security.SCOPED_ARGUMENTS) <= set(SAMPLES)


def test_every_role_is_a_caller():
    assert security.ROLE_KEYS == (
        "anonymous",
        "member",
        "volunteer",
        "coordinator",
        "other_coordinator",
        "admin",
        "device",
        "shift",
        "revoked_device",
    )


# The document.


def test_the_document_is_current():
    from pathlib import Path

    document = (Path(__file__).resolve().parent.parent / ROOT_DOC).read_text(encoding="utf-8")
    part = security.generated_part(document)
    assert part is not None, f"{ROOT_DOC} lost its markers:\n{security.BEGIN}\n{security.END}"
    assert part == security.markdown(url_map_app()), f"{ROOT_DOC} is stale: run {security.COMMAND}"


def test_the_command_prints_and_writes_the_table(tmp_path):
    app = url_map_app()
    printed = app.test_cli_runner().invoke(args=["security", "matrix"])
    assert printed.exit_code == 0, printed.output
    assert "| `/admin/` | GET | `admin.dashboard` | staff |" in printed.output
    document = tmp_path / "security.md"
    document.write_text(f"# Title\n\n{security.BEGIN}\nold\n{security.END}\n\nAfter.\n", encoding="utf-8")
    written = app.test_cli_runner().invoke(args=["security", "matrix", "--write", str(document)])
    assert written.exit_code == 0, written.output
    content = document.read_text(encoding="utf-8")
    assert security.generated_part(content) == printed.output
    assert content.startswith("# Title\n") and content.endswith("\nAfter.\n")
    document.write_text("no markers\n", encoding="utf-8")
    refused = app.test_cli_runner().invoke(args=["security", "matrix", "--write", str(document)])
    assert refused.exit_code != 0 and "no markers" in refused.output


@pytest.mark.parametrize(
    ("access", "scoped", "row"),
    [
        ("public", False, ["allowed"] * 9),
        ("member", False, ["404", "allowed", "404", "404", "404", "404", "404", "404", "404"]),
        ("user", False, ["sign-in", "sign-in", *["allowed"] * 4, "sign-in", "sign-in", "sign-in"]),
        ("staff", True, ["sign-in", "sign-in", "403", "allowed", "404", "allowed", "sign-in", "sign-in", "sign-in"]),
        (
            "staff",
            False,
            ["sign-in", "sign-in", "403", "allowed", "allowed", "allowed", "sign-in", "sign-in", "sign-in"],
        ),
        ("admin", False, ["sign-in", "sign-in", "403", "403", "403", "allowed", "sign-in", "sign-in", "sign-in"]),
        ("device", False, ["401", "401", "401", "401", "401", "401", "allowed", "allowed", "403"]),
        ("shift", False, ["401", "401", "401", "401", "401", "401", "401", "allowed", "403"]),
    ],
)
def test_the_rules(access, scoped, row):
    assert [security.expected(access, scoped, role) for role in security.ROLE_KEYS] == row
