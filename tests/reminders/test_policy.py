"""The reminder cadence and quiet hours, as pure functions of a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.notifications.quiet_hours import QuietHours
from intake.reminders.policy import ReminderPolicy

NEW_YORK = ZoneInfo("America/New_York")
QUIET = QuietHours(start=time(21), end=time(8))
POLICY = ReminderPolicy(cadence=tuple(timedelta(days=d) for d in (1, 3, 7, 14)), quiet_hours=QUIET)


def ny(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        ((2026, 11, 20, 20, 59), False),
        ((2026, 11, 20, 21, 0), True),  # the window includes its start...
        ((2026, 11, 20, 23, 30), True),
        ((2026, 11, 21, 0, 0), True),
        ((2026, 11, 21, 7, 59), True),
        ((2026, 11, 21, 8, 0), False),  # ...but not its end
        ((2026, 11, 21, 12, 0), False),
    ],
)
def test_the_window_crosses_midnight(local: tuple[int, ...], quiet: bool) -> None:
    assert QUIET.contains(ny(*local), NEW_YORK) is quiet


def test_an_evening_moment_is_held_to_the_next_morning() -> None:
    held = QUIET.next_allowed(ny(2026, 11, 20, 22, 15), NEW_YORK)
    assert held == ny(2026, 11, 21, 8, 0)
    assert held.tzinfo == UTC


def test_an_early_morning_moment_is_held_to_the_same_morning() -> None:
    assert QUIET.next_allowed(ny(2026, 11, 21, 3, 0), NEW_YORK) == ny(2026, 11, 21, 8, 0)


def test_a_daytime_moment_is_not_held() -> None:
    moment = ny(2026, 11, 21, 14, 0)
    assert QUIET.next_allowed(moment, NEW_YORK) == moment


def test_quiet_hours_are_in_the_patients_zone_not_the_servers() -> None:
    moment = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 21:00 in New York, 11:00 in Tokyo
    assert QUIET.contains(moment, NEW_YORK)
    assert not QUIET.contains(moment, ZoneInfo("Asia/Tokyo"))


def test_equal_bounds_turn_quiet_hours_off() -> None:
    off = QuietHours(start=time(0), end=time(0))
    assert not off.contains(ny(2026, 11, 21, 3, 0), NEW_YORK)


def test_a_daytime_window_that_does_not_cross_midnight() -> None:
    lunch = QuietHours(start=time(12), end=time(13))
    assert lunch.next_allowed(ny(2026, 11, 21, 12, 30), NEW_YORK) == ny(2026, 11, 21, 13, 0)
    assert not lunch.contains(ny(2026, 11, 21, 23, 0), NEW_YORK)


def test_the_cadence_counts_from_the_anchor() -> None:
    anchor = ny(2026, 11, 2, 10, 0)
    dues = [POLICY.due_at(anchor, step, NEW_YORK) for step in range(1, 5)]
    assert dues == [ny(2026, 11, d, 10, 0) for d in (3, 5, 9, 16)]


def test_days_are_the_patients_calendar_days_across_spring_forward() -> None:
    # 2026-03-08: New York skips 02:00-03:00. A day after 10:00 EST is 10:00 EDT,
    # which is 23 hours later, not 24.
    anchor = ny(2026, 3, 7, 10, 0)
    due = POLICY.due_at(anchor, 1, NEW_YORK)
    assert due == ny(2026, 3, 8, 10, 0)
    assert due - anchor == timedelta(hours=23)


def test_days_are_the_patients_calendar_days_across_fall_back() -> None:
    anchor = ny(2026, 10, 31, 10, 0)  # New York repeats 01:00-02:00 on 2026-11-01
    due = POLICY.due_at(anchor, 1, NEW_YORK)
    assert due == ny(2026, 11, 1, 10, 0)
    assert due - anchor == timedelta(hours=25)


def test_a_reminder_that_would_land_at_night_goes_out_in_the_morning() -> None:
    anchor = ny(2026, 11, 2, 22, 30)  # the patient uploaded late in the evening
    assert POLICY.due_at(anchor, 1, NEW_YORK) == ny(2026, 11, 4, 8, 0)


def test_next_step_skips_steps_whose_time_has_passed() -> None:
    anchor = ny(2026, 11, 2, 10, 0)
    # The sweep was down for a week: step 2 (Nov 5) and 3 (Nov 9) are both past.
    now = ny(2026, 11, 10, 9, 0)
    assert POLICY.next_step(anchor, 1, now, NEW_YORK) == (4, ny(2026, 11, 16, 10, 0))


def test_next_step_is_none_when_the_cadence_has_run_out() -> None:
    anchor = ny(2026, 11, 2, 10, 0)
    assert POLICY.next_step(anchor, 3, ny(2026, 11, 17, 0, 0), NEW_YORK) is None
    assert POLICY.next_step(anchor, 4, ny(2026, 11, 3, 0, 0), NEW_YORK) is None
