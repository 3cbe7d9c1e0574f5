"""Booking through the API: what must hold before, what changes after."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select, update

from intake.config import Settings
from intake.db import UnitOfWork
from intake.intakes.models import Intake, IntakeStatus
from intake.notifications.models import OutboxEmail
from intake.staff.models import StaffRole
from tests.queues.support import intake, submitted
from tests.scheduling.support import Clinic, routed_intake
from tests.staff.support import audit_events, staff_auth


def _outbox(intake_id: str) -> list[OutboxEmail]:
    with UnitOfWork() as uow:
        stmt = (
            select(OutboxEmail)
            .where(OutboxEmail.intake_id == uuid.UUID(intake_id))
            .order_by(OutboxEmail.created_at)
        )
        return list(uow.session.scalars(stmt))


def test_a_routed_complete_intake_is_booked_and_leaves_its_queue(
    client: TestClient, settings: Settings
) -> None:
    clinic = Clinic(client)
    clinic.clinician()
    intake_id = routed_intake(client, settings)
    assert intake(intake_id).queue == "regenerative"
    slot = clinic.slots()[0]

    booked = clinic.booked(intake_id, slot["id"])

    assert booked["status"] == "booked"
    assert booked["starts_at"].replace("Z", "+00:00") == slot["starts_at"].replace("Z", "+00:00")
    assert booked["timezone"] == "America/New_York"  # staff read clinic time
    assert booked["starts_local"].startswith(slot["starts_local"][:16])
    after = intake(intake_id)
    assert after.queue is None
    assert after.claimed_by_id is None
    assert [e.object_id for e in audit_events("appointment.book")] == [booked["id"]]
    # The slot is gone from the search at once.
    assert slot["id"] not in [s["id"] for s in clinic.slots()]
    confirmation = [e for e in _outbox(intake_id) if e.template == "appointment_booked"]
    assert len(confirmation) == 1
    assert confirmation[0].context["sequence"] == 0


def test_booking_waits_for_a_complete_checklist(client: TestClient, settings: Settings) -> None:
    clinic = Clinic(client)
    clinic.clinician()
    intake_id = routed_intake(client, settings)
    with UnitOfWork() as uow:  # a document went missing after routing
        uow.session.execute(
            update(Intake)
            .where(Intake.id == uuid.UUID(intake_id))
            .values(checklist_missing=["current_mri"])
        )

    response = clinic.book(intake_id, clinic.slots()[0]["id"])

    assert response.status_code == 409
    assert "checklist is not complete" in response.json()["detail"]
    assert audit_events("appointment.book") == []


def test_an_intake_not_yet_routed_cannot_be_booked(client: TestClient, settings: Settings) -> None:
    clinic = Clinic(client)
    clinic.clinician()
    intake_id = submitted(client)  # the worker has not run: no checklist, no route

    response = clinic.book(intake_id, clinic.slots()[0]["id"])

    assert response.status_code == 409
    assert "submitted" in response.json()["detail"]
    assert intake(intake_id).status == IntakeStatus.SUBMITTED


def test_the_slot_must_match_the_route(client: TestClient, settings: Settings) -> None:
    clinic = Clinic(client)
    clinic.clinician()
    intake_id = routed_intake(client, settings)

    response = clinic.book(intake_id, clinic.slots("surgical_revision")[0]["id"])

    assert response.status_code == 409
    assert "route is regenerative, not surgical_revision" in response.json()["detail"]


def test_a_taken_slot_and_a_second_booking_are_409s(client: TestClient, settings: Settings) -> None:
    clinic = Clinic(client)
    clinic.clinician()
    first, second = routed_intake(client, settings), routed_intake(client, settings)
    slots = clinic.slots()
    clinic.booked(first, slots[0]["id"])

    taken = clinic.book(second, slots[0]["id"])
    again = clinic.book(first, slots[1]["id"])

    assert taken.status_code == 409
    assert "no longer available" in taken.json()["detail"]
    assert again.status_code == 409
    assert "already has an appointment" in again.json()["detail"]


def test_a_slot_id_that_was_never_offered_is_a_404(client: TestClient, settings: Settings) -> None:
    clinic = Clinic(client)
    clinician_id = clinic.clinician()
    intake_id = routed_intake(client, settings)

    forged = clinic.book(intake_id, "not-a-slot")
    off_hours = clinic.book(intake_id, f"{clinician_id}.regenerative.20300101T0300Z")

    assert forged.status_code == 404
    assert off_hours.status_code == 409


def test_only_coordinators_and_clinicians_book(client: TestClient, settings: Settings) -> None:
    clinic = Clinic(client)
    clinic.clinician()
    intake_id = routed_intake(client, settings)
    admin = staff_auth(client, StaffRole.ADMIN)

    response = client.post(
        "/api/v1/appointments",
        headers=admin,
        json={"intake_id": intake_id, "slot_id": clinic.slots()[0]["id"]},
    )

    assert response.status_code == 403
    assert [e.object_id for e in audit_events("staff.access_denied")] == ["book_appointments"]


def test_the_confirmation_carries_a_calendar_invite(client: TestClient, settings: Settings) -> None:
    from emails.messages import from_context, render_message
    from intake.notifications.service import clinic_contact

    clinic = Clinic(client)
    clinic.clinician()
    intake_id = routed_intake(client, settings)
    booked = clinic.booked(intake_id, clinic.slots()[0]["id"])
    row = _outbox(intake_id)[-1]

    email = render_message(from_context(row.template, row.context), clinic_contact(settings))

    (invite,) = email.attachments
    event = Calendar.from_ical(invite.data).walk("VEVENT")[0]
    host = urlsplit(settings.public_base_url).hostname
    assert str(event["UID"]) == f"appointment-{booked['id']}@{host}"
    assert event["SEQUENCE"] == 0
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    starts: datetime = event.decoded("DTSTART")
    assert starts.isoformat() == booked["starts_local"]
