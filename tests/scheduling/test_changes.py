"""After booking: confirm, cancel, reschedule and close, by the patient or by staff."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select

from emails.messages import from_context, render_message
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.notifications.models import OutboxEmail
from intake.notifications.service import clinic_contact
from intake.scheduling.slots import slot_id
from tests.queues.support import intake, run_worker, submitted_by_patient
from tests.scheduling.support import AROUND_THE_CLOCK, Clinic, appointment, move_start
from tests.staff.support import audit_events


def _patient_booking(
    client: TestClient, settings: Settings, **patient: Any
) -> tuple[Clinic, dict[str, str], dict[str, object]]:
    """A clinic open around the clock, and one patient booked into next week."""
    clinic = Clinic(client)
    clinic.clinician(weekly=AROUND_THE_CLOCK)
    started = submitted_by_patient(client, **patient)
    run_worker(started.id, settings)
    booked = clinic.booked(started.id, clinic.slots()[0]["id"])
    return clinic, started.auth, booked


def _slot_of(booked: dict[str, object]) -> str:
    """The slot id an appointment occupies (it names the clinician, type and start)."""
    row = appointment(str(booked["id"]))
    return slot_id(row.clinician_id, row.consultation_type, row.starts_at)


def _invites(appointment_id: str, settings: Settings) -> list[tuple[str, int, str]]:
    """(template, SEQUENCE, METHOD) of every appointment email, oldest first."""
    with UnitOfWork() as uow:
        rows = uow.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.template.like("appointment_%"))
            .order_by(OutboxEmail.created_at)
        ).all()
    found = []
    for row in rows:
        email = render_message(from_context(row.template, row.context), clinic_contact(settings))
        for attachment in email.attachments:
            calendar = Calendar.from_ical(attachment.data)
            event = calendar.walk("VEVENT")[0]
            assert str(event["UID"]).startswith(f"appointment-{appointment_id}@")
            found.append((row.template, event.decoded("SEQUENCE"), str(calendar["METHOD"])))
    return found


def test_the_patient_sees_their_own_appointment_in_their_own_timezone(
    client: TestClient, settings: Settings
) -> None:
    _, patient, booked = _patient_booking(client, settings, timezone="Europe/London")

    mine = client.get("/api/v1/me/appointments", headers=patient)
    one = client.get(f"/api/v1/appointments/{booked['id']}", headers=patient)

    assert mine.status_code == 200
    (listed,) = mine.json()
    assert listed["id"] == booked["id"]
    assert listed["timezone"] == "Europe/London"
    assert one.json()["timezone"] == "Europe/London"
    assert listed["starts_at"] == booked["starts_at"]  # the same instant...
    assert listed["starts_local"] != booked["starts_local"]  # ...on another wall clock


def test_a_patient_cannot_reach_another_patients_appointment(
    client: TestClient, settings: Settings
) -> None:
    _, _, booked = _patient_booking(client, settings)
    stranger = submitted_by_patient(client, email="someone@example.com")

    for method, path in (
        ("GET", f"/api/v1/appointments/{booked['id']}"),
        ("POST", f"/api/v1/appointments/{booked['id']}/confirm"),
        ("POST", f"/api/v1/appointments/{booked['id']}/cancel"),
    ):
        response = client.request(method, path, headers=stranger.auth)
        assert response.status_code == 404, (method, path)
    assert appointment(str(booked["id"])).status == "booked"
    assert (
        client.get(f"/api/v1/appointments/{uuid.uuid4()}", headers=stranger.auth).status_code == 404
    )
    assert client.get(f"/api/v1/appointments/{booked['id']}").status_code == 401


def test_confirming_is_audited_once_and_idempotent(client: TestClient, settings: Settings) -> None:
    _, patient, booked = _patient_booking(client, settings)

    first = client.post(f"/api/v1/appointments/{booked['id']}/confirm", headers=patient)
    second = client.post(f"/api/v1/appointments/{booked['id']}/confirm", headers=patient)

    assert first.json()["status"] == second.json()["status"] == "confirmed"
    (event,) = audit_events("appointment.confirm")
    assert event.actor_type == "patient"


def test_a_cancelled_slot_is_free_at_once_and_the_intake_is_back_in_its_queue(
    client: TestClient, settings: Settings
) -> None:
    clinic, patient, booked = _patient_booking(client, settings)
    cancelled = client.post(
        f"/api/v1/appointments/{booked['id']}/cancel", headers=patient, json={"reason": "away"}
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert booked["starts_at"] in [s["starts_at"] for s in clinic.slots()]
    assert intake(str(booked["intake_id"])).queue == "regenerative"
    assert [e.actor_type for e in audit_events("appointment.cancel")] == ["patient"]
    assert _invites(str(booked["id"]), settings) == [
        ("appointment_booked", 0, "REQUEST"),
        ("appointment_cancelled", 1, "CANCEL"),
    ]
    again = client.post(f"/api/v1/appointments/{booked['id']}/cancel", headers=patient)
    assert again.status_code == 409


def test_rescheduling_keeps_the_calendar_uid_and_raises_the_sequence(
    client: TestClient, settings: Settings
) -> None:
    clinic, patient, booked = _patient_booking(client, settings)
    start = (utcnow() + timedelta(days=10)).date().isoformat()
    options = client.get(
        f"/api/v1/appointments/{booked['id']}/alternatives",
        headers=patient,
        params={"start": start, "end": start},
    )
    assert options.status_code == 200, options.text
    target = options.json()[3]

    moved = client.post(
        f"/api/v1/appointments/{booked['id']}/reschedule",
        headers=patient,
        json={"slot_id": target["id"]},
    )

    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"] == target["starts_at"]
    assert moved.json()["sequence"] == 1
    assert booked["starts_at"] in [s["starts_at"] for s in clinic.slots()]  # old time freed
    assert _invites(str(booked["id"]), settings) == [
        ("appointment_booked", 0, "REQUEST"),
        ("appointment_rescheduled", 1, "REQUEST"),
    ]
    assert len(audit_events("appointment.reschedule")) == 1


def test_rescheduling_to_another_type_or_a_taken_slot_is_refused(
    client: TestClient, settings: Settings
) -> None:
    clinic, patient, booked = _patient_booking(client, settings)
    other = clinic.slots("surgical_revision")[5]["id"]

    wrong_type = client.post(
        f"/api/v1/appointments/{booked['id']}/reschedule", headers=patient, json={"slot_id": other}
    )
    assert wrong_type.status_code == 422
    assert wrong_type.json()["detail"][0]["loc"] == ["body", "slot_id"]
    someone = submitted_by_patient(client, email="someone@example.com")
    run_worker(someone.id, settings)
    theirs = clinic.booked(someone.id, clinic.slots()[2]["id"])
    clash = client.post(
        f"/api/v1/appointments/{booked['id']}/reschedule",
        headers=patient,
        json={"slot_id": _slot_of(theirs)},
    )
    assert clash.status_code == 409
    assert appointment(str(booked["id"])).sequence == 0


def test_patients_change_nothing_inside_the_cutoff_but_staff_still_can(
    client: TestClient, settings: Settings
) -> None:
    clinic, patient, booked = _patient_booking(client, settings)
    move_start(
        str(booked["id"]), utcnow() + timedelta(hours=settings.appointment_change_cutoff_hours - 1)
    )

    for action in ("confirm", "cancel"):
        refused = client.post(f"/api/v1/appointments/{booked['id']}/{action}", headers=patient)
        assert refused.status_code == 403, action
        assert "call the clinic" in refused.json()["detail"]
    assert appointment(str(booked["id"])).status == "booked"

    by_staff = client.post(f"/api/v1/appointments/{booked['id']}/cancel", headers=clinic.staff)
    assert by_staff.status_code == 200
    assert [e.actor_type for e in audit_events("appointment.cancel")] == ["staff"]


def test_just_outside_the_cutoff_the_patient_may_still_cancel(
    client: TestClient, settings: Settings
) -> None:
    _, patient, booked = _patient_booking(client, settings)
    move_start(
        str(booked["id"]),
        utcnow() + timedelta(hours=settings.appointment_change_cutoff_hours, minutes=5),
    )

    response = client.post(f"/api/v1/appointments/{booked['id']}/cancel", headers=patient)

    assert response.status_code == 200, response.text


def test_staff_close_an_appointment_once_it_has_started(
    client: TestClient, settings: Settings
) -> None:
    clinic, _, booked = _patient_booking(client, settings)
    early = client.post(
        f"/api/v1/appointments/{booked['id']}/close",
        headers=clinic.staff,
        json={"outcome": "completed"},
    )
    assert early.status_code == 409
    move_start(str(booked["id"]), utcnow() - timedelta(minutes=10))

    no_show = client.post(
        f"/api/v1/appointments/{booked['id']}/close",
        headers=clinic.staff,
        json={"outcome": "no_show"},
    )

    assert no_show.json()["status"] == "no_show"
    assert intake(str(booked["intake_id"])).queue == "regenerative"  # to be booked again
    assert len(audit_events("appointment.no_show")) == 1
    patient_try = client.post(
        f"/api/v1/appointments/{booked['id']}/close", json={"outcome": "completed"}
    )
    assert patient_try.status_code == 401


def test_a_patient_cannot_move_into_a_time_inside_the_cutoff(
    client: TestClient, settings: Settings
) -> None:
    _, patient, booked = _patient_booking(client, settings)
    today = utcnow().date().isoformat()
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    options = client.get(
        f"/api/v1/appointments/{booked['id']}/alternatives",
        headers=patient,
        params={"start": today, "end": tomorrow},
    ).json()
    soon = next(
        s
        for s in options
        if datetime.fromisoformat(s["starts_at"])
        < utcnow() + timedelta(hours=settings.appointment_change_cutoff_hours)
    )

    response = client.post(
        f"/api/v1/appointments/{booked['id']}/reschedule",
        headers=patient,
        json={"slot_id": soon["id"]},
    )

    assert response.status_code == 422
    assert "at least 24 hours from now" in response.json()["detail"][0]["msg"]
    assert appointment(str(booked["id"])).sequence == 0
