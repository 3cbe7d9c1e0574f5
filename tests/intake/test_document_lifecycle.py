"""The checklist as the worker keeps it, and the lives of documents: delete, review."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from intake import tasknames
from intake.checklist.models import ChecklistRecord
from intake.checklist.service import evaluate
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.documents.models import Document
from intake.intakes.models import Intake, IntakeStatus
from intake.routing.service import route_if_due
from tests import samples
from tests.broker import drain_queue
from tests.conftest import StartedIntake, complete_answers, start_intake
from tests.documents.dicom_factory import make_dicom
from tests.staff.support import audit_events, staff_auth

RECENT = (utcnow().date() - timedelta(days=30)).isoformat()


def _upload(
    client: TestClient, started: StartedIntake, kind: str, *, report_date: str | None = None
) -> dict[str, Any]:
    data = {"kind": kind} | ({"report_date": report_date} if report_date else {})
    response = client.post(
        f"/api/v1/intakes/{started.id}/documents",
        headers=started.auth,
        data=data,
        files={"file": (f"{kind}.pdf", samples.pdf(kind + str(report_date)), "application/pdf")},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _upload_everything(client: TestClient, started: StartedIntake) -> dict[str, str]:
    """Every required document, as PDF reports dated a month ago."""
    ids = {}
    for kind in ("operative_note", "current_mri", "postop_imaging", "conservative_care_record"):
        dated = RECENT if kind in ("current_mri", "postop_imaging") else None
        ids[kind] = _upload(client, started, kind, report_date=dated)["id"]
    return ids


def _evaluate(started: StartedIntake, settings: Settings) -> tuple[IntakeStatus, list[str]]:
    with UnitOfWork() as uow:
        outcome = evaluate(uow, uuid.UUID(started.id), settings=settings)
        assert outcome is not None
        jobs = [name for name, _ in uow.jobs.pending]
    return outcome.status, jobs


def _versions(started: StartedIntake) -> list[int]:
    with UnitOfWork() as uow:
        query = select(ChecklistRecord.version).where(
            ChecklistRecord.intake_id == uuid.UUID(started.id)
        )
        return sorted(uow.session.scalars(query))


def _submitted(client: TestClient) -> StartedIntake:
    started = start_intake(client, answers=complete_answers())
    assert (
        client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth).status_code == 200
    )
    return started


def test_missing_documents_are_listed_item_by_item(client: TestClient, settings: Settings) -> None:
    started = _submitted(client)

    status, jobs = _evaluate(started, settings)
    checklist = client.get(f"/api/v1/intakes/{started.id}/checklist", headers=started.auth).json()

    assert status == IntakeStatus.AWAITING_INFORMATION
    assert tasknames.DISPATCH_EMAIL not in jobs  # reminders are due times for the sweep
    by_key = {item["key"]: item for item in checklist["items"]}
    assert by_key["operative_note:1"]["status"] == "missing"
    assert by_key["current_mri"]["status"] == "missing"
    # The fixture's fusion has hardware, so post-op imaging is required.
    assert by_key["postop_imaging"]["required"] is True
    assert checklist["complete"] is False
    assert checklist["version"] == 1
    assert set(checklist["missing"]) >= {"operative_note:1", "current_mri", "postop_imaging"}


def test_complete_enqueues_routing_once_and_routing_happens_once(
    client: TestClient, settings: Settings
) -> None:
    started = _submitted(client)
    _upload_everything(client, started)

    first_status, first_jobs = _evaluate(started, settings)
    second_status, second_jobs = _evaluate(started, settings)

    assert (first_status, second_status) == (IntakeStatus.COMPLETE, IntakeStatus.COMPLETE)
    assert first_jobs.count(tasknames.ROUTE_INTAKE) == 1
    assert tasknames.ROUTE_INTAKE not in second_jobs
    assert _versions(started) == [1]  # the second pass changed nothing
    with UnitOfWork() as uow:
        assert route_if_due(uow, uuid.UUID(started.id), settings=settings) is not None
    with UnitOfWork() as uow:
        assert route_if_due(uow, uuid.UUID(started.id), settings=settings) is None
        intake = uow.session.get_one(Intake, uuid.UUID(started.id))
        assert intake.status == IntakeStatus.ROUTED


def test_a_rejected_document_reopens_the_intake(client: TestClient, settings: Settings) -> None:
    started = _submitted(client)
    ids = _upload_everything(client, started)
    _evaluate(started, settings)
    staff = staff_auth(client)

    refused = client.post(
        f"/api/v1/documents/{ids['current_mri']}/review", headers=staff, json={"status": "rejected"}
    )
    rejected = client.post(
        f"/api/v1/documents/{ids['current_mri']}/review",
        headers=staff,
        json={"status": "rejected", "note": "report is for another body part"},
    )
    status, _ = _evaluate(started, settings)

    assert refused.status_code == 422
    assert rejected.status_code == 200
    assert rejected.json()["review_status"] == "rejected"
    assert status == IntakeStatus.AWAITING_INFORMATION
    assert _versions(started) == [1, 2]
    assert [e.object_id for e in audit_events("document.rejected")] == [ids["current_mri"]]


def test_patients_cannot_review_documents(client: TestClient) -> None:
    started = start_intake(client)
    document = _upload(client, started, "other")

    response = client.post(
        f"/api/v1/documents/{document['id']}/review",
        headers=started.auth,
        json={"status": "reviewed"},
    )

    assert response.status_code == 401


def test_a_patient_deletes_an_upload_before_submitting(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client)
    document = _upload(client, started, "operative_note")
    with UnitOfWork() as uow:
        stored = (
            settings.storage_path
            / uow.session.get_one(Document, uuid.UUID(document["id"])).storage_key
        )
    assert stored.exists()

    response = client.delete(
        f"/api/v1/intakes/{started.id}/documents/{document['id']}", headers=started.auth
    )

    assert response.status_code == 204
    assert not stored.exists()
    listed = client.get(f"/api/v1/intakes/{started.id}/documents", headers=started.auth).json()
    assert listed == []


def test_documents_cannot_be_deleted_after_submit_or_by_others(client: TestClient) -> None:
    started = start_intake(client, answers=complete_answers())
    other = start_intake(client, email="grace@example.com")
    document = _upload(client, started, "operative_note")
    url = f"/api/v1/intakes/{started.id}/documents/{document['id']}"

    assert client.delete(url, headers=other.auth).status_code == 404
    client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)
    assert client.delete(url, headers=started.auth).status_code == 409


def test_staff_read_the_checklist_and_leave_an_audit_event(client: TestClient) -> None:
    started = start_intake(client)
    other = start_intake(client, email="grace@example.com")
    staff = staff_auth(client)
    url = f"/api/v1/intakes/{started.id}/checklist"

    assert client.get(url, headers=staff).status_code == 200
    assert client.get(url, headers=other.auth).status_code == 404
    assert client.get(url).status_code == 401
    assert [e.object_id for e in audit_events("checklist.read")] == [started.id]


def test_an_answer_change_asks_for_a_checklist_pass(client: TestClient, settings: Settings) -> None:
    started = start_intake(client)
    drain_queue(settings)

    client.patch(
        f"/api/v1/intakes/{started.id}",
        headers=started.auth,
        json={"answers": {"surgeries": complete_answers()["surgeries"]}},
    )

    assert drain_queue(settings) == [(tasknames.EVALUATE_CHECKLIST, [started.id])]


def test_a_scan_of_someone_else_is_kept_but_flagged_for_review(
    client: TestClient, settings: Settings
) -> None:
    started = _submitted(client)
    recent = (utcnow().date() - timedelta(days=30)).strftime("%Y%m%d")
    scan = make_dicom(study_date=recent, patient_name="Babbage^Charles")

    response = client.post(
        f"/api/v1/intakes/{started.id}/documents",
        headers=started.auth,
        data={"kind": "current_mri"},
        files={"file": ("mri.dcm", scan, "application/dicom")},
    )
    _evaluate(started, settings)
    checklist = client.get(f"/api/v1/intakes/{started.id}/checklist", headers=started.auth)

    assert response.status_code == 201
    body = response.json()
    assert body["review_status"] == "pending"
    assert any("name" in reason for reason in body["review_reasons"])
    assert "Babbage" not in response.text
    mri = next(i for i in checklist.json()["items"] if i["key"] == "current_mri")
    assert mri["status"] == "needs_review"


def test_a_broken_dicom_file_is_refused_without_phi(client: TestClient, settings: Settings) -> None:
    started = start_intake(client)
    scan = make_dicom(patient_name="Babbage^Charles")[:200]  # cut short

    response = client.post(
        f"/api/v1/intakes/{started.id}/documents",
        headers=started.auth,
        data={"kind": "current_mri"},
        files={"file": ("mri.dcm", scan, "application/dicom")},
    )

    assert response.status_code == 422
    assert "Babbage" not in response.text
    assert not any(p.is_file() for p in settings.storage_path.rglob("*"))


def test_concurrent_passes_store_one_result_and_route_once(
    client: TestClient, settings: Settings
) -> None:
    started = _submitted(client)
    _upload_everything(client, started)
    barrier = threading.Barrier(2)
    routings: list[int] = []
    errors: list[BaseException] = []

    def one_pass() -> None:
        try:
            barrier.wait(timeout=10)
            with UnitOfWork() as uow:
                evaluate(uow, uuid.UUID(started.id), settings=settings)
                routings.append([n for n, _ in uow.jobs.pending].count(tasknames.ROUTE_INTAKE))
        except BaseException as exc:  # surfaced below: a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(routings) == [0, 1]  # the row lock lets only the first see the transition
    assert _versions(started) == [1]
