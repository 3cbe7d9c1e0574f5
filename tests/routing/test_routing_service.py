"""Routing on the database: findings re-route, overrides hold, deferrals come back.

Each decision is a new row; these tests read the rows, the intake's queue and the audit.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.intakes.models import IntakeStatus
from intake.notifications.models import OutboxEmail
from intake.routing.models import RoutingDecision
from intake.routing.policy import add_months
from intake.routing.service import route_if_due
from intake.staff.models import StaffRole
from intake.sweep import sweep
from tests.conftest import complete_answers
from tests.queues.support import intake, routed, run_worker, submitted
from tests.staff.support import audit_events, staff_auth


def _decisions(intake_id: str) -> list[RoutingDecision]:
    with UnitOfWork() as uow:
        stmt = (
            select(RoutingDecision)
            .where(RoutingDecision.intake_id == uuid.UUID(intake_id))
            .order_by(RoutingDecision.created_at, RoutingDecision.id)
        )
        return list(uow.session.scalars(stmt))


def _post(client: TestClient, url: str, auth: dict[str, str], body: dict[str, Any]) -> Any:
    response = client.post(url, headers=auth, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_confirmed_finding_reroutes_and_keeps_the_first_decision(
    client: TestClient, settings: Settings
) -> None:
    intake_id = routed(client, settings)  # the patient reported a tear at L3-L4
    auth = staff_auth(client, StaffRole.CLINICIAN)

    added = _post(
        client,
        f"/api/v1/intakes/{intake_id}/findings",
        auth,
        {"type": "annular_tear", "level": "L3-L4", "note": "HIZ on T2 sagittal"},
    )

    first, second = _decisions(intake_id)
    assert (first.route, first.provisional, first.trigger) == (
        "regenerative",
        True,
        "checklist_complete",
    )
    assert (second.route, second.provisional, second.trigger) == ("regenerative", False, "finding")
    assert added["decision"]["id"] == str(second.id)
    assert second.input_snapshot["findings"][0]["source"] == "staff_confirmed"
    assert (
        second.input_snapshot["policy"]["fusion_min_months"] == settings.routing_fusion_min_months
    )
    assert intake(intake_id).provisional is False
    assert [e.object_id for e in audit_events("finding.create")] == [added["finding"]["id"]]


def test_a_structural_finding_sends_the_intake_to_revision_review(
    client: TestClient, settings: Settings
) -> None:
    intake_id = routed(client, settings)
    auth = staff_auth(client)

    _post(
        client,
        f"/api/v1/intakes/{intake_id}/findings",
        auth,
        {"type": "hardware_loosening", "level": "L5-S1"},
    )

    # With the patient's tear still standing, the two signals conflict (R3).
    assert [d.rule_ids for d in _decisions(intake_id)] == [["R6"], ["R3"]]
    assert intake(intake_id).queue == "clinician_triage"
    _post(
        client,
        f"/api/v1/intakes/{intake_id}/findings",
        auth,
        {"type": "annular_tear", "level": "L3-L4", "present": False, "note": "not seen"},
    )
    assert _decisions(intake_id)[-1].rule_ids == ["R4"]
    assert intake(intake_id).queue == "surgical_revision"


def test_findings_are_checked_all_at_once(client: TestClient, settings: Settings) -> None:
    intake_id = routed(client, settings)
    auth = staff_auth(client)

    response = client.post(
        f"/api/v1/intakes/{intake_id}/findings",
        headers=auth,
        json={"type": "gremlins", "level": "L9-L10", "present": "maybe"},
    )

    assert response.status_code == 422
    assert {tuple(p["loc"]) for p in response.json()["detail"]} == {
        ("body", "type"),
        ("body", "level"),
        ("body", "present"),
    }
    assert len(_decisions(intake_id)) == 1


def test_an_override_needs_a_reason_and_holds_against_later_rules(
    client: TestClient, settings: Settings
) -> None:
    intake_id = routed(client, settings)
    auth = staff_auth(client, StaffRole.CLINICIAN)
    url = f"/api/v1/intakes/{intake_id}/route-override"

    no_reason = client.post(url, headers=auth, json={"route": "nowhere", "reason": " "})
    override = _post(
        client, url, auth, {"route": "surgical_revision", "reason": "Screw halo on the X-ray"}
    )
    # A later finding is decided by the rules and shown, but the clinician's call stands.
    _post(client, f"/api/v1/intakes/{intake_id}/findings", auth, {"type": "facet_pain"})

    assert no_reason.status_code == 422
    assert {p["loc"][-1] for p in no_reason.json()["detail"]} == {"route", "reason"}
    assert override["kind"] == "override"
    assert override["reasons"] == ["Screw halo on the X-ray"]
    assert override["input_snapshot"]["replaced_route"] == "regenerative"
    _, chosen, later = _decisions(intake_id)
    assert (chosen.kind, chosen.applied, later.kind, later.applied) == (
        "override",
        True,
        "rules",
        False,
    )
    assert intake(intake_id).queue == "surgical_revision"
    item = client.get("/api/v1/queues/surgical_revision", headers=auth).json()["items"][0]
    assert (item["route"], item["routed_by"], item["rules_route"]) == (
        "surgical_revision",
        "override",
        later.route,
    )
    assert len(audit_events("routing.override")) == 1


def test_new_danger_beats_an_override(client: TestClient, settings: Settings) -> None:
    intake_id = routed(client, settings)
    auth = staff_auth(client)
    _post(
        client,
        f"/api/v1/intakes/{intake_id}/route-override",
        auth,
        {"route": "clinician_triage", "reason": "Wants to talk options first"},
    )

    _post(client, f"/api/v1/intakes/{intake_id}/findings", auth, {"type": "infection"})

    assert _decisions(intake_id)[-1].route == "escalate_urgent"
    assert intake(intake_id).queue == "urgent"
    with UnitOfWork() as uow:
        alerts = list(uow.session.scalars(select(OutboxEmail.template)))
    assert "staff_alert" in alerts


def test_an_admin_cannot_override(client: TestClient, settings: Settings) -> None:
    intake_id = routed(client, settings)
    admin = staff_auth(client, StaffRole.ADMIN)

    response = client.post(
        f"/api/v1/intakes/{intake_id}/route-override",
        headers=admin,
        json={"route": "regenerative", "reason": "because"},
    )

    assert response.status_code == 403
    assert len(_decisions(intake_id)) == 1
    assert [e.object_id for e in audit_events("staff.access_denied")] == ["override_route"]


def test_too_soon_after_surgery_defers_until_the_recheck_date(
    client: TestClient, settings: Settings
) -> None:
    answers = complete_answers()
    two_months_ago = utcnow().date() - timedelta(days=62)
    answers["surgeries"][0].update(
        procedure_type="discectomy",
        levels=["L3-L4"],
        instrumented_levels=[],
        surgery_date=two_months_ago.isoformat(),
        outcome_pattern="never_improved",
    )
    del answers["surgeries"][0]["pain_free_months"]
    answers["conservative_care"][0].update(
        start_date=two_months_ago.isoformat(), end_date=utcnow().date().isoformat()
    )
    answers["symptoms"] = [{"symptom": "no_improvement", "onset": "since_surgery_never_resolved"}]
    intake_id = submitted(client, answers)

    deferred = run_worker(intake_id, settings)
    recheck = add_months(two_months_ago, settings.routing_decompression_min_months)

    assert (deferred.status, deferred.queue, deferred.recheck_on) == (
        IntakeStatus.DEFERRED,
        "deferred",
        recheck,
    )
    assert _decisions(intake_id)[-1].rule_ids == ["R7"]
    day_before = utcnow() + timedelta(days=(recheck - utcnow().date()).days - 1)
    with UnitOfWork() as uow:
        assert route_if_due(uow, uuid.UUID(intake_id), settings=settings, now=day_before) is None
    # On the date the sweep asks for routing again, and the rules run once more.
    on_the_day = day_before + timedelta(days=1, hours=12)
    report = sweep(UnitOfWork, settings, now=on_the_day)
    assert report.routings == 1
    with UnitOfWork() as uow:
        again = route_if_due(uow, uuid.UUID(intake_id), settings=settings, now=on_the_day)
    assert again is not None
    assert again.trigger == "recheck"
    assert len(_decisions(intake_id)) == 2


def test_routing_history_and_findings_are_audited_reads(
    client: TestClient, settings: Settings
) -> None:
    intake_id = routed(client, settings)
    auth = staff_auth(client)

    history = client.get(f"/api/v1/intakes/{intake_id}/routing", headers=auth).json()
    findings = client.get(f"/api/v1/intakes/{intake_id}/findings", headers=auth).json()

    assert [d["rule_ids"] for d in history] == [["R6"]]
    assert any("L3-L4" in reason for reason in history[0]["reasons"])
    assert findings == [
        {
            "id": None,
            "type": "annular_tear",
            "level": "L3-L4",
            "present": True,
            "source": "patient_reported",
            "document_id": None,
            "entered_by_id": None,
            "note": None,
            "created_at": None,
        }
    ]
    assert [e.action for e in audit_events() if e.action.endswith(".read")] == [
        "routing.read",
        "finding.read",
    ]
