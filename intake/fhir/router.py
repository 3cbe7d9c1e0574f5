"""FHIR R4 read endpoints for staff, served as application/fhir+json."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from intake.deps import UowDep
from intake.fhir import service
from intake.staff.deps import StaffDep

FHIR_JSON = "application/fhir+json"


class FhirJSONResponse(JSONResponse):
    media_type = FHIR_JSON


_FHIR_CONTENT: dict[int | str, dict[str, Any]] = {200: {"content": {FHIR_JSON: {}}}}

router = APIRouter(prefix="/fhir", tags=["fhir"], default_response_class=FhirJSONResponse)


@router.get("/Questionnaire/fbss-intake", responses=_FHIR_CONTENT)
def read_questionnaire(_staff: StaffDep) -> FhirJSONResponse:
    """The current intake questionnaire (any staff role)."""
    return FhirJSONResponse(service.current_questionnaire())


@router.get("/QuestionnaireResponse/{intake_id}", responses=_FHIR_CONTENT)
def read_questionnaire_response(intake_id: str, staff: StaffDep, uow: UowDep) -> FhirJSONResponse:
    """One intake's answers (any staff role); every read leaves an audit event."""
    with uow:
        resource = service.read_questionnaire_response(uow, staff=staff, intake_id=intake_id)
    return FhirJSONResponse(resource)
