"""Intakes in queues, made the way patients and the worker make them, or seeded in bulk."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from intake.checklist.service import evaluate
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake, IntakeStatus, Patient
from intake.queues import placement
from intake.routing.service import route_if_due
from tests import samples
from tests.conftest import StartedIntake, complete_answers, start_intake

RECENT = (utcnow().date() - timedelta(days=30)).isoformat()
# complete_answers() is a fusion with hardware: post-op imaging is required too.
EVERYTHING = ("operative_note", "current_mri", "postop_imaging", "conservative_care_record")


def submitted(client: TestClient, answers: dict[str, Any] | None = None, **patient: Any) -> str:
    """An intake with every document in, submitted; the worker has not looked yet."""
    return submitted_by_patient(client, answers, **patient).id


def submitted_by_patient(
    client: TestClient, answers: dict[str, Any] | None = None, **patient: Any
) -> StartedIntake:
    """As `submitted`, with the patient's token too."""
    started = start_intake(client, answers=answers or complete_answers(), **patient)
    for kind in EVERYTHING:
        dated = kind in ("current_mri", "postop_imaging")
        response = client.post(
            f"/api/v1/intakes/{started.id}/documents",
            headers=started.auth,
            data={"kind": kind, **({"report_date": RECENT} if dated else {})},
            files={"file": ("f.pdf", samples.pdf(kind), "application/pdf")},
        )
        assert response.status_code == 201, response.text
    response = client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)
    assert response.status_code == 200, response.text
    return started


def run_worker(intake_id: str, settings: Settings, *, now: datetime | None = None) -> Intake:
    """What the worker does for a submitted intake: the checklist pass, then routing."""
    with UnitOfWork() as uow:
        evaluate(uow, uuid.UUID(intake_id), settings=settings)
    with UnitOfWork() as uow:
        route_if_due(uow, uuid.UUID(intake_id), settings=settings, now=now)
    return intake(intake_id)


def routed(client: TestClient, settings: Settings, answers: dict[str, Any] | None = None) -> str:
    intake_id = submitted(client, answers)
    run_worker(intake_id, settings)
    return intake_id


def intake(intake_id: str) -> Intake:
    with UnitOfWork() as uow:
        return uow.session.get_one(Intake, uuid.UUID(intake_id))


def set_queued_at(intake_id: str, when: datetime) -> None:
    with UnitOfWork() as uow:
        uow.session.get_one(Intake, uuid.UUID(intake_id)).queued_at = when


def seed(queue: str, count: int, *, red_flag_tier: str | None = None) -> list[uuid.UUID]:
    """`count` intakes already in `queue`, oldest first, straight into the database."""
    start = utcnow() - timedelta(days=1)
    ids = []
    with UnitOfWork() as uow:
        for n in range(count):
            patient = Patient(
                first_name=f"P{n}",
                last_name="Seeded",
                email=f"p{n}@example.com",
                date_of_birth=date(1970, 1, 1),
                timezone="Europe/London",
            )
            row = Intake(
                patient=patient,
                status=IntakeStatus.ROUTED,
                questionnaire_version="fbss-intake/1",
                answers={},
                red_flag_tier=red_flag_tier,
            )
            placement.place(row, queue, now=start + timedelta(seconds=n))
            uow.session.add(row)
            uow.session.flush()
            ids.append(row.id)
    return ids
