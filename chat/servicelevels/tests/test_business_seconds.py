from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from chat.servicelevels.selectors import Hours, business_seconds

UTC = ZoneInfo("UTC")
OFFICE = Hours(
    time_zone="UTC",
    enabled=True,
    spans=tuple((weekday, time(9), time(17)) for weekday in range(5)),
    holidays=frozenset({date(2026, 11, 25)}),  # a Wednesday
    expected_reply_minutes=None,
)


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        # Monday 16:00 to Tuesday 10:00: one hour each day.
        (datetime(2026, 11, 23, 16, tzinfo=UTC), datetime(2026, 11, 24, 10, tzinfo=UTC), 7200),
        # Tuesday 16:30 to Thursday 9:15: the holiday counts nothing.
        (
            datetime(2026, 11, 24, 16, 30, tzinfo=UTC),
            datetime(2026, 11, 26, 9, 15, tzinfo=UTC),
            45 * 60,
        ),
        # Saturday to Sunday: nothing.
        (datetime(2026, 11, 28, 10, tzinfo=UTC), datetime(2026, 11, 29, 10, tzinfo=UTC), 0),
    ],
)
def test_business_seconds_count_only_hours(start: datetime, end: datetime, seconds: int) -> None:
    assert business_seconds(hours=OFFICE, start=start, end=end) == seconds


def test_without_hours_every_second_counts() -> None:
    start = datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert business_seconds(hours=None, start=start, end=start.replace(hour=11)) == 3600
