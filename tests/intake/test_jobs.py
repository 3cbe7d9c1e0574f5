"""The after-commit job buffer: jobs see committed rows, rollbacks drop them."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from fastapi.testclient import TestClient

from intake import questionnaire, tasknames
from intake.config import Settings
from intake.db import UnitOfWork
from intake.intakes.models import Intake, IntakeStatus, Patient
from intake.sweep import sweep
from tests.broker import drain_queue
from tests.conftest import complete_answers, start_intake
from tests.support import free_port, reset_caches


class VisibilityCheckingPublisher:
    """Records, for each job, whether its intake was visible to another session then."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    def publish(self, task_name: str, args: tuple[str, ...]) -> None:
        with UnitOfWork(publisher=self) as other:
            visible = other.session.get(Intake, uuid.UUID(args[0])) is not None
        self.seen.append((task_name, visible))


def _new_intake(uow: UnitOfWork) -> Intake:
    patient = Patient(
        first_name="Ada",
        last_name="L",
        email="ada@example.com",
        date_of_birth=date(1970, 1, 1),
        timezone="UTC",
    )
    intake = Intake(
        patient=patient,
        status=IntakeStatus.SUBMITTED,
        questionnaire_version=questionnaire.CURRENT_VERSION,
        answers={},
    )
    uow.session.add(intake)
    uow.session.flush()
    return intake


def test_jobs_are_published_after_the_commit(settings: Settings) -> None:
    publisher = VisibilityCheckingPublisher()

    with UnitOfWork(publisher=publisher) as uow:
        intake = _new_intake(uow)
        uow.jobs.enqueue(tasknames.EVALUATE_CHECKLIST, str(intake.id))
        assert publisher.seen == []  # nothing leaves before the commit

    assert publisher.seen == [(tasknames.EVALUATE_CHECKLIST, True)]


def test_a_rollback_drops_the_jobs_and_the_rows(settings: Settings) -> None:
    publisher = VisibilityCheckingPublisher()

    created: list[Intake] = []

    def failing_request() -> None:
        with UnitOfWork(publisher=publisher) as uow:
            created.append(_new_intake(uow))
            uow.jobs.enqueue(tasknames.EVALUATE_CHECKLIST, str(created[0].id))
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        failing_request()

    assert publisher.seen == []
    with UnitOfWork() as uow:
        assert uow.session.get(Intake, created[0].id) is None


def test_a_dead_broker_loses_nothing(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_intake(client, answers=complete_answers())
    working_broker = settings.broker_url
    monkeypatch.setenv("BROKER_URL", f"redis://127.0.0.1:{free_port()}/0")
    reset_caches()

    response = client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)

    # The patient's submit succeeds and is stored although no message could be sent...
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    # ...and once the broker is back, the sweep finds the work and enqueues it.
    monkeypatch.setenv("BROKER_URL", working_broker)
    reset_caches()
    report = sweep(UnitOfWork)
    assert report.checklists == 1
    assert (tasknames.EVALUATE_CHECKLIST, [started.id]) in drain_queue(settings)
