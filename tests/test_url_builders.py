"""The test run's remembered URL builders (``tests/url_builders.py``) build every URL of the app as Werkzeug's own,
generated for that rule alone, does: with and without query arguments, for every route."""

import uuid

from werkzeug.routing import FloatConverter, IntegerConverter, PathConverter, UUIDConverter
from werkzeug.routing.rules import Rule

from server import create_app


def sample(converter) -> object:
    """A value the route's converter takes, with characters a URL must quote where it can hold them."""
    if isinstance(converter, IntegerConverter):
        return 7
    if isinstance(converter, FloatConverter):
        return 1.5
    if isinstance(converter, UUIDConverter):
        return uuid.UUID("01a248ae-d49e-71ed-a08d-3035a6abd430")
    if isinstance(converter, PathConverter):
        return "un dossier/é & co"
    return "é & co"


def test_every_url_is_built_as_werkzeug_builds_it_for_that_rule_alone(tmp_path):
    assert hasattr(Rule._compile_builder, "__wrapped__"), "tests/conftest.py remembers the builders"
    generate = Rule._compile_builder.__wrapped__
    app = create_app(
        {"SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"}
    )
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100
    shared = 0
    for rule in rules:
        values = {name: sample(rule._converters[name]) for name in rule.arguments if name in rule._converters}
        alone, alone_unknown = generate(rule, False).__get__(rule), generate(rule, True).__get__(rule)
        assert rule._build(**values) == alone(**values), rule.rule
        assert rule._build_unknown(**values, page="2 & 3") == alone_unknown(**values, page="2 & 3"), rule.rule
        shared += rule._build.__func__ is not alone.__func__
    assert shared == len(rules)  # each was remembered, none generated again here
