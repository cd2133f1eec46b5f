"""The distribution log and an order's page say when an event was carried to the server by another phone (store and
forward): the recording phone, then « apporté par » the phone that uploaded it; a phone's own upload says nothing
more. Through the real sync API and admin pages, on SQLite and PostgreSQL."""

import re
from html import unescape

import pytest

from server.extensions import db
from server.models import User
from tests.factories.sync_api import SyncWorld as World
from tests.factories.sync_api import sync_world
from tests.helpers import sign_in_as_admin
from tests.phones import enrol_phone

ADMIN = "admin@example.org"


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        world = sync_world()
        db.session.add(User(email=ADMIN, role="admin"))
        db.session.commit()
        return world


def rows(html: str) -> dict[str, str]:
    """The timeline's rows by event id: the text of the row, tags dropped, spaces folded."""
    found = re.findall(r'<tr (?:id="event-|data-event=")([0-9a-f-]{36})"[^>]*>(.*?)</tr>', html, re.S)
    return {event_id: " ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split()) for event_id, row in found}


def test_the_log_names_the_phone_that_carried_an_event_in_french_and_english(app, client, world):
    phone_a = enrol_phone(app, [world.point], world.volunteer, "Téléphone A", keyed=True)
    phone_b = enrol_phone(app, [world.point], world.second_volunteer, "Téléphone B", keyed=True)
    carried = phone_a.signed(
        phone_a.record("handover", {"order_id": world.orders[0], "outcome": "all"}, world.distribution)
    )
    own = phone_b.record("handover", {"order_id": world.orders[1], "outcome": "all"}, world.distribution)
    assert phone_b.push([carried, own]).status_code == 200
    assert phone_a.push([{k: v for k, v in carried.items() if k != "signature"}]).status_code == 200  # a duplicate

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    sign_in_as_admin(app, client, ADMIN)
    page = client.get(f"/admin/distributions/{world.distribution}/log")
    assert page.status_code == 200
    french = rows(page.get_data(as_text=True))
    assert set(french) == {carried["id"], own["id"]}
    assert "Téléphone A apporté par Téléphone B" in french[carried["id"]]
    assert "apporté par" not in french[own["id"]] and "Téléphone B" in french[own["id"]]

    english = rows(client.get(f"/admin/distributions/{world.distribution}/log?lang=en").get_data(as_text=True))
    assert "Téléphone A brought by Téléphone B" in english[carried["id"]]
    assert "brought by" not in english[own["id"]]

    order = rows(client.get(f"/admin/orders/{world.orders[0]}").get_data(as_text=True))
    assert "Téléphone A brought by Téléphone B" in order[carried["id"]]
    order = rows(client.get(f"/admin/orders/{world.orders[1]}").get_data(as_text=True))
    assert "brought by" not in order[own["id"]]
