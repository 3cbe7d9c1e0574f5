"""A booked intake stays off the queues until routing says its booking no longer fits."""

from __future__ import annotations

from fastapi.testclient import TestClient

from intake.config import Settings
from tests.queues.support import intake
from tests.scheduling.support import Clinic, routed_intake


def _finding(client: TestClient, clinic: Clinic, intake_id: str, body: dict[str, object]) -> None:
    response = client.post(f"/api/v1/intakes/{intake_id}/findings", headers=clinic.staff, json=body)
    assert response.status_code == 201, response.text


def test_a_finding_that_keeps_the_route_leaves_the_booking_alone(
    client: TestClient, settings: Settings
) -> None:
    clinic = Clinic(client)
    clinic.clinician()
    intake_id = routed_intake(client, settings)
    clinic.booked(intake_id, clinic.slots()[0]["id"])

    # Staff confirm the tear the patient reported: still regenerative, now not provisional.
    _finding(client, clinic, intake_id, {"type": "annular_tear", "level": "L3-L4"})

    assert intake(intake_id).queue is None


def test_a_finding_that_changes_the_route_brings_the_booked_intake_back(
    client: TestClient, settings: Settings
) -> None:
    clinic = Clinic(client)
    clinic.clinician()
    intake_id = routed_intake(client, settings)
    clinic.booked(intake_id, clinic.slots()[0]["id"])

    _finding(client, clinic, intake_id, {"type": "hardware_loosening", "level": "L5-S1"})

    # Conflicting signals now: a clinician must look, booking or not.
    assert intake(intake_id).queue == "clinician_triage"
