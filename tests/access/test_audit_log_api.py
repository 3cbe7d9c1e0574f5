"""Admins search the audit log by patient or by actor; the search itself is audited."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from intake.config import Settings
from intake.db import UnitOfWork
from intake.intakes.models import Intake
from intake.staff.models import StaffRole
from tests.queues.support import routed
from tests.scheduling.support import Clinic
from tests.staff.support import bearer, make_staff


def test_by_patient_then_by_actor_newest_first(client: TestClient, settings: Settings) -> None:
    intake_id = routed(client, settings)
    someone_else = routed(client, settings)
    clinician = make_staff(email="doc@clinic.example", role=StaffRole.CLINICIAN)
    doc = bearer(client, clinician.email)
    admin = bearer(client, make_staff(email="root@clinic.example", role=StaffRole.ADMIN).email)
    client.get(f"/api/v1/intakes/{intake_id}/routing", headers=doc)
    client.post(f"/api/v1/intakes/{intake_id}/findings", headers=doc, json={"type": "annular_tear"})
    client.get(f"/api/v1/intakes/{someone_else}/routing", headers=doc)
    with UnitOfWork() as uow:
        patient_id = uow.session.get_one(Intake, uuid.UUID(intake_id)).patient_id

    first = client.get(
        "/api/v1/audit-events", headers=admin, params={"patient_id": str(patient_id), "limit": 3}
    ).json()
    rest = client.get(
        "/api/v1/audit-events",
        headers=admin,
        params={"patient_id": str(patient_id), "cursor": first["next_cursor"], "limit": 100},
    ).json()
    by_doc = client.get(
        "/api/v1/audit-events", headers=admin, params={"actor_id": str(clinician.id)}
    ).json()

    about_patient = first["events"] + rest["events"]
    actions = [e["action"] for e in about_patient]
    # Newest first: the finding (and the routing it caused), the read, then the intake's
    # own history back to its start.
    assert actions[:3] == ["routing.decide", "finding.create", "routing.read"]
    assert all(e["object_id"] != someone_else for e in about_patient)
    assert len({e["id"] for e in about_patient}) == len(about_patient)
    assert [e["action"] for e in by_doc["events"]] == [
        "routing.read",
        "finding.create",
        "routing.read",
        "staff.login",
    ]


def test_only_admins_search_and_a_search_needs_a_subject(
    client: TestClient, settings: Settings
) -> None:
    coordinator = bearer(client, make_staff().email)
    admin = bearer(client, make_staff(email="root@clinic.example", role=StaffRole.ADMIN).email)

    refused = client.get("/api/v1/audit-events", headers=coordinator, params={"actor_id": "x"})
    vague = client.get("/api/v1/audit-events", headers=admin)

    assert refused.status_code == 403
    assert vague.status_code == 422


def test_an_intakes_audit_trail_includes_its_appointment(
    client: TestClient, settings: Settings
) -> None:
    clinic = Clinic(client)
    clinic.clinician()
    intake_id = routed(client, settings)
    other = routed(client, settings)
    booked = clinic.booked(intake_id, clinic.slots()[0]["id"])
    clinic.booked(other, clinic.slots()[0]["id"])
    admin = bearer(client, make_staff(email="root@clinic.example", role=StaffRole.ADMIN).email)

    trail = client.get(f"/api/v1/intakes/{intake_id}/audit", headers=admin)
    missing = client.get(f"/api/v1/intakes/{uuid.uuid4()}/audit", headers=admin)

    assert trail.status_code == 200, trail.text
    objects = [(e["action"], e["object_id"]) for e in trail.json()["events"]]
    assert ("appointment.book", booked["id"]) in objects
    assert all(e["object_id"] != other for e in trail.json()["events"])
    assert [a for a, _ in objects].count("appointment.book") == 1
    assert missing.status_code == 404
