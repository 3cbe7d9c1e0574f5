"""FHIR R4 views of scheduling: a Schedule per clinician, free Slots, and Appointments.

The builders are pure and return JSON-ready dicts; the reads below them find the rows,
check the permission and audit. Times go out in the clinic's timezone with their offset,
as staff see them elsewhere.

Mapping choices:

- One Schedule per active clinician, with the clinician's id as its own: a clinician
  has exactly one calendar here, so `Schedule/{id}` names it without another table.
- A Slot is computed, never stored. Our slot id (`{clinician}.{type}.{UTC start}`) is
  what `POST /api/v1/appointments` takes, but it is too long for a FHIR id and holds an
  underscore, so it goes in `Slot.identifier` and the FHIR id is a UUIDv5 of it:
  stable across searches, and free of meaning.
- FHIR has no "confirmed" appointment status: ours is `booked` there, and the patient's
  own acceptance shows as their participant status (`accepted`, else `needs-action`).
- References to Patient and Practitioner are by our ids. This server has no endpoints
  for either; the Patient carries no display, so no identity leaves with the resource.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from intake import audit
from intake.audit import Actor
from intake.config import Settings
from intake.db import UnitOfWork
from intake.errors import InvalidInput, NotFound, problem
from intake.fhir.questionnaire import CANONICAL_BASE, CODE_SYSTEM_BASE
from intake.intakes.models import Intake
from intake.scheduling import repository
from intake.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Clinician,
    ConsultationKind,
    ConsultationType,
    Modality,
)
from intake.scheduling.search import check_window, find_slots
from intake.scheduling.service import local_days
from intake.scheduling.slots import Slot
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, authorize

Resource = dict[str, Any]
Problems = list[dict[str, Any]]  # in the shape `intake.errors.problem` makes

CONSULTATION_SYSTEM: Final = f"{CODE_SYSTEM_BASE}/consultation-type"
# Where a Slot's bookable id lives (Slot.identifier.system).
SLOT_ID_SYSTEM: Final = f"{CANONICAL_BASE}/slot-id"
# HL7 v2 table 0276, the value set R4 suggests for Appointment.appointmentType.
APPOINTMENT_REASON_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v2-0276"
_SLOT_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, SLOT_ID_SYSTEM)

APPOINTMENT_STATUS: Final[Mapping[AppointmentStatus, str]] = MappingProxyType(
    {
        AppointmentStatus.BOOKED: "booked",
        AppointmentStatus.CONFIRMED: "booked",  # see the module docstring
        AppointmentStatus.CANCELLED: "cancelled",
        AppointmentStatus.COMPLETED: "fulfilled",
        AppointmentStatus.NO_SHOW: "noshow",
    }
)
_MODALITY: Final[Mapping[Modality, str]] = MappingProxyType(
    {Modality.IN_PERSON: "in person", Modality.VIDEO: "video"}
)
APPOINTMENT_NOT_FOUND: Final = "No such appointment"


# --- builders -----------------------------------------------------------------------


def service_type(consultation: ConsultationType) -> Resource:
    coding = {
        "system": CONSULTATION_SYSTEM,
        "code": consultation.code.value,
        "display": consultation.name,
    }
    return {"coding": [coding], "text": consultation.name}


def _instant(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat()


def schedule_reference(clinician_id: uuid.UUID, name: str) -> Resource:
    return {"reference": f"Schedule/{clinician_id}", "display": name}


def practitioner_reference(clinician_id: uuid.UUID, name: str) -> Resource:
    return {"reference": f"Practitioner/{clinician_id}", "display": name}


def schedule_resource(
    clinician: Clinician, consultations: Mapping[ConsultationKind, ConsultationType]
) -> Resource:
    """A clinician's calendar and the consultation types it takes, in the types' order.

    No planningHorizon: a search may look as far ahead as it likes, so any horizon
    stated here would be invented.
    """
    offered = [consultations[k] for k in consultations if k.value in clinician.offers]
    resource: Resource = {
        "resourceType": "Schedule",
        "id": str(clinician.id),
        "active": clinician.active,
        "actor": [practitioner_reference(clinician.id, clinician.display_name)],
    }
    if offered:  # FHIR forbids empty arrays
        resource["serviceType"] = [service_type(c) for c in offered]
    return resource


def slot_fhir_id(slot: Slot) -> str:
    return str(uuid.uuid5(_SLOT_NAMESPACE, slot.id))


def slot_resource(
    slot: Slot, *, clinician_name: str, consultation: ConsultationType, tz: ZoneInfo
) -> Resource:
    return {
        "resourceType": "Slot",
        "id": slot_fhir_id(slot),
        "identifier": [{"system": SLOT_ID_SYSTEM, "value": slot.id}],
        "serviceType": [service_type(consultation)],
        "schedule": schedule_reference(slot.clinician_id, clinician_name),
        "status": "free",
        "start": _instant(slot.starts_at, tz),
        "end": _instant(slot.ends_at, tz),
    }


def _patient_participation(appointment: Appointment) -> str:
    # The patient said they will come, or came: either way they accepted the time.
    if appointment.confirmed_at is not None or appointment.status == AppointmentStatus.COMPLETED:
        return "accepted"
    return "needs-action"


def appointment_resource(
    appointment: Appointment,
    *,
    patient_id: uuid.UUID,
    clinician_name: str,
    consultation: ConsultationType,
    tz: ZoneInfo,
) -> Resource:
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    resource: Resource = {
        "resourceType": "Appointment",
        "id": str(appointment.id),
        "status": APPOINTMENT_STATUS[appointment.status],
        "serviceType": [service_type(consultation)],
        # Every consultation here is a planned one, booked from the work queues.
        "appointmentType": {
            "coding": [
                {
                    "system": APPOINTMENT_REASON_SYSTEM,
                    "code": "ROUTINE",
                    "display": "Routine appointment - default if not valued",
                }
            ],
            "text": "Routine appointment",
        },
        # R4 has no field for the modality (R5's virtualService); say it in words.
        "description": f"{consultation.name} ({_MODALITY[appointment.modality]})",
        "supportingInformation": [{"reference": f"QuestionnaireResponse/{appointment.intake_id}"}],
        "start": _instant(appointment.starts_at, tz),
        "end": _instant(appointment.ends_at, tz),
        "minutesDuration": minutes,
        "created": _instant(appointment.created_at, tz),
        "participant": [
            {
                "actor": {"reference": f"Patient/{patient_id}"},
                "required": "required",
                "status": _patient_participation(appointment),
            },
            {
                "actor": practitioner_reference(appointment.clinician_id, clinician_name),
                "required": "required",
                "status": "accepted",  # the time came from the clinician's own hours
            },
        ],
    }
    if appointment.status == AppointmentStatus.CANCELLED and appointment.cancel_reason:
        resource["cancelationReason"] = {"text": appointment.cancel_reason}
    return resource


def searchset(resources: Iterable[Resource], *, base: str, self_url: str) -> Resource:
    """A searchset Bundle of every match (no paging: each search is bounded already)."""
    entries = [
        {
            "fullUrl": f"{base}/fhir/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in resources
    ]
    bundle: Resource = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(entries),
        "link": [{"relation": "self", "url": self_url}],
    }
    if entries:
        bundle["entry"] = entries
    return bundle


# --- search parameters --------------------------------------------------------------


@dataclass(frozen=True)
class SlotQuery:
    """A checked Slot search: one type, clinic-local days, perhaps one clinician."""

    kind: ConsultationKind
    start: date
    end: date
    clinician_id: uuid.UUID | None

    def self_url(self, base: str) -> str:
        """The same search in FHIR's own parameter names."""
        query = {"service-type": self.kind.value, "start": str(self.start), "end": str(self.end)}
        if self.clinician_id is not None:
            query["schedule"] = f"Schedule/{self.clinician_id}"
        return f"{base}/fhir/Slot?{urlencode(query)}"


def _token_kind(token: str) -> ConsultationKind | None:
    """A service-type token, `code` or `system|code`, when it names one of our types."""
    system, _, code = token.rpartition("|")
    if system not in ("", CONSULTATION_SYSTEM):
        return None
    try:
        return ConsultationKind(code)
    except ValueError:
        return None


def _kind(
    consultation_type: ConsultationKind | None, token: str | None, problems: Problems
) -> ConsultationKind | None:
    from_token = None if token is None else _token_kind(token)
    if token is not None and from_token is None:
        known = ", ".join(k.value for k in ConsultationKind)
        problems.append(problem(["query", "service-type"], f"not a consultation type ({known})"))
    elif consultation_type and from_token and consultation_type != from_token:
        problems.append(problem(["query", "service-type"], "differs from consultation_type"))
    elif consultation_type is None and from_token is None:
        problems.append(
            problem(["query", "service-type"], "give service-type or consultation_type")
        )
    return consultation_type or from_token


def _schedule_id(value: str | None, problems: Problems) -> uuid.UUID | None:
    """A `schedule` parameter, `Schedule/{id}` or the bare id, as a clinician id."""
    if value is None:
        return None
    try:
        return uuid.UUID(value.removeprefix("Schedule/"))
    except ValueError:
        problems.append(problem(["query", "schedule"], "not a Schedule id"))
        return None


def slot_query(
    settings: Settings,
    *,
    consultation_type: ConsultationKind | None,
    service_type_token: str | None,
    start: date,
    end: date,
    schedule: str | None,
) -> SlotQuery:
    """The search's parameters, checked together: a 422 names every problem at once."""
    problems: Problems = []
    kind = _kind(consultation_type, service_type_token, problems)
    clinician_id = _schedule_id(schedule, problems)
    try:
        check_window(local_days(start, end, settings), settings)
    except InvalidInput as exc:  # always a list of problems, but the type allows a string
        problems += exc.detail if isinstance(exc.detail, list) else [problem(["query"], exc.detail)]
    if problems or kind is None:
        raise InvalidInput(problems)
    return SlotQuery(kind, start, end, clinician_id)


# --- reads --------------------------------------------------------------------------


def _base(settings: Settings) -> str:
    # Links are built from the configured address, never from the request's Host header.
    return settings.public_base_url.rstrip("/")


def _consultations(uow: UnitOfWork) -> dict[ConsultationKind, ConsultationType]:
    return {row.code: row for row in repository.consultation_types(uow.session)}


def schedules(uow: UnitOfWork, settings: Settings) -> Resource:
    """Every active clinician's Schedule, by name; no patient data, so any staff."""
    consultations = _consultations(uow)
    found = [schedule_resource(c, consultations) for c in repository.clinicians(uow.session)]
    base = _base(settings)
    return searchset(found, base=base, self_url=f"{base}/fhir/Schedule")


def slots(uow: UnitOfWork, settings: Settings, query: SlotQuery, *, now: datetime) -> Resource:
    """Free Slots of one type in the query's clinic-local days, earliest first."""
    found = find_slots(
        uow.session,
        settings,
        kind=query.kind,
        window=local_days(query.start, query.end, settings),
        now=now,
        clinician_id=query.clinician_id,
    )
    base = _base(settings)
    resources = _slot_resources(uow, found, query.kind, settings)
    return searchset(resources, base=base, self_url=query.self_url(base))


def _slot_resources(
    uow: UnitOfWork, found: Sequence[Slot], kind: ConsultationKind, settings: Settings
) -> list[Resource]:
    if not found:
        return []
    consultation = repository.consultation_type(uow.session, kind)
    assert consultation is not None  # the search found slots of it
    names = {c.id: c.display_name for c in repository.clinicians(uow.session)}
    tz = ZoneInfo(settings.clinic_timezone)
    return [
        slot_resource(
            slot, clinician_name=names[slot.clinician_id], consultation=consultation, tz=tz
        )
        for slot in found
    ]


def read_appointment(
    uow: UnitOfWork, *, staff: StaffUser, appointment_id: str, settings: Settings
) -> Resource:
    """One appointment as a FHIR Appointment; the read is audited, a miss is not."""
    authorize(uow, staff, Permission.READ_PATIENT_DATA)
    try:
        key = uuid.UUID(appointment_id)
    except ValueError:
        raise NotFound(APPOINTMENT_NOT_FOUND) from None  # a FHIR id is any string; ours are UUIDs
    appointment = repository.appointment(uow.session, key)
    if appointment is None:
        raise NotFound(APPOINTMENT_NOT_FOUND)
    intake = uow.session.get_one(Intake, appointment.intake_id)  # foreign keys hold these two
    clinician = uow.session.get_one(Clinician, appointment.clinician_id)
    consultation = repository.consultation_type(uow.session, appointment.consultation_type)
    assert consultation is not None  # the three types are seeded and never deleted
    audit.record(
        uow,
        actor=Actor.staff(staff.id),
        action="appointment.read",
        object_type="appointment",
        object_id=appointment.id,
    )
    return appointment_resource(
        appointment,
        patient_id=intake.patient_id,
        clinician_name=clinician.display_name,
        consultation=consultation,
        tz=ZoneInfo(settings.clinic_timezone),
    )
