"""Rate limits on the endpoints anyone can call (server/ratelimits.py): a burst limit per client address and a
stricter one per target (token, e-mail, phone), each per endpoint; 429 with Retry-After (JSON under /api/), off with
RATELIMIT_ENABLED, shared through Redis when configured."""

import os
import re
import secrets
import uuid

import pytest
import time_machine
from limits import parse_many
from werkzeug.routing.converters import NumberConverter

from server import create_app
from server.clock import utcnow
from server.config import DEFAULTS
from server.extensions import db, limiter
from server.ratelimits import LIMITED_ENDPOINTS, TARGETS
from tests.conftest import make_config, missing
from tests.helpers import csrf_token, make_sign_in_token

META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
REDIS_URL = os.environ.get("COMPTOIR_TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return app_config | {"AUTH_RATE_LIMIT": "3 per minute"}


def make_app(request, tmp_path, **config):
    """Another app on its own SQLite file (for tests that build several, or change what create_app reads)."""
    path = tmp_path / uuid.uuid4().hex
    path.mkdir()
    app = create_app(make_config("sqlite", request, path, **config))
    with app.app_context():
        db.create_all()
    return app


def sample_url(app, endpoint: str) -> tuple[str, str]:
    """A URL of ``endpoint`` and the method to call it with (POST when it takes one, as the ceremonies do)."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {name: 1 if isinstance(conv, NumberConverter) else "x" for name, conv in rule._converters.items()}
    return rule.build(values)[1], "POST" if "POST" in rule.methods else "GET"


def hit(client, endpoint_url: tuple[str, str], **kwargs):
    url, method = endpoint_url
    if method == "POST":
        kwargs.setdefault("json", {})
    return client.open(url, method=method, **kwargs)


def assert_limited(response, *, json_expected: bool) -> None:
    assert response.status_code == 429, response.status_code
    assert int(response.headers["Retry-After"]) > 0
    if json_expected:
        error = response.get_json()["error"]
        assert error["status"] == 429 and error["reason"] == "rate_limited" and error["retry_after"] > 0
    else:
        assert response.content_type.startswith("text/html")
        assert "429" in response.get_data(as_text=True)


# Which endpoints are limited.


def test_every_listed_endpoint_exists():
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    missing_endpoints = [endpoint for endpoint in LIMITED_ENDPOINTS if endpoint not in app.view_functions]
    assert not missing_endpoints, (
        f"rate-limited endpoints the app does not have: {missing_endpoints}. "
        "If a view was renamed, rename it in server/ratelimits.py LIMITED_ENDPOINTS too."
    )


def test_limits_are_declared_only_in_ratelimits():
    """A listed view with its own ``@limiter.limit`` would count each request twice, or only after the device check:
    the limit belongs in server/ratelimits.py, outermost, so that every request counts."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    own = [e for e in LIMITED_ENDPOINTS if e in app.view_functions and e not in app.extensions["comptoir_rate_limited"]]
    assert not own, f"remove the @limiter.limit decorators of {own}: server/ratelimits.py limits them"


def test_limited_views_keep_their_access_tag():
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    limited = app.extensions["comptoir_rate_limited"]
    assert "auth.link" in limited
    for endpoint in limited:
        view = app.view_functions[endpoint]
        assert view is not view.__wrapped__, endpoint  # wrapped by the limiter
        assert view.access == view.__wrapped__.access, endpoint


# The limit, the answer.


def test_sign_in_link_get_and_post_both_count(app, client):
    token = make_sign_in_token(app, "admin@example.org")
    page = client.get(f"/auth/link/{token}")  # 1: shows the button
    assert page.status_code == 200
    signed_in = client.post(f"/auth/link/{token}", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert signed_in.status_code == 302  # 2
    used = client.get(f"/auth/link/{token}")  # 3
    assert used.status_code == 410
    assert_limited(client.get(f"/auth/link/{token}"), json_expected=False)  # 4
    # A POST counts too once past the CSRF check (without a token it is refused before, with 400).
    form = {"csrf_token": META_CSRF.search(used.get_data(as_text=True)).group(1)}
    assert_limited(client.post(f"/auth/link/{token}", data=form), json_expected=False)
    assert_limited(client.get("/auth/link/other", headers={"Accept": "application/json"}), json_expected=True)


@pytest.mark.parametrize("endpoint", LIMITED_ENDPOINTS)
def test_each_endpoint_is_limited(app, endpoint):
    if endpoint not in app.view_functions:
        pytest.skip(f"{endpoint} does not exist yet (test_every_listed_endpoint_exists reports it)")
    app.config.update(AUTH_RATE_LIMIT="2 per minute", WTF_CSRF_ENABLED=False)  # both read at each request
    client = app.test_client()
    url = sample_url(app, endpoint)
    for _ in range(2):
        assert hit(client, url).status_code != 429
    assert_limited(hit(client, url), json_expected=url[0].startswith("/api/"))


def test_api_refusal_is_json(request, tmp_path):
    app = make_app(request, tmp_path, AUTH_RATE_LIMIT="1 per minute", WTF_CSRF_ENABLED=False)
    api = [endpoint for endpoint in LIMITED_ENDPOINTS if endpoint.startswith("api.")]
    present = [endpoint for endpoint in api if endpoint in app.view_functions]
    if not present:
        pytest.skip(f"none of {api} exists yet")
    client = app.test_client()
    url = sample_url(app, present[0])
    hit(client, url)
    response = hit(client, url, headers={"Accept": "text/html"})  # JSON under /api/ whatever the browser asks
    assert_limited(response, json_expected=True)


def test_counts_are_per_endpoint(app, client):
    for _ in range(3):
        client.get("/auth/link/x")
    assert client.get("/auth/link/x").status_code == 429
    assert client.get("/auth/sign-in").status_code == 200  # not a limited endpoint at all


def test_counts_are_per_client_address(app, client):
    for _ in range(3):
        client.get("/auth/link/x", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert client.get("/auth/link/x", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 429
    assert client.get("/auth/link/x", environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 410


def test_forwarded_for_cannot_dodge_the_limit_without_proxy_fix(app, client):
    for n in range(3):
        client.get("/auth/link/x", headers={"X-Forwarded-For": f"203.0.113.{n}"})
    assert client.get("/auth/link/x", headers={"X-Forwarded-For": "203.0.113.99"}).status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_count(request, tmp_path):
    app = make_app(request, tmp_path, AUTH_RATE_LIMIT="3 per minute", PROXY_FIX=1)
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for _ in range(3):
        client.get("/auth/link/x", headers={"X-Forwarded-For": "203.0.113.1"}, environ_base=proxy)
    assert client.get("/auth/link/x", headers={"X-Forwarded-For": "203.0.113.1"}, environ_base=proxy).status_code == 429
    assert client.get("/auth/link/x", headers={"X-Forwarded-For": "203.0.113.2"}, environ_base=proxy).status_code == 410
    # A client's forged X-Forwarded-For is put before the real one by the proxy: only the last, trusted, one counts.
    forged = {"X-Forwarded-For": "198.51.100.9, 203.0.113.1"}
    assert client.get("/auth/link/x", headers=forged, environ_base=proxy).status_code == 429


# What is counted: a short burst per address, stricter limits per target.


def test_per_address_limits_are_short_bursts_only():
    """Phones of one mobile carrier often share an address (CGNAT): no window per address may be longer than a
    minute, or a whole carrier would be locked out for as long once it was used up."""
    windows = [item.get_expiry() for item in parse_many(DEFAULTS["AUTH_RATE_LIMIT"])]
    assert windows and max(windows) <= 60, DEFAULTS["AUTH_RATE_LIMIT"]
    per_minute = min(item.amount for item in parse_many(DEFAULTS["AUTH_RATE_LIMIT"]) if item.get_expiry() == 60)
    assert per_minute >= 60  # a hall's or a carrier's worth of phones signing in within the same minute
    targets = parse_many(DEFAULTS["AUTH_TARGET_RATE_LIMIT"])
    assert max(item.get_expiry() for item in targets) <= 3600  # a target's lock-out lasts an hour at most
    assert min(item.amount for item in targets if item.get_expiry() == 60) < per_minute  # stricter than an address


def test_a_shared_address_is_never_locked_out_for_the_day(request, tmp_path):
    """With the default limits, one address busy all day (400 requests, a minute's worth at a time) is only ever
    slowed for the rest of a minute: the 300-a-day cap per address it replaces locked a carrier out for 23 hours."""
    client = make_app(request, tmp_path).test_client()
    address = {"REMOTE_ADDR": "100.64.0.1"}  # a carrier-grade NAT address
    with time_machine.travel(utcnow(), tick=False) as traveller:
        for minute in range(7):
            statuses = [client.get(f"/auth/link/m{minute}-{n}", environ_base=address).status_code for n in range(61)]
            assert statuses == [410] * 60 + [429], minute
            refused = client.get("/auth/link/again", environ_base=address)
            assert 0 < int(refused.headers["Retry-After"]) <= 60
            traveller.shift(61)


def target_request(app, endpoint: str, target: str) -> dict:
    """Arguments for ``client.open`` that call ``endpoint`` about ``target``."""
    if endpoint == "api.device_enrol":
        return {"path": "/api/devices/enrol", "method": "POST", "json": {"token": target}}
    if endpoint == "auth.sign_in_options":
        return {"path": "/auth/passkey/options", "method": "POST", "json": {"email": target}}
    if endpoint in ("api.shift_options", "api.shift_start"):
        path = "/api/shifts/options" if endpoint == "api.shift_options" else "/api/shifts"
        return {"path": path, "method": "POST", "json": {}, "headers": {"Authorization": f"Device {target}"}}
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)  # a token in the URL
    method = "POST" if "POST" in rule.methods else "GET"
    return {"path": rule.build({"token": target})[1], "method": method} | ({"json": {}} if method == "POST" else {})


@pytest.fixture
def target_app(request, tmp_path):
    return make_app(
        request,
        tmp_path,
        AUTH_RATE_LIMIT="100 per minute",
        AUTH_TARGET_RATE_LIMIT="2 per minute",
        WTF_CSRF_ENABLED=False,
    )


@pytest.mark.parametrize("endpoint", sorted(TARGETS))
def test_a_target_has_its_own_count_whatever_the_address(target_app, endpoint):
    client = target_app.test_client()

    def call(target: str, address: str):
        return client.open(**target_request(target_app, endpoint, target), environ_base={"REMOTE_ADDR": address})

    assert call("target-a", "192.0.2.1").status_code != 429
    assert call("target-a", "192.0.2.2").status_code != 429
    refused = call("target-a", "192.0.2.3")  # a third address: the target's count, not the address's
    assert_limited(refused, json_expected=endpoint.startswith("api."))
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert call("target-b", "192.0.2.3").status_code != 429


def test_an_email_is_one_target_whatever_its_case(target_app):
    client = target_app.test_client()
    for email in ("Ada@Example.org", " ada@example.org"):
        assert client.post("/auth/passkey/options", json={"email": email}).status_code == 200
    refused = client.post("/auth/passkey/options", json={"email": "ADA@EXAMPLE.ORG"})
    assert_limited(refused, json_expected=False)
    assert "e-mail" in refused.get_data(as_text=True)  # the target's message, not "from this connection"


def test_a_sign_in_without_an_email_has_no_target(target_app):
    client = target_app.test_client()
    for n in range(5):
        assert (
            client.post("/auth/passkey/options", json={}, environ_base={"REMOTE_ADDR": f"192.0.2.{n}"}).status_code
            == 200
        )


def test_targets_are_stored_as_digests(target_app):
    """Tokens, e-mails and device credentials never sit in the counts' storage (Redis, for several servers)."""
    client = target_app.test_client()
    client.get("/auth/link/secret-token-1234")
    client.post("/auth/passkey/options", json={"email": "ada@example.org"})
    client.post("/api/shifts/options", json={}, headers={"Authorization": "Device device-credential-1234"})
    keys = " ".join(map(str, limiter.storage.storage))
    assert "target:" in keys
    for secret in ("secret-token-1234", "ada@example.org", "device-credential-1234"):
        assert secret not in keys


# Isolation and switches.


@pytest.mark.parametrize("run", [1, 2])
def test_counts_start_afresh_with_every_app(app, client, run):
    """Run twice (and on both backends): each run has the full allowance, nothing left from the previous test."""
    statuses = [client.get("/auth/link/x").status_code for _ in range(4)]
    assert statuses == [410, 410, 410, 429]


def test_a_new_app_has_fresh_counts(request, tmp_path):
    first = make_app(request, tmp_path, AUTH_RATE_LIMIT="1 per minute").test_client()
    first.get("/auth/link/x")
    assert first.get("/auth/link/x").status_code == 429
    second = make_app(request, tmp_path, AUTH_RATE_LIMIT="1 per minute").test_client()
    assert second.get("/auth/link/x").status_code == 410


def test_limits_can_be_turned_off_and_on_again(request, tmp_path):
    off = make_app(request, tmp_path, AUTH_RATE_LIMIT="1 per minute", RATELIMIT_ENABLED=False).test_client()
    assert {off.get("/auth/link/x").status_code for _ in range(5)} == {410}
    # The limiter is one object per process: the next app must not inherit "off".
    on = make_app(request, tmp_path, AUTH_RATE_LIMIT="1 per minute").test_client()
    on.get("/auth/link/x")
    assert on.get("/auth/link/x").status_code == 429


def test_limits_can_be_turned_off_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COMPTOIR_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("COMPTOIR_AUTH_RATE_LIMIT", "1 per minute")
    monkeypatch.setenv("COMPTOIR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    app = create_app()
    assert app.config["RATELIMIT_ENABLED"] is False
    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert {client.get("/auth/link/x").status_code for _ in range(3)} == {410}


# Storage: Redis for several app servers, memory when it is down.


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        missing(f"Redis at {REDIS_URL} ({exc})")
    return REDIS_URL


@pytest.fixture
def storage_health_restored():
    """The limiter notes a dead storage on its one process-wide object; let the next test start clean."""
    yield
    limiter._storage_dead = False


def test_redis_storage_is_shared_by_app_servers(request, tmp_path, redis_url, storage_health_restored):
    address = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"  # this run's own
    config = {"AUTH_RATE_LIMIT": "3 per minute", "RATELIMIT_STORAGE_URI": redis_url}
    server_a = make_app(request, tmp_path, **config).test_client()
    assert type(limiter.storage).__name__ == "RedisStorage"
    for _ in range(2):
        assert server_a.get("/auth/link/x", environ_base={"REMOTE_ADDR": address}).status_code == 410
    server_b = make_app(request, tmp_path, **config).test_client()  # another app server, the same Redis
    assert server_b.get("/auth/link/x", environ_base={"REMOTE_ADDR": address}).status_code == 410
    assert_limited(server_b.get("/auth/link/x", environ_base={"REMOTE_ADDR": address}), json_expected=False)

    import redis

    connection = redis.Redis.from_url(redis_url)
    keys = list(connection.scan_iter(match=f"*{address}*"))
    assert keys, "the counts are in Redis"
    connection.delete(*keys)


def test_unreachable_storage_falls_back_to_memory(request, tmp_path, storage_health_restored):
    config = {"AUTH_RATE_LIMIT": "2 per minute", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1"}  # nothing listens
    client = make_app(request, tmp_path, **config).test_client()
    assert [client.get("/auth/link/x").status_code for _ in range(3)] == [410, 410, 429]
