"""Reminders 72 and 24 hours ahead, found by the sweep; offers picked by signed link."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.main import create_app
from intake.notifications.models import OutboxEmail
from intake.scheduling import links
from intake.scheduling.models import SlotOffer
from intake.sweep import sweep
from tests.conftest import StartedIntake
from tests.queues.support import run_worker, submitted_by_patient
from tests.scheduling.support import AROUND_THE_CLOCK, Clinic, appointment, move_start
from tests.staff.support import audit_events


def _emails(template: str) -> list[OutboxEmail]:
    with UnitOfWork() as uow:
        stmt = select(OutboxEmail).where(OutboxEmail.template == template)
        return list(uow.session.scalars(stmt.order_by(OutboxEmail.created_at)))


def _open_clinic_and_patient(
    client: TestClient, settings: Settings
) -> tuple[Clinic, StartedIntake]:
    """A clinic open around the clock, and one patient routed to `regenerative`."""
    clinic = Clinic(client)
    clinic.clinician(weekly=AROUND_THE_CLOCK)
    started = submitted_by_patient(client)
    run_worker(started.id, settings)
    return clinic, started


def _booked(client: TestClient, settings: Settings) -> tuple[Clinic, dict[str, str], str]:
    clinic, started = _open_clinic_and_patient(client, settings)
    booked = clinic.booked(started.id, clinic.slots()[0]["id"])
    return clinic, started.auth, str(booked["id"])


def _sweep_at(moment: datetime, settings: Settings) -> int:
    return sweep(UnitOfWork, settings, now=moment).appointment_reminders


def test_each_reminder_goes_once_when_its_time_comes(
    client: TestClient, settings: Settings
) -> None:
    _, _, appointment_id = _booked(client, settings)
    starts = appointment(appointment_id).starts_at

    assert _sweep_at(starts - timedelta(hours=73), settings) == 0
    assert _sweep_at(starts - timedelta(hours=71), settings) == 1
    assert _sweep_at(starts - timedelta(hours=70), settings) == 0  # already sent
    assert _sweep_at(starts - timedelta(hours=23), settings) == 1
    assert _sweep_at(starts - timedelta(hours=22), settings) == 0

    reminders = _emails("appointment_reminder")
    assert [r.context["hours_before"] for r in reminders] == [72, 24]
    assert {r.quiet_hours_timezone for r in reminders} == {"Europe/London"}


def test_a_sweep_that_was_down_sends_only_the_nearer_reminder(
    client: TestClient, settings: Settings
) -> None:
    _, _, appointment_id = _booked(client, settings)
    starts = appointment(appointment_id).starts_at

    assert _sweep_at(starts - timedelta(hours=20), settings) == 1
    assert _sweep_at(starts - timedelta(hours=19), settings) == 0
    assert [r.context["hours_before"] for r in _emails("appointment_reminder")] == [24]


def test_a_rescheduled_appointment_is_reminded_of_its_new_time(
    client: TestClient, settings: Settings
) -> None:
    clinic, patient, appointment_id = _booked(client, settings)
    first_start = appointment(appointment_id).starts_at
    later = next(
        s
        for s in clinic.slots(days=8)
        if datetime.fromisoformat(s["starts_at"]) > first_start + timedelta(days=1)
    )
    # (A sweep "in the future" forgets today's staff tokens: search before sweeping.)
    assert _sweep_at(first_start - timedelta(hours=71), settings) == 1
    moved = client.post(
        f"/api/v1/appointments/{appointment_id}/reschedule",
        headers=patient,
        json={"slot_id": later["id"]},
    )
    assert moved.status_code == 200, moved.text
    new_start = appointment(appointment_id).starts_at

    assert _sweep_at(new_start - timedelta(hours=71), settings) == 1
    sent = _emails("appointment_reminder")
    assert [(r.context["sequence"], r.context["starts_at"]) for r in sent][-1] == (
        1,
        new_start.isoformat().replace("+00:00", "Z"),
    )


def test_cancelled_appointments_get_no_reminders(client: TestClient, settings: Settings) -> None:
    _, patient, appointment_id = _booked(client, settings)
    starts = appointment(appointment_id).starts_at
    client.post(f"/api/v1/appointments/{appointment_id}/cancel", headers=patient)

    assert _sweep_at(starts - timedelta(hours=23), settings) == 0


def test_booked_within_a_day_gets_no_reminder_the_confirmation_already_said_it(
    client: TestClient, settings: Settings
) -> None:
    _, _, appointment_id = _booked(client, settings)
    move_start(appointment_id, utcnow() + timedelta(hours=30))
    # As if booked now: the 72-hour moment has passed already.
    with UnitOfWork() as uow:
        row = uow.session.get_one(type(appointment(appointment_id)), uuid.UUID(appointment_id))
        row.reminded_72h_at = utcnow()
    assert _sweep_at(utcnow(), settings) == 0
    assert _sweep_at(utcnow() + timedelta(hours=7), settings) == 1


def _pick_token(offer_id: str, settings: Settings) -> str:
    (email,) = _emails("appointment_offer")
    token = str(email.context["pick_url"]).rsplit("/", 1)[1]
    assert links.verify(settings.secret_key, links.PICK, token, now=utcnow()) == uuid.UUID(offer_id)
    return token


def test_the_patient_picks_one_of_three_offered_slots(
    client: TestClient, settings: Settings
) -> None:
    clinic, started = _open_clinic_and_patient(client, settings)
    three = [s["id"] for s in clinic.slots()[:3]]

    offered = client.post(
        f"/api/v1/intakes/{started.id}/offers", headers=clinic.staff, json={"slot_ids": three}
    )
    assert offered.status_code == 201, offered.text
    token = _pick_token(offered.json()["id"], settings)
    (email,) = _emails("appointment_offer")
    assert len(email.context["options"]) == 3

    stranger = client.post(
        f"/api/v1/offers/{token}/pick", json={"slot_id": clinic.slots()[5]["id"]}
    )
    picked = client.post(f"/api/v1/offers/{token}/pick", json={"slot_id": three[1]})
    again = client.post(f"/api/v1/offers/{token}/pick", json={"slot_id": three[2]})

    assert stranger.status_code == 422
    assert picked.status_code == 201, picked.text
    assert picked.json()["timezone"] == "Europe/London"
    assert again.status_code == 410
    (event,) = audit_events("appointment.book")
    assert event.actor_type == "patient"


def test_a_forged_or_altered_pick_link_opens_nothing(
    client: TestClient, settings: Settings
) -> None:
    clinic, started = _open_clinic_and_patient(client, settings)
    slot = clinic.slots()[0]["id"]
    offered = client.post(
        f"/api/v1/intakes/{started.id}/offers", headers=clinic.staff, json={"slot_ids": [slot]}
    )
    token = _pick_token(offered.json()["id"], settings)
    purpose, record, expiry, mac = token.split(".")

    for bad in (
        f"{purpose}.{record}.{int(expiry) + 3600}.{mac}",  # a longer life
        f"{purpose}.{uuid.uuid4().hex}.{expiry}.{mac}",  # another offer
        f"{links.MANAGE}.{record}.{expiry}.{mac}",  # another purpose
        "nonsense",
    ):
        response = client.post(f"/api/v1/offers/{bad}/pick", json={"slot_id": slot})
        assert response.status_code == 404, bad
    assert audit_events("appointment.book") == []


def test_an_offer_of_a_taken_or_repeated_slot_is_refused_before_it_is_sent(
    client: TestClient, settings: Settings
) -> None:
    clinic = Clinic(client)
    clinic.clinician(weekly=AROUND_THE_CLOCK)
    first, second = (
        submitted_by_patient(client),
        submitted_by_patient(client, email="b@example.com"),
    )
    run_worker(first.id, settings)
    run_worker(second.id, settings)
    slots = [s["id"] for s in clinic.slots()[:2]]
    clinic.booked(first.id, slots[0])

    taken = client.post(
        f"/api/v1/intakes/{second.id}/offers", headers=clinic.staff, json={"slot_ids": slots}
    )
    repeated = client.post(
        f"/api/v1/intakes/{second.id}/offers",
        headers=clinic.staff,
        json={"slot_ids": [slots[1], slots[1]]},
    )

    assert taken.status_code == 409
    assert repeated.status_code == 422
    assert _emails("appointment_offer") == []


def test_an_offer_closes_when_the_intake_is_booked_or_the_offer_expires(
    client: TestClient, settings: Settings
) -> None:
    clinic, started = _open_clinic_and_patient(client, settings)
    slots = [s["id"] for s in clinic.slots()[:3]]
    offered = client.post(
        f"/api/v1/intakes/{started.id}/offers", headers=clinic.staff, json={"slot_ids": slots}
    )
    token = _pick_token(offered.json()["id"], settings)

    clinic.booked(started.id, clinic.slots()[4]["id"])  # booked by phone meanwhile
    after_booking = client.post(f"/api/v1/offers/{token}/pick", json={"slot_id": slots[0]})

    assert after_booking.status_code == 410
    assert "closed" in after_booking.json()["detail"]


def test_an_expired_offer_says_so(client: TestClient, settings: Settings) -> None:
    clinic, started = _open_clinic_and_patient(client, settings)
    slot = clinic.slots()[0]["id"]
    offered = client.post(
        f"/api/v1/intakes/{started.id}/offers", headers=clinic.staff, json={"slot_ids": [slot]}
    )
    token = _pick_token(offered.json()["id"], settings)
    with UnitOfWork() as uow:
        offer = uow.session.get_one(SlotOffer, uuid.UUID(offered.json()["id"]))
        offer.expires_at = utcnow() - timedelta(minutes=1)

    response = client.post(f"/api/v1/offers/{token}/pick", json={"slot_id": slot})

    assert response.status_code == 410
    assert audit_events("appointment.book") == []


def test_two_sweeps_at_once_send_one_reminder(pg_settings: Settings) -> None:
    """Two beats (or two overlapping sweeps) on PostgreSQL: the row lock decides."""
    with TestClient(create_app()) as client:
        _, _, appointment_id = _booked(client, pg_settings)
    moment = appointment(appointment_id).starts_at - timedelta(hours=71)
    start = threading.Barrier(2)
    queued: list[int] = []

    def run() -> None:
        start.wait()
        queued.append(_sweep_at(moment, pg_settings))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(queued) == [0, 1]
    assert len(_emails("appointment_reminder")) == 1
