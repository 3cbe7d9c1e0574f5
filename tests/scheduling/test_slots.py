"""The slot engine, pure: wall-clock hours to real instants, across DST, minus what is taken."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.scheduling.models import ConsultationKind
from intake.scheduling.slots import (
    BadSlotId,
    Span,
    WeeklyBlock,
    free_slots,
    instants,
    parse_slot_id,
    slot_id,
)

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
CLINICIAN = uuid.UUID("00000000-0000-4000-8000-000000000001")
HOUR = timedelta(hours=1)
# 2026 in New York: clocks go 02:00 -> 03:00 on 8 March and 02:00 -> 01:00 on 1 November.
SPRING_FORWARD = date(2026, 3, 8)
FALL_BACK = date(2026, 11, 1)


def _day(day: date, tz: ZoneInfo = NEW_YORK) -> Span:
    start = datetime.combine(day, time(), tzinfo=tz)
    return Span(start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC))


def _local_starts(
    day: date,
    starts: time,
    ends: time,
    *,
    duration: timedelta = HOUR,
    blocked: list[Span] | None = None,
    extras: list[Span] | None = None,
    not_before: datetime | None = None,
    tz: ZoneInfo = NEW_YORK,
) -> list[str]:
    window = _day(day, tz)
    slots = free_slots(
        clinician_id=CLINICIAN,
        kind=ConsultationKind.REGENERATIVE,
        blocks=[WeeklyBlock(day.weekday(), starts, ends)],
        extras=extras or [],
        blocked=blocked or [],
        tz=tz,
        duration=duration,
        window=window,
        not_before=not_before or window.start,
    )
    for slot in slots:
        assert slot.ends_at - slot.starts_at == duration  # real time, whatever the clocks do
    return [slot.starts_at.astimezone(tz).strftime("%H:%M %Z") for slot in slots]


def test_an_ordinary_day_is_cut_on_the_wall_clock() -> None:
    starts = _local_starts(date(2026, 6, 10), time(9), time(12, 10), duration=timedelta(minutes=45))
    assert starts == ["09:00 EDT", "09:45 EDT", "10:30 EDT", "11:15 EDT"]


def test_a_slot_in_the_spring_forward_gap_is_never_offered() -> None:
    starts = _local_starts(SPRING_FORWARD, time(0), time(5))
    # 02:00 does not exist that night; the clinician works four real hours, not five.
    assert starts == ["00:00 EST", "01:00 EST", "03:00 EDT", "04:00 EDT"]


def test_hours_that_start_or_end_inside_the_gap_follow_the_clock() -> None:
    starts = _local_starts(SPRING_FORWARD, time(2, 30), time(5), duration=timedelta(minutes=30))
    # 02:30 and 03:00 on the wall grid: the first names no instant, the second is the
    # moment the clock reaches it.
    assert starts == ["03:00 EDT", "03:30 EDT", "04:00 EDT", "04:30 EDT"]
    assert _local_starts(SPRING_FORWARD, time(0), time(2, 30)) == ["00:00 EST", "01:00 EST"]


def test_the_autumn_repeated_hour_is_offered_twice() -> None:
    starts = _local_starts(FALL_BACK, time(0), time(3))
    assert starts == ["00:00 EDT", "01:00 EDT", "01:00 EST", "02:00 EST"]


def test_the_repeated_hour_never_gives_overlapping_slots() -> None:
    window = _day(FALL_BACK)
    slots = free_slots(
        clinician_id=CLINICIAN,
        kind=ConsultationKind.REGENERATIVE,
        blocks=[WeeklyBlock(FALL_BACK.weekday(), time(0), time(4))],
        extras=[],
        blocked=[],
        tz=NEW_YORK,
        duration=timedelta(minutes=40),
        window=window,
        not_before=window.start,
    )
    for before, after in itertools.pairwise(slots):
        assert before.ends_at <= after.starts_at


def test_clinic_hours_keep_their_wall_time_on_both_sides_of_a_change() -> None:
    before = _local_starts(FALL_BACK - timedelta(days=7), time(9), time(11))
    after = _local_starts(FALL_BACK + timedelta(days=7), time(9), time(11))
    assert before == ["09:00 EDT", "10:00 EDT"]
    assert after == ["09:00 EST", "10:00 EST"]


def test_london_changes_on_its_own_date() -> None:
    # Europe/London springs forward at 01:00 on 29 March 2026.
    starts = _local_starts(date(2026, 3, 29), time(0), time(3), tz=LONDON)
    assert starts == ["00:00 GMT", "02:00 BST"]


@pytest.mark.parametrize(
    ("blocked_local", "expected"),
    [
        ((time(10), time(11)), ["09:00 EDT", "11:00 EDT"]),  # exactly one slot
        ((time(10, 30), time(10, 45)), ["09:00 EDT", "11:00 EDT"]),  # inside one
        ((time(9, 59), time(11, 1)), []),  # meets all three
        ((time(11), time(12)), ["09:00 EDT", "10:00 EDT"]),  # touching is not overlapping
    ],
)
def test_taken_time_removes_exactly_the_slots_it_overlaps(
    blocked_local: tuple[time, time], expected: list[str]
) -> None:
    day = date(2026, 6, 10)
    start, end = (datetime.combine(day, t, tzinfo=NEW_YORK).astimezone(UTC) for t in blocked_local)
    starts = _local_starts(day, time(9), time(12), blocked=[Span(start, end)])
    assert starts == expected


def test_extra_hours_add_slots_and_never_double_the_weekly_ones() -> None:
    day = date(2026, 6, 10)
    extra = Span(
        datetime.combine(day, time(11), tzinfo=NEW_YORK).astimezone(UTC),
        datetime.combine(day, time(14), tzinfo=NEW_YORK).astimezone(UTC),
    )
    starts = _local_starts(day, time(9), time(12), extras=[extra])
    assert starts == ["09:00 EDT", "10:00 EDT", "11:00 EDT", "12:00 EDT", "13:00 EDT"]


def test_nothing_starts_before_the_notice_allows() -> None:
    day = date(2026, 6, 10)
    cutoff = datetime.combine(day, time(10, 1), tzinfo=NEW_YORK).astimezone(UTC)
    assert _local_starts(day, time(9), time(13), not_before=cutoff) == ["11:00 EDT", "12:00 EDT"]


def test_instants_names_none_one_or_two() -> None:
    assert instants(SPRING_FORWARD, time(2, 30), NEW_YORK) == []
    assert len(instants(date(2026, 6, 10), time(2, 30), NEW_YORK)) == 1
    assert len(instants(FALL_BACK, time(1, 30), NEW_YORK)) == 2


def test_slot_ids_round_trip_and_refuse_anything_else() -> None:
    start = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    value = slot_id(CLINICIAN, ConsultationKind.SURGICAL_REVISION, start)
    assert parse_slot_id(value) == (CLINICIAN, ConsultationKind.SURGICAL_REVISION, start)
    for bad in (
        "",
        "x.y.z",
        f"{CLINICIAN}.massage.20261101T0600Z",
        f"{CLINICIAN}.regenerative.soon",
    ):
        with pytest.raises(BadSlotId):
            parse_slot_id(bad)


def _careful_instants(day: date, wall: time, tz: ZoneInfo) -> list[datetime]:
    """The definition, by brute force: both folds, kept when they survive a round trip."""
    found = []
    for fold in (0, 1):
        local = datetime.combine(day, wall, tzinfo=tz).replace(fold=fold)
        back = local.astimezone(UTC).astimezone(tz)
        if back.replace(tzinfo=None) == local.replace(tzinfo=None, fold=0):
            found.append(local.astimezone(UTC))
    return sorted(set(found))


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London", "Australia/Lord_Howe"])
def test_the_quick_path_for_ordinary_days_agrees_with_the_definition(zone: str) -> None:
    tz = ZoneInfo(zone)  # Lord Howe moves its clocks by half an hour
    day = date(2026, 1, 1)
    while day < date(2028, 1, 1):
        for minutes in range(0, 24 * 60, 30):
            wall = time(minutes // 60, minutes % 60)
            assert sorted(instants(day, wall, tz)) == _careful_instants(day, wall, tz), (day, wall)
        day += timedelta(days=1)
