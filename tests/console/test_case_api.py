"""GET /api/v1/intakes/{id}/case: the whole case as JSON, for staff only, audited."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from intake.db import UnitOfWork
from intake.documents.models import Document
from intake.staff.models import StaffRole
from tests.console.support import run_worker_steps, urgent_intake
from tests.staff.support import audit_events, bearer, make_staff, staff_auth


def _case_url(intake_id: str) -> str:
    return f"/api/v1/intakes/{intake_id}/case"


def test_the_case_needs_a_staff_token(client: TestClient) -> None:
    started = urgent_intake(client, with_mri=False)

    assert client.get(_case_url(started.id)).status_code == 401
    assert client.get(_case_url(started.id), headers=started.auth).status_code == 401
    missing = client.get(_case_url(str(uuid.uuid4())), headers=staff_auth(client))
    assert missing.status_code == 404
    assert audit_events("intake.read") == []


@pytest.mark.parametrize("role", list(StaffRole))
def test_every_role_reads_the_whole_case_and_the_read_is_audited(
    client: TestClient, role: StaffRole
) -> None:
    started = urgent_intake(client)
    run_worker_steps(started.id)
    user = make_staff(email=f"{role}@clinic.example", role=role)

    response = client.get(_case_url(started.id), headers=bearer(client, user.email))

    assert response.status_code == 200, response.text
    case = response.json()
    assert case["patient"]["last_name"] == "Lovelace"
    assert case["queue"] == "urgent"
    assert case["red_flag_tier"] == "urgent"
    assert case["red_flag_triggers"] == ["fever_after_surgery"]
    assert case["scores"]["odi_percent"] == 32.0
    assert case["scores"]["odi_band"] == "moderate"
    assert (case["scores"]["nrs_back_or_neck"], case["scores"]["nrs_leg_or_arm"]) == (7, 4)
    [surgery] = case["surgeries"]
    assert surgery["instrumented_levels"] == ["L5-S1"]
    [study] = case["documents"][0]["studies"]
    assert (study["modality"], study["body_part"], study["series_count"]) == ("MR", "LSPINE", 1)
    assert [d["rule_ids"] for d in case["routing"]] == [["R1"]]
    assert case["current_decision"]["reasons"] == ["Urgent red flag answered"]
    assert {item["status"] for item in case["checklist"]["items"]} >= {"satisfied", "missing"}
    assert {email["template"] for email in case["emails"]} == {"intake_started", "staff_alert"}
    [read] = audit_events("intake.read")
    assert (read.actor_id, read.object_type, read.object_id) == (
        str(user.id),
        "intake",
        started.id,
    )


def test_activity_covers_the_intake_its_documents_and_its_findings(client: TestClient) -> None:
    started = urgent_intake(client)
    run_worker_steps(started.id)
    headers = staff_auth(client, StaffRole.CLINICIAN)
    with UnitOfWork() as uow:
        [document] = uow.session.query(Document).filter_by(intake_id=uuid.UUID(started.id)).all()
    reviewed = client.post(
        f"/api/v1/documents/{document.id}/review", headers=headers, json={"status": "reviewed"}
    )
    assert reviewed.status_code == 200, reviewed.text
    added = client.post(
        f"/api/v1/intakes/{started.id}/findings", headers=headers, json={"type": "facet_pain"}
    )
    assert added.status_code == 201, added.text
    other = urgent_intake(client, last_name="Other")
    client.get(_case_url(other.id), headers=headers)  # another intake's events stay out

    activity = client.get(_case_url(started.id), headers=headers).json()["activity"]

    by_action = {event["action"]: event for event in activity}
    assert by_action["document.reviewed"]["object_id"] == str(document.id)
    assert by_action["finding.create"]["object_type"] == "finding"
    assert by_action["finding.create"]["actor_name"] == "Casey Coordinator"
    assert by_action["routing.decide"]["actor_type"] == "system"
    assert by_action["intake.read"]["object_id"] == started.id
    assert all(e["object_id"] != other.id for e in activity)
    assert [e["at"] for e in activity] == sorted((e["at"] for e in activity), reverse=True)
