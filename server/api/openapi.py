"""``GET /api/openapi.json``: the device API described from the code, never by hand.

Paths and their parameters come from the URL map, security from each view's access tag (``server.auth.access``),
bodies and answers from the pydantic models a view names with ``@described``, refusals from ``server.api.errors``.
``tests/test_openapi.py`` fails when an API view is not described, and fuzzes the API from this document.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from flask import Flask, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from werkzeug.routing import Rule

from server.api import bp
from server.api.errors import REASONS
from server.auth.access import public
from server.urls import MAX_ID

REF = "#/components/schemas/{model}"
VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")  # <converter:name> or <name>
SECURITY_SCHEMES = {
    "device": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Device <credential>`: the credential the phone got when it was enrolled.",
    },
    "shift": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Comptoir-Shift",
        "description": "The token of the volunteer's shift on this phone (a passkey sign-in, valid for the day).",
    },
}
SECURITY_BY_ACCESS = {"public": [], "device": [{"device": []}], "shift": [{"device": [], "shift": []}]}


class ErrorDetail(BaseModel):
    status: int
    reason: str  # one of the stable reasons listed in the document's description
    message: str
    field: str | None = None


class ErrorAnswer(BaseModel):
    """Every refusal of the API: the PWA branches on ``reason``, never on the message."""

    error: ErrorDetail


Answer = type[BaseModel] | str  # a model, or a description for an answer without body (304) or not modelled


@dataclass(frozen=True)
class Description:
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    answers: Mapping[int, Answer] = field(default_factory=dict)


def described(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    answers: Mapping[int, Answer] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Describe an API view for the OpenAPI document (put it under the route, above or below the access tag)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        view.openapi = Description(summary, body, query, answers or {200: "OK"})  # type: ignore[attr-defined]
        return view

    return decorator


def _path_and_parameters(rule: Rule) -> tuple[str, list[dict[str, Any]]]:
    """``/distributions/<id:distribution_id>`` → ``/distributions/{distribution_id}`` and its parameter."""
    parameters = []
    for converter, name in VARIABLE.findall(rule.rule):
        schema = (
            {"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter in ("id", "int") else {"type": "string"}
        )
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return VARIABLE.sub(lambda match: "{" + match.group(2) + "}", rule.rule), parameters


def _query_parameters(model: type[BaseModel], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    schema = schemas[model.__name__]
    required = set(schema.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": property_schema}
        for name, property_schema in schema["properties"].items()
    ]


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every ``api.*`` route (a view without ``@described`` raises ``LookupError``)."""
    routes = sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")), key=lambda r: r.rule
    )
    descriptions = {}
    for rule in routes:
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "openapi"):
            raise LookupError(f"{rule.endpoint} is not described: add @described (server/api/openapi.py)")
        descriptions[rule.endpoint] = view.openapi
    models: set[type[BaseModel]] = {ErrorAnswer}
    for description in descriptions.values():
        models.update(m for m in (description.body, description.query) if m is not None)
        models.update(a for a in description.answers.values() if not isinstance(a, str))
    mode: Literal["validation"] = "validation"
    _keys, definitions = models_json_schema(
        [(model, mode) for model in sorted(models, key=lambda m: m.__name__)], ref_template=REF
    )
    schemas = definitions.get("$defs", {})

    paths: dict[str, dict[str, Any]] = {}
    for rule in routes:
        description = descriptions[rule.endpoint]
        path, parameters = _path_and_parameters(rule)
        if description.query is not None:
            parameters = parameters + _query_parameters(description.query, schemas)
        access = getattr(app.view_functions[rule.endpoint], "access", "public")
        for method in sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "operationId": rule.endpoint.removeprefix("api."),
                "summary": description.summary,
                "security": SECURITY_BY_ACCESS[access],
                "responses": {str(status): _answer(answer) for status, answer in sorted(description.answers.items())}
                | {"4XX": _answer(ErrorAnswer, "A refusal: see the reasons in the description.")},
            }
            if parameters:
                operation["parameters"] = parameters
            if description.body is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": REF.format(model=description.body.__name__)}}},
                }
            paths.setdefault(path, {})[method.lower()] = operation
    reasons = ", ".join(f"`{reason}` ({status})" for reason, (status, _message) in sorted(REASONS.items()))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Comptoir device API",
            "version": "1",
            "description": "The API of the volunteer app. Refusal reasons (HTTP status): " + reasons + ".",
        },
        "servers": [{"url": current_app.config["BASE_URL"]}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


def _answer(answer: Answer, description: str | None = None) -> dict[str, Any]:
    if isinstance(answer, str):
        return {"description": answer}
    return {
        "description": description or (answer.__doc__ or answer.__name__).strip().splitlines()[0],
        "content": {"application/json": {"schema": {"$ref": REF.format(model=answer.__name__)}}},
    }


@bp.get("/openapi.json")
@public
@described("This document.", answers={200: "The OpenAPI 3.1 document of the device API."})
def openapi_document():
    return jsonify(document(current_app))
