"""Console actions over HTTP: each works, is audited, and shows its errors on the page."""

from __future__ import annotations

import html
import uuid

from fastapi.testclient import TestClient

from intake.db import UnitOfWork
from intake.documents.models import Document
from intake.intakes.models import Intake
from intake.staff.models import StaffRole
from tests.console.support import console_as, run_worker_steps, urgent_intake
from tests.staff.support import audit_events

OVERRIDE = {"route": "surgical_revision", "reason": "CT shows L5-S1 screw loosening"}


def _intake(intake_id: str) -> Intake:
    with UnitOfWork() as uow:
        return uow.session.get_one(Intake, uuid.UUID(intake_id))


def _document_id(intake_id: str) -> str:
    with UnitOfWork() as uow:
        [document] = uow.session.query(Document).filter_by(intake_id=uuid.UUID(intake_id)).all()
        return str(document.id)


def test_claim_next_opens_the_emergency_first_and_is_audited(client: TestClient) -> None:
    urgent = urgent_intake(client, last_name="Older")
    emergency = urgent_intake(client, flag="saddle_numbness", last_name="Newer")
    console = console_as(client)

    response = console.post("/staff/queues/urgent/claim")

    assert response.status_code == 200
    assert str(response.url).endswith(f"/staff/intakes/{emergency.id}?done=claimed")
    assert "You claimed this intake." in response.text
    assert "Casey Coordinator" in response.text.split('id="claim-holder"')[1][:200]
    [claim] = audit_events("queue.claim")
    assert (claim.actor_id, claim.object_id) == (str(console.user.id), emergency.id)
    assert _intake(urgent.id).claimed_by_id is None


def test_release_gives_the_item_back_and_a_second_release_is_a_409(client: TestClient) -> None:
    started = urgent_intake(client)
    console = console_as(client)
    console.post("/staff/queues/urgent/claim")

    released = console.post(f"/staff/intakes/{started.id}/release")
    again = console.post(f"/staff/intakes/{started.id}/release")

    assert released.status_code == 200
    assert "The intake is back in its queue." in released.text
    assert _intake(started.id).claimed_by_id is None
    assert len(audit_events("queue.release")) == 1
    assert again.status_code == 409
    assert "This intake is not claimed" in again.text
    assert 'id="patient-name"' in again.text  # the intake page, with the error on it


def test_an_override_keeps_its_reason_beside_the_rules_and_is_audited(
    client: TestClient,
) -> None:
    started = urgent_intake(client)
    run_worker_steps(started.id)
    console = console_as(client, StaffRole.CLINICIAN)

    response = console.post(f"/staff/intakes/{started.id}/override", OVERRIDE)

    assert response.status_code == 200
    assert "Route overridden" in response.text
    rules_panel = response.text.split('id="latest-rules"')[1].split('id="latest-override"')[0]
    override_panel = response.text.split('id="latest-override"')[1].split("</div>")[0]
    assert "Escalate urgent" in rules_panel
    assert "Urgent red flag answered" in rules_panel
    assert "Surgical revision" in override_panel
    assert OVERRIDE["reason"] in override_panel
    [event] = audit_events("routing.override")
    assert (event.actor_id, event.object_id) == (str(console.user.id), started.id)
    assert _intake(started.id).queue == "surgical_revision"


def test_an_override_without_route_or_reason_names_both_and_stores_nothing(
    client: TestClient,
) -> None:
    started = urgent_intake(client)
    console = console_as(client)

    response = console.post(f"/staff/intakes/{started.id}/override", {"reason": " no "})

    assert response.status_code == 422
    problems = response.text.split('id="problems"')[1].split("</div>")[0]
    assert "route: is required" in problems
    assert "reason: is required (at least 3 characters)" in problems
    assert audit_events("routing.override") == []
    assert _intake(started.id).queue == "urgent"


def test_an_admin_may_not_override_and_the_page_says_so(client: TestClient) -> None:
    started = urgent_intake(client)
    admin = console_as(client, StaffRole.ADMIN)

    refused = admin.post(f"/staff/intakes/{started.id}/override", OVERRIDE)

    assert refused.status_code == 403
    assert "Your role (admin) may not override route" in refused.text
    assert OVERRIDE["reason"] in refused.text  # what they typed is still in the form
    assert audit_events("routing.override") == []
    assert [e.object_id for e in audit_events("staff.access_denied")] == ["override_route"]

    clinician = console_as(TestClient(client.app), StaffRole.CLINICIAN)
    accepted = clinician.post(f"/staff/intakes/{started.id}/override", OVERRIDE)
    assert accepted.status_code == 200
    assert len(audit_events("routing.override")) == 1


def test_a_finding_from_a_document_is_recorded_and_routing_runs_again(
    client: TestClient,
) -> None:
    started = urgent_intake(client)
    run_worker_steps(started.id)  # checked and routed once already
    document_id = _document_id(started.id)
    console = console_as(client)
    finding = {"type": "hardware_loosening", "level": "L5-S1", "document_id": document_id}

    response = console.post(f"/staff/intakes/{started.id}/findings", finding)

    assert response.status_code == 200
    assert "Finding recorded" in response.text
    rows = response.text.split('id="findings"')[1].split("</table>")[0]
    assert "Hardware loosening" in rows
    assert "Staff confirmed" in rows
    [created] = audit_events("finding.create")
    assert created.actor_id == str(console.user.id)
    assert len(audit_events("routing.decide")) == 2  # the finding re-ran routing
    history = response.text.split('id="routing-history"')[1].split("</table>")[0]
    assert history.count('class="decision rules"') == 2


def test_a_finding_without_a_type_is_a_422_on_the_page(client: TestClient) -> None:
    started = urgent_intake(client)
    console = console_as(client)

    response = console.post(f"/staff/intakes/{started.id}/findings", {"level": "L9-L10"})

    assert response.status_code == 422
    problems = response.text.split('id="problems"')[1].split("</div>")[0]
    assert "type: is required" in problems
    assert "level: choose one of the options" in problems
    assert audit_events("finding.create") == []


def test_document_review_needs_a_reason_to_reject_and_is_audited(client: TestClient) -> None:
    started = urgent_intake(client)
    document_id = _document_id(started.id)
    console = console_as(client)
    path = f"/staff/intakes/{started.id}/documents/{document_id}/review"

    missing_reason = console.post(path, {"status": "rejected"})
    rejected = console.post(path, {"status": "rejected", "note": "Images are of the knee"})

    assert missing_reason.status_code == 422
    assert "a rejection needs a reason" in missing_reason.text
    assert rejected.status_code == 200
    panel = rejected.text.split(f'id="document-{document_id}"')[1].split("</dl>")[0]
    assert "Rejected: Images are of the knee" in panel
    [event] = audit_events("document.rejected")
    assert (event.actor_id, event.object_id) == (str(console.user.id), document_id)


def test_a_document_of_another_intake_cannot_be_reviewed_from_this_one(
    client: TestClient,
) -> None:
    mine = urgent_intake(client)
    other = urgent_intake(client, last_name="Other")
    console = console_as(client)
    path = f"/staff/intakes/{mine.id}/documents/{_document_id(other.id)}/review"

    response = console.post(path, {"status": "wrong_patient"})

    assert response.status_code == 404
    assert "No such document on this intake" in response.text
    assert audit_events("document.wrong_patient") == []


def test_unknown_queues_and_ids_are_pages_not_server_errors(client: TestClient) -> None:
    console = console_as(client)

    unknown_queue = console.post("/staff/queues/nowhere/claim")
    missing = client.get(f"/staff/intakes/{uuid.uuid4()}")
    malformed = client.get("/staff/intakes/not-an-id")
    empty = console.post("/staff/queues/regenerative/claim")

    assert unknown_queue.status_code == 404
    assert "No queue named 'nowhere'" in html.unescape(unknown_queue.text)
    assert missing.status_code == 404
    assert "No such intake" in missing.text
    assert malformed.status_code == 422
    assert "intake id" in malformed.text
    assert empty.status_code == 200
    assert "Nothing left to claim in this queue." in empty.text
