"""Each test makes its own app, and making one compiled the URL builder of each of its 145 routes again: 43 of its
55 ms, minutes of a CI run. A builder is Werkzeug's own code, generated from the rule's parts and the names of
its defaults alone (its converters are read through the rule it is bound to, at each call), so the test run generates
it once per distinct rule and binds it to every rule like it. ``tests/test_url_builders.py`` checks that every URL of
the app is built alike with and without this."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from werkzeug.routing.rules import Rule


def remember_url_builders() -> None:
    """Generate each distinct rule's builder once in this process (idempotent)."""
    generate = Rule._compile_builder
    if hasattr(generate, "__wrapped__"):
        return
    builders: dict[tuple, Callable[..., Any]] = {}

    @wraps(generate)
    def remembered(self: Rule, append_unknown: bool = True) -> Callable[..., Any]:
        defaults = self.defaults or {}
        if any(dynamic and part in defaults for dynamic, part in self._trace):
            return generate(self, append_unknown)  # a default folded in through the rule's own converter
        key = (tuple(self._trace), tuple(defaults), append_unknown)  # the defaults' names are its arguments
        if key not in builders:
            builders[key] = generate(self, append_unknown)
        return builders[key]

    Rule._compile_builder = remembered  # type: ignore[method-assign]
