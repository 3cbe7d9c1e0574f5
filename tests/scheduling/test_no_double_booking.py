"""No double booking, ever: the database refuses it, and the API turns that into a 409.

The slot search and the booking's own check are only advice: two requests can both be
told a slot is free. What stops the second is the exclusion constraint on PostgreSQL
and the overlap triggers on SQLite (migrations/versions/2026-11-21-1059_scheduling.py).
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake
from intake.queues import placement
from intake.scheduling import booking
from intake.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Clinician,
    ConsultationKind,
    Modality,
    WeeklyHours,
)
from intake.scheduling.search import SlotTaken
from intake.scheduling.slots import slot_id
from intake.staff.models import StaffUser
from tests.conftest import SmtpSink
from tests.live_api import live_api_process
from tests.queues.support import seed
from tests.scheduling.support import CLINIC, EVERY_DAY_9_TO_5, next_week
from tests.staff.support import PASSWORD, make_staff

BOOKERS = 20
START = datetime(2030, 6, 3, 14, 0, tzinfo=UTC)


def _clinician() -> uuid.UUID:
    with UnitOfWork() as uow:
        row = Clinician(display_name="Dr Ito", offers=["regenerative"])
        uow.session.add(row)
        uow.session.flush()
        return row.id


def _insert(
    clinician_id: uuid.UUID,
    intake_id: uuid.UUID,
    start: datetime,
    minutes: int = 60,
    status: AppointmentStatus = AppointmentStatus.BOOKED,
) -> None:
    with UnitOfWork() as uow:
        uow.session.add(
            Appointment(
                intake_id=intake_id,
                clinician_id=clinician_id,
                consultation_type=ConsultationKind.REGENERATIVE,
                modality=Modality.IN_PERSON,
                starts_at=start,
                ends_at=start + timedelta(minutes=minutes),
                status=status,
            )
        )


def test_the_database_refuses_overlapping_active_appointments(settings: Settings) -> None:
    clinician = _clinician()
    other_clinician = _clinician()
    intakes = seed(placement.REGENERATIVE, 6)
    _insert(clinician, intakes[0], START)

    with pytest.raises(IntegrityError, match="ex_appointments_clinician_time"):
        _insert(clinician, intakes[1], START + timedelta(minutes=30))
    with pytest.raises(IntegrityError, match="ex_appointments_clinician_time"):
        _insert(clinician, intakes[1], START - timedelta(minutes=59))

    _insert(clinician, intakes[2], START + timedelta(minutes=60))  # touching is fine
    _insert(other_clinician, intakes[3], START)  # another clinician's time
    _insert(clinician, intakes[4], START, status=AppointmentStatus.CANCELLED)  # frees its time


def test_the_database_refuses_moving_an_appointment_onto_another(settings: Settings) -> None:
    clinician = _clinician()
    first, second = seed(placement.REGENERATIVE, 2)
    _insert(clinician, first, START)
    _insert(clinician, second, START + timedelta(hours=2))

    with pytest.raises(IntegrityError), UnitOfWork() as uow:
        uow.session.execute(
            update(Appointment)
            .where(Appointment.intake_id == second)
            .values(starts_at=START + timedelta(minutes=30), ends_at=START + timedelta(minutes=90))
        )


def _login(base: str, email: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/v1/staff/token", data={"username": email, "password": PASSWORD}, timeout=30
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _book(
    base: str,
    headers: dict[str, str],
    intake_id: uuid.UUID,
    slot_id: str,
    start: threading.Barrier,
    results: list[httpx.Response],
) -> None:
    start.wait()
    results.append(
        httpx.post(
            f"{base}/api/v1/appointments",
            headers=headers,
            json={"intake_id": str(intake_id), "slot_id": slot_id},
            timeout=60,
        )
    )


def test_twenty_coordinators_book_the_same_slot_and_exactly_one_wins(
    settings: Settings, smtp: SmtpSink, tmp_path: Path
) -> None:
    intakes = seed(placement.REGENERATIVE, BOOKERS)
    with UnitOfWork() as uow:  # seeded intakes have no checklist: make theirs complete
        uow.session.execute(update(Intake).values(checklist_missing=[]))
    emails = [f"c{n}@clinic.example" for n in range(BOOKERS)]
    for email in emails:
        make_staff(email=email)
    with live_api_process(
        database_url=settings.database_url, smtp_url=smtp.url, var_dir=tmp_path, queue_prefix="book"
    ) as api:
        # One coordinator each: requests sharing a token would queue behind one another
        # on its row (each use refreshes it) and never really race.
        everyone = [_login(api.base, email) for email in emails]
        headers = everyone[0]
        made = httpx.post(
            f"{api.base}/api/v1/clinicians",
            headers=headers,
            json={"display_name": "Dr Ito", "offers": ["regenerative"]},
            timeout=30,
        ).json()
        httpx.put(
            f"{api.base}/api/v1/clinicians/{made['id']}/availability",
            headers=headers,
            json={"weekly": EVERY_DAY_9_TO_5},
            timeout=30,
        ).raise_for_status()
        day = next_week().isoformat()
        slot = httpx.get(
            f"{api.base}/api/v1/slots",
            headers=headers,
            params={"consultation_type": "regenerative", "start": day, "end": day},
            timeout=30,
        ).json()[0]

        start = threading.Barrier(BOOKERS)
        results: list[httpx.Response] = []
        threads = [
            threading.Thread(
                target=_book, args=(api.base, mine, intake_id, slot["id"], start, results)
            )
            for mine, intake_id in zip(everyone, intakes, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [409] * (BOOKERS - 1)
    for refused in (r for r in results if r.status_code == 409):
        assert refused.json()["detail"] == "That slot is no longer available; please choose another"
    with UnitOfWork() as uow:
        active = uow.session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == "booked")
        )
    assert active == 1


def test_when_every_booking_passes_its_checks_at_once_the_database_still_lets_one_in(
    pg_settings: Settings,
) -> None:
    """The race, forced: twenty bookings all find the slot free before any of them writes.

    A flush hook holds each booking until all twenty have passed the slot search and are
    about to insert. Without the exclusion constraint all twenty get in (tried). PostgreSQL
    only: SQLite runs one writing transaction at a time, so this race cannot happen there.
    """
    intakes = seed(placement.REGENERATIVE, BOOKERS)
    with UnitOfWork() as uow:
        uow.session.execute(update(Intake).values(checklist_missing=[]))
    users = [make_staff(email=f"r{n}@clinic.example") for n in range(BOOKERS)]
    clinician = _clinician()
    with UnitOfWork() as uow:
        uow.session.add_all(
            WeeklyHours(clinician_id=clinician, weekday=d, starts=time(9), ends=time(17))
            for d in range(7)
        )
    day = next_week()
    slot = slot_id(
        clinician,
        ConsultationKind.REGENERATIVE,
        datetime.combine(day, time(9), tzinfo=CLINIC).astimezone(UTC),
    )
    engine = create_engine(pg_settings.database_url, pool_size=BOOKERS)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    all_checked = threading.Barrier(BOOKERS, timeout=60)
    outcomes: list[str] = []

    def hold_until_all_checked(session: Session, *_: object) -> None:
        if any(isinstance(row, Appointment) for row in session.new):
            all_checked.wait()

    def book(user: StaffUser, intake_id: uuid.UUID) -> None:
        try:
            with UnitOfWork(factory) as uow:
                booking.book(
                    uow,
                    intake_id=intake_id,
                    slot_id=slot,
                    caller=booking.Caller.member(user),
                    settings=pg_settings,
                    now=utcnow(),
                )
            outcomes.append("booked")
        except SlotTaken:
            outcomes.append("taken")

    event.listen(Session, "before_flush", hold_until_all_checked)
    try:
        threads = [
            threading.Thread(target=book, args=(user, intake_id))
            for user, intake_id in zip(users, intakes, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        event.remove(Session, "before_flush", hold_until_all_checked)
        engine.dispose()

    assert sorted(outcomes) == ["booked"] + ["taken"] * (BOOKERS - 1)
