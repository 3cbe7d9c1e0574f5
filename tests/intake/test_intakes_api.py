"""Starting, reading, saving and submitting intakes through the API."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from intake import tasknames
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake, Patient, PatientAccessToken
from intake.security import hash_token
from tests.broker import drain_queue
from tests.conftest import PATIENT, complete_answers, start_intake


def _count(model: type[object]) -> int:
    with UnitOfWork() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_start_returns_a_draft_and_a_working_token(client: TestClient) -> None:
    response = client.post("/api/v1/intakes", json={"patient": PATIENT})

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["token_type"] == "bearer"
    started = client.get(
        f"/api/v1/intakes/{body['id']}", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert started.status_code == 200
    assert started.json()["id"] == body["id"]


def test_only_the_token_hash_is_stored(client: TestClient) -> None:
    started = start_intake(client)

    with UnitOfWork() as uow:
        stored = uow.session.scalars(select(PatientAccessToken.token_hash)).all()
    assert stored == [hash_token(started.token)]
    assert started.token not in stored


def test_start_names_every_problem_and_stores_nothing(client: TestClient) -> None:
    bad = {
        "first_name": "Ada",
        "email": "not-an-email",
        "date_of_birth": "2999-01-01",
        "timezone": "Mars/Olympus",
    }

    response = client.post("/api/v1/intakes", json={"patient": bad})

    assert response.status_code == 422
    locations = {tuple(problem["loc"]) for problem in response.json()["detail"]}
    assert locations == {
        ("body", "patient", "last_name"),
        ("body", "patient", "email"),
        ("body", "patient", "date_of_birth"),
        ("body", "patient", "timezone"),
    }
    assert _count(Patient) == 0
    assert _count(Intake) == 0


def test_a_token_opens_only_its_own_intake(client: TestClient) -> None:
    mine = start_intake(client)
    theirs = start_intake(client, email="grace@example.com", first_name="Grace")

    assert client.get(f"/api/v1/intakes/{theirs.id}", headers=mine.auth).status_code == 404
    # A made-up id answers exactly like someone else's: nothing to enumerate.
    assert client.get(f"/api/v1/intakes/{uuid.uuid4()}", headers=mine.auth).status_code == 404
    assert client.get(f"/api/v1/intakes/{mine.id}").status_code == 401
    bogus = {"Authorization": "Bearer not-a-real-token"}
    assert client.get(f"/api/v1/intakes/{mine.id}", headers=bogus).status_code == 401
    patch = client.patch(
        f"/api/v1/intakes/{theirs.id}", headers=mine.auth, json={"answers": {"pain": {}}}
    )
    assert patch.status_code == 404


def test_drafts_merge_partial_answers(client: TestClient) -> None:
    started = start_intake(client)
    url = f"/api/v1/intakes/{started.id}"

    pain = {"back_or_neck": 7, "leg_or_arm": None}
    client.patch(url, headers=started.auth, json={"answers": {"pain": pain}})
    response = client.patch(url, headers=started.auth, json={"answers": {"surgeries": []}})

    assert response.status_code == 200
    assert response.json()["answers"] == {"pain": pain, "surgeries": []}
    assert client.get(url, headers=started.auth).json()["answers"] == response.json()["answers"]


def test_submit_freezes_the_intake(client: TestClient) -> None:
    started = start_intake(client, answers=complete_answers())
    url = f"/api/v1/intakes/{started.id}"

    submitted = client.post(f"{url}/submit", headers=started.auth)

    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["submitted_at"] is not None
    again = client.patch(url, headers=started.auth, json={"answers": {"pain": {}}})
    assert again.status_code == 409
    assert client.post(f"{url}/submit", headers=started.auth).status_code == 409


def test_submit_enqueues_the_checklist_on_the_broker(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client, answers=complete_answers())
    # Starting sends the "how to resume" email and asks for a first checklist pass.
    assert {task for task, _ in drain_queue(settings)} == {
        tasknames.DISPATCH_EMAIL,
        tasknames.EVALUATE_CHECKLIST,
    }

    client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)

    assert drain_queue(settings) == [(tasknames.EVALUATE_CHECKLIST, [started.id])]


def test_checklist_is_empty_until_the_worker_looks(client: TestClient) -> None:
    started = start_intake(client)

    response = client.get(f"/api/v1/intakes/{started.id}/checklist", headers=started.auth)

    assert response.status_code == 200
    assert response.json() == {
        "status": "draft",
        "version": None,
        "ruleset_version": None,
        "complete": None,
        "items": [],
        "missing": None,
        "checked_at": None,
    }


def test_an_expired_or_revoked_patient_token_is_refused(client: TestClient) -> None:
    expired = start_intake(client)
    revoked = start_intake(client, email="grace@example.com")
    with UnitOfWork() as uow:
        uow.session.execute(
            update(PatientAccessToken)
            .where(PatientAccessToken.intake_id == uuid.UUID(expired.id))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        uow.session.execute(
            update(PatientAccessToken)
            .where(PatientAccessToken.intake_id == uuid.UUID(revoked.id))
            .values(revoked_at=utcnow())
        )

    for started in (expired, revoked):
        response = client.get(f"/api/v1/intakes/{started.id}", headers=started.auth)
        assert response.status_code == 401
