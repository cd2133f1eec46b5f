"""The OpenAPI document describes every API route, from the code; the API, fuzzed from it, never answers 5xx."""

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from server import create_app
from server.api.openapi import document
from server.extensions import db


def test_every_api_route_is_described():
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        described = document(app)  # raises LookupError naming a route without @described
    api_rules = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    operations = sum(len(item) for item in described["paths"].values())
    assert len(described["paths"]) == len(api_rules) and operations >= len(api_rules)
    for item in described["paths"].values():
        for operation in item.values():
            assert operation["summary"] and "4XX" in operation["responses"]


def test_the_document_is_served_and_valid(client):
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200 and answer.get_json()["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(answer.get_json())  # refuses a document that is not valid OpenAPI


@pytest.fixture
def credentials(app):
    """A device of one point with a volunteer's shift on it, and a distribution there."""
    from server.clock import utcnow
    from server.domain.devices import create_enrolment, redeem_enrolment
    from server.domain.shifts import start_shift
    from server.models import Distribution, Point, User

    with app.app_context():
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        admin = User(email="admin@example.org", role="admin")
        volunteer = User(email="vol@example.org", role="volunteer", points=[point])
        start = utcnow() + timedelta(hours=1)
        db.session.add_all(
            [point, admin, volunteer, Distribution(point=point, starts_at=start, ends_at=start + timedelta(hours=2))]
        )
        db.session.flush()
        _offer, token = create_enrolment(admin, "Phone", [point])
        device, credential = redeem_enrolment(token)
        _shift, shift_token = start_shift(device, volunteer)
        db.session.commit()
    return {"Authorization": f"Device {credential}", "X-Comptoir-Shift": shift_token}


def operations(app) -> list:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    loaded = [result.ok() for result in schema.get_all_operations()]  # .ok() raises on an operation it cannot use
    described = {f"{method.upper()} {path}" for path, item in schema.raw_schema["paths"].items() for method in item}
    assert {operation.label for operation in loaded} == described - {"GET /api/openapi.json"}  # (the document itself)
    return loaded


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzed_requests_never_get_a_server_error(app, credentials, mode):
    """Every operation, with requests that follow the document and requests that break it, authenticated (so they
    reach the views' own checks) and not."""
    for operation in operations(app):
        if mode == GenerationMode.NEGATIVE and not takes_input(operation):
            continue  # nothing in such a request can break the document (GET /api/push/key)
        fuzz(operation, mode, credentials)


def takes_input(operation) -> bool:
    """Whether an operation has something a negative case can get wrong: a parameter, a body or a credential."""
    raw = operation.schema.raw_schema["paths"][operation.path][operation.method.lower()]
    return bool(raw.get("parameters") or raw.get("requestBody") or raw.get("security"))


def fuzz(operation, mode: GenerationMode, credentials: dict[str, str]) -> None:
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy(mode))
    def run(case):
        for headers in (credentials, {}):
            response = case.call(headers=headers)
            where = (operation.label, case.formatted_path, case.query, case.body, response.status_code)
            assert response.status_code < 500, (where, response.text[:500])
            content_type = response.headers.get("content-type", [""])[0]  # schemathesis: lower-case names, lists
            assert response.status_code == 304 or content_type.startswith("application/json"), where

    run()
