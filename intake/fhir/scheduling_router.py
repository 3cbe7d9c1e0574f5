"""FHIR R4 scheduling reads for staff (Schedule, Slot, Appointment), as application/fhir+json.

Schedules and Slots hold no patient data: any signed-in staff member may search them.
An Appointment names its patient, so reading one takes READ_PATIENT_DATA and is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from intake.db import utcnow
from intake.deps import SettingsDep, UowDep
from intake.fhir import scheduling
from intake.fhir.router import FHIR_JSON, FhirJSONResponse
from intake.scheduling.models import ConsultationKind
from intake.staff.deps import StaffDep

_FHIR_CONTENT: dict[int | str, dict[str, Any]] = {200: {"content": {FHIR_JSON: {}}}}

router = APIRouter(prefix="/fhir", tags=["fhir"], default_response_class=FhirJSONResponse)

ServiceType = Annotated[
    str | None,
    Query(
        alias="service-type",
        description="FHIR token: `regenerative`, or `system|code` with our code system",
    ),
]
StartDay = Annotated[date, Query(description="First clinic-local day (a plain date)")]
EndDay = Annotated[date, Query(description="Last clinic-local day, inclusive")]
ScheduleParam = Annotated[
    str | None, Query(description="`Schedule/{id}` or the id: one clinician's slots")
]


@router.get("/Schedule", responses=_FHIR_CONTENT)
def search_schedules(_staff: StaffDep, uow: UowDep, settings: SettingsDep) -> FhirJSONResponse:
    """A searchset of every active clinician's Schedule (any staff role)."""
    with uow:
        bundle = scheduling.schedules(uow, settings)
    return FhirJSONResponse(bundle)


@router.get("/Slot", responses=_FHIR_CONTENT)
def search_slots(
    _staff: StaffDep,
    uow: UowDep,
    settings: SettingsDep,
    start: StartDay,
    end: EndDay,
    service_type: ServiceType = None,
    consultation_type: ConsultationKind | None = None,
    schedule: ScheduleParam = None,
) -> FhirJSONResponse:
    """Free Slots of one consultation type, earliest first (any staff role).

    `start` and `end` are clinic-local days, as in `/api/v1/slots`, not FHIR date
    comparisons. Each Slot's identifier is the id `POST /api/v1/appointments` books.
    """
    query = scheduling.slot_query(
        settings,
        consultation_type=consultation_type,
        service_type_token=service_type,
        start=start,
        end=end,
        schedule=schedule,
    )
    with uow:
        bundle = scheduling.slots(uow, settings, query, now=utcnow())
    return FhirJSONResponse(bundle)


@router.get("/Appointment/{appointment_id}", responses=_FHIR_CONTENT)
def read_appointment(
    appointment_id: str, staff: StaffDep, uow: UowDep, settings: SettingsDep
) -> FhirJSONResponse:
    """One appointment (staff who may read patient data); every read leaves an audit event."""
    with uow:
        resource = scheduling.read_appointment(
            uow, staff=staff, appointment_id=appointment_id, settings=settings
        )
    return FhirJSONResponse(resource)
