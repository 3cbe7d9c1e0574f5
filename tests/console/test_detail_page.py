"""The intake page shows every section a clinician needs, with real content."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from intake.config import get_settings
from intake.staff.models import StaffRole
from tests.console.support import console_as, run_worker_steps, urgent_intake
from tests.staff.support import audit_events

REASON = "Post-op CT shows a lucent halo around the L5-S1 screws"


def _section(page: str, section_id: str) -> str:
    """The text of one <section id=...> of the page, tags stripped."""
    match = re.search(rf'<section id="{section_id}".*?</section>', page, flags=re.S)
    assert match, f"no section {section_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def test_the_intake_page_shows_every_section(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_TIMEZONE", "Asia/Tokyo")
    get_settings.cache_clear()
    started = urgent_intake(client)
    run_worker_steps(started.id)
    console = console_as(client, StaffRole.CLINICIAN)
    console.post(
        f"/staff/intakes/{started.id}/override", {"route": "surgical_revision", "reason": REASON}
    )
    console.post(f"/staff/intakes/{started.id}/findings", {"type": "pseudarthrosis"})

    page = client.get(f"/staff/intakes/{started.id}").text

    patient = _section(page, "patient")
    assert "Ada Lovelace" in patient
    assert "1970-05-17" in patient
    assert "Europe/London" in patient
    assert "ada@example.com" in patient
    assert "Urgent" in patient
    scores = _section(page, "scores")
    assert "32.0% Moderate" in scores
    assert "7/10" in scores  # back
    assert "4/10" in scores  # leg
    surgeries = _section(page, "surgeries")
    assert "2023-02 Fusion lumbar L4-L5, L5-S1 L5-S1" in surgeries
    assert "Improved then recurred (8 months pain-free)" in surgeries
    assert "Dr A. Surgeon, General Hospital" in surgeries
    assert "Radiating leg pain or numbness" in _section(page, "symptoms")
    assert "Fever after surgery" in _section(page, "red-flags")
    assert "Physical therapy 2023-06 2023-09-30 12 Partial" in _section(page, "care")
    assert "Tramadol opioid analgesic yes yes" in _section(page, "medications")
    checklist = _section(page, "checklist")
    assert "1/4 required items satisfied" in checklist
    assert "no operative note uploaded" in checklist
    documents = _section(page, "documents")
    assert "MR LSPINE" in documents
    assert "MRI LUMBAR SPINE 1 1" in documents  # description, series, images
    routing = _section(page, "routing")
    assert "Urgent red flag answered" in routing  # the rules' reason
    assert "R1" in routing
    assert REASON in routing  # the override's, beside it
    assert "override Casey Coordinator" in routing
    findings = _section(page, "findings")
    assert "Annular tear L3-L4 present Patient reported" in findings
    assert "Pseudarthrosis — present Staff confirmed" in findings
    emails = _section(page, "emails")
    assert "staff_alert" in emails
    assert "intake_started" in emails
    activity = _section(page, "activity")
    for action in ("routing.override", "finding.create", "routing.decide", "intake.read"):
        assert action in activity
    # Staff read times in the clinic's timezone.
    [override] = audit_events("routing.override")
    tokyo = override.at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M JST")
    assert tokyo in activity


def test_the_packet_page_prints_the_case_and_links_its_fhir_json(client: TestClient) -> None:
    started = urgent_intake(client)
    run_worker_steps(started.id)
    console_as(client)

    response = client.get(f"/staff/intakes/{started.id}/packet")

    assert response.status_code == 200
    assert "@media print" in response.text
    assert f'href="/staff/intakes/{started.id}/packet.json"' in response.text
    assert "32.0% Moderate" in _section(response.text, "scores")
    assert "MR LSPINE" in _section(response.text, "documents")
    assert 'id="override-form"' not in response.text  # for reading, not for acting
    assert [e.object_id for e in audit_events("intake.packet")] == [started.id]
    assert audit_events("intake.read") == []
