"""The checklist as the worker runs it, called here as a plain function."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select

from intake.checklist.service import evaluate
from intake.config import Settings
from intake.db import UnitOfWork
from intake.intakes.models import Intake, IntakeStatus
from intake.notifications.models import OutboxEmail
from intake.routing.models import RoutingDecision
from tests import samples
from tests.conftest import StartedIntake, complete_answers, start_intake


def _upload(client: TestClient, started: StartedIntake, kind: str) -> None:
    response = client.post(
        f"/api/v1/intakes/{started.id}/documents",
        headers=started.auth,
        data={"kind": kind},
        files={"file": ("f.pdf", samples.pdf(kind), "application/pdf")},
    )
    assert response.status_code == 201, response.text


def _evaluate(intake_id: str, settings: Settings) -> None:
    with UnitOfWork() as uow:
        evaluate(uow, uuid.UUID(intake_id), settings=settings)


def _reminders() -> list[OutboxEmail]:
    with UnitOfWork() as uow:
        query = select(OutboxEmail).where(OutboxEmail.template == "intake_reminder")
        return list(uow.session.scalars(query))


def test_missing_documents_hold_the_intake_and_queue_one_reminder(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client, answers=complete_answers())
    _upload(client, started, "operative_note")
    client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)

    _evaluate(started.id, settings)
    _evaluate(started.id, settings)  # a redelivered task must not write a second email

    with UnitOfWork() as uow:
        intake = uow.session.get(Intake, uuid.UUID(started.id))
        assert intake is not None
        assert intake.status == IntakeStatus.AWAITING_INFORMATION
        assert intake.checklist_missing == ["current_mri", "conservative_care_record"]
    emails = _reminders()
    assert [e.idempotency_key for e in emails] == [f"intake:{started.id}:reminder:1"]
    assert emails[0].to_address == "ada@example.com"


def test_a_complete_intake_is_routed_provisionally(client: TestClient, settings: Settings) -> None:
    started = start_intake(client, answers=complete_answers())  # reports an annular tear
    for kind in ("operative_note", "current_mri", "conservative_care_record"):
        _upload(client, started, kind)
    client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)

    _evaluate(started.id, settings)

    with UnitOfWork() as uow:
        intake = uow.session.get(Intake, uuid.UUID(started.id))
        decisions = list(uow.session.scalars(select(RoutingDecision)))
    assert intake is not None
    assert (intake.status, intake.queue, intake.checklist_missing) == (
        IntakeStatus.ROUTED,
        "regenerative",
        [],
    )
    assert [(d.queue, d.provisional, d.ruleset_version) for d in decisions] == [
        ("regenerative", True, "interim-1")
    ]
    assert _reminders() == []


def test_an_upload_after_the_reminder_asks_for_another_pass(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client, answers=complete_answers())
    client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)
    _evaluate(started.id, settings)

    for kind in ("operative_note", "current_mri", "conservative_care_record"):
        _upload(client, started, kind)
    with UnitOfWork() as uow:
        intake = uow.session.get(Intake, uuid.UUID(started.id))
        assert intake is not None
        assert intake.checklist_dirty
    _evaluate(started.id, settings)

    with UnitOfWork() as uow:
        intake = uow.session.get(Intake, uuid.UUID(started.id))
        assert intake is not None
        assert (intake.status, intake.checklist_dirty) == (IntakeStatus.ROUTED, False)
        assert intake.queue == "regenerative"


def test_a_draft_is_left_alone(client: TestClient, settings: Settings) -> None:
    started = start_intake(client, answers=complete_answers())

    _evaluate(started.id, settings)

    with UnitOfWork() as uow:
        intake = uow.session.get(Intake, uuid.UUID(started.id))
        assert intake is not None
        assert (intake.status, intake.checklist_checked_at) == (IntakeStatus.DRAFT, None)
