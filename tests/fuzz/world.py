"""Real records for the fuzzer to aim at: a routed intake, staff of every role, a booking.

Generated path parameters are random strings, so without these almost every request would
end at "404, no such record". Swapping in real ids part of the time takes the fuzzer past
the lookups into the services, where the interesting failures live.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from intake.config import Settings
from intake.db import UnitOfWork
from intake.documents.models import Document
from intake.staff.models import StaffRole
from tests.queues.support import run_worker, submitted_by_patient
from tests.scheduling.support import Clinic
from tests.staff.support import bearer, make_staff

ANONYMOUS = "anonymous"
PATIENT = "patient"
STAFF = tuple(role.value for role in StaffRole)


@dataclass(frozen=True)
class World:
    tokens: dict[str, dict[str, str]]  # caller -> the headers that sign them in
    path_values: dict[str, str]  # path parameter name -> an id that exists

    def headers(self, caller: str) -> dict[str, str]:
        return dict(self.tokens[caller])


def build_world(client: TestClient, settings: Settings) -> World:
    started = submitted_by_patient(client)
    run_worker(started.id, settings)  # routed to a queue, so staff routes have work to show
    with UnitOfWork() as uow:
        stmt = select(Document.id).where(Document.intake_id == uuid.UUID(started.id))
        document_id = str(uow.session.scalars(stmt).first())

    clinic = Clinic(client)
    clinician_id = clinic.clinician()
    slots = clinic.slots()
    booked = clinic.booked(started.id, slots[0]["id"])
    exception = _exception(clinic, clinician_id)

    tokens: dict[str, dict[str, str]] = {ANONYMOUS: {}, PATIENT: started.auth}
    for role in StaffRole:
        user = make_staff(email=f"fuzz-{role.value}@clinic.example", role=role)
        tokens[role.value] = bearer(client, user.email)
    return World(
        tokens=tokens,
        path_values={
            "intake_id": started.id,
            "document_id": document_id,
            "clinician_id": clinician_id,
            "exception_id": exception,
            "appointment_id": str(booked["id"]),
            "queue": "regenerative",
            "template": "intake_reminder",
            "code": "clinician_triage",
        },
    )


def _exception(clinic: Clinic, clinician_id: str) -> str:
    body: dict[str, Any] = {
        "kind": "unavailable",
        "starts_at": "2030-01-01T09:00:00Z",
        "ends_at": "2030-01-01T17:00:00Z",
    }
    made = clinic.client.post(
        f"/api/v1/clinicians/{clinician_id}/exceptions", headers=clinic.staff, json=body
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])
