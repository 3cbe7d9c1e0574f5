"""Reminder rounds with a frozen clock: cadence, quiet hours, stale, and every way to stop."""

from __future__ import annotations

import threading
import uuid
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from emails.messages import IntakeReminder, from_context
from intake.config import Settings
from intake.db import UnitOfWork, get_engine
from intake.intakes.models import Intake, IntakeStatus
from intake.notifications.models import OutboxStatus
from intake.reminders.repository import DueReminder
from intake.reminders.service import _reminder_row
from tests import samples
from tests.reminders.support import (
    awaiting,
    check,
    intake,
    reminder_rows,
    restart_round_at,
    sweep_at,
)
from tests.staff.support import audit_events
from tests.web.test_pages import CSRF_FIELD

# London is on GMT in January, so local time is UTC time in these tests.
ANCHOR = datetime(2030, 1, 14, 12, 0, tzinfo=UTC)
STEP_DAYS = (1, 3, 7, 14)


def _due(step: int) -> datetime:
    return ANCHOR + timedelta(days=STEP_DAYS[step - 1])


def _keys(intake_id: str) -> list[str]:
    return [row.idempotency_key for row in reminder_rows(intake_id)]


def test_the_cadence_sends_one_reminder_per_step_then_the_intake_is_stale(
    client: TestClient, settings: Settings
) -> None:
    started = awaiting(client, settings)
    restart_round_at(started.id, ANCHOR, settings)
    round_ = intake(started.id).reminder_round

    assert sweep_at(_due(1) - timedelta(seconds=1), settings).queued == 0
    for step in (1, 2, 3, 4):
        assert sweep_at(_due(step), settings).queued == 1
        assert sweep_at(_due(step), settings).queued == 0  # the same tick again: nothing

    assert _keys(started.id) == [f"intake:{started.id}:reminder:{round_}.{s}" for s in (1, 2, 3, 4)]
    record = intake(started.id)
    assert (record.stale_at, record.queue, record.next_reminder_at) == (_due(4), "stale", None)
    assert record.queued_at == _due(4)  # its age in the stale queue starts now
    assert sweep_at(_due(4) + timedelta(days=30), settings).queued == 0


def test_each_reminder_carries_opt_out_headers_and_no_clinical_detail(
    client: TestClient, settings: Settings
) -> None:
    started = awaiting(client, settings)
    restart_round_at(started.id, ANCHOR, settings)
    sweep_at(_due(1), settings)

    [row] = reminder_rows(started.id)
    assert row.to_address == "ada@example.com"
    assert row.quiet_hours_timezone == "Europe/London"
    assert row.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = row.headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{settings.public_base_url}/unsubscribe/")
    assert row.context == {
        "first_name": "Ada",
        "portal_url": f"{settings.public_base_url}/resume",
        "unsubscribe_url": unsubscribe,
    }


def test_the_sweeps_plain_dict_context_is_exactly_what_intake_reminder_declares() -> None:
    # The sweep builds the context by hand (no dataclass per row); the outbox renders it
    # through from_context, which refuses a missing or an extra field.
    row = DueReminder(
        intake_id=uuid.uuid4(),
        round=2,
        steps_done=0,
        anchor=ANCHOR,
        due_at=_due(1),
        queue=None,
        patient_id=uuid.uuid4(),
        first_name="Ada",
        email="ada@example.com",
        timezone="Europe/London",
        opted_out_at=None,
    )
    email = _reminder_row(row, base="https://clinic.example", secret="s", now=_due(1))

    assert set(email["context"]) == {field.name for field in fields(IntakeReminder)}
    message = from_context(email["template"], email["context"])
    assert isinstance(message, IntakeReminder)
    assert message.context() == email["context"]
    assert email["headers"]["List-Unsubscribe"] == f"<{message.unsubscribe_url}>"
    assert message.portal_url == "https://clinic.example/resume"


def test_a_reminder_due_at_night_is_held_to_the_patients_morning(
    client: TestClient, settings: Settings
) -> None:
    started = awaiting(client, settings, timezone="America/New_York")
    evening = datetime(2030, 1, 15, 3, 30, tzinfo=UTC)  # 22:30 on the 14th in New York
    restart_round_at(started.id, evening, settings)

    morning = datetime(2030, 1, 16, 13, 0, tzinfo=UTC)  # 08:00 on the 16th in New York
    assert intake(started.id).next_reminder_at == morning
    assert sweep_at(evening + timedelta(days=1), settings).queued == 0  # 22:30: quiet
    assert sweep_at(morning - timedelta(minutes=1), settings).queued == 0
    assert sweep_at(morning, settings).queued == 1


def test_completion_stops_reminders_including_one_already_queued(
    client: TestClient, settings: Settings
) -> None:
    started = awaiting(client, settings)
    restart_round_at(started.id, ANCHOR, settings)
    sweep_at(_due(1), settings)  # queued, not yet sent (held, or SMTP is slow)

    for kind in ("operative_note", "current_mri", "postop_imaging", "conservative_care_record"):
        dated = {"report_date": datetime.now(UTC).date().isoformat()} if "i" in kind else {}
        response = client.post(
            f"/api/v1/intakes/{started.id}/documents",
            headers=started.auth,
            data={"kind": kind, **dated},
            files={"file": ("f.pdf", samples.pdf(kind), "application/pdf")},
        )
        assert response.status_code == 201, response.text
    check(started.id, settings)

    assert intake(started.id).status == IntakeStatus.COMPLETE
    [row] = reminder_rows(started.id)
    assert row.status == OutboxStatus.CANCELLED
    assert row.last_error == "the intake is complete"
    assert intake(started.id).next_reminder_at is None
    assert sweep_at(_due(4), settings).queued == 0


def test_withdrawal_stops_reminders_at_once(client: TestClient, settings: Settings) -> None:
    started = awaiting(client, settings)
    restart_round_at(started.id, ANCHOR, settings)
    sweep_at(_due(1), settings)

    response = client.post(f"/api/v1/intakes/{started.id}/withdraw", headers=started.auth)

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    [row] = reminder_rows(started.id)
    assert (row.status, row.last_error) == (OutboxStatus.CANCELLED, "the intake was withdrawn")
    assert sweep_at(_due(4), settings).queued == 0
    assert intake(started.id).stale_at is None
    [event_] = audit_events("intake.withdraw")
    assert event_.object_id == started.id
    again = client.post(f"/api/v1/intakes/{started.id}/withdraw", headers=started.auth)
    assert again.status_code == 409


def test_one_patient_cannot_withdraw_anothers_intake(
    client: TestClient, settings: Settings
) -> None:
    mine = awaiting(client, settings)
    theirs = awaiting(client, settings, email="other@example.com")

    response = client.post(f"/api/v1/intakes/{theirs.id}/withdraw", headers=mine.auth)

    assert response.status_code == 404
    assert intake(theirs.id).status == IntakeStatus.AWAITING_INFORMATION


def _unsubscribe_path(intake_id: str) -> str:
    row = reminder_rows(intake_id)[0]
    return urlsplit(row.headers["List-Unsubscribe"].strip("<>")).path


def test_one_click_opt_out_stops_emails_but_the_intake_still_goes_stale(
    client: TestClient, settings: Settings
) -> None:
    started = awaiting(client, settings)
    restart_round_at(started.id, ANCHOR, settings)
    sweep_at(_due(1), settings)
    path = _unsubscribe_path(started.id)

    # A mail scanner's GET shows a page and changes nothing...
    page = client.get(path)
    assert page.status_code == 200
    assert 'id="stop-reminders"' in page.text
    assert reminder_rows(started.id)[0].status == OutboxStatus.PENDING
    # ...the RFC 8058 one-click POST turns reminders off, with no cookie or CSRF token.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert 'id="opted-out"' in response.text

    [row] = reminder_rows(started.id)
    assert (row.status, row.last_error) == (OutboxStatus.CANCELLED, "the patient opted out")
    for step in (2, 3):
        report = sweep_at(_due(step), settings)
        assert (report.queued, report.suppressed) == (0, 1)
    assert sweep_at(_due(4), settings).stale == 1
    assert len(reminder_rows(started.id)) == 1
    record = intake(started.id)
    assert (record.queue, record.stale_at) == ("stale", _due(4))
    assert [e.object_type for e in audit_events("reminders.opt_out")] == ["patient"]
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert len(audit_events("reminders.opt_out")) == 1  # a second click changes nothing


def test_opting_back_in_resumes_the_remaining_steps(client: TestClient, settings: Settings) -> None:
    started = awaiting(client, settings)
    restart_round_at(started.id, ANCHOR, settings)
    sweep_at(_due(1), settings)
    path = _unsubscribe_path(started.id)
    opted_out_page = client.post(path)  # as a browser does: the page then offers to resume
    token = CSRF_FIELD.search(opted_out_page.text)
    assert token, "the opted-out page has no form token"
    forged = client.post(f"{path}/resume", data={"csrf_token": "0" * 64})

    resumed = client.post(f"{path}/resume", data={"csrf_token": token.group(1)})

    assert forged.status_code == 403

    assert resumed.status_code == 200
    assert 'id="stop-reminders"' in resumed.text
    assert sweep_at(_due(2), settings).queued == 1
    assert len(audit_events("reminders.opt_in")) == 1


@pytest.mark.parametrize("token", ["nothing", "0" * 32 + ".forged", ""])
def test_a_forged_opt_out_link_does_nothing(
    client: TestClient, settings: Settings, token: str
) -> None:
    started = awaiting(client, settings)
    restart_round_at(started.id, ANCHOR, settings)
    sweep_at(_due(1), settings)
    genuine = _unsubscribe_path(started.id)
    forged = f"/unsubscribe/{token}" if token else genuine[:-3] + "abc"

    assert client.get(forged).status_code == 404
    assert client.post(forged).status_code == 404
    assert reminder_rows(started.id)[0].status == OutboxStatus.PENDING
    assert audit_events("reminders.opt_out") == []


def test_new_activity_starts_a_fresh_round_and_leaves_the_stale_queue(
    client: TestClient, settings: Settings
) -> None:
    started = awaiting(client, settings)
    # A round that ran out before today, so today's upload is newer than its anchor.
    anchor = datetime.now(UTC) - timedelta(days=30)
    restart_round_at(started.id, anchor, settings)
    for days in STEP_DAYS:
        sweep_at(anchor + timedelta(days=days, hours=12), settings)  # past any quiet hours
    assert intake(started.id).queue == "stale"
    stale_round = intake(started.id).reminder_round

    response = client.post(
        f"/api/v1/intakes/{started.id}/documents",
        headers=started.auth,
        data={"kind": "conservative_care_record"},
        files={"file": ("f.pdf", samples.pdf("care"), "application/pdf")},
    )
    assert response.status_code == 201
    check(started.id, settings)

    record = intake(started.id)
    assert (record.status, record.queue, record.stale_at) == (
        IntakeStatus.AWAITING_INFORMATION,
        "awaiting_information",
        None,
    )
    assert (record.reminder_round, record.reminder_step) == (stale_round + 1, 0)
    assert record.reminder_anchor_at == record.last_patient_activity_at
    assert record.next_reminder_at is not None
    assert record.next_reminder_at >= record.last_patient_activity_at + timedelta(days=1)


def test_a_red_flag_intake_stays_urgent_when_it_goes_stale(
    client: TestClient, settings: Settings
) -> None:
    started = awaiting(client, settings)
    with UnitOfWork() as uow:  # as a red-flag answer before submit would have left it
        uow.session.get_one(Intake, intake(started.id).id).queue = "urgent"
    restart_round_at(started.id, ANCHOR, settings)
    for step in (1, 2, 3, 4):
        sweep_at(_due(step), settings)

    record = intake(started.id)
    assert (record.queue, record.stale_at) == ("urgent", _due(4))


def test_overlapping_sweeps_queue_each_reminder_once(
    client: TestClient, settings: Settings
) -> None:
    ids = [awaiting(client, settings, email=f"p{n}@example.com").id for n in range(24)]
    now = max(intake(i).next_reminder_at or ANCHOR for i in ids) + timedelta(minutes=1)
    barrier = threading.Barrier(2)
    reports = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            reports.append(sweep_at(now, settings, batch=5))
        except BaseException as exc:  # surfaced below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(r.queued for r in reports) == 24
    rows = reminder_rows()
    assert sorted(str(r.intake_id) for r in rows) == sorted(ids)
    assert {intake(i).reminder_step for i in ids} == {1}


def test_statements_per_batch_do_not_grow_with_the_batch(
    client: TestClient, settings: Settings
) -> None:
    ids = [awaiting(client, settings, email=f"p{n}@example.com").id for n in range(12)]
    now = max(intake(i).next_reminder_at or ANCHOR for i in ids) + timedelta(minutes=1)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]).split()[0].upper())

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        small = sweep_at(now, settings, batch=4)  # 3 full batches, then an empty look
        small_total = len(statements)
        for i in ids:
            restart_round_at(i, now - timedelta(days=1, hours=1), settings)
        statements.clear()
        large = sweep_at(now, settings, batch=12)  # 1 full batch, then an empty look
        large_total, large_statements = len(statements), list(statements)
        statements.clear()
        sweep_at(now, settings)  # nothing due: only the empty look
        empty_look = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert (small.batches, large.batches) == (3, 1)
    # Batches of 4 and of 12 intakes cost the same statements: nothing is per intake.
    per_batch = large_total - empty_look
    assert small_total - empty_look == 3 * per_batch
    assert large_statements.count("INSERT") == 1
    assert per_batch <= 4  # SELECT, INSERT, UPDATE (and SQLite's BEGIN)
