"""Quiet hours: a window of the recipient's own day in which no nudge may arrive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end` local time; the window may cross midnight (21:00 to 08:00)."""

    start: time
    end: time

    @property
    def enabled(self) -> bool:
        return self.start != self.end

    def contains(self, moment: datetime, tz: ZoneInfo) -> bool:
        if not self.enabled:
            return False
        local = moment.astimezone(tz).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime, tz: ZoneInfo) -> datetime:
        """`moment` itself if it is outside the window, else the window's end (UTC)."""
        if not self.contains(moment, tz):
            return moment
        local = moment.astimezone(tz)
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)  # evening: the window ends tomorrow morning
        # Wall-clock time, then UTC: zoneinfo picks the right offset on DST days.
        return datetime.combine(day, self.end, tzinfo=tz).astimezone(UTC)
