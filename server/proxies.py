"""Behind a reverse proxy: where the app takes the client's address and scheme from.

The documented deployment (``deploy/serve``, docs/deployment.md) lets waitress do it: it trusts
``X-Forwarded-For`` and ``X-Forwarded-Proto`` from the proxy on 127.0.0.1 only, and removes them from anyone else,
before the app sees the request. ``PROXY_FIX`` is for WSGI servers that do not (gunicorn, uWSGI): it wraps the app
in Werkzeug's ``ProxyFix``, trusting as many proxies as it says, whoever connects.
"""

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

logger = logging.getLogger(__name__)


def trust_proxies(app: Flask) -> None:
    """Wrap the app in ``ProxyFix`` for ``PROXY_FIX`` proxies (0: none, the headers are ignored).

    Without it those headers change nothing, so a client cannot forge its address in the audit log or dodge a rate
    limit. Trust exactly as many proxies as stand in front of the app (nginx alone: 1). ``X-Forwarded-Host`` is
    never trusted: links and passkey origins come from ``BASE_URL``.
    """
    proxies = app.config["PROXY_FIX"]
    if isinstance(proxies, bool) or not isinstance(proxies, int) or proxies < 0:
        raise ValueError(f"PROXY_FIX must be a number of proxies (0 or more), not {proxies!r}")
    if proxies:
        fixed = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
        app.wsgi_app = ForwardedForCheck(fixed)  # type: ignore[method-assign]


class ForwardedForCheck:
    """Warns once per process when a request arrives without ``X-Forwarded-For`` although ``PROXY_FIX`` says a proxy
    sets it: the proxy does not, or the WSGI server removed it (waitress does, unless told to trust the proxy).
    Then every client looks like the proxy, and they all share one rate-limit count; better said in the log."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.warned = False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not self.warned and not environ.get("HTTP_X_FORWARDED_FOR"):
            self.warned = True
            logger.warning(
                "COMPTOIR_PROXY_FIX is set but a request from %s came without X-Forwarded-For: every client looks "
                "like the proxy. Have the proxy set the header, and under waitress use deploy/serve (it trusts the "
                "proxy itself; PROXY_FIX then stays 0).",
                environ.get("REMOTE_ADDR"),
            )
        return self.app(environ, start_response)
