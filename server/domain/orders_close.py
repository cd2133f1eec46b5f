"""When a distribution's orders close (docs/contracts.md, "Orders close").

Until then members change what their season contracts give them at that distribution from their page (subscribe,
absences) and the producers' order forms are provisional; from then on the forms are final ("définitif") and only
staff change the orders, warned that the form was already sent. A distribution closes its orders at its own
``orders_close_at``, or by default ``orders_close_days`` days before its local day at ``orders_close_time`` (the
network's settings: 2 days before at 12:00), never after it starts.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from server.clock import utcnow
from server.models import Distribution, NetworkSettings


def default_close(starts_at: datetime, settings: NetworkSettings | None = None) -> datetime:
    """The network's default for a distribution starting at ``starts_at`` (aware), as aware UTC."""
    settings = settings or NetworkSettings.current()
    zone = ZoneInfo(settings.timezone)
    day = starts_at.astimezone(zone).date() - timedelta(days=settings.orders_close_days)
    return min(datetime.combine(day, settings.orders_close_time, zone).astimezone(UTC), starts_at)


def closes_at(distribution: Distribution, settings: NetworkSettings | None = None) -> datetime:
    """When this distribution's orders close: its own moment, or the network's default."""
    if distribution.orders_close_at is not None:
        return distribution.orders_close_at
    return default_close(distribution.starts_at, settings)


def orders_closed(distribution: Distribution, now: datetime | None = None) -> bool:
    """Whether the distribution's orders are closed (at ``now``, by default the clock's)."""
    return distribution.status == "closed" or closes_at(distribution) <= (now or utcnow())
