"""The thin slice, as a patient and a real worker process go through it."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from intake.db import UnitOfWork, utcnow
from intake.documents.models import Document
from intake.intakes.models import Intake
from intake.notifications.models import OutboxEmail, OutboxStatus
from intake.routing.models import RoutingDecision
from tests import samples
from tests.conftest import PATIENT, SmtpSink, StartedIntake, complete_answers, start_intake
from tests.documents.dicom_factory import make_dicom
from tests.e2e.conftest import Stack
from tests.emails.test_render import clinical_words_in
from tests.support import free_port, reset_caches, stop_process, wait_for


def _upload(
    stack: Stack, started: StartedIntake, kind: str, content: bytes | None = None
) -> dict[str, str]:
    content = content or samples.pdf(kind)
    response = stack.client.post(
        f"/api/v1/intakes/{started.id}/documents",
        headers=started.auth,
        data={"kind": kind},
        files={"file": (f"{kind}.bin", content, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    return body


def _reminders(smtp: SmtpSink) -> list[EmailMessage]:
    return [m for m in smtp.received() if m["Subject"].startswith("Items waiting")]


def _intake(intake_id: str) -> Intake:
    with UnitOfWork() as uow:
        intake = uow.session.get(Intake, uuid.UUID(intake_id))
        assert intake is not None
        return intake


def test_submit_remind_complete_route(stack: Stack, smtp: SmtpSink) -> None:
    started = start_intake(stack.client, answers=complete_answers())
    uploaded = _upload(stack, started, "operative_note")
    with UnitOfWork() as uow:
        document = uow.session.get(Document, uuid.UUID(uploaded["id"]))
        assert document is not None
    stored = stack.settings.storage_path / document.storage_key
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == uploaded["sha256"]

    submitted = stack.client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)
    assert submitted.status_code == 200

    # The worker finds documents missing; when the first reminder falls due, beat's
    # sweep queues it and the dispatcher emails it.
    beat = stack.start_beat()
    try:
        [reminder] = wait_for(lambda: _reminders(smtp), what="the reminder email")
        _test_the_rest(stack, smtp, started, reminder)
    finally:
        stop_process(beat)


def _test_the_rest(
    stack: Stack, smtp: SmtpSink, started: StartedIntake, reminder: EmailMessage
) -> None:
    assert reminder["To"] == PATIENT["email"]
    plain = reminder.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    assert "Hi Ada" in text
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert reminder["List-Unsubscribe"].startswith("<http://testserver/unsubscribe/")
    assert clinical_words_in(reminder["Subject"] + text) == []
    checklist = stack.client.get(
        f"/api/v1/intakes/{started.id}/checklist", headers=started.auth
    ).json()
    assert checklist["status"] == "awaiting_information"
    assert checklist["missing"] == ["current_mri", "postop_imaging", "conservative_care_record"]

    def reminder_statuses() -> list[OutboxStatus]:
        with UnitOfWork() as uow:
            return list(
                uow.session.scalars(
                    select(OutboxEmail.status).where(OutboxEmail.template == "intake_reminder")
                )
            )

    # The SMTP server has the message before the dispatcher commits `sent`: wait for it.
    wait_for(lambda: reminder_statuses() == [OutboxStatus.SENT], what="the reminder marked sent")

    # The patient answers the reminder with real DICOM studies from last month; the
    # worker finds the intake complete and the routing task routes it.
    last_month = (utcnow().date() - timedelta(days=30)).strftime("%Y%m%d")
    mri = _upload(stack, started, "current_mri", make_dicom(study_date=last_month))
    assert (mri["media_type"], mri["modality"]) == ("application/dicom", "MR")
    ct = make_dicom(modality="CT", study_date=last_month, study_description="CT L-SPINE")
    _upload(stack, started, "postop_imaging", ct)
    _upload(stack, started, "conservative_care_record")
    # It waited in `awaiting_information`; routing moves it to a consultation queue.
    wait_for(lambda: _intake(started.id).status == "routed", what="the intake to be routed")

    intake = _intake(started.id)
    assert (intake.status, intake.checklist_missing) == ("routed", [])
    with UnitOfWork() as uow:
        [decision] = uow.session.scalars(select(RoutingDecision)).all()
    assert decision.provisional is True
    # Completion stopped the round: the second step's time passes with no email.
    with UnitOfWork() as uow:
        assert uow.session.get_one(Intake, uuid.UUID(started.id)).next_reminder_at is None
    assert len(_reminders(smtp)) == 1
    # Logs carry ids, never the patient's details.
    logs = stack.logs()
    assert started.id in logs
    for detail in (PATIENT["last_name"], PATIENT["email"], PATIENT["date_of_birth"]):
        assert detail not in logs


def test_beat_and_the_sweep_recover_a_lost_message(
    stack: Stack, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_intake(stack.client, answers=complete_answers())
    # The broker is unreachable when the API commits the submit...
    working_broker = stack.settings.broker_url
    monkeypatch.setenv("BROKER_URL", f"redis://127.0.0.1:{free_port()}/0")
    reset_caches()
    response = stack.client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)
    assert response.status_code == 200
    monkeypatch.setenv("BROKER_URL", working_broker)
    reset_caches()

    # ...so only beat's periodic sweep can get the work to the worker.
    beat = stack.start_beat()
    try:
        wait_for(lambda: _reminders(smtp), what="the reminder, via the sweep")
    finally:
        stop_process(beat)
    assert _intake(started.id).status == "awaiting_information"
