"""Starting, saving and submitting intakes, and letting their patient back in."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from intake import tasknames
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.errors import Conflict, NotFound, Unauthorized
from intake.intakes import repository
from intake.intakes.models import Intake, IntakeStatus, Patient, PatientAccessToken
from intake.intakes.schemas import PatientIn
from intake.security import hash_token, new_token


def start_intake(uow: UnitOfWork, *, patient: PatientIn, settings: Settings) -> tuple[Intake, str]:
    """Create a patient and a draft intake; return it with the patient's one-time token."""
    record = Patient(**patient.model_dump())
    intake = Intake(patient=record, status=IntakeStatus.DRAFT, answers={})
    token = new_token()
    uow.session.add_all([record, intake])
    uow.session.flush()
    uow.session.add(
        PatientAccessToken(
            intake_id=intake.id,
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(hours=settings.patient_token_ttl_hours),
        )
    )
    return intake, token


def authorize_patient(uow: UnitOfWork, *, token: str | None, intake_id: uuid.UUID) -> Intake:
    """The intake `token` opens, if it is `intake_id`; a 404 otherwise, so ids leak nothing."""
    if not token:
        raise Unauthorized("Missing patient token")
    grant = repository.live_token(uow.session, hash_token(token), utcnow())
    if grant is None:
        raise Unauthorized("Invalid or expired patient token")
    if grant.intake_id != intake_id:
        raise NotFound("Intake not found")
    intake = repository.get(uow.session, intake_id)
    if intake is None:
        raise NotFound("Intake not found")
    return intake


def save_answers(uow: UnitOfWork, intake: Intake, answers: dict[str, Any]) -> Intake:
    """Merge a partial set of answers into a draft."""
    if intake.status != IntakeStatus.DRAFT:
        raise Conflict("This intake has been submitted and can no longer be changed")
    intake.answers = {**intake.answers, **answers}
    intake.last_patient_activity_at = utcnow()
    uow.session.flush()
    return intake


def submit(uow: UnitOfWork, intake: Intake) -> Intake:
    """Freeze the draft and ask a worker to check its documents."""
    if intake.status != IntakeStatus.DRAFT:
        raise Conflict("This intake has already been submitted")
    now = utcnow()
    intake.status = IntakeStatus.SUBMITTED
    intake.submitted_at = now
    intake.last_patient_activity_at = now
    uow.session.flush()
    uow.jobs.enqueue(tasknames.EVALUATE_CHECKLIST, str(intake.id))
    return intake
