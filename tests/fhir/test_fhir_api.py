"""FHIR endpoints: staff only, valid R4B resources, application/fhir+json, reads audited."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from intake.staff.models import StaffRole
from tests.conftest import StartedIntake, start_intake
from tests.questionnaire.fixtures import COMPLETE_ANSWERS
from tests.staff.support import audit_events, bearer, make_staff, staff_auth

QUESTIONNAIRE = "/fhir/Questionnaire/fbss-intake"
FHIR_JSON = "application/fhir+json"


def _response_url(intake_id: str) -> str:
    return f"/fhir/QuestionnaireResponse/{intake_id}"


def _answered_intake(client: TestClient) -> StartedIntake:
    started = start_intake(client)
    saved = client.patch(
        f"/api/v1/intakes/{started.id}",
        headers=started.auth,
        json={"answers": copy.deepcopy(COMPLETE_ANSWERS)},
    )
    assert saved.status_code == 200, saved.text
    return started


def test_fhir_needs_a_staff_token_not_a_patient_one(client: TestClient) -> None:
    started = _answered_intake(client)

    for url in (QUESTIONNAIRE, _response_url(started.id)):
        assert client.get(url).status_code == 401
        assert client.get(url, headers=started.auth).status_code == 401
    assert audit_events("fhir.questionnaire_response.read") == []


@pytest.mark.parametrize("role", list(StaffRole))
def test_any_staff_role_reads_a_valid_questionnaire(client: TestClient, role: StaffRole) -> None:
    response = client.get(QUESTIONNAIRE, headers=staff_auth(client, role))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(FHIR_JSON)
    resource = Questionnaire.model_validate(response.json())
    assert resource.id == "fbss-intake"
    assert resource.item


def test_a_draft_reads_as_an_in_progress_questionnaire_response(client: TestClient) -> None:
    started = _answered_intake(client)

    response = client.get(_response_url(started.id), headers=staff_auth(client))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    resource = QuestionnaireResponse.model_validate(response.json())
    assert resource.id == started.id
    assert resource.status == "in-progress"
    assert resource.item
    assert "Lovelace" not in response.text  # the patient's identity stays out


def test_a_submitted_intake_reads_as_completed(client: TestClient) -> None:
    started = _answered_intake(client)
    submitted = client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)
    assert submitted.status_code == 200, submitted.text

    response = client.get(_response_url(started.id), headers=staff_auth(client))

    resource = QuestionnaireResponse.model_validate(response.json())
    assert resource.status == "completed"
    authored = datetime.fromisoformat(response.json()["authored"])
    assert authored == datetime.fromisoformat(submitted.json()["submitted_at"])


def test_each_questionnaire_response_read_leaves_an_audit_event(client: TestClient) -> None:
    started = _answered_intake(client)
    clinician = make_staff(email="clinician@clinic.example", role=StaffRole.CLINICIAN)
    auth = bearer(client, clinician.email)

    client.get(_response_url(started.id), headers=auth)
    client.get(_response_url(started.id), headers=auth)

    reads = audit_events("fhir.questionnaire_response.read")
    assert len(reads) == 2
    for event in reads:
        assert (event.actor_type, event.actor_id) == ("staff", str(clinician.id))
        assert (event.object_type, event.object_id) == ("intake", started.id)


@pytest.mark.parametrize(
    "intake_id", [str(uuid.uuid4()), "not-a-uuid"], ids=["unknown", "not-a-uuid"]
)
def test_an_unknown_intake_is_404_and_not_audited(client: TestClient, intake_id: str) -> None:
    response = client.get(_response_url(intake_id), headers=staff_auth(client))

    assert response.status_code == 404
    assert audit_events("fhir.questionnaire_response.read") == []
