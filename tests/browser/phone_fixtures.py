"""Fixtures the phone's browser tests share (the volunteer app at 360×640 on its four-member distribution). A test
module takes them all with ``from tests.browser.phone_fixtures import *`` (pytest registers an imported fixture as
the module's own; a star import, because a named one would read to the linter as shadowed by each test's argument)
and defines after it those it needs otherwise."""

import pytest

from tests.browser.shell import copy_built_pwa
from tests.factories.volunteer_app import VolunteerAppWorld, volunteer_app_world

__all__ = ["app_config", "backend", "dist", "world"]


@pytest.fixture
def backend() -> str:
    """The phone's screens on SQLite only: what reaches the server is held on both databases by the API tests (CI
    stays under 20 minutes)."""
    return "sqlite"


@pytest.fixture
def dist(tmp_path):
    """A private copy of the built app (``pwa/dist``): a rebuild meanwhile never changes what the test serves."""
    return copy_built_pwa(tmp_path / "dist")


@pytest.fixture
def app_config(app_config, dist) -> dict:
    return app_config | {"PWA_DIST": str(dist)}


@pytest.fixture
def world(app) -> VolunteerAppWorld:
    with app.app_context():
        return volunteer_app_world()
