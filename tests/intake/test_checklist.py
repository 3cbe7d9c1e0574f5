"""The checklist as the worker runs it, called here as a plain function."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from intake.checklist.service import evaluate
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake, IntakeStatus
from intake.notifications.models import OutboxEmail
from intake.routing.models import RoutingDecision
from intake.routing.service import route_if_due
from tests import samples
from tests.conftest import StartedIntake, complete_answers, start_intake

LAST_MONTH = (utcnow().date() - timedelta(days=30)).isoformat()
# The fixture's fusion has hardware, so post-op imaging is required too.
EVERYTHING = ("operative_note", "current_mri", "postop_imaging", "conservative_care_record")


def _upload(client: TestClient, started: StartedIntake, kind: str) -> None:
    dated = kind in ("current_mri", "postop_imaging")
    response = client.post(
        f"/api/v1/intakes/{started.id}/documents",
        headers=started.auth,
        data={"kind": kind, **({"report_date": LAST_MONTH} if dated else {})},
        files={"file": ("f.pdf", samples.pdf(kind), "application/pdf")},
    )
    assert response.status_code == 201, response.text


def _evaluate(intake_id: str, settings: Settings) -> None:
    with UnitOfWork() as uow:
        evaluate(uow, uuid.UUID(intake_id), settings=settings)


def _intake(intake_id: str) -> Intake:
    with UnitOfWork() as uow:
        return uow.session.get_one(Intake, uuid.UUID(intake_id))


def _reminders() -> list[OutboxEmail]:
    with UnitOfWork() as uow:
        query = select(OutboxEmail).where(OutboxEmail.template == "intake_reminder")
        return list(uow.session.scalars(query))


def test_missing_documents_hold_the_intake_and_plan_reminders(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client, answers=complete_answers())
    _upload(client, started, "operative_note")
    client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)

    _evaluate(started.id, settings)
    planned = _intake(started.id)
    _evaluate(started.id, settings)  # a redelivered task must not start a second round

    intake = _intake(started.id)
    assert intake.status == IntakeStatus.AWAITING_INFORMATION
    assert intake.checklist_missing == ["current_mri", "postop_imaging", "conservative_care_record"]
    # The first reminder is a due time a day after the submit (then out of quiet
    # hours), for the sweep to find; nothing is emailed yet.
    assert (intake.reminder_round, intake.reminder_step) == (1, 0)
    assert intake.reminder_anchor_at == intake.last_patient_activity_at
    assert intake.next_reminder_at == planned.next_reminder_at
    assert intake.next_reminder_at is not None
    one_day_later = intake.last_patient_activity_at + timedelta(days=1)
    assert one_day_later <= intake.next_reminder_at < one_day_later + timedelta(hours=12)
    assert _reminders() == []


def test_a_complete_intake_is_routed_provisionally(client: TestClient, settings: Settings) -> None:
    started = start_intake(client, answers=complete_answers())  # reports an annular tear
    for kind in EVERYTHING:
        _upload(client, started, kind)
    client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)

    _evaluate(started.id, settings)
    assert _intake(started.id).status == IntakeStatus.COMPLETE
    with UnitOfWork() as uow:
        route_if_due(uow, uuid.UUID(started.id), settings=settings)

    intake = _intake(started.id)
    with UnitOfWork() as uow:
        decisions = list(uow.session.scalars(select(RoutingDecision)))
    assert (intake.status, intake.queue, intake.checklist_missing) == (
        IntakeStatus.ROUTED,
        "regenerative",
        [],
    )
    # The tear rests on the patient's word alone until staff confirm it.
    assert [(d.queue, d.rule_ids, d.provisional, d.ruleset_version) for d in decisions] == [
        ("regenerative", ["R6"], True, "fbss-routing/1")
    ]
    assert _reminders() == []


def test_an_upload_after_the_reminder_asks_for_another_pass(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client, answers=complete_answers())
    client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)
    _evaluate(started.id, settings)

    for kind in EVERYTHING:
        _upload(client, started, kind)
    assert _intake(started.id).checklist_dirty
    _evaluate(started.id, settings)

    intake = _intake(started.id)
    assert (intake.status, intake.checklist_dirty) == (IntakeStatus.COMPLETE, False)


def test_a_draft_gets_its_checklist_but_keeps_its_status(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client)

    _evaluate(started.id, settings)

    intake = _intake(started.id)
    assert intake.status == IntakeStatus.DRAFT
    assert intake.checklist_checked_at is not None
    assert "current_mri" in (intake.checklist_missing or [])
    assert _reminders() == []
