"""Absolute links printed by commands, built on the configured ``BASE_URL`` (no request is running)."""

from typing import Any

from flask import current_app, url_for


def external_url(endpoint: str, **values: Any) -> str:
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, _external=True, **values)
