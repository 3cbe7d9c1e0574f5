"""/metrics in one process: who may scrape, and what the database state reads as."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from intake.config import Settings, get_settings
from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake
from intake.notifications.models import OutboxEmail, OutboxStatus
from intake.queues import placement
from intake.staff.models import StaffRole
from tests.conftest import start_intake
from tests.metrics.support import SCRAPER_TOKEN, families, label_values, sample, scraper_auth
from tests.queues.support import run_worker, seed, set_queued_at, submitted
from tests.staff.support import audit_events, make_staff, staff_auth

STATE_FAMILIES = {
    "intake_queue_depth",
    "intake_queue_unclaimed",
    "intake_queue_overdue",
    "intake_outbox_emails",
    "intake_reminders_sent",
}


@pytest.fixture
def scraper(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("METRICS_TOKEN", SCRAPER_TOKEN)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def scrape(client: TestClient) -> str:
    response = client.get("/metrics", headers=scraper_auth())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_strangers_patients_and_wrong_tokens_get_401(client: TestClient, scraper: Settings) -> None:
    patient = start_intake(client)
    for headers in ({}, patient.auth, {"Authorization": "Bearer " + "x" * 40}):
        assert client.get("/metrics", headers=headers).status_code == 401, headers


def test_only_admins_among_staff_may_scrape_and_a_refusal_is_audited(
    client: TestClient, scraper: Settings
) -> None:
    refused = [
        client.get("/metrics", headers=staff_auth(client, role)).status_code
        for role in (StaffRole.COORDINATOR, StaffRole.CLINICIAN)
    ]
    admin_auth = staff_auth(client, StaffRole.ADMIN)
    events_before = len(audit_events())
    admin = client.get("/metrics", headers=admin_auth)

    assert refused == [403, 403]
    denied = [e.object_id for e in audit_events("staff.access_denied")]
    assert denied == ["view_metrics", "view_metrics"]
    assert admin.status_code == 200
    assert families(admin.text) >= STATE_FAMILIES
    # Aggregates, not a read of anyone's record: an admin's scrape leaves no audit event.
    assert len(audit_events()) == events_before


def test_without_a_metrics_token_the_scraper_token_means_nothing(
    client: TestClient, settings: Settings
) -> None:
    assert client.get("/metrics", headers=scraper_auth()).status_code == 401


def test_a_short_metrics_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="METRICS_TOKEN"):
        Settings(metrics_token="too-short")


def test_queue_gauges_count_what_each_queue_holds(client: TestClient, scraper: Settings) -> None:
    triage = seed(placement.CLINICIAN_TRIAGE, 3)
    seed(placement.URGENT, 2, red_flag_tier="urgent")
    seed(placement.STALE, 1)
    holder = make_staff()
    with UnitOfWork() as uow:
        uow.session.get_one(Intake, triage[0]).claimed_by_id = holder.id
    # Seeded a day ago: past urgent's 4 h, within the 48 h and 72 h of stale and triage;
    # one triage item is moved past its SLA.
    set_queued_at(str(triage[1]), utcnow() - timedelta(hours=80))

    text = scrape(client)

    depth = {q: sample(text, "intake_queue_depth", queue=q) for q in placement.QUEUES}
    assert depth == {
        **dict.fromkeys(placement.QUEUES, 0.0),
        "clinician_triage": 3.0,
        "urgent": 2.0,
        "stale": 1.0,
    }
    assert sample(text, "intake_queue_unclaimed", queue="clinician_triage") == 2
    assert sample(text, "intake_queue_unclaimed", queue="urgent") == 2
    assert sample(text, "intake_queue_overdue", queue="clinician_triage") == 1
    assert sample(text, "intake_queue_overdue", queue="urgent") == 2
    assert sample(text, "intake_queue_overdue", queue="stale") == 0


def _outbox(template: str, status: OutboxStatus) -> OutboxEmail:
    return OutboxEmail(
        idempotency_key=f"metrics-test:{uuid.uuid4()}",
        template=template,
        context={},
        to_address="someone@example.com",
        status=status,
    )


def test_outbox_gauges_and_reminders_sent_match_the_rows(
    client: TestClient, scraper: Settings
) -> None:
    rows = [
        ("intake_started", OutboxStatus.PENDING),
        ("intake_started", OutboxStatus.PENDING),
        ("intake_started", OutboxStatus.SENT),
        ("intake_reminder", OutboxStatus.SENT),
        ("intake_reminder", OutboxStatus.SENT),
        ("intake_reminder", OutboxStatus.CANCELLED),
        ("appointment_reminder", OutboxStatus.SENT),
        ("appointment_reminder", OutboxStatus.FAILED),
        ("magic_link", OutboxStatus.SENDING),
    ]
    with UnitOfWork() as uow:
        uow.session.add_all(_outbox(template, status) for template, status in rows)

    text = scrape(client)

    by_status = {s: sample(text, "intake_outbox_emails", status=s) for s in OutboxStatus}
    assert by_status == {"pending": 2, "sending": 1, "sent": 4, "failed": 1, "cancelled": 1}
    assert sample(text, "intake_reminders_sent_total", template="intake_reminder") == 2
    assert sample(text, "intake_reminders_sent_total", template="appointment_reminder") == 1


def test_request_latency_is_counted_by_route_template_never_by_raw_path(
    client: TestClient, scraper: Settings
) -> None:
    patient = start_intake(client)
    route = "/api/v1/intakes/{intake_id}"
    before = scrape(client)

    for _ in range(3):
        assert client.get(f"/api/v1/intakes/{patient.id}", headers=patient.auth).status_code == 200
    assert client.get(f"/api/v1/intakes/{uuid.uuid4()}", headers=patient.auth).status_code == 404
    assert client.get(f"/no/such/{patient.id}").status_code == 404
    after = scrape(client)

    def grew(status_class: str, path: str = route) -> float:
        name = "intake_http_request_duration_seconds_count"
        labels = {"method": "GET", "route": path, "status_class": status_class}
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("2xx") == 3
    assert grew("4xx") == 1
    assert grew("4xx", "unmatched") == 1
    routes = label_values(after, "intake_http_request_duration_seconds_count", "route")
    assert not [r for r in routes if patient.id in r]


def test_checklist_and_routing_passes_are_timed(client: TestClient, scraper: Settings) -> None:
    intake_id = submitted(client)
    before = scrape(client)

    run_worker(intake_id, scraper)
    after = scrape(client)

    name = "intake_evaluation_duration_seconds_count"
    for kind in ("checklist", "routing"):
        assert sample(after, name, kind=kind) - sample(before, name, kind=kind) == 1, kind
