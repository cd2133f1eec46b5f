"""The shift rules of ``sync.shifts``: when a shift ends, and which offline events it covers."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.shifts import CLOCK_LEEWAY, end_of_day, shift_covers

PARIS = "Europe/Paris"


@dataclass
class FakeShift:
    started_at: datetime
    valid_until: datetime
    ended_at: datetime | None = None


START = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 16:00 in Paris
MIDNIGHT = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)  # 00:00 in Paris
SHIFT = FakeShift(started_at=START, valid_until=MIDNIGHT)


@pytest.mark.parametrize(
    ("device_time", "covered"),
    [
        (START, True),
        (START + timedelta(hours=2), True),  # during the distribution
        (MIDNIGHT - timedelta(seconds=1), True),
        (START - CLOCK_LEEWAY, True),  # a device clock a little behind
        (START - CLOCK_LEEWAY - timedelta(seconds=1), False),  # before sign-in
        (MIDNIGHT + CLOCK_LEEWAY - timedelta(seconds=1), True),  # a device clock a little ahead
        (MIDNIGHT + CLOCK_LEEWAY, False),  # recorded after the shift expired
        (MIDNIGHT + timedelta(days=1), False),
    ],
)
def test_covers_what_was_recorded_while_valid(device_time, covered):
    assert shift_covers(SHIFT, device_time) is covered


def test_an_event_recorded_while_valid_is_covered_whenever_it_arrives():
    # Nothing about the arrival time enters the rule: an event of 18:00 uploaded the next morning is covered.
    recorded = START + timedelta(hours=3)
    assert shift_covers(SHIFT, recorded)


def test_an_ended_shift_covers_until_it_ended():
    ended = FakeShift(START, MIDNIGHT, ended_at=START + timedelta(hours=1))
    assert shift_covers(ended, START + timedelta(minutes=30))
    assert not shift_covers(ended, START + timedelta(hours=2))
    # An end after the expiry changes nothing.
    late = FakeShift(START, MIDNIGHT, ended_at=MIDNIGHT + timedelta(hours=5))
    assert not shift_covers(late, MIDNIGHT + timedelta(hours=1))


def test_leeway_can_be_turned_off():
    assert not shift_covers(SHIFT, START - timedelta(seconds=1), leeway=timedelta(0))
    assert not shift_covers(SHIFT, MIDNIGHT, leeway=timedelta(0))


def test_other_offsets_are_compared_as_instants():
    paris_summer_offset = timezone(timedelta(hours=2))
    assert shift_covers(SHIFT, datetime(2026, 3, 10, 19, 0, tzinfo=paris_summer_offset))


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        shift_covers(SHIFT, datetime(2026, 3, 10, 18, 0))
    with pytest.raises(ValueError):
        end_of_day(datetime(2026, 3, 10, 18, 0), PARIS)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 10, 15, 0, tzinfo=UTC), datetime(2026, 3, 10, 23, 0, tzinfo=UTC)),  # winter: UTC+1
        (datetime(2026, 7, 14, 21, 30, tzinfo=UTC), datetime(2026, 7, 14, 22, 0, tzinfo=UTC)),  # summer: UTC+2
        (datetime(2026, 7, 14, 22, 30, tzinfo=UTC), datetime(2026, 7, 15, 22, 0, tzinfo=UTC)),  # already the 15th
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 22, 0, tzinfo=UTC)),  # a 23-hour day
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 23, 0, tzinfo=UTC)),  # a 25-hour day
    ],
)
def test_end_of_day_is_the_next_midnight_in_the_network_timezone(now, expected):
    assert end_of_day(now, PARIS) == expected


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_end_of_day_is_always_later_the_same_or_next_local_day(now):
    end = end_of_day(now, PARIS)
    assert now < end <= now + timedelta(hours=25)
    local = end.astimezone(ZoneInfo(PARIS))
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
