"""Clinicians with hours, routed intakes and free slots, made through the API."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.scheduling.models import Appointment
from intake.staff.models import StaffRole
from tests.queues.support import routed
from tests.staff.support import staff_auth

CLINIC = ZoneInfo("America/New_York")  # the test settings' clinic timezone
EVERY_DAY_9_TO_5 = [{"weekday": d, "starts": "09:00", "ends": "17:00"} for d in range(7)]
AROUND_THE_CLOCK = [{"weekday": d, "starts": "00:00", "ends": "23:59"} for d in range(7)]


class Clinic:
    """A coordinator's view of the clinic: headers, and helpers for the usual calls."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.staff = staff_auth(client, StaffRole.COORDINATOR)

    def clinician(
        self,
        name: str = "Dr Rivera",
        *,
        weekly: list[dict[str, Any]] | None = None,
        offers: tuple[str, ...] = ("regenerative", "surgical_revision", "clinician_triage"),
    ) -> str:
        made = self.client.post(
            "/api/v1/clinicians",
            headers=self.staff,
            json={"display_name": name, "offers": list(offers)},
        )
        assert made.status_code == 201, made.text
        clinician_id = str(made.json()["id"])
        hours = self.client.put(
            f"/api/v1/clinicians/{clinician_id}/availability",
            headers=self.staff,
            json={"weekly": EVERY_DAY_9_TO_5 if weekly is None else weekly},
        )
        assert hours.status_code == 200, hours.text
        return clinician_id

    def slots(
        self,
        kind: str = "regenerative",
        *,
        start: date | None = None,
        days: int = 7,
        **params: str,
    ) -> list[dict[str, Any]]:
        first = start or next_week()
        response = self.client.get(
            "/api/v1/slots",
            headers=self.staff,
            params={
                "consultation_type": kind,
                "start": first.isoformat(),
                "end": (first + timedelta(days=days - 1)).isoformat(),
                **params,
            },
        )
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    def book(self, intake_id: str, slot_id: str) -> Any:
        return self.client.post(
            "/api/v1/appointments",
            headers=self.staff,
            json={"intake_id": intake_id, "slot_id": slot_id},
        )

    def booked(self, intake_id: str, slot_id: str) -> dict[str, Any]:
        response = self.book(intake_id, slot_id)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


def next_week() -> date:
    """A clinic-local day safely past any notice or cutoff."""
    return utcnow().astimezone(CLINIC).date() + timedelta(days=7)


def routed_intake(client: TestClient, settings: Settings, **answers: Any) -> str:
    """Submitted with every document, checked and routed to `regenerative`."""
    return routed(client, settings, answers or None)


def appointment(appointment_id: str) -> Appointment:
    with UnitOfWork() as uow:
        return uow.session.get_one(Appointment, uuid.UUID(appointment_id))


def move_start(appointment_id: str, starts_at: datetime) -> None:
    """Put an appointment at another time, as if it had been booked for then."""
    with UnitOfWork() as uow:
        row = uow.session.get_one(Appointment, uuid.UUID(appointment_id))
        length = row.ends_at - row.starts_at
        row.starts_at, row.ends_at = starts_at, starts_at + length
