"""The world of the enrolled phones' and shifts' tests (tests/test_devices.py)."""

from dataclasses import dataclass

from server.extensions import db
from server.models import Point, User
from tests.factories.primitives import DAY, HOUR, distribution, ids, member_of, now_to_the_second

ADMIN = "admin@example.org"


@dataclass(frozen=True)
class DevicesWorld:
    north: int
    south: int
    admin: int
    coordinator: int  # of north
    volunteer: int  # of north
    stranger: int  # a volunteer of south
    north_distribution: int
    south_distribution: int
    past_distribution: int  # at north, a month ago


def devices_world() -> DevicesWorld:
    """Two points, North and South, each with a distribution in two days and North's a month before that; the admin
    (``ADMIN``), a coordinator and a volunteer of North, a volunteer of South. Committed."""
    north = Point(name="Maison de quartier Nord", town="Torcy")
    south = Point(name="École Sud", town="Noisiel")
    admin = User(email=ADMIN, role="admin", display_name="Ada Admin")
    coordinator = member_of(north, "coordinator", "coord@example.org", "Colette")
    volunteer = member_of(north, "volunteer", "vol@example.org", "Victor")
    stranger = member_of(south, "volunteer", "sud@example.org", "Sami")
    now = now_to_the_second()
    distributions = [
        distribution(north, now, starts_in=2 * DAY, lasting=HOUR),
        distribution(south, now, starts_in=2 * DAY, lasting=HOUR),
        distribution(north, now, starts_in=-30 * DAY, lasting=HOUR),  # a month before the coming ones
    ]
    db.session.add_all([north, south, admin, coordinator, volunteer, stranger, *distributions])
    db.session.commit()
    return DevicesWorld(north.id, south.id, admin.id, coordinator.id, volunteer.id, stranger.id, *ids(distributions))
