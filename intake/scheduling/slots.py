"""Free slots from weekly hours, exceptions and bookings: pure, no database.

Weekly hours are wall-clock times in the clinic's timezone. Each day's block is cut into
slots on a wall-clock grid (09:00, 09:30, ...), and each grid time is then turned into the
real instants it names:

- in the spring-forward gap a wall time names no instant, so it gives no slot;
- in the autumn repeated hour it names two, so the hour is offered twice, as the
  clinician really works it twice.

Slots never overlap and never cross their block's real end. Everything after that
(exceptions, bookings, notice) is plain interval arithmetic in UTC.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from intake.scheduling.models import ConsultationKind

SLOT_ID_TIME = "%Y%m%dT%H%MZ"


class Span(NamedTuple):
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class WeeklyBlock:
    weekday: int  # 0 is Monday
    starts: time
    ends: time


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: datetime
    clinician_id: uuid.UUID
    consultation_type: ConsultationKind
    ends_at: datetime

    @property
    def id(self) -> str:
        return slot_id(self.clinician_id, self.consultation_type, self.starts_at)


class BadSlotId(ValueError):
    """Not a slot id this service could have given out."""


def slot_id(clinician_id: uuid.UUID, kind: ConsultationKind, starts_at: datetime) -> str:
    """Stable and readable: the clinician, the consultation type, the UTC start."""
    return f"{clinician_id}.{kind.value}.{starts_at.astimezone(UTC).strftime(SLOT_ID_TIME)}"


# No slot is offered outside these years; an id at the calendar's edge (year 1 or 9999)
# made the search a day either side of it overflow.
SLOT_YEARS = (1900, 9000)


def parse_slot_id(value: str) -> tuple[uuid.UUID, ConsultationKind, datetime]:
    parts = value.split(".")
    if len(parts) != 3:
        raise BadSlotId(value)
    try:
        clinician_id = uuid.UUID(parts[0])
        kind = ConsultationKind(parts[1])
        starts_at = datetime.strptime(parts[2], SLOT_ID_TIME).replace(tzinfo=UTC)
    except ValueError as exc:
        raise BadSlotId(value) from exc
    if not SLOT_YEARS[0] <= starts_at.year <= SLOT_YEARS[1]:
        raise BadSlotId(value)  # the search around it would step off the calendar
    return clinician_id, kind, starts_at


@lru_cache(maxsize=4096)
def _steady_offset(day: date, tz: ZoneInfo) -> timedelta | None:
    """The day's UTC offset when it holds from midnight to midnight, else None.

    All but a couple of days a year have no clock change, and on those a wall time names
    exactly one instant; slot search turns thousands of wall times into instants, so the
    quick answer matters (bench/booking.py).
    """
    opens = datetime.combine(day, time(), tzinfo=tz).utcoffset()
    closes = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).utcoffset()
    return opens if opens == closes else None


def instants(day: date, wall: time, tz: ZoneInfo) -> list[datetime]:
    """The UTC instants a local wall time names on `day`: none, one, or two."""
    offset = _steady_offset(day, tz)
    if offset is not None:
        return [datetime.combine(day, wall, tzinfo=UTC) - offset]
    found: list[datetime] = []
    for fold in (0, 1):
        local = datetime.combine(day, wall, tzinfo=tz).replace(fold=fold)
        as_utc = local.astimezone(UTC)
        # A time in the gap does not survive the round trip back to local time.
        if as_utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None, fold=0):
            continue
        if as_utc not in found:
            found.append(as_utc)
    return found


def _boundary(day: date, wall: time, tz: ZoneInfo, *, latest: bool) -> datetime:
    """A block's start or end as one instant.

    A boundary in the spring-forward gap is met when the clock first shows a later time,
    which is the moment the clocks change: hours "from 02:30" that night start at 03:00.
    """
    moment = datetime.combine(day, wall)
    while not (found := instants(day, moment.time(), tz)):
        # Gaps are whole minutes long (at most a few hours), so this ends quickly.
        moment += timedelta(minutes=1)
        if moment.date() != day:
            return datetime.combine(day, time.max, tzinfo=tz).astimezone(UTC)
    return max(found) if latest else min(found)


def _wall_grid(block: WeeklyBlock, duration: timedelta) -> Iterator[time]:
    step = datetime.combine(date.min, block.starts)
    last = datetime.combine(date.min, block.ends) - duration
    while step <= last:
        yield step.time()
        step += duration


def weekly_candidates(
    blocks: Sequence[WeeklyBlock],
    tz: ZoneInfo,
    duration: timedelta,
    window: Span,
) -> list[Span]:
    """Every slot the weekly hours give inside `window`, before anything is taken away."""
    first = window.start.astimezone(tz).date() - timedelta(days=1)
    last = window.end.astimezone(tz).date() + timedelta(days=1)
    spans: list[Span] = []
    day = first
    while day <= last:
        for block in blocks:
            if block.weekday != day.weekday():
                continue
            opens = _boundary(day, block.starts, tz, latest=False)
            closes = _boundary(day, block.ends, tz, latest=True)
            for wall in _wall_grid(block, duration):
                for start in instants(day, wall, tz):
                    end = start + duration
                    if opens <= start and end <= closes:
                        spans.append(Span(start, end))
        day += timedelta(days=1)
    return spans


def extra_candidates(extras: Iterable[Span], duration: timedelta, window: Span) -> list[Span]:
    """Slots in one-off extra hours inside `window`, stepped in real time from the start
    of each. Stepping starts at the window: extra hours may span years (the fuzzer's did,
    and a search walked them five minutes at a time until the request timed out)."""
    spans = []
    for extra in extras:
        if extra.end <= window.start or extra.start >= window.end:
            continue  # and nothing is added to a time near year 9999, which would overflow
        skipped = -(-max(window.start - extra.start, timedelta(0)) // duration)  # ceiling
        start = extra.start + skipped * duration
        end = min(extra.end, window.end)
        while start <= end - duration:
            spans.append(Span(start, start + duration))
            start += duration
    return spans


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with overlapping or touching spans joined."""
    merged: list[Span] = []
    for span in sorted(spans):
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = Span(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged


def free_spans(
    candidates: Iterable[Span],
    blocked: Iterable[Span],
    window: Span,
    not_before: datetime,
) -> list[Span]:
    """Candidates in the window, not before `not_before`, that touch no blocked time and
    no earlier kept candidate (hours from a weekly block and an extra can overlap)."""
    taken = merge(blocked)
    starts = [span.start for span in taken]
    kept: list[Span] = []
    for span in sorted(set(candidates)):
        if span.start < max(window.start, not_before) or span.end > window.end:
            continue
        if kept and span.start < kept[-1].end:
            continue
        # The only blocked spans that can overlap start before this one ends; since they
        # are merged and sorted, the last of those is the one to check.
        index = bisect.bisect_left(starts, span.end) - 1
        if index >= 0 and taken[index].end > span.start:
            continue
        kept.append(span)
    return kept


def free_slots(
    *,
    clinician_id: uuid.UUID,
    kind: ConsultationKind,
    blocks: Sequence[WeeklyBlock],
    extras: Iterable[Span],
    blocked: Iterable[Span],
    tz: ZoneInfo,
    duration: timedelta,
    window: Span,
    not_before: datetime,
    weekly: Sequence[Span] | None = None,
) -> list[Slot]:
    """One clinician's free slots of one consultation type in `window`, oldest first.

    `weekly` is `weekly_candidates(blocks, ...)` when the caller already has it: many
    clinicians share the same hours, and a search computes each pattern once.
    """
    if weekly is None:
        weekly = weekly_candidates(blocks, tz, duration, window)
    candidates = [*weekly, *extra_candidates(extras, duration, window)]
    return [
        Slot(span.start, clinician_id, kind, span.end)
        for span in free_spans(candidates, blocked, window, not_before)
    ]
