"""The console's booking page and calendar over HTTP: booking, offering, cancelling and
recording outcomes, each refusal shown on the page, and every read audited.

The helpers at the top build clinicians, routed intakes and bookings through the API;
tests/web/test_appointment_pages.py uses them too.
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake
from intake.notifications.models import OutboxEmail
from intake.scheduling.models import Appointment, AppointmentStatus
from intake.staff.models import StaffRole
from tests.console.support import Console, console_as
from tests.queues.support import routed
from tests.staff.support import audit_events, staff_auth

EVERY_DAY = {"weekly": [{"weekday": d, "starts": "09:00", "ends": "17:00"} for d in range(7)]}
SLOT_ID = re.compile(r'name="slot_id" value="([^"]+)"')


# --- building the world through the API ------------------------------------------------


def add_clinician(client: TestClient, auth: dict[str, str], name: str = "Dr Rivera") -> str:
    """A clinician offering regenerative consultations, 09:00-17:00 clinic time every day."""
    body = {"display_name": name, "offers": ["regenerative"]}
    created = client.post("/api/v1/clinicians", json=body, headers=auth)
    assert created.status_code == 201, created.text
    clinician_id = str(created.json()["id"])
    hours = client.put(
        f"/api/v1/clinicians/{clinician_id}/availability", json=EVERY_DAY, headers=auth
    )
    assert hours.status_code == 200, hours.text
    return clinician_id


def clinic_day(settings: Settings, days_ahead: int) -> date:
    return (utcnow().astimezone(ZoneInfo(settings.clinic_timezone)) + timedelta(days_ahead)).date()


def free_slots(
    client: TestClient, auth: dict[str, str], settings: Settings, days_ahead: int = 3
) -> list[dict[str, Any]]:
    """Regenerative slots on one clinic day `days_ahead` from today: past every cutoff."""
    day = clinic_day(settings, days_ahead).isoformat()
    query = {"consultation_type": "regenerative", "start": day, "end": day}
    response = client.get("/api/v1/slots", params=query, headers=auth)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    assert len(found) >= 4, found
    return found


def book_by_api(client: TestClient, auth: dict[str, str], intake_id: str, slot_id: str) -> str:
    body = {"intake_id": intake_id, "slot_id": slot_id}
    response = client.post("/api/v1/appointments", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def appointment(appointment_id: str) -> Appointment:
    with UnitOfWork() as uow:
        return uow.session.get_one(Appointment, uuid.UUID(appointment_id))


def move_into_the_past(appointment_id: str, hours: float = 1) -> None:
    """As if the consultation had started: only then may its outcome be recorded."""
    row = appointment(appointment_id)
    length = row.ends_at - row.starts_at
    starts = utcnow() - timedelta(hours=hours)
    with UnitOfWork() as uow:
        uow.session.execute(
            update(Appointment)
            .where(Appointment.id == row.id)
            .values(starts_at=starts, ends_at=starts + length)
        )


def outbox(template: str) -> list[OutboxEmail]:
    with UnitOfWork() as uow:
        stmt = select(OutboxEmail).where(OutboxEmail.template == template)
        return list(uow.session.scalars(stmt))


def intake_row(intake_id: str) -> Intake:
    with UnitOfWork() as uow:
        return uow.session.get_one(Intake, uuid.UUID(intake_id))


def problems_on(page: str) -> str:
    return html.unescape(page.split('id="problems"')[1].split("</div>")[0])


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture
def api(client: TestClient) -> dict[str, str]:
    """A coordinator's bearer token, for setting things up through the API."""
    return staff_auth(client)


@pytest.fixture
def clinician_id(client: TestClient, api: dict[str, str]) -> str:
    return add_clinician(client, api)


@pytest.fixture
def console(client: TestClient) -> Console:
    return console_as(client)


# --- the booking page ------------------------------------------------------------------


def test_the_booking_page_lists_the_routes_free_slots_in_clinic_time(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    intake_id = routed(client, settings)
    slot = free_slots(client, api, settings)[0]

    page = client.get(f"/staff/intakes/{intake_id}/book")

    assert page.status_code == 200
    assert 'id="route">Regenerative<' in page.text
    local = datetime.fromisoformat(slot["starts_at"]).astimezone(ZoneInfo("America/New_York"))
    row = page.text.split(f'data-slot-id="{slot["id"]}"')[1].split("</li>")[0]
    assert f'<span class="time">{local:%H:%M}\N{EN DASH}' in row
    assert "Dr Rivera" in row
    assert 'name="slot_ids"' in row  # the offer checkbox
    assert "<script" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    [read] = audit_events("intake.read")
    assert (read.actor_id, read.object_id) == (str(console.user.id), intake_id)


def test_booking_a_slot_shows_it_in_the_clinicians_week_and_is_audited(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    intake_id = routed(client, settings)
    slot = free_slots(client, api, settings)[1]

    response = console.post(f"/staff/intakes/{intake_id}/book", {"slot_id": slot["id"]})

    assert response.status_code == 200
    assert "/staff/calendar?" in str(response.url)
    assert f"clinician={clinician_id}" in str(response.url)
    assert "Appointment booked" in response.text
    [booked] = audit_events("appointment.book")
    assert booked.actor_id == str(console.user.id)
    entry = response.text.split(f'id="appointment-{booked.object_id}"')[1].split("</article>")[0]
    local = datetime.fromisoformat(slot["starts_at"]).astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%H:%M}\N{EN DASH}" in entry
    assert f'<a href="/staff/intakes/{intake_id}">Ada Lovelace</a>' in entry
    assert "Booked" in entry
    assert len(audit_events("appointment.list")) == 1  # the calendar's read of it
    assert len(outbox("appointment_booked")) == 1
    assert intake_row(intake_id).queue is None  # off the work queue once booked


def test_a_booked_intake_shows_its_appointment_instead_of_slots(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    intake_id = routed(client, settings)
    book_by_api(client, api, intake_id, free_slots(client, api, settings)[0]["id"])

    page = client.get(f"/staff/intakes/{intake_id}/book")

    assert page.status_code == 200
    assert 'id="already-booked"' in page.text
    assert "with Dr Rivera" in page.text
    assert 'id="route">Regenerative<' in page.text
    assert 'name="slot_id"' not in page.text


def test_an_incomplete_checklist_is_a_409_on_the_page_and_books_nothing(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    intake_id = routed(client, settings)
    with UnitOfWork() as uow:
        uow.session.get_one(Intake, uuid.UUID(intake_id)).checklist_missing = ["current_mri"]
    slot = free_slots(client, api, settings)[0]

    page = client.get(f"/staff/intakes/{intake_id}/book")
    response = console.post(f"/staff/intakes/{intake_id}/book", {"slot_id": slot["id"]})

    assert "the document checklist is not complete" in page.text.split('id="blockers"')[1]
    assert response.status_code == 409
    assert "Cannot book: the document checklist is not complete" in problems_on(response.text)
    assert 'id="route">Regenerative<' in response.text  # the booking page, not an error page
    assert audit_events("appointment.book") == []


def test_a_slot_taken_meanwhile_is_a_409_on_the_page(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    first, second = routed(client, settings), routed(client, settings)
    slot = free_slots(client, api, settings)[0]
    book_by_api(client, api, first, slot["id"])

    response = console.post(f"/staff/intakes/{second}/book", {"slot_id": slot["id"]})

    assert response.status_code == 409
    assert "That slot is no longer available" in problems_on(response.text)
    assert f'data-slot-id="{slot["id"]}"' not in response.text  # the list is fresh


def test_a_booking_without_a_slot_names_the_problem(
    client: TestClient, settings: Settings, clinician_id: str, console: Console
) -> None:
    intake_id = routed(client, settings)

    response = console.post(f"/staff/intakes/{intake_id}/book", {})

    assert response.status_code == 422
    assert "slot id: choose a slot" in problems_on(response.text)


def test_an_admin_sees_the_slots_but_a_booking_is_refused_on_the_page(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str]
) -> None:
    intake_id = routed(client, settings)
    slot = free_slots(client, api, settings)[0]
    admin = console_as(client, StaffRole.ADMIN)

    page = client.get(f"/staff/intakes/{intake_id}/book")
    response = admin.post(f"/staff/intakes/{intake_id}/book", {"slot_id": slot["id"]})

    assert 'id="may-not-book"' in page.text
    assert response.status_code == 403
    assert "may not book appointments" in problems_on(response.text)
    assert len(audit_events("staff.access_denied")) == 1


def test_offering_slots_emails_the_patient_and_shows_the_open_offer(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    intake_id = routed(client, settings)
    slots = free_slots(client, api, settings)[:2]
    body = {"csrf_token": console.csrf, "slot_ids": [slot["id"] for slot in slots]}

    response = client.post(f"/staff/intakes/{intake_id}/offer", data=body)

    assert response.status_code == 200
    assert "The patient has been emailed the slots" in response.text
    assert 'id="open-offer"' in response.text
    [email] = outbox("appointment_offer")
    assert len(email.context["options"]) == 2
    assert len(audit_events("offer.create")) == 1


@pytest.mark.parametrize("count", [0, 4])
def test_an_offer_of_none_or_too_many_slots_names_the_problem(
    client: TestClient,
    settings: Settings,
    clinician_id: str,
    api: dict[str, str],
    console: Console,
    count: int,
) -> None:
    intake_id = routed(client, settings)
    slots = free_slots(client, api, settings)[:count]
    body = {"csrf_token": console.csrf, "slot_ids": [slot["id"] for slot in slots]}

    response = client.post(f"/staff/intakes/{intake_id}/offer", data=body)

    assert response.status_code == 422
    assert "offer 1 to 3 different slots" in problems_on(response.text)
    assert outbox("appointment_offer") == []


def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    intake_id = routed(client, settings)
    slot = free_slots(client, api, settings)[0]

    booked = client.post(f"/staff/intakes/{intake_id}/book", data={"slot_id": slot["id"]})
    offered = client.post(f"/staff/intakes/{intake_id}/offer", data={"slot_ids": slot["id"]})

    assert (booked.status_code, offered.status_code) == (403, 403)
    assert audit_events("appointment.book") == audit_events("offer.create") == []


def test_the_pages_send_a_visitor_without_a_session_to_log_in(
    client: TestClient, settings: Settings
) -> None:
    for path in (f"/staff/intakes/{uuid.uuid4()}/book", "/staff/calendar?view=day"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/login?next=")


# --- the calendar ----------------------------------------------------------------------


def test_the_week_shows_appointments_and_free_slots_with_navigation(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    intake_id = routed(client, settings)
    slot = free_slots(client, api, settings)[0]
    appointment_id = book_by_api(client, api, intake_id, slot["id"])
    day = clinic_day(settings, 3)
    monday = day - timedelta(days=day.weekday())

    page = client.get("/staff/calendar", params={"view": "week", "date": day.isoformat()})

    assert page.status_code == 200
    assert page.text.count('<section class="day') == 7
    assert f'id="day-{monday.isoformat()}"' in page.text
    column = page.text.split(f'id="day-{day.isoformat()}"')[1].split("</section>")[0]
    assert f'id="appointment-{appointment_id}"' in column
    assert "Ada Lovelace" in column
    assert "Free: Regenerative consultation (60 min)" in column
    previous = f"date={(day - timedelta(days=7)).isoformat()}"
    assert previous in html.unescape(page.text.split('id="previous"')[1].split(">")[0])
    assert f'<option value="{clinician_id}" selected>Dr Rivera</option>' in page.text
    assert "<script" not in page.text
    [listed] = audit_events("appointment.list")
    assert (listed.actor_id, listed.object_id) == (str(console.user.id), clinician_id)


def test_the_day_view_lists_one_day_and_a_second_clinician_can_be_picked(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    other = add_clinician(client, api, name="Dr Abbott")  # sorts first by name
    day = clinic_day(settings, 3).isoformat()

    first = client.get("/staff/calendar", params={"view": "day", "date": day})
    picked = client.get(
        "/staff/calendar", params={"view": "day", "date": day, "clinician": clinician_id}
    )

    assert first.text.count('<section class="day') == 1
    assert "<h1>Calendar: Dr Abbott</h1>" in first.text
    assert f'<option value="{other}" selected>' in first.text
    assert "<h1>Calendar: Dr Rivera</h1>" in picked.text
    assert 'class="slot">09:00<' in picked.text


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"clinician": str(uuid.uuid4())}, 404, "No such clinician"),
        ({"date": "not-a-date"}, 422, "date"),
        ({"view": "month"}, 422, "view"),
    ],
)
def test_a_bad_calendar_address_is_a_page_that_says_why(
    client: TestClient,
    settings: Settings,
    clinician_id: str,
    console: Console,
    query: dict[str, str],
    status: int,
    message: str,
) -> None:
    response = client.get("/staff/calendar", params=query)

    assert response.status_code == status
    assert message in problems_on(response.text)


def test_without_clinicians_the_calendar_says_so(client: TestClient, console: Console) -> None:
    response = client.get("/staff/calendar")

    assert response.status_code == 200
    assert 'id="no-clinicians"' in response.text


def test_cancelling_from_the_day_view_frees_the_slot_and_requeues_the_intake(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    intake_id = routed(client, settings)
    slot = free_slots(client, api, settings)[0]
    appointment_id = book_by_api(client, api, intake_id, slot["id"])
    where = {"clinician": clinician_id, "view": "day", "date": clinic_day(settings, 3).isoformat()}
    week = client.get("/staff/calendar", params={**where, "view": "week"})

    response = console.post(
        "/staff/calendar/cancel",
        {"appointment_id": appointment_id, "reason": "Clinician unwell", **where},
    )

    assert "Cancel…" in week.text  # the week links to the day's form: two steps
    assert response.status_code == 200
    assert "view=day" in str(response.url)
    assert "Appointment cancelled" in response.text
    row = appointment(appointment_id)
    assert (row.status, row.cancel_reason) == (AppointmentStatus.CANCELLED, "Clinician unwell")
    assert intake_row(intake_id).queue == "regenerative"
    assert len(audit_events("appointment.cancel")) == 1
    assert len(outbox("appointment_cancelled")) == 1
    entry = response.text.split(f'id="appointment-{appointment_id}"')[1].split("</article>")[0]
    assert "Cancelled" in entry
    assert "<form" not in entry


def test_an_appointment_can_be_closed_only_once_it_has_started(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    intake_id = routed(client, settings)
    appointment_id = book_by_api(client, api, intake_id, free_slots(client, api, settings)[0]["id"])
    form = {"appointment_id": appointment_id, "outcome": "completed"}

    early = console.post("/staff/calendar/close", form)
    move_into_the_past(appointment_id)
    today = client.get("/staff/calendar", params={"view": "day"})
    done = console.post("/staff/calendar/close", form)

    assert early.status_code == 409
    assert "The appointment has not started yet" in problems_on(early.text)
    assert 'value="no_show"' in today.text.split(f'id="appointment-{appointment_id}"')[1]
    assert done.status_code == 200
    assert "Appointment marked as completed." in done.text
    assert appointment(appointment_id).status == AppointmentStatus.COMPLETED
    assert len(audit_events("appointment.completed")) == 1


def test_a_no_show_puts_the_intake_back_in_its_queue(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    intake_id = routed(client, settings)
    appointment_id = book_by_api(client, api, intake_id, free_slots(client, api, settings)[0]["id"])
    move_into_the_past(appointment_id)

    response = console.post(
        "/staff/calendar/close", {"appointment_id": appointment_id, "outcome": "no_show"}
    )

    assert response.status_code == 200
    assert "Marked as a no-show" in response.text
    assert appointment(appointment_id).status == AppointmentStatus.NO_SHOW
    assert intake_row(intake_id).queue == "regenerative"


@pytest.mark.parametrize(
    ("path", "form", "message"),
    [
        ("/staff/calendar/cancel", {"appointment_id": "nope"}, "appointment id: choose one"),
        ("/staff/calendar/cancel", {"appointment_id": str(uuid.uuid4())}, "No such appointment"),
        ("/staff/calendar/close", {"outcome": "vanished"}, "outcome: choose one of the options"),
    ],
)
def test_bad_calendar_forms_are_shown_on_the_calendar(
    client: TestClient,
    settings: Settings,
    clinician_id: str,
    console: Console,
    path: str,
    form: dict[str, str],
    message: str,
) -> None:
    if "appointment_id" not in form:
        form = {**form, "appointment_id": str(uuid.uuid4())}

    response = console.post(path, form)

    assert response.status_code in (404, 422)
    assert message in problems_on(response.text)
    assert "<h1>Calendar: Dr Rivera</h1>" in response.text


def test_calendar_actions_need_the_forms_csrf_token(
    client: TestClient, settings: Settings, clinician_id: str, api: dict[str, str], console: Console
) -> None:
    intake_id = routed(client, settings)
    appointment_id = book_by_api(client, api, intake_id, free_slots(client, api, settings)[0]["id"])

    response = client.post("/staff/calendar/cancel", data={"appointment_id": appointment_id})

    assert response.status_code == 403
    assert appointment(appointment_id).status == AppointmentStatus.BOOKED
