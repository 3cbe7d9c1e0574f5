"""Staff API: the whole case as JSON, and the consult packet as a FHIR document Bundle."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from intake.cases import packet, service
from intake.cases.schemas import CaseView
from intake.deps import SettingsDep, UowDep
from intake.fhir.router import FHIR_JSON, FhirJSONResponse
from intake.staff.deps import StaffDep

router = APIRouter(prefix="/api/v1/intakes", tags=["cases"])

_FHIR_CONTENT: dict[int | str, dict[str, Any]] = {200: {"content": {FHIR_JSON: {}}}}


@router.get("/{intake_id}/case")
def read_case(
    intake_id: uuid.UUID, staff: StaffDep, uow: UowDep, settings: SettingsDep
) -> CaseView:
    """Everything about one intake in one answer (any staff role); the read is audited."""
    with uow:
        return service.read_case(uow, intake_id, staff=staff, settings=settings)


@router.get("/{intake_id}/consult-packet", response_class=FhirJSONResponse, responses=_FHIR_CONTENT)
def read_consult_packet(
    intake_id: uuid.UUID, staff: StaffDep, uow: UowDep, settings: SettingsDep
) -> FhirJSONResponse:
    """The consult packet: a FHIR R4 document Bundle (any staff role); audited."""
    with uow:
        bundle = packet.read_packet_bundle(uow, intake_id, staff=staff, settings=settings)
    return FhirJSONResponse(bundle)
