"""Staff reads of FHIR views: find the intake, leave an audit event, build the resource."""

from __future__ import annotations

import uuid
from typing import Any

from intake import audit, questionnaire
from intake.audit import Actor
from intake.db import UnitOfWork
from intake.errors import NotFound
from intake.fhir.questionnaire import (
    NoFhirMapping,
    questionnaire_resource,
    questionnaire_response_resource,
)
from intake.intakes import repository
from intake.intakes.models import IntakeStatus
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, authorize

INTAKE_NOT_FOUND = "Intake not found"


def current_questionnaire() -> dict[str, Any]:
    """The current intake questionnaire as a FHIR Questionnaire (no patient data)."""
    return questionnaire_resource()


def read_questionnaire_response(
    uow: UnitOfWork, *, staff: StaffUser, intake_id: str
) -> dict[str, Any]:
    """An intake's answers as a FHIR QuestionnaireResponse; the read is audited."""
    authorize(uow, staff, Permission.READ_PATIENT_DATA)
    try:
        key = uuid.UUID(intake_id)
    except ValueError:
        raise NotFound(INTAKE_NOT_FOUND) from None  # a FHIR id is any string; ours are UUIDs
    intake = repository.get(uow.session, key)
    if intake is None:
        raise NotFound(INTAKE_NOT_FOUND)
    try:
        resource = questionnaire_response_resource(
            intake_id=str(intake.id),
            status="in-progress" if intake.status == IntakeStatus.DRAFT else "completed",
            answers=intake.answers,
            authored=intake.submitted_at or intake.updated_at,
            version=questionnaire.get_version(intake.questionnaire_version),
        )
    except NoFhirMapping:
        raise NotFound("This intake's questionnaire version has no FHIR view") from None
    audit.record(
        uow,
        actor=Actor.staff(staff.id),
        action="fhir.questionnaire_response.read",
        object_type="intake",
        object_id=intake.id,
    )
    return resource
