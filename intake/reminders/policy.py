"""When reminders fall due: pure functions of the cadence, the clock and a timezone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from intake.config import Settings
from intake.notifications.quiet_hours import QuietHours


@dataclass(frozen=True)
class ReminderPolicy:
    # Offsets from the round's anchor (the patient's last activity), one per reminder.
    cadence: tuple[timedelta, ...]
    quiet_hours: QuietHours

    @classmethod
    def from_settings(cls, settings: Settings) -> ReminderPolicy:
        return cls(
            cadence=tuple(timedelta(days=d) for d in settings.reminder_cadence_days),
            quiet_hours=QuietHours(settings.quiet_hours_start, settings.quiet_hours_end),
        )

    @property
    def steps(self) -> int:
        return len(self.cadence)

    def due_at(self, anchor: datetime, step: int, tz: ZoneInfo) -> datetime:
        """When reminder `step` (1-based) falls due, in UTC.

        Days are the patient's calendar days: a reminder "3 days after" an activity at
        10:00 comes at 10:00 local even across a DST change (aware arithmetic in one
        zone is wall-clock arithmetic). Quiet hours then push it to the morning.
        """
        local = anchor.astimezone(tz) + self.cadence[step - 1]
        return self.quiet_hours.next_allowed(local.astimezone(UTC), tz)

    def next_step(
        self, anchor: datetime, done: int, now: datetime, tz: ZoneInfo
    ) -> tuple[int, datetime] | None:
        """The first step after `done` that is still in the future, with its due time.

        Steps whose time already passed (the sweep was down for days) are skipped, so a
        late sweep sends one reminder, not a burst. None: the cadence has run out.
        """
        for step in range(done + 1, self.steps + 1):
            due = self.due_at(anchor, step, tz)
            if due > now:
                return step, due
        return None
