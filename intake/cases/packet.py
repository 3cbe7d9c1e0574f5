"""The consult packet: the case, read for a consultation, as a FHIR document or a page."""

from __future__ import annotations

import uuid
from typing import Any

from intake import questionnaire
from intake.cases.schemas import CaseView
from intake.cases.service import assemble
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.errors import NotFound
from intake.fhir.packet import consult_packet
from intake.fhir.questionnaire import NoFhirMapping, questionnaire_response_resource
from intake.intakes.models import Intake, IntakeStatus
from intake.staff.models import StaffUser
from intake.staff.reads import read_intake

PACKET_ACTION = "intake.packet"


def read_packet_case(
    uow: UnitOfWork, intake_id: uuid.UUID, *, staff: StaffUser, settings: Settings
) -> CaseView:
    """The case behind the printable packet; audited as intake.packet."""
    intake = read_intake(uow, intake_id, staff=staff, action=PACKET_ACTION)
    return assemble(uow, intake, settings=settings)


def read_packet_bundle(
    uow: UnitOfWork, intake_id: uuid.UUID, *, staff: StaffUser, settings: Settings
) -> dict[str, Any]:
    """The packet as a FHIR R4 document Bundle; audited as intake.packet."""
    intake = read_intake(uow, intake_id, staff=staff, action=PACKET_ACTION)
    case = assemble(uow, intake, settings=settings)
    return consult_packet(
        case,
        questionnaire_response=_answers_resource(intake),
        clinic_name=settings.clinic_name,
        generated_at=utcnow(),
    )


def _answers_resource(intake: Intake) -> dict[str, Any]:
    try:
        return questionnaire_response_resource(
            intake_id=str(intake.id),
            status="in-progress" if intake.status == IntakeStatus.DRAFT else "completed",
            answers=intake.answers,
            authored=intake.submitted_at or intake.updated_at,
            version=questionnaire.get_version(intake.questionnaire_version),
        )
    except NoFhirMapping:
        raise NotFound("This intake's questionnaire version has no FHIR view") from None
