"""What staff see of email: history per intake, failures, previews; and what no email says."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from fastapi.testclient import TestClient

from emails.messages import MESSAGES
from emails.transport import SmtpTransport
from intake.config import Settings
from intake.db import UnitOfWork
from intake.notifications.models import OutboxEmail
from intake.staff.models import StaffRole
from tests.conftest import SmtpSink, complete_answers, start_intake
from tests.emails.test_render import clinical_words_in
from tests.outbox_support import dispatch_due, everything_in
from tests.reminders.support import awaiting, check, intake, restart_round_at, sweep_at
from tests.staff.support import audit_events, staff_auth


def test_coordinators_see_each_intakes_email_history_and_the_read_is_audited(
    client: TestClient, settings: Settings, smtp: SmtpSink
) -> None:
    started = awaiting(client, settings)
    dispatch_due(settings, SmtpTransport(smtp.url))  # the "intake started" email goes
    anchor = intake(started.id).last_patient_activity_at
    restart_round_at(started.id, anchor, settings)
    smtp.rcpt_reply = "550 5.1.1 No such user"
    later = anchor + timedelta(days=2)
    sweep_at(later, settings)
    daytime = settings.model_copy(update={"quiet_hours_start": time(0), "quiet_hours_end": time(0)})
    dispatch_due(daytime, SmtpTransport(smtp.url), now=later)
    auth = staff_auth(client)

    response = client.get(f"/api/v1/intakes/{started.id}/emails", headers=auth)

    assert response.status_code == 200
    history = [(e["template"], e["status"], e["reason"]) for e in response.json()]
    assert history == [
        ("intake_started", "sent", None),
        ("intake_reminder", "failed", "recipient refused ([550])"),
    ]
    [read] = audit_events("emails.read")
    assert read.object_id == started.id
    # The failure is also on the coordinators' list of emails that need them.
    failed = client.get("/api/v1/emails", headers=auth).json()
    assert [e["intake_id"] for e in failed["items"]] == [started.id]


def test_patients_and_strangers_cannot_read_email_history(
    client: TestClient, settings: Settings
) -> None:
    started = awaiting(client, settings)
    url = f"/api/v1/intakes/{started.id}/emails"

    assert client.get(url).status_code == 401
    assert client.get(url, headers=started.auth).status_code == 401
    assert client.get("/api/v1/emails", headers=started.auth).status_code == 401


def test_the_failed_list_pages_by_keyset(client: TestClient, settings: Settings) -> None:
    for n in range(5):
        start_intake(client, email=f"p{n}@example.com")
    with UnitOfWork() as uow:
        for row in uow.session.query(OutboxEmail):
            row.status = "failed"  # type: ignore[assignment]
    auth = staff_auth(client)

    first = client.get("/api/v1/emails?limit=3", headers=auth).json()
    second = client.get(f"/api/v1/emails?limit=3&cursor={first['next_cursor']}", headers=auth)

    ids = [e["id"] for e in first["items"]] + [e["id"] for e in second.json()["items"]]
    assert len(ids) == len(set(ids)) == 5
    assert second.json()["next_cursor"] is None
    bad = client.get("/api/v1/emails?cursor=nonsense", headers=auth)
    assert bad.status_code == 422


@pytest.mark.parametrize("template", sorted(MESSAGES))
def test_staff_preview_every_template_with_sample_data(client: TestClient, template: str) -> None:
    auth = staff_auth(client, StaffRole.CLINICIAN)

    preview = client.get(f"/api/v1/email-templates/{template}/preview", headers=auth)
    html = client.get(f"/api/v1/email-templates/{template}/preview?format=html", headers=auth)

    assert preview.status_code == 200
    body = preview.json()
    assert body["subject"]
    assert "Test Clinic" in body["text"]  # the settings of this run
    assert html.headers["content-type"].startswith("text/html")
    assert html.text == body["html"]
    assert ("List-Unsubscribe" in body["headers"]) == (template == "intake_reminder")


def test_previews_are_for_staff_only(client: TestClient) -> None:
    assert client.get("/api/v1/email-templates").status_code == 401
    auth = staff_auth(client)
    assert client.get("/api/v1/email-templates", headers=auth).json() == sorted(MESSAGES)
    assert client.get("/api/v1/email-templates/nope/preview", headers=auth).status_code == 404


MARKERS = {
    "last_name": "Zqxlastmark",
    "email": "zqx.mailmark@example.com",
    "date_of_birth": "1961-02-03",
    "phone": "+1 555 0199 777",
}


def test_no_patient_detail_or_clinical_word_reaches_any_email(
    client: TestClient, settings: Settings
) -> None:
    """Every email the flow writes (started, red-flag alert, sign-in link, reminder),
    rendered exactly as sent: the first name may appear, nothing else about the patient."""
    answers = complete_answers()
    started = start_intake(client, answers=answers, first_name="Zqxfirst", **MARKERS)
    client.patch(
        f"/api/v1/intakes/{started.id}",
        headers=started.auth,
        json={"answers": {"red_flags": {**answers["red_flags"], "saddle_numbness": True}}},
    )
    client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)
    client.post("/api/v1/auth/magic-links", json={"email": MARKERS["email"]})
    check(started.id, settings)
    anchor = intake(started.id).last_patient_activity_at
    sweep_at(anchor + timedelta(days=2), settings)

    with UnitOfWork() as uow:
        rows = list(uow.session.query(OutboxEmail))
    templates = sorted(row.template for row in rows)
    assert templates == ["intake_reminder", "intake_started", "magic_link", "staff_alert"]
    for row in rows:
        seen = everything_in(row, settings)
        assert [m for m in MARKERS.values() if m in seen] == [], row.template
        assert clinical_words_in(seen) == [], row.template
        assert ("Zqxfirst" in seen) == (row.template != "staff_alert")
