"""Strict reading of JSON request bodies: a JSON object, known fields only, each of the right type and size.

Anything else is a 400 whose ``field`` names what is wrong (a 413 for a body over ``MAX_BODY_BYTES``), never a 500.
"""

import json
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from server.api.errors import ApiError

MAX_BODY_BYTES = 64 * 1024  # a passkey assertion is about 2 KB; event uploads (sync issue) will set their own limit


@dataclass(frozen=True)
class Field:
    """One expected field: its JSON type(s), whether it must be there, and for text its longest length."""

    kind: type | tuple[type, ...]
    required: bool = False
    max_length: int | None = None


TYPE_NAMES = {str: "text", dict: "object", list: "list", int: "integer", bool: "true or false"}


def _wrong(field: str, message: str) -> ApiError:
    return ApiError("invalid_field", message, field=field)


def read_json(fields: dict[str, Field]) -> dict[str, Any]:
    """The request's JSON object checked against ``fields``; an empty body counts as ``{}``."""
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise ApiError("body_too_large") from exc
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError("body_too_large")
    if not raw.strip():
        body: Any = {}
    else:
        if request.mimetype != "application/json":
            raise ApiError("invalid_body")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError; deep nesting recurses
            raise ApiError("invalid_body", _("The request body is not valid JSON.")) from exc
    if not isinstance(body, dict):
        raise ApiError("invalid_body", _("The request body must be a JSON object."))
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise _wrong(unknown[0][:100], _("This field is not expected here."))
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        value = body.get(name)
        if value is None:
            if spec.required:
                raise _wrong(name, _("This field is required."))
            continue
        kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            expected = " or ".join(TYPE_NAMES.get(kind, kind.__name__) for kind in kinds)
            raise _wrong(name, _("This field must be %(kind)s.", kind=expected))
        if isinstance(value, str):
            value = value.strip()
            if spec.required and not value:
                raise _wrong(name, _("This field is required."))
            if spec.max_length is not None and len(value) > spec.max_length:
                raise _wrong(name, _("This field is too long: at most %(max)d characters.", max=spec.max_length))
        values[name] = value
    return values
