"""URL rules shared by every blueprint, and absolute links built outside a request."""

from typing import Any

from flask import current_app, url_for
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds on PostgreSQL


class IdConverter(IntegerConverter):
    """``<id:name>``: a positive row id; anything larger is an unknown page (404), never a database overflow."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link on the configured ``BASE_URL``, for what leaves without a request: commands' output,
    notifications, links shown for copying."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, _external=True, **values)
