"""Shifts: how long a volunteer's offline identity lasts, and which offline events it covers.

Framework-free: the server uses it when it issues a shift and (with the sync issue) when it ingests events; the
rules are written down in ``docs/devices.md``.
"""

from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# How far a device's clock may drift from the server's around a shift's ends without an event falling outside it.
CLOCK_LEEWAY = timedelta(minutes=5)


class ShiftLike(Protocol):
    """What ``shift_covers`` reads: the server's times for the shift (aware UTC datetimes)."""

    started_at: datetime
    valid_until: datetime
    ended_at: datetime | None


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def end_of_day(now: datetime, timezone: str) -> datetime:
    """The next midnight after ``now`` in ``timezone`` (the end of the distribution day), as an aware datetime.

    Daylight saving changes are handled by the timezone database: the day of a change is 23 or 25 hours long.
    """
    zone = ZoneInfo(timezone)
    local = _aware(now, "now").astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return midnight.astimezone(now.tzinfo)


def shift_covers(shift: ShiftLike, device_time: datetime, leeway: timedelta = CLOCK_LEEWAY) -> bool:
    """Whether an event the device says it recorded at ``device_time`` falls within ``shift``.

    A shift covers ``[started_at, min(valid_until, ended_at))``, widened by ``leeway`` on both sides for clock
    drift. It is checked against the time the event was *recorded*, never the time it arrives: an event recorded
    at 18:00 and uploaded the next morning, after the shift expired at midnight, is covered.
    """
    _aware(device_time, "device_time")
    end = shift.valid_until if shift.ended_at is None else min(shift.valid_until, shift.ended_at)
    return _aware(shift.started_at, "started_at") - leeway <= device_time < _aware(end, "end") + leeway
