"""Starting, saving and submitting intakes, and letting their patient back in."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from emails.messages import IntakeStarted
from intake import audit, questionnaire, tasknames
from intake.checklist import service as checklist
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.errors import Conflict, InvalidInput, NotFound, Unauthorized
from intake.intakes import escalation, repository
from intake.intakes.models import Intake, IntakeStatus, Patient, PatientAccessToken
from intake.intakes.schemas import PatientIn
from intake.notifications.service import queue_email
from intake.questionnaire import RedFlagResult, Scores, Tier
from intake.queues import placement
from intake.reminders import service as reminders
from intake.security import hash_token, new_token

ANSWERS_LOC = ["body", "answers"]


def issue_patient_token(uow: UnitOfWork, *, intake_id: uuid.UUID, ttl: timedelta) -> str:
    """A new bearer token for one intake; only its hash is kept."""
    token = new_token()
    uow.session.add(
        PatientAccessToken(
            intake_id=intake_id, token_hash=hash_token(token), expires_at=utcnow() + ttl
        )
    )
    return token


def start_intake(
    uow: UnitOfWork,
    *,
    patient: PatientIn,
    settings: Settings,
    answers: dict[str, Any] | None = None,
) -> tuple[Intake, str]:
    """Create a patient and a draft (with any first answers); email how to resume.

    Returns the draft and the patient's token. Bad answers fail the whole request, so
    nothing is stored.
    """
    record = Patient(**patient.model_dump())
    intake = Intake(
        patient=record,
        status=IntakeStatus.DRAFT,
        questionnaire_version=questionnaire.CURRENT_VERSION,
        answers={},
    )
    uow.session.add_all([record, intake])
    uow.session.flush()
    if answers:
        save_answers(uow, intake, answers, settings=settings)
    token = issue_patient_token(
        uow, intake_id=intake.id, ttl=timedelta(hours=settings.patient_token_ttl_hours)
    )
    queue_email(
        uow,
        key=f"intake:{intake.id}:started",
        to=record.email,
        intake_id=intake.id,
        message=IntakeStarted(
            first_name=record.first_name,
            resume_url=f"{settings.public_base_url.rstrip('/')}/resume",
        ),
    )
    return intake, token


def intake_for_token(uow: UnitOfWork, token: str | None) -> Intake:
    """The intake a patient token opens (the web pages know no id up front)."""
    if not token:
        raise Unauthorized("Missing patient token")
    grant = repository.live_token(uow.session, hash_token(token), utcnow())
    intake = repository.get(uow.session, grant.intake_id) if grant else None
    if intake is None:
        raise Unauthorized("Invalid or expired patient token")
    return intake


def authorize_patient(uow: UnitOfWork, *, token: str | None, intake_id: uuid.UUID) -> Intake:
    """The intake `token` opens, if it is `intake_id`; a 404 otherwise, so ids leak nothing."""
    intake = intake_for_token(uow, token)
    if intake.id != intake_id:
        raise NotFound("Intake not found")
    return intake


def _problems_at(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**p, "loc": [*ANSWERS_LOC, *p["loc"]]} for p in problems]


def save_answers(
    uow: UnitOfWork, intake: Intake, answers: dict[str, Any], *, settings: Settings
) -> Intake:
    """Replace the given sections of a draft; every problem in them is reported at once."""
    if intake.status != IntakeStatus.DRAFT:
        raise Conflict("This intake has been submitted and can no longer be changed")
    version = questionnaire.get_version(intake.questionnaire_version)
    merged = {**intake.answers, **answers}
    problems = version.validate_draft(
        merged, date_of_birth=intake.patient.date_of_birth, today=utcnow().date()
    )
    # Only the sections in this request can be wrong: older ones were checked when saved.
    problems = [p for p in problems if p["loc"] and p["loc"][0] in answers]
    if problems:
        raise InvalidInput(_problems_at(problems))
    intake.answers = merged
    intake.last_patient_activity_at = utcnow()
    escalation.escalate(uow, intake, version.red_flags(merged), settings=settings)
    # The checklist depends on the answers too (one operative note per surgery...).
    checklist.mark_dirty(uow, intake)
    uow.session.flush()
    return intake


def submit(uow: UnitOfWork, intake: Intake, *, settings: Settings) -> Intake:
    """Validate everything, freeze the draft, and ask a worker to check its documents."""
    if intake.status != IntakeStatus.DRAFT:
        raise Conflict("This intake has already been submitted")
    version = questionnaire.get_version(intake.questionnaire_version)
    problems = version.validate_complete(
        intake.answers, date_of_birth=intake.patient.date_of_birth, today=utcnow().date()
    )
    if problems:
        raise InvalidInput(_problems_at(problems))
    now = utcnow()
    escalation.escalate(uow, intake, version.red_flags(intake.answers), settings=settings)
    intake.status = IntakeStatus.SUBMITTED
    intake.submitted_at = now
    intake.last_patient_activity_at = now
    uow.session.flush()
    uow.jobs.enqueue(tasknames.EVALUATE_CHECKLIST, str(intake.id))
    return intake


def withdraw(uow: UnitOfWork, intake: Intake) -> Intake:
    """The patient stops: reminders stop with it, and nothing is routed any more."""
    if intake.status == IntakeStatus.WITHDRAWN:
        raise Conflict("This intake has already been withdrawn")
    intake.status = IntakeStatus.WITHDRAWN
    intake.withdrawn_at = utcnow()
    reminders.stop(uow, intake, why="the intake was withdrawn")
    placement.place(intake, None, now=utcnow())  # off every queue, claim and all
    audit.record(
        uow,
        actor=audit.Actor.patient(intake.patient_id),
        action="intake.withdraw",
        object_type="intake",
        object_id=intake.id,
    )
    uow.session.flush()
    return intake


def red_flag_result(intake: Intake) -> RedFlagResult | None:
    """The intake's red-flag state, or None if no flag was ever raised.

    The tier is the highest one ever reached, not a reading of the current answers: a
    patient who changes a yes back to no still sees what to do.
    """
    if intake.red_flag_tier is None:
        return None
    current = questionnaire.get_version(intake.questionnaire_version).red_flags(intake.answers)
    tier: Tier = "emergency" if intake.red_flag_tier == "emergency" else "urgent"
    return RedFlagResult(
        tier=tier,
        triggers=current.triggers,
        unanswered=current.unanswered,
        instruction=questionnaire.instruction_for(tier),
    )


def intake_scores(intake: Intake) -> Scores:
    return questionnaire.get_version(intake.questionnaire_version).scores(intake.answers)
