"""Clinicians, their hours, leave and extra hours, and consultation types, via the API."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from fastapi.testclient import TestClient

from intake.config import Settings
from intake.staff.models import StaffRole
from tests.scheduling.support import CLINIC, Clinic, next_week
from tests.staff.support import audit_events, staff_auth


def _local(day_offset: int, at: time) -> str:
    moment = datetime.combine(next_week() + timedelta(days=day_offset), at, tzinfo=CLINIC)
    return moment.astimezone(UTC).isoformat()


def test_bad_hours_are_all_named_and_nothing_changes(
    client: TestClient, settings: Settings
) -> None:
    clinic = Clinic(client)
    clinician_id = clinic.clinician()
    before = client.get(f"/api/v1/clinicians/{clinician_id}", headers=clinic.staff).json()

    response = client.put(
        f"/api/v1/clinicians/{clinician_id}/availability",
        headers=clinic.staff,
        json={
            "weekly": [
                {"weekday": 1, "starts": "09:00", "ends": "12:00"},
                {"weekday": 1, "starts": "11:00", "ends": "13:00"},  # overlaps the first
                {"weekday": 2, "starts": "15:00", "ends": "14:00"},  # backwards
            ]
        },
    )

    assert response.status_code == 422
    assert sorted(p["loc"][-1] for p in response.json()["detail"]) == [1, 2]
    after = client.get(f"/api/v1/clinicians/{clinician_id}", headers=clinic.staff).json()
    assert after["weekly"] == before["weekly"]


def test_leave_removes_slots_and_extra_hours_add_them(
    client: TestClient, settings: Settings
) -> None:
    clinic = Clinic(client)
    clinician_id = clinic.clinician(
        weekly=[{"weekday": d, "starts": "09:00", "ends": "12:00"} for d in range(7)]
    )
    start = next_week()
    assert len(clinic.slots(start=start, days=1)) == 3

    leave = client.post(
        f"/api/v1/clinicians/{clinician_id}/exceptions",
        headers=clinic.staff,
        json={
            "kind": "unavailable",
            "starts_at": _local(0, time(9)),
            "ends_at": _local(0, time(11)),
        },
    )
    extra = client.post(
        f"/api/v1/clinicians/{clinician_id}/exceptions",
        headers=clinic.staff,
        json={"kind": "extra", "starts_at": _local(0, time(18)), "ends_at": _local(0, time(20))},
    )
    assert leave.status_code == extra.status_code == 201
    local_starts = [
        datetime.fromisoformat(s["starts_at"]).astimezone(CLINIC).strftime("%H:%M")
        for s in clinic.slots(start=start, days=1)
    ]
    assert local_starts == ["11:00", "18:00", "19:00"]

    listed = client.get(f"/api/v1/clinicians/{clinician_id}", headers=clinic.staff).json()
    assert sorted(e["kind"] for e in listed["exceptions"]) == ["extra", "unavailable"]
    removed = client.delete(
        f"/api/v1/clinicians/{clinician_id}/exceptions/{leave.json()['id']}", headers=clinic.staff
    )
    assert removed.status_code == 204
    assert len(clinic.slots(start=start, days=1)) == 5
    assert len(audit_events("clinician.exception")) == 2


def test_a_naive_or_backwards_exception_is_refused(client: TestClient, settings: Settings) -> None:
    clinic = Clinic(client)
    clinician_id = clinic.clinician()

    naive = client.post(
        f"/api/v1/clinicians/{clinician_id}/exceptions",
        headers=clinic.staff,
        json={
            "kind": "unavailable",
            "starts_at": "2030-01-01T09:00",
            "ends_at": "2030-01-01T10:00",
        },
    )
    backwards = client.post(
        f"/api/v1/clinicians/{clinician_id}/exceptions",
        headers=clinic.staff,
        json={
            "kind": "unavailable",
            "starts_at": _local(0, time(12)),
            "ends_at": _local(0, time(9)),
        },
    )

    assert naive.status_code == 422
    assert {p["loc"][-1] for p in naive.json()["detail"]} == {"starts_at", "ends_at"}
    assert backwards.status_code == 422


def test_a_longer_consultation_type_gives_fewer_slots(
    client: TestClient, settings: Settings
) -> None:
    clinic = Clinic(client)
    clinic.clinician(weekly=[{"weekday": d, "starts": "09:00", "ends": "12:00"} for d in range(7)])
    start = next_week()

    changed = client.put(
        "/api/v1/consultation-types/regenerative",
        headers=clinic.staff,
        json={"name": "Regenerative consultation", "duration_minutes": 90, "modality": "video"},
    )

    assert changed.status_code == 200, changed.text
    slots = clinic.slots(start=start, days=1)
    assert len(slots) == 2
    assert {s["modality"] for s in slots} == {"video"}
    types = client.get("/api/v1/consultation-types", headers=clinic.staff).json()
    assert {t["code"]: t["duration_minutes"] for t in types} == {
        "clinician_triage": 30,
        "regenerative": 90,
        "surgical_revision": 45,
    }


def test_clinicians_only_give_slots_of_the_types_they_offer(
    client: TestClient, settings: Settings
) -> None:
    clinic = Clinic(client)
    clinic.clinician("Dr Regen", offers=("regenerative",))
    revision = clinic.clinician("Dr Rev", offers=("surgical_revision",))

    assert {s["clinician_name"] for s in clinic.slots("regenerative")} == {"Dr Regen"}
    assert {s["clinician_id"] for s in clinic.slots("surgical_revision")} == {revision}
    paused = client.patch(
        f"/api/v1/clinicians/{revision}", headers=clinic.staff, json={"active": False}
    )
    assert paused.status_code == 200
    assert clinic.slots("surgical_revision") == []


def test_a_clinician_may_read_hours_but_not_change_them(
    client: TestClient, settings: Settings
) -> None:
    clinic = Clinic(client)
    clinician_id = clinic.clinician()
    doctor = staff_auth(client, StaffRole.CLINICIAN)

    read = client.get(f"/api/v1/clinicians/{clinician_id}", headers=doctor)
    change = client.put(
        f"/api/v1/clinicians/{clinician_id}/availability", headers=doctor, json={"weekly": []}
    )

    assert read.status_code == 200
    assert change.status_code == 403
    assert len(read.json()["weekly"]) == 7


def test_a_search_window_too_wide_or_backwards_is_a_422(
    client: TestClient, settings: Settings
) -> None:
    clinic = Clinic(client)
    clinic.clinician()
    wide = client.get(
        "/api/v1/slots",
        headers=clinic.staff,
        params={"consultation_type": "regenerative", "start": "2030-01-01", "end": "2030-12-31"},
    )
    backwards = client.get(
        "/api/v1/slots",
        headers=clinic.staff,
        params={"consultation_type": "regenerative", "start": "2030-01-05", "end": "2030-01-01"},
    )
    assert wide.status_code == 422
    assert backwards.status_code == 422
