"""Appointment reminders, 72 and 24 hours before, found by the sweep.

Never broker ETAs: a task waiting days in Redis outlives its visibility timeout and runs
again and again (RELIABILITY.md §1). The appointment row records each reminder dealt
with, the outbox key carries the appointment's SEQUENCE, and rows are claimed with SKIP
LOCKED, so overlapping sweeps send each reminder once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from intake.config import Settings
from intake.db import UnitOfWork
from intake.intakes import repository as intakes
from intake.scheduling import notices, repository

# Nearest first: when a sweep was down and both are due, only the 24-hour one goes.
REMINDERS: Final = ((24, "reminded_24h_at"), (72, "reminded_72h_at"))


def send_due(uow: UnitOfWork, *, settings: Settings, now: datetime, limit: int) -> int:
    """Queue the reminders now due; returns how many were queued."""
    queued = 0
    for hours, column in REMINDERS:
        due = repository.due_for_reminder(
            uow.session, column=column, until=now + timedelta(hours=hours), now=now, limit=limit
        )
        for appointment in due:
            intake = intakes.get(uow.session, appointment.intake_id)
            assert intake is not None  # the foreign key says so
            notices.reminder(uow, appointment, intake, settings, hours_before=hours)
            # Marking the 72-hour one too keeps a late 24-hour reminder from being followed
            # by an out-of-date "in three days".
            for other_hours, marker in REMINDERS:
                if other_hours >= hours and getattr(appointment, marker) is None:
                    setattr(appointment, marker, now)
            queued += 1
    return queued
