"""Reminder rounds for intakes that await information, and the stale queue after them.

A round starts when the checklist finds something the patient can provide, anchored at
their last activity. The sweep sends one reminder per cadence step (POLICY: 1, 3, 7 and
14 days), each held out of the patient's quiet hours; after the last step the intake is
stale and joins the coordinators' `stale` queue. New activity starts a fresh round.
Completion, withdrawal and opt-out stop reminders at once, including any not yet sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from emails.messages import IntakeReminder
from intake import audit, tasknames
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake, Patient
from intake.notifications.models import EmailCategory, OutboxStatus
from intake.notifications.service import cancel_reminders
from intake.queues import placement
from intake.reminders import optout
from intake.reminders import repository as reminders
from intake.reminders.policy import ReminderPolicy
from intake.reminders.repository import DueReminder

STALE_QUEUE = placement.STALE
# A red-flag intake stays in the urgent queue whatever else happens to it.
_KEEPS_ITS_QUEUE = frozenset({placement.URGENT})
SWEEP_BATCH = 500


def keep_reminding(uow: UnitOfWork, intake: Intake, *, settings: Settings, now: datetime) -> None:
    """The intake awaits something the patient can provide: make sure a round runs.

    A running round (or one that ran out into `stale`) carries on unless the patient
    has been active since it began; then a new round starts from that activity.
    """
    activity = intake.last_patient_activity_at
    anchor = intake.reminder_anchor_at
    new_activity = anchor is None or activity > anchor
    if not new_activity and (intake.next_reminder_at is not None or intake.stale_at is not None):
        return
    if intake.reminder_round:
        cancel_reminders(uow, [intake.id], why="superseded by the patient's activity")
    _leave_stale(intake, now)
    # Restarted without new activity (the clinic asked for something again): count
    # from now, or every step of the new round would already be overdue.
    start = activity if new_activity else now
    intake.reminder_round += 1
    intake.reminder_anchor_at = start
    policy = ReminderPolicy.from_settings(settings)
    upcoming = policy.next_step(start, 0, now, ZoneInfo(intake.patient.timezone))
    if upcoming is None:
        intake.reminder_step = policy.steps
        intake.next_reminder_at = None
        _become_stale(intake, now)
        return
    step, due = upcoming
    intake.reminder_step = step - 1
    intake.next_reminder_at = due


def stop(uow: UnitOfWork, intake: Intake, *, why: str) -> None:
    """No more reminders for this intake, and none of those already queued."""
    intake.next_reminder_at = None
    _leave_stale(intake, utcnow())
    cancel_reminders(uow, [intake.id], why=why)


def _stale_queue(queue: str | None) -> str | None:
    """The queue a stale intake sits in: `stale`, unless its queue outranks it."""
    return queue if queue in _KEEPS_ITS_QUEUE else STALE_QUEUE


def _become_stale(intake: Intake, now: datetime) -> None:
    intake.stale_at = now
    placement.place(intake, _stale_queue(intake.queue), now=now)


def _leave_stale(intake: Intake, now: datetime) -> None:
    intake.stale_at = None
    if intake.queue == STALE_QUEUE:
        # Back to waiting on the patient; routing moves it on when the intake is complete.
        placement.place(intake, placement.AWAITING_INFORMATION, now=now)


@dataclass
class ReminderSweep:
    queued: int = 0
    suppressed: int = 0  # due, but the patient opted out: the step passes silently
    stale: int = 0
    batches: int = 0


def sweep_due(
    uow_factory: Callable[[], UnitOfWork],
    *,
    settings: Settings,
    now: datetime,
    batch: int = SWEEP_BATCH,
) -> ReminderSweep:
    """Queue every due reminder into the outbox, one transaction per batch.

    Safe to run twice at once: each batch locks its intakes (SKIP LOCKED, so a second
    sweep takes other ones), every email has a unique idempotency key, and each intake
    moves on to its next step in the same transaction as its email.
    """
    policy = ReminderPolicy.from_settings(settings)
    base = settings.public_base_url.rstrip("/")
    report = ReminderSweep()
    cursor: tuple[datetime, uuid.UUID] | None = None
    while True:
        with uow_factory() as uow:
            rows = reminders.due(uow.session, now, after=cursor, limit=batch)
            if not rows:
                break
            report.batches += 1
            emails = [
                _reminder_row(row, base=base, secret=settings.secret_key, now=now)
                for row in rows
                if row.opted_out_at is None
            ]
            changes = [_next_step(row, policy, now) for row in rows]
            report.suppressed += len(rows) - len(emails)
            report.stale += sum(1 for change in changes if change["stale_at"] is not None)
            reminders.insert_emails(uow.session, emails)
            reminders.advance(uow.session, changes)
            report.queued += len(emails)
            if emails:
                uow.jobs.enqueue(tasknames.DISPATCH_EMAIL)
            cursor = (rows[-1].due_at, rows[-1].intake_id)
        if len(rows) < batch:
            break
    return report


def _next_step(row: DueReminder, policy: ReminderPolicy, now: datetime) -> dict[str, Any]:
    """The intake's change once this step's reminder is queued: the next step, or stale.

    Keyed as `reminders.advance` binds it: the intake's id, then the columns it sets.
    """
    done = row.steps_done + 1
    anchor = row.anchor or row.due_at
    upcoming = policy.next_step(anchor, done, now, ZoneInfo(row.timezone))
    if upcoming is None:
        return {
            "intake_id": row.intake_id,
            "reminder_step": policy.steps,
            "next_reminder_at": None,
            "stale_at": now,
            "queue": _stale_queue(row.queue),
            "moved_at": now,
        }
    step, due = upcoming
    return {
        "intake_id": row.intake_id,
        "reminder_step": step - 1,
        "next_reminder_at": due,
        "stale_at": None,
        "queue": row.queue,
        "moved_at": now,
    }


def _reminder_row(row: DueReminder, *, base: str, secret: str, now: datetime) -> dict[str, Any]:
    """An outbox row for this step's reminder, as a plain dict for the sweep's INSERT.

    The context is IntakeReminder's fields written out as a dict: no message is built and
    copied with `asdict` (about a third of this function's time, per row). The outbox
    renders it through the strict `from_context`, so the keys must be exactly the
    dataclass's fields: tests/reminders/test_reminders.py checks them.
    """
    unsubscribe_url = f"{base}/unsubscribe/{optout.token_for(row.patient_id, secret)}"
    step = row.steps_done + 1
    return {
        "id": uuid.uuid4(),
        "idempotency_key": f"intake:{row.intake_id}:reminder:{row.round}.{step}",
        "template": IntakeReminder.template,
        "context": {
            "first_name": row.first_name,
            "portal_url": f"{base}/resume",
            "unsubscribe_url": unsubscribe_url,
        },
        "headers": unsubscribe_headers(unsubscribe_url),
        "to_address": row.email,
        "category": EmailCategory.REMINDER.value,
        "intake_id": row.intake_id,
        "quiet_hours_timezone": row.timezone,
        "status": OutboxStatus.PENDING.value,
        "sensitive": False,
        "attempts": 0,
        "interruptions": 0,
        "next_attempt_at": now,
        "last_error": None,
        "sent_at": None,
        "created_at": now,
        "updated_at": now,
    }


def unsubscribe_headers(unsubscribe_url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST to the URL, no page needed."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def set_opt_out(uow: UnitOfWork, token: str, *, opted_out: bool, settings: Settings) -> bool:
    """Turn a patient's reminders off (or back on) by their signed token.

    False for a forged token or an unknown patient. Turning off cancels every reminder
    not yet sent; the intake's clock still runs, so one that stays incomplete still
    reaches the stale queue for a coordinator to phone.
    """
    patient_id = optout.patient_for(token, settings.secret_key)
    patient = uow.session.get(Patient, patient_id) if patient_id else None
    if patient is None:
        return False
    if opted_out == (patient.reminders_opted_out_at is not None):
        return True  # a second click changes nothing
    if opted_out:
        patient.reminders_opted_out_at = utcnow()
        intake_ids = reminders.intakes_of(uow.session, patient.id)
        cancel_reminders(uow, intake_ids, why="the patient opted out")
    else:
        patient.reminders_opted_out_at = None
    audit.record(
        uow,
        actor=audit.Actor.patient(patient.id),
        action="reminders.opt_out" if opted_out else "reminders.opt_in",
        object_type="patient",
        object_id=patient.id,
    )
    return True
