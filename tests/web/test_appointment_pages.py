"""The patient's appointment pages over HTTP: signed in, by an email's signed link, and
choosing from an offer. Times are the patient's own (London) while the clinic is in New
York; every change needs the page's CSRF token; a refusal is a page that says why."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from emails.timefmt import format_clock, format_moment
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.deps import PATIENT_COOKIE
from intake.notifications.models import OutboxEmail
from intake.scheduling.models import Appointment, AppointmentStatus
from intake.web.appointment_pages import slot_value
from intake.web.csrf import token_for
from tests.conftest import StartedIntake
from tests.console.test_calendar_pages import add_clinician, appointment, book_by_api, free_slots
from tests.queues.support import run_worker, submitted_by_patient
from tests.staff.support import audit_events, staff_auth

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@dataclass(frozen=True)
class Booked:
    patient: StartedIntake
    appointment_id: str
    slots: list[dict[str, Any]]  # the day's free slots when it was booked; [0] is taken

    @property
    def starts_at(self) -> datetime:
        return datetime.fromisoformat(self.slots[0]["starts_at"])


def emails(template: str, intake_id: str) -> list[OutboxEmail]:
    with UnitOfWork() as uow:
        stmt = (
            select(OutboxEmail)
            .where(OutboxEmail.template == template, OutboxEmail.intake_id == uuid.UUID(intake_id))
            .order_by(OutboxEmail.created_at)
        )
        return list(uow.session.scalars(stmt))


def link_path(template: str, intake_id: str, field: str = "manage_url") -> str:
    """The path of the link in the patient's newest email of that kind."""
    found = emails(template, intake_id)
    assert found, f"no {template} email"
    return urlsplit(str(found[-1].context[field])).path


def csrf_on(page: str) -> str:
    match = CSRF.search(page)
    assert match, "no CSRF field on the page"
    return match.group(1)


def problems_on(page: str) -> str:
    return html.unescape(page.split('id="problems"')[1].split("</div>")[0])


def starts_within(appointment_id: str, hours: float) -> None:
    """Bring the appointment this close: past the cutoff for changes online."""
    row = appointment(appointment_id)
    starts = utcnow() + timedelta(hours=hours)
    with UnitOfWork() as uow:
        uow.session.execute(
            update(Appointment)
            .where(Appointment.id == row.id)
            .values(starts_at=starts, ends_at=starts + (row.ends_at - row.starts_at))
        )


@pytest.fixture
def api(client: TestClient) -> dict[str, str]:
    return staff_auth(client)


@pytest.fixture
def booked(client: TestClient, settings: Settings, api: dict[str, str]) -> Booked:
    """A London patient with a regenerative consultation three days ahead, booked by staff."""
    add_clinician(client, api)
    patient = submitted_by_patient(client)
    run_worker(patient.id, settings)
    slots = free_slots(client, api, settings)
    appointment_id = book_by_api(client, api, patient.id, slots[0]["id"])
    return Booked(patient, appointment_id, slots)


@pytest.fixture
def signed_in(client: TestClient, booked: Booked) -> TestClient:
    client.cookies.set(PATIENT_COOKIE, booked.patient.token)
    return client


# --- signed in --------------------------------------------------------------------------


def test_the_appointment_shows_in_the_patients_own_timezone_with_nothing_clinical(
    signed_in: TestClient, booked: Booked, settings: Settings
) -> None:
    page = signed_in.get("/intake/appointment")

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert format_moment(booked.starts_at, LONDON) in text.split('id="when"')[1]
    assert format_clock(booked.starts_at, NEW_YORK) not in text
    assert "Europe/London" in text.split('id="timezone"')[1]
    assert settings.clinic_address in text.split('id="where"')[1]
    assert "Booked" in text.split('id="status"')[1]
    assert "regenerative" not in text.lower()
    assert "Dr Rivera" not in text
    alternatives = text.split('id="reschedule-form"')[1]
    second = datetime.fromisoformat(booked.slots[1]["starts_at"])
    assert f'value="{slot_value(booked.slots[1]["id"])}"> {format_clock(second, LONDON)}' in (
        alternatives
    )
    assert slot_value(booked.slots[0]["id"]) not in alternatives  # its own slot is busy
    assert "<script" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_without_an_appointment_the_page_says_so(
    client: TestClient, settings: Settings, api: dict[str, str]
) -> None:
    patient = submitted_by_patient(client)
    client.cookies.set(PATIENT_COOKIE, patient.token)

    page = client.get("/intake/appointment")

    assert page.status_code == 200
    assert 'id="no-appointment"' in page.text
    assert "<form" not in page.text.split("<main>")[1]


def test_without_a_session_the_page_sends_the_patient_to_sign_in(client: TestClient) -> None:
    for method, path in (("GET", "/intake/appointment"), ("POST", "/intake/appointment/cancel")):
        response = client.request(method, path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/resume")


def test_confirming_is_audited_as_the_patient(signed_in: TestClient, booked: Booked) -> None:
    token = csrf_on(signed_in.get("/intake/appointment").text)

    response = signed_in.post(
        "/intake/appointment/confirm",
        data={"csrf_token": token, "appointment_id": booked.appointment_id},
    )

    assert response.status_code == 200
    assert "your appointment is confirmed" in response.text
    assert "Confirmed" in response.text.split('id="status"')[1]
    assert 'id="confirm"' not in response.text  # nothing left to confirm
    [event] = audit_events("appointment.confirm")
    assert event.actor_type == "patient"


def test_cancelling_asks_first_then_frees_the_time(
    signed_in: TestClient, booked: Booked, settings: Settings
) -> None:
    asked = signed_in.get("/intake/appointment", params={"cancel": "1"})

    response = signed_in.post(
        "/intake/appointment/cancel",
        data={"csrf_token": csrf_on(asked.text), "appointment_id": booked.appointment_id},
    )

    assert 'id="cancel-confirm"' in asked.text
    assert 'id="reschedule-form"' not in asked.text
    assert response.status_code == 200
    assert "Your appointment is cancelled" in response.text
    assert "Cancelled" in response.text.split('id="status"')[1]
    assert "<form" not in response.text.split('id="details"')[1]
    assert settings.clinic_phone in response.text.split('id="rebook"')[1]
    assert appointment(booked.appointment_id).status == AppointmentStatus.CANCELLED
    assert len(emails("appointment_cancelled", booked.patient.id)) == 1


def test_rescheduling_moves_it_and_emails_the_new_time(
    signed_in: TestClient, booked: Booked
) -> None:
    token = csrf_on(signed_in.get("/intake/appointment").text)
    target = booked.slots[2]

    response = signed_in.post(
        "/intake/appointment/reschedule",
        data={
            "csrf_token": token,
            "appointment_id": booked.appointment_id,
            "slot_id": slot_value(target["id"]),
        },
    )

    assert response.status_code == 200
    assert "Your appointment has moved" in response.text
    moved = datetime.fromisoformat(target["starts_at"])
    assert format_moment(moved, LONDON) in html.unescape(response.text)
    assert appointment(booked.appointment_id).sequence == 1
    assert len(emails("appointment_rescheduled", booked.patient.id)) == 1


def test_a_reschedule_without_a_new_time_names_the_problem(
    signed_in: TestClient, booked: Booked
) -> None:
    token = csrf_on(signed_in.get("/intake/appointment").text)

    response = signed_in.post(
        "/intake/appointment/reschedule",
        data={"csrf_token": token, "appointment_id": booked.appointment_id},
    )

    assert response.status_code == 422
    assert "Please choose a new time" in problems_on(response.text)
    assert 'id="reschedule-form"' in response.text


def test_a_form_without_the_pages_csrf_token_changes_nothing(
    signed_in: TestClient, booked: Booked
) -> None:
    response = signed_in.post(
        "/intake/appointment/cancel",
        data={"csrf_token": "0" * 64, "appointment_id": booked.appointment_id},
    )

    assert response.status_code == 403
    assert appointment(booked.appointment_id).status == AppointmentStatus.BOOKED


def test_another_patients_appointment_is_a_404(
    client: TestClient, settings: Settings, api: dict[str, str], booked: Booked
) -> None:
    stranger = submitted_by_patient(client)
    client.cookies.set(PATIENT_COOKIE, stranger.token)
    token = token_for(stranger.token, secret_key=settings.secret_key)

    response = client.post(
        "/intake/appointment/cancel",
        data={"csrf_token": token, "appointment_id": booked.appointment_id},
    )

    assert response.status_code == 404
    assert "No such appointment" in problems_on(response.text)
    assert appointment(booked.appointment_id).status == AppointmentStatus.BOOKED


def test_after_the_cutoff_the_page_says_to_call_and_a_late_post_is_refused(
    signed_in: TestClient, booked: Booked, settings: Settings
) -> None:
    token = csrf_on(signed_in.get("/intake/appointment").text)
    starts_within(booked.appointment_id, hours=10)

    page = signed_in.get("/intake/appointment")
    late = signed_in.post(
        "/intake/appointment/cancel",
        data={"csrf_token": token, "appointment_id": booked.appointment_id},
    )

    assert settings.clinic_phone in page.text.split('id="call-the-clinic"')[1]
    assert "<form" not in page.text.split("<main>")[1]
    assert late.status_code == 403
    assert "please call the clinic" in problems_on(late.text)
    assert appointment(booked.appointment_id).status == AppointmentStatus.BOOKED


# --- by the signed link in an email -----------------------------------------------------------


def test_the_emailed_link_opens_the_same_page_without_a_session(
    client: TestClient, booked: Booked
) -> None:
    path = link_path("appointment_booked", booked.patient.id)

    page = client.get(path)

    assert page.status_code == 200
    assert PATIENT_COOKIE not in client.cookies
    assert format_moment(booked.starts_at, LONDON) in html.unescape(page.text)
    assert f'action="{path}/confirm"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("broken", ["not-a-token", "altered"])
def test_a_broken_link_is_a_friendly_404(client: TestClient, booked: Booked, broken: str) -> None:
    path = link_path("appointment_booked", booked.patient.id)
    if broken == "altered":  # another appointment's id under this one's signature
        purpose, _, expiry, mac = path.rsplit("/", 1)[1].split(".")
        path = f"/appointment/{purpose}.{uuid.uuid4().hex}.{expiry}.{mac}"
    else:
        path = f"/appointment/{broken}"

    page = client.get(path)
    posted = client.post(f"{path}/cancel", data={"csrf_token": "x"})

    assert (page.status_code, posted.status_code) == (404, 404)
    assert "This link does not work" in page.text
    assert appointment(booked.appointment_id).status == AppointmentStatus.BOOKED


def test_confirming_by_link_needs_the_links_own_form_token(
    client: TestClient, booked: Booked
) -> None:
    path = link_path("appointment_booked", booked.patient.id)
    token = csrf_on(client.get(path).text)

    forged = client.post(f"{path}/confirm", data={"csrf_token": "0" * 64})
    done = client.post(f"{path}/confirm", data={"csrf_token": token})

    assert forged.status_code == 403
    assert "This form was out of date" in problems_on(forged.text)
    assert done.status_code == 200
    assert str(done.url).endswith(f"{path}?done=confirmed")
    assert appointment(booked.appointment_id).status == AppointmentStatus.CONFIRMED


def test_rescheduling_by_link_lands_on_the_new_times_link(
    client: TestClient, booked: Booked
) -> None:
    path = link_path("appointment_booked", booked.patient.id)
    token = csrf_on(client.get(path).text)
    target = booked.slots[3]

    response = client.post(
        f"{path}/reschedule", data={"csrf_token": token, "slot_id": slot_value(target["id"])}
    )

    assert response.status_code == 200
    assert urlsplit(str(response.url)).path == link_path(
        "appointment_rescheduled", booked.patient.id
    )
    moved = datetime.fromisoformat(target["starts_at"])
    assert format_moment(moved, LONDON) in html.unescape(response.text)


def test_a_slot_taken_meanwhile_is_said_on_the_page(
    client: TestClient, settings: Settings, api: dict[str, str], booked: Booked
) -> None:
    path = link_path("appointment_booked", booked.patient.id)
    token = csrf_on(client.get(path).text)
    other = submitted_by_patient(client)
    run_worker(other.id, settings)
    book_by_api(client, api, other.id, booked.slots[1]["id"])

    response = client.post(
        f"{path}/reschedule",
        data={"csrf_token": token, "slot_id": slot_value(booked.slots[1]["id"])},
    )

    assert response.status_code == 409
    assert "That slot is no longer available" in problems_on(response.text)
    assert appointment(booked.appointment_id).sequence == 0


# --- choosing from an offer -------------------------------------------------------------------


@pytest.fixture
def offered(client: TestClient, settings: Settings, api: dict[str, str]) -> Booked:
    """A London patient a coordinator offered two times to (nothing booked yet)."""
    add_clinician(client, api)
    patient = submitted_by_patient(client)
    run_worker(patient.id, settings)
    slots = free_slots(client, api, settings)
    body = {"slot_ids": [slots[0]["id"], slots[1]["id"]]}
    response = client.post(f"/api/v1/intakes/{patient.id}/offers", json=body, headers=api)
    assert response.status_code == 201, response.text
    return Booked(patient, "", slots)


def test_an_offer_shows_its_times_in_the_patients_zone_and_books_the_pick(
    client: TestClient, offered: Booked
) -> None:
    path = link_path("appointment_offer", offered.patient.id, field="pick_url")
    page = client.get(path)

    response = client.post(path, data={"csrf_token": csrf_on(page.text), "choice": "1"})
    again = client.get(path)

    assert page.status_code == 200
    second = datetime.fromisoformat(offered.slots[1]["starts_at"])
    assert f'value="1"> {format_clock(second, LONDON)}' in page.text
    assert "regenerative" not in page.text.lower()
    assert "<script" not in page.text
    assert response.status_code == 200
    assert "Your appointment is booked" in response.text
    assert format_moment(second, LONDON) in html.unescape(response.text)
    assert urlsplit(str(response.url)).path == link_path("appointment_booked", offered.patient.id)
    assert again.status_code == 410
    assert "This offer has closed" in again.text


def test_an_offered_time_taken_meanwhile_is_marked_and_another_can_be_picked(
    client: TestClient, settings: Settings, api: dict[str, str], offered: Booked
) -> None:
    path = link_path("appointment_offer", offered.patient.id, field="pick_url")
    token = csrf_on(client.get(path).text)
    other = submitted_by_patient(client)
    run_worker(other.id, settings)
    book_by_api(client, api, other.id, offered.slots[0]["id"])

    taken = client.post(path, data={"csrf_token": token, "choice": "0"})
    picked = client.post(path, data={"csrf_token": token, "choice": "1"})

    assert taken.status_code == 409
    assert "That slot is no longer available" in problems_on(taken.text)
    assert "(no longer available)" in taken.text
    assert 'value="0" disabled>' in taken.text
    assert 'value="1">' in taken.text
    assert picked.status_code == 200
    assert "Your appointment is booked" in picked.text


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"choice": "3"}, 422, "choose one of the offered slots"),
        ({"choice": "²"}, 422, "choose one of the offered slots"),
        ({"choice": ""}, 422, "choose one of the offered slots"),
        ({"csrf_token": "0" * 64}, 403, "This form was out of date"),
    ],
)
def test_a_bad_pick_is_said_on_the_offer_page(
    client: TestClient, offered: Booked, form: dict[str, str], status: int, message: str
) -> None:
    path = link_path("appointment_offer", offered.patient.id, field="pick_url")
    token = csrf_on(client.get(path).text)

    response = client.post(path, data={"csrf_token": token, **form})

    assert response.status_code == status
    assert message in problems_on(response.text)
    assert 'id="pick-form"' in response.text


def test_an_offer_replaced_by_a_newer_one_is_a_friendly_410(
    client: TestClient, api: dict[str, str], offered: Booked
) -> None:
    path = link_path("appointment_offer", offered.patient.id, field="pick_url")
    body = {"slot_ids": [offered.slots[2]["id"]]}
    again = client.post(f"/api/v1/intakes/{offered.patient.id}/offers", json=body, headers=api)
    assert again.status_code == 201, again.text

    page = client.get(path)
    newer = client.get(link_path("appointment_offer", offered.patient.id, field="pick_url"))

    assert page.status_code == 410
    assert "This offer has closed" in page.text
    assert newer.status_code == 200


def test_an_unknown_offer_link_is_a_friendly_404(client: TestClient, settings: Settings) -> None:
    response = client.get("/appointment/offer/offer.abc.123.def")

    assert response.status_code == 404
    assert "This link does not work" in response.text
