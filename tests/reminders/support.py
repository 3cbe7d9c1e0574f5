"""Intakes that await information, and a frozen-clock view of their reminders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from intake.checklist.service import evaluate
from intake.config import Settings
from intake.db import UnitOfWork
from intake.intakes.models import Intake, IntakeStatus
from intake.notifications.models import EmailCategory, OutboxEmail
from intake.reminders import service as reminders
from tests.conftest import StartedIntake, complete_answers, start_intake
from tests.outbox_support import RecordingPublisher


def awaiting(client: TestClient, settings: Settings, **patient: Any) -> StartedIntake:
    """Submitted with no documents: the checklist holds it, and a round is planned."""
    started = start_intake(client, answers=complete_answers(), **patient)
    response = client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)
    assert response.status_code == 200, response.text
    check(started.id, settings)
    assert intake(started.id).status == IntakeStatus.AWAITING_INFORMATION
    return started


def check(intake_id: str, settings: Settings) -> None:
    """What the checklist worker does after every change."""
    with UnitOfWork() as uow:
        evaluate(uow, uuid.UUID(intake_id), settings=settings)


def restart_round_at(intake_id: str, anchor: datetime, settings: Settings) -> None:
    """As if the patient's last activity was at `anchor`, and the round began then."""
    with UnitOfWork() as uow:
        record = uow.session.get_one(Intake, uuid.UUID(intake_id))
        record.last_patient_activity_at = anchor
        record.reminder_anchor_at = record.next_reminder_at = record.stale_at = None
        reminders.keep_reminding(uow, record, settings=settings, now=anchor)


def intake(intake_id: str) -> Intake:
    with UnitOfWork() as uow:
        return uow.session.get_one(Intake, uuid.UUID(intake_id))


def sweep_at(now: datetime, settings: Settings, *, batch: int = 500) -> reminders.ReminderSweep:
    factory = RecordingPublisher().uow_factory()
    return reminders.sweep_due(factory, settings=settings, now=now, batch=batch)


def reminder_rows(intake_id: str | None = None) -> list[OutboxEmail]:
    with UnitOfWork() as uow:
        stmt = select(OutboxEmail).where(OutboxEmail.category == EmailCategory.REMINDER)
        if intake_id is not None:
            stmt = stmt.where(OutboxEmail.intake_id == uuid.UUID(intake_id))
        return list(uow.session.scalars(stmt.order_by(OutboxEmail.created_at)))
