"""Strict reading of JSON request bodies into pydantic models: a JSON object, known fields only, each of the right
type and size (the same library as the sync protocol's schemas, so one way to validate and one source for OpenAPI).

Anything else is a 400 whose ``field`` names what is wrong (a 413 for a body over the limit), never a 500. Bodies
may come gzipped (``Content-Encoding: gzip``); the limit applies to the unzipped size too.
"""

import json
import zlib
from typing import Any, TypeVar

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from server.api.errors import ApiError

MAX_BODY_BYTES = 64 * 1024  # a passkey assertion is about 2 KB; event uploads give their own limit


class Body(BaseModel):
    """A request body: strict JSON types (no ``5`` for ``"5"``), no unknown field, text stripped."""

    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)


class Empty(Body):
    """A body with no field (``{}`` or nothing)."""


B = TypeVar("B", bound=BaseModel)

TYPE_NAMES = {"string_type": "text", "dict_type": "object", "list_type": "list", "int_type": "integer"}


def _raw_body(max_bytes: int) -> bytes:
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise ApiError("body_too_large") from exc
    if len(raw) > max_bytes:
        raise ApiError("body_too_large")
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, max_bytes + 1)
        except zlib.error as exc:
            raise ApiError("invalid_body") from exc
        if len(raw) > max_bytes or inflater.unconsumed_tail:
            raise ApiError("body_too_large")
    elif encoding != "identity":
        raise ApiError("invalid_body")
    return raw


# An integer written with more digits than this is far above every limit of ours; Python would refuse to read one
# of more than 4,300 digits at all, which would refuse the whole body.
MAX_INT_DIGITS = 100
OUT_OF_RANGE = 10**MAX_INT_DIGITS


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-").lstrip("0")) <= MAX_INT_DIGITS:
        return int(digits)
    return -OUT_OF_RANGE if digits.startswith("-") else OUT_OF_RANGE


def read_json_object(max_bytes: int = MAX_BODY_BYTES, *, per_item: bool = False) -> dict[str, Any]:
    """The request's JSON object (an empty body counts as ``{}``), or an ``invalid_body`` refusal.

    ``per_item``: the caller checks each item of the body on its own (an upload of events), so what only makes one
    item wrong is left to that check, which refuses that item alone: a NUL character, and an integer of more than
    ``MAX_INT_DIGITS`` digits (read as ``OUT_OF_RANGE``, beyond every limit). Otherwise either refuses the body."""
    raw = _raw_body(max_bytes)
    if not raw.strip():
        return {}
    if request.mimetype != "application/json":
        raise ApiError("invalid_body")
    try:
        body = json.loads(raw, parse_int=_bounded_int if per_item else None)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError; deep nesting recurses
        raise ApiError("invalid_body", _("The request body is not valid JSON.")) from exc
    if not isinstance(body, dict):
        raise ApiError("invalid_body", _("The request body must be a JSON object."))
    if not per_item and _holds_nul(body):  # PostgreSQL text cannot hold it; nothing of ours needs it
        raise ApiError("invalid_body", _("Text in the request must not contain NUL characters."))
    return body


def _holds_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def read_json(model: type[B], max_bytes: int = MAX_BODY_BYTES) -> B:
    """The request's JSON object validated by ``model``; the first wrong field is named in the refusal."""
    try:
        return model.model_validate(read_json_object(max_bytes))
    except ValidationError as exc:
        raise field_error(exc) from exc


def field_error(exc: ValidationError) -> ApiError:
    error = exc.errors()[0]
    field = str(error["loc"][0])[:100] if error["loc"] else ""
    kind = error["type"]
    if kind == "missing" or kind == "string_too_short":
        message = _("This field is required.")
    elif kind == "extra_forbidden":
        message = _("This field is not expected here.")
    elif kind == "string_too_long":
        message = _("This field is too long: at most %(max)d characters.", max=error["ctx"]["max_length"])
    elif kind in TYPE_NAMES:
        message = _("This field must be %(kind)s.", kind=TYPE_NAMES[kind])
    else:
        message = _("A field of the request is missing or wrong.")
    return ApiError("invalid_field", message, field=field)
