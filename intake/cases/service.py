"""Reading a case: one intake with everything staff need, assembled in one place.

The console page, the JSON API and the consult packet all start here, so each read of
patient data is authorized and audited once, by the function the caller chose.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from intake.audit import ActorType, AuditEvent
from intake.cases import answers as read
from intake.cases import repository
from intake.cases.schemas import (
    ActivityView,
    CaseView,
    ChecklistItemView,
    ChecklistView,
    ClaimView,
    DecisionView,
    DicomStudyView,
    DocumentView,
    EmailView,
    PatientView,
)
from intake.checklist.service import latest_result
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.documents import repository as documents
from intake.documents.models import Document
from intake.intakes.models import Intake
from intake.notifications import repository as outbox
from intake.notifications.models import OutboxEmail
from intake.routing import evidence
from intake.routing import service as routing
from intake.routing.models import RoutingDecision
from intake.routing.schemas import DecisionOut, FindingOut
from intake.staff.models import StaffUser
from intake.staff.reads import read_intake

READ_ACTION = "intake.read"


def read_case(
    uow: UnitOfWork, intake_id: uuid.UUID, *, staff: StaffUser, settings: Settings
) -> CaseView:
    """Everything about one intake, for a coordinator or clinician; audited as intake.read."""
    intake = read_intake(uow, intake_id, staff=staff, action=READ_ACTION)
    return assemble(uow, intake, settings=settings)


def intake_activity(uow: UnitOfWork, intake_id: uuid.UUID) -> list[ActivityView]:
    """What happened to the intake and its documents and findings, newest first.

    Callers have already authorized READ_PATIENT_DATA: every role that may read the
    intake may see who else read or changed it.
    """
    events = repository.activity(uow.session, intake_id, limit=repository.ACTIVITY_LIMIT)
    names = repository.staff_names(uow.session, _staff_actor_ids(events))
    return [
        ActivityView(
            at=event.at,
            action=event.action,
            actor_type=event.actor_type.value,
            actor_id=event.actor_id,
            actor_name=names.get(uuid.UUID(event.actor_id)) if _is_staff(event) else None,
            object_type=event.object_type,
            object_id=event.object_id,
        )
        for event in events
    ]


def _is_staff(event: AuditEvent) -> bool:
    return event.actor_type == ActorType.STAFF and event.actor_id is not None


def _staff_actor_ids(events: list[AuditEvent]) -> set[uuid.UUID]:
    return {uuid.UUID(e.actor_id) for e in events if _is_staff(e) and e.actor_id is not None}


def assemble(uow: UnitOfWork, intake: Intake, *, settings: Settings) -> CaseView:
    """The case view of an intake the caller has already been allowed to read."""
    version, answers = intake.questionnaire_version, intake.answers
    decisions = routing.history(uow, intake.id)
    current = routing.latest_applied(uow, intake.id)
    people = {d.decided_by_id for d in decisions if d.decided_by_id is not None}
    if intake.claimed_by_id is not None:
        people.add(intake.claimed_by_id)
    names = repository.staff_names(uow.session, people)
    due = _sla_due(intake, settings)
    return CaseView(
        intake_id=intake.id,
        status=intake.status.value,
        questionnaire_version=version,
        created_at=intake.created_at,
        submitted_at=intake.submitted_at,
        last_patient_activity_at=intake.last_patient_activity_at,
        queue=intake.queue,
        queued_at=intake.queued_at,
        sla_due_at=due,
        overdue=due is not None and utcnow() > due,
        provisional=intake.provisional,
        recheck_on=intake.recheck_on,
        red_flag_tier=intake.red_flag_tier,
        red_flag_triggers=read.red_flag_triggers(version, answers),
        claimed_by=_claim(intake, names),
        patient=_patient(intake),
        answers=answers,
        scores=read.scores_of(version, answers),
        symptoms=read.symptoms_of(answers),
        surgeries=read.surgeries_of(answers),
        conservative_care=read.care_of(answers),
        medications=read.medications_of(answers),
        checklist=_checklist(uow, intake),
        documents=[_document(d) for d in documents.for_intake(uow.session, intake.id)],
        current_decision=_decision(current, names) if current else None,
        routing=[_decision(d, names) for d in decisions],
        findings=_findings(uow, intake),
        emails=[_email(row) for row in outbox.for_intake(uow.session, intake.id)],
        activity=intake_activity(uow, intake.id),
    )


def _sla_due(intake: Intake, settings: Settings) -> datetime | None:
    hours = settings.queue_sla_hours.get(intake.queue or "")
    if hours is None or intake.queued_at is None:
        return None
    return intake.queued_at + timedelta(hours=hours)


def _claim(intake: Intake, names: dict[uuid.UUID, str]) -> ClaimView | None:
    if intake.claimed_by_id is None or intake.claimed_at is None:
        return None
    return ClaimView(
        staff_id=intake.claimed_by_id,
        name=names.get(intake.claimed_by_id, "?"),
        since=intake.claimed_at,
    )


def _patient(intake: Intake) -> PatientView:
    patient = intake.patient
    return PatientView(
        id=patient.id,
        first_name=patient.first_name,
        last_name=patient.last_name,
        date_of_birth=patient.date_of_birth,
        timezone=patient.timezone,
        email=patient.email,
        phone=patient.phone,
        reminders_opted_out_at=patient.reminders_opted_out_at,
    )


def _checklist(uow: UnitOfWork, intake: Intake) -> ChecklistView | None:
    record = latest_result(uow, intake)
    if record is None:
        return None
    return ChecklistView(
        version=record.version,
        ruleset_version=record.ruleset_version,
        complete=record.complete,
        computed_at=record.computed_at,
        items=[
            ChecklistItemView(
                key=str(item.get("key", "")),
                label=str(item.get("label", "")),
                required=bool(item.get("required")),
                status=str(item.get("status", "")),
                reason=str(item.get("reason", "")),
            )
            for item in record.items
        ],
    )


def _study(study: dict[str, Any]) -> DicomStudyView:
    return DicomStudyView(
        modality=study.get("modality"),
        body_part=study.get("body_part"),
        study_date=study.get("study_date"),
        description=study.get("study_description"),
        series_count=int(study.get("series_count") or 0),
        instance_count=int(study.get("instance_count") or 0),
    )


def _document(document: Document) -> DocumentView:
    return DocumentView(
        id=document.id,
        kind=document.kind.value,
        media_type=document.media_type,
        original_filename=document.original_filename,
        size_bytes=document.size_bytes,
        uploaded_at=document.created_at,
        report_date=document.report_date,
        modality=document.modality,
        body_part=document.body_part,
        study_date=document.study_date,
        studies=[_study(s) for s in document.studies],
        review_status=document.review_status.value,
        review_note=document.review_note,
        review_reasons=list(document.review_reasons),
        reviewed_at=document.reviewed_at,
    )


def _decision(decision: RoutingDecision, names: dict[uuid.UUID, str]) -> DecisionView:
    who = names.get(decision.decided_by_id) if decision.decided_by_id else None
    return DecisionView(**DecisionOut.of(decision).model_dump(), decided_by_name=who)


def _findings(uow: UnitOfWork, intake: Intake) -> list[FindingOut]:
    """What the patient reported, then what staff confirmed or ruled out, oldest first."""
    reported = [
        FindingOut(
            id=None,
            type=str(item["finding"]),
            level=item.get("level"),
            present=True,
            source="patient_reported",
        )
        for item in intake.answers.get("reported_findings") or []
        if isinstance(item, dict) and item.get("finding")
    ]
    confirmed = [FindingOut.confirmed(row) for row in evidence.findings_of(uow.session, intake.id)]
    return reported + confirmed


def _email(row: OutboxEmail) -> EmailView:
    return EmailView(
        id=row.id,
        template=row.template,
        category=row.category.value,
        status=row.status.value,
        attempts=row.attempts,
        created_at=row.created_at,
        sent_at=row.sent_at,
        reason=row.last_error,
    )
