"""FHIR scheduling views: valid R4B Schedules, Slots and Appointments, for staff only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot

from intake.config import Settings
from intake.fhir.scheduling import (
    CONSULTATION_SYSTEM,
    SLOT_ID_SYSTEM,
    appointment_resource,
)
from intake.scheduling.models import (
    Appointment,
    AppointmentStatus,
    ConsultationKind,
    ConsultationType,
    Modality,
)
from intake.staff.models import StaffRole
from tests.conftest import start_intake
from tests.queues.support import routed
from tests.staff.support import audit_events, staff_auth

FHIR_JSON = "application/fhir+json"
CLINIC = ZoneInfo("America/New_York")  # the test settings' clinic timezone
EVERY_DAY_9_TO_5 = [{"weekday": d, "starts": "09:00", "ends": "17:00"} for d in range(7)]
ALL_TYPES = [kind.value for kind in ConsultationKind]
# R4B's required value sets for the codes we send (fhir.resources does not check codes).
APPOINTMENT_STATUSES = {
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
}
PARTICIPATION_STATUSES = {"accepted", "declined", "tentative", "needs-action"}


# --- helpers ------------------------------------------------------------------------


def next_week() -> date:
    """A clinic-local day well past the booking notice and the change cutoff."""
    return datetime.now(CLINIC).date() + timedelta(days=7)


def make_clinician(
    client: TestClient, staff: dict[str, str], name: str, offers: list[str] | None = None
) -> str:
    made = client.post(
        "/api/v1/clinicians",
        headers=staff,
        json={"display_name": name, "offers": offers or ALL_TYPES},
    )
    assert made.status_code == 201, made.text
    clinician_id = str(made.json()["id"])
    hours = client.put(
        f"/api/v1/clinicians/{clinician_id}/availability",
        headers=staff,
        json={"weekly": EVERY_DAY_9_TO_5},
    )
    assert hours.status_code == 200, hours.text
    return clinician_id


def fhir_get(client: TestClient, url: str, staff: dict[str, str], **params: str) -> Any:
    response = client.get(url, headers=staff, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    return response.json()


def slot_search(client: TestClient, staff: dict[str, str], **params: str) -> Any:
    first = next_week()
    days = {"start": first.isoformat(), "end": (first + timedelta(days=1)).isoformat()}
    return fhir_get(client, "/fhir/Slot", staff, **{**days, **params})


def resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The Bundle's resources, after checking it is a valid R4B searchset."""
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "searchset"
    assert parsed.total == len(bundle.get("entry", []))
    for entry in bundle.get("entry", []):
        assert entry["search"] == {"mode": "match"}
        resource = entry["resource"]
        assert entry["fullUrl"].endswith(f"/fhir/{resource['resourceType']}/{resource['id']}")
    return [entry["resource"] for entry in bundle.get("entry", [])]


def codes(concepts: list[dict[str, Any]]) -> list[str]:
    found = []
    for concept in concepts:
        [coding] = concept["coding"]
        assert coding["system"] == CONSULTATION_SYSTEM
        found.append(coding["code"])
    return found


def book_next_week(
    client: TestClient, settings: Settings, staff: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A booked regenerative appointment, from a slot the FHIR search offered."""
    make_clinician(client, staff, "Dr Rivera")
    intake_id = routed(client, settings)
    [slot, *_] = resources(slot_search(client, staff, consultation_type="regenerative"))
    [identifier] = slot["identifier"]
    booked = client.post(
        "/api/v1/appointments",
        headers=staff,
        json={"intake_id": intake_id, "slot_id": identifier["value"]},
    )
    assert booked.status_code == 201, booked.text
    return slot, booked.json()


def read_appointment(client: TestClient, staff: dict[str, str], appointment_id: str) -> Any:
    body = fhir_get(client, f"/fhir/Appointment/{appointment_id}", staff)
    FhirAppointment.model_validate(body)
    assert body["status"] in APPOINTMENT_STATUSES
    for participant in body["participant"]:
        assert participant["status"] in PARTICIPATION_STATUSES
    return body


# --- access -------------------------------------------------------------------------


def test_every_view_needs_a_staff_token_not_a_patient_one(client: TestClient) -> None:
    patient = start_intake(client)
    first = next_week().isoformat()
    urls = (
        "/fhir/Schedule",
        f"/fhir/Slot?consultation_type=regenerative&start={first}&end={first}",
        f"/fhir/Appointment/{uuid.uuid4()}",
    )

    for url in urls:
        assert client.get(url).status_code == 401, url
        assert client.get(url, headers=patient.auth).status_code == 401, url


@pytest.mark.parametrize("role", list(StaffRole))
def test_any_staff_role_searches_schedules_and_slots(client: TestClient, role: StaffRole) -> None:
    make_clinician(client, staff_auth(client), "Dr Rivera")
    staff = staff_auth(client, role)

    assert len(resources(fhir_get(client, "/fhir/Schedule", staff))) == 1
    assert resources(slot_search(client, staff, consultation_type="regenerative"))


# --- Schedule -----------------------------------------------------------------------


def test_each_active_clinician_has_a_schedule_of_what_they_offer(client: TestClient) -> None:
    staff = staff_auth(client)
    rivera = make_clinician(client, staff, "Dr Rivera", ["regenerative"])
    okafor = make_clinician(client, staff, "Dr Okafor")
    retired = make_clinician(client, staff, "Dr Adams")
    patched = client.patch(f"/api/v1/clinicians/{retired}", headers=staff, json={"active": False})
    assert patched.status_code == 200, patched.text

    found = resources(fhir_get(client, "/fhir/Schedule", staff))

    schedules = {s["id"]: s for s in found}
    assert set(schedules) == {rivera, okafor}  # by name: Okafor, then Rivera
    assert [s["id"] for s in found] == [okafor, rivera]
    for resource in found:
        Schedule.model_validate(resource)
        assert resource["active"] is True
    assert schedules[rivera]["actor"] == [
        {"reference": f"Practitioner/{rivera}", "display": "Dr Rivera"}
    ]
    assert codes(schedules[rivera]["serviceType"]) == ["regenerative"]
    assert sorted(codes(schedules[okafor]["serviceType"])) == sorted(ALL_TYPES)
    assert schedules[okafor]["serviceType"][0]["coding"][0]["display"]  # the type's own name


def test_no_clinicians_is_an_empty_searchset(client: TestClient) -> None:
    bundle = fhir_get(client, "/fhir/Schedule", staff_auth(client))

    assert resources(bundle) == []
    assert bundle["total"] == 0
    assert "entry" not in bundle  # FHIR forbids empty arrays


# --- Slot ---------------------------------------------------------------------------


def test_slots_are_the_free_slots_of_the_api_as_valid_fhir(client: TestClient) -> None:
    staff = staff_auth(client)
    clinician_id = make_clinician(client, staff, "Dr Rivera")
    first = next_week()
    api = client.get(
        "/api/v1/slots",
        headers=staff,
        params={
            "consultation_type": "regenerative",
            "start": first.isoformat(),
            "end": (first + timedelta(days=1)).isoformat(),
        },
    )
    assert api.status_code == 200, api.text

    bundle = slot_search(client, staff, consultation_type="regenerative")

    found = resources(bundle)
    assert len(found) == len(api.json()) == 16  # two days of 09:00-17:00 in hours
    for resource, slot in zip(found, api.json(), strict=True):
        FhirSlot.model_validate(resource)
        assert resource["status"] == "free"
        assert resource["identifier"] == [{"system": SLOT_ID_SYSTEM, "value": slot["id"]}]
        assert resource["schedule"] == {
            "reference": f"Schedule/{clinician_id}",
            "display": "Dr Rivera",
        }
        assert codes(resource["serviceType"]) == ["regenerative"]
        start = datetime.fromisoformat(resource["start"])
        assert start == datetime.fromisoformat(slot["starts_at"])
        assert start.utcoffset() == start.astimezone(CLINIC).utcoffset()  # clinic time
        assert datetime.fromisoformat(resource["end"]) - start == timedelta(hours=1)
    assert bundle["link"][0]["relation"] == "self"
    assert "service-type=regenerative" in bundle["link"][0]["url"]


def test_slot_ids_are_valid_fhir_ids_and_stable(client: TestClient) -> None:
    staff = staff_auth(client)
    make_clinician(client, staff, "Dr Rivera")

    first = [
        r["id"] for r in resources(slot_search(client, staff, consultation_type="regenerative"))
    ]
    again = [
        r["id"] for r in resources(slot_search(client, staff, consultation_type="regenerative"))
    ]

    assert first == again
    assert len(set(first)) == len(first)
    assert all(len(i) <= 64 for i in first)


@pytest.mark.parametrize(
    "params",
    [
        {"service-type": "surgical_revision"},
        {"service-type": f"{CONSULTATION_SYSTEM}|surgical_revision"},
        {"consultation_type": "surgical_revision", "service-type": "surgical_revision"},
    ],
)
def test_the_type_may_be_a_fhir_service_type_token(
    client: TestClient, params: dict[str, str]
) -> None:
    staff = staff_auth(client)
    make_clinician(client, staff, "Dr Rivera")

    found = resources(slot_search(client, staff, **params))

    assert found
    assert {codes(r["serviceType"])[0] for r in found} == {"surgical_revision"}


def test_a_schedule_narrows_the_search_to_its_clinician(client: TestClient) -> None:
    staff = staff_auth(client)
    rivera = make_clinician(client, staff, "Dr Rivera")
    make_clinician(client, staff, "Dr Okafor")

    for schedule in (rivera, f"Schedule/{rivera}"):
        found = resources(
            slot_search(client, staff, consultation_type="regenerative", schedule=schedule)
        )
        assert {r["schedule"]["reference"] for r in found} == {f"Schedule/{rivera}"}
    unknown = slot_search(
        client, staff, consultation_type="regenerative", schedule=str(uuid.uuid4())
    )
    assert resources(unknown) == []


def test_a_bad_search_is_a_422_naming_every_problem(client: TestClient) -> None:
    staff = staff_auth(client)
    first = next_week()
    params = {
        "service-type": "http://elsewhere.example|regenerative",
        "schedule": "Practitioner/nobody",
        "start": first.isoformat(),
        "end": (first + timedelta(days=400)).isoformat(),
    }

    response = client.get("/fhir/Slot", headers=staff, params=params)

    assert response.status_code == 422, response.text
    fields = [problem["loc"][-1] for problem in response.json()["detail"]]
    assert sorted(fields) == ["end", "schedule", "service-type"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"service-type": "physiotherapy"},
        {"consultation_type": "regenerative", "service-type": "clinician_triage"},
    ],
)
def test_the_type_is_required_and_must_be_ours(client: TestClient, params: dict[str, str]) -> None:
    first = next_week().isoformat()

    response = client.get(
        "/fhir/Slot", headers=staff_auth(client), params={"start": first, "end": first, **params}
    )

    assert response.status_code == 422, response.text
    assert [p["loc"] for p in response.json()["detail"]] == [["query", "service-type"]]


# --- Appointment --------------------------------------------------------------------


def test_a_booked_appointment_reads_as_fhir_and_its_slot_is_gone(
    client: TestClient, settings: Settings
) -> None:
    staff = staff_auth(client)
    slot, booked = book_next_week(client, settings, staff)

    body = read_appointment(client, staff, booked["id"])

    assert body["id"] == booked["id"]
    assert body["status"] == "booked"
    assert body["start"] == slot["start"]
    assert body["end"] == slot["end"]
    assert body["minutesDuration"] == 60
    assert codes(body["serviceType"]) == ["regenerative"]
    assert body["appointmentType"]["coding"][0]["code"] == "ROUTINE"
    assert body["supportingInformation"] == [
        {"reference": f"QuestionnaireResponse/{booked['intake_id']}"}
    ]
    patient, practitioner = body["participant"]
    assert patient["actor"]["reference"].startswith("Patient/")
    assert "display" not in patient["actor"]
    assert patient["status"] == "needs-action"  # the patient has not confirmed yet
    assert practitioner["actor"] == {
        "reference": f"Practitioner/{booked['clinician_id']}",
        "display": "Dr Rivera",
    }
    for hidden in ("Lovelace", "Ada", "ada@example.com"):
        assert hidden not in str(body)
    remaining = resources(slot_search(client, staff, consultation_type="regenerative"))
    assert slot["id"] not in {r["id"] for r in remaining}


def test_confirmed_stays_booked_with_the_patient_accepting(
    client: TestClient, settings: Settings
) -> None:
    staff = staff_auth(client)
    _slot, booked = book_next_week(client, settings, staff)
    confirmed = client.post(f"/api/v1/appointments/{booked['id']}/confirm", headers=staff)
    assert confirmed.status_code == 200, confirmed.text

    body = read_appointment(client, staff, booked["id"])

    assert body["status"] == "booked"  # FHIR has no "confirmed"
    assert body["participant"][0]["status"] == "accepted"


def test_a_cancelled_appointment_reads_as_cancelled_with_its_reason(
    client: TestClient, settings: Settings
) -> None:
    staff = staff_auth(client)
    _slot, booked = book_next_week(client, settings, staff)
    cancelled = client.post(
        f"/api/v1/appointments/{booked['id']}/cancel",
        headers=staff,
        json={"reason": "Clinic closed"},
    )
    assert cancelled.status_code == 200, cancelled.text

    body = read_appointment(client, staff, booked["id"])

    assert body["status"] == "cancelled"
    assert body["cancelationReason"] == {"text": "Clinic closed"}


def test_each_appointment_read_leaves_an_audit_event(
    client: TestClient, settings: Settings
) -> None:
    staff = staff_auth(client)
    _slot, booked = book_next_week(client, settings, staff)
    reader = staff_auth(client, StaffRole.CLINICIAN)
    reader_id = client.get("/api/v1/staff/me", headers=reader).json()["id"]

    read_appointment(client, reader, booked["id"])
    read_appointment(client, reader, booked["id"])

    reads = audit_events("appointment.read")
    assert len(reads) == 2
    for event in reads:
        assert (event.actor_type, event.actor_id) == ("staff", reader_id)
        assert (event.object_type, event.object_id) == ("appointment", booked["id"])


@pytest.mark.parametrize(
    "appointment_id", [str(uuid.uuid4()), "not-a-uuid"], ids=["unknown", "not-a-uuid"]
)
def test_an_unknown_appointment_is_404_and_not_audited(
    client: TestClient, appointment_id: str
) -> None:
    response = client.get(f"/fhir/Appointment/{appointment_id}", headers=staff_auth(client))

    assert response.status_code == 404
    assert audit_events("appointment.read") == []


# --- the Appointment builder, every status (no database) ----------------------------

_WINTER = datetime(2027, 1, 12, 14, 0, tzinfo=UTC)  # 09:00 in New York, -05:00
_SUMMER = datetime(2027, 7, 13, 13, 0, tzinfo=UTC)  # 09:00 in New York, -04:00


def _row(status: AppointmentStatus, starts_at: datetime, *, confirmed: bool) -> Appointment:
    return Appointment(
        id=uuid.uuid4(),
        intake_id=uuid.uuid4(),
        clinician_id=uuid.uuid4(),
        consultation_type=ConsultationKind.SURGICAL_REVISION,
        modality=Modality.IN_PERSON,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=45),
        status=status,
        created_at=starts_at - timedelta(days=9),
        confirmed_at=starts_at - timedelta(days=2) if confirmed else None,
        cancel_reason=None,
    )


@pytest.mark.parametrize(
    ("status", "confirmed", "expected", "patient"),
    [
        (AppointmentStatus.BOOKED, False, "booked", "needs-action"),
        (AppointmentStatus.CONFIRMED, True, "booked", "accepted"),
        (AppointmentStatus.CANCELLED, False, "cancelled", "needs-action"),
        (AppointmentStatus.COMPLETED, False, "fulfilled", "accepted"),
        (AppointmentStatus.NO_SHOW, True, "noshow", "accepted"),
    ],
)
@pytest.mark.parametrize("starts_at", [_WINTER, _SUMMER])
def test_every_status_maps_to_a_valid_fhir_appointment(
    status: AppointmentStatus, confirmed: bool, expected: str, patient: str, starts_at: datetime
) -> None:
    consultation = ConsultationType(
        code=ConsultationKind.SURGICAL_REVISION,
        name="Surgical revision review",
        duration_minutes=45,
        modality=Modality.IN_PERSON,
    )
    row = _row(status, starts_at, confirmed=confirmed)

    body = appointment_resource(
        row,
        patient_id=uuid.uuid4(),
        clinician_name="Dr Okafor",
        consultation=consultation,
        tz=CLINIC,
    )

    FhirAppointment.model_validate(body)
    assert body["status"] == expected
    assert body["status"] in APPOINTMENT_STATUSES
    assert body["participant"][0]["status"] == patient
    assert body["minutesDuration"] == 45
    assert body["description"] == "Surgical revision review (in person)"
    start = datetime.fromisoformat(body["start"])
    assert start == starts_at
    assert (start.hour, start.utcoffset()) == (9, starts_at.astimezone(CLINIC).utcoffset())
