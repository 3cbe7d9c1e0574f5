"""Appointment emails: what they show, the invitation they carry, and what they never say."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from icalendar import Calendar, Event

from emails.messages import (
    VIDEO_PLACE,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentMessage,
    AppointmentOffer,
    AppointmentReminder,
    AppointmentRescheduled,
    ClinicContact,
    from_context,
    render_message,
)
from emails.render import RenderedEmail
from emails.samples import SAMPLES
from emails.transport import build_message
from tests.emails.conftest import STAMP
from tests.emails.test_render import CLINICAL_WORDS, clinical_words_in

CLINIC = ClinicContact(name="Northside Clinic", phone="+1 555 0100", email="hello@clinic.example")
NOTICES = ("appointment_booked", "appointment_reminder", "appointment_rescheduled")
APPOINTMENT_TEMPLATES = (*NOTICES, "appointment_cancelled", "appointment_offer")
# The consultation types, as the queues name them, and what a reader could infer from.
UNSAYABLE = (*CLINICAL_WORDS, "triage", "clinician")

_FIELDS: dict[str, Any] = {
    "first_name": "Ada",
    "starts_at": "2026-07-14T13:00:00Z",  # 09:00 in New York, 14:00 in London
    "ends_at": "2026-07-14T13:45:00Z",
    "patient_timezone": "Europe/London",
    "clinic_timezone": "America/New_York",
    "modality": "in_person",
    "location": "12 Harbour Street, Boston, MA 02110",
    "manage_url": "https://portal.example/appointments/a1",
    "uid": "appointment-a1@clinic.example",
    "sequence": 2,
}


def _invite(email: RenderedEmail) -> tuple[Calendar, Event]:
    [attachment] = email.attachments
    calendar = Calendar.from_ical(attachment.data)
    [event] = calendar.events
    return calendar, event


@pytest.mark.parametrize(
    ("message", "method", "status"),
    [
        (AppointmentBooked(**_FIELDS), "REQUEST", "CONFIRMED"),
        (AppointmentReminder(**_FIELDS, hours_before=72), "REQUEST", "CONFIRMED"),
        (AppointmentRescheduled(**_FIELDS), "REQUEST", "CONFIRMED"),
        (AppointmentCancelled(**_FIELDS), "CANCEL", "CANCELLED"),
    ],
)
def test_each_notice_carries_an_invitation_from_its_own_fields(
    message: AppointmentMessage, method: str, status: str
) -> None:
    email = render_message(message, CLINIC)
    [attachment] = email.attachments
    calendar, event = _invite(email)

    assert attachment.filename == "invite.ics"
    assert attachment.content_type == f"text/calendar; charset=utf-8; method={method}"
    assert calendar["METHOD"] == method
    assert event["STATUS"] == status
    assert event["UID"] == "appointment-a1@clinic.example"
    assert event["SEQUENCE"] == 2
    assert event["DTSTART"].params["TZID"] == "America/New_York"  # the clinic's, not London
    assert [tz.tz_name for tz in calendar.timezones] == ["America/New_York"]
    assert event.decoded("DTSTART") == datetime(2026, 7, 14, 13, 0, tzinfo=UTC)
    assert "DTSTART;TZID=America/New_York:20260714T090000" in attachment.data.decode()
    assert event["SUMMARY"] == "Consultation at Northside Clinic"
    assert event["LOCATION"] == "12 Harbour Street, Boston, MA 02110"
    assert event["URL"] == "https://portal.example/appointments/a1"
    assert str(event["ORGANIZER"]) == "mailto:hello@clinic.example"
    assert event.decoded("DTSTAMP") == STAMP


def test_an_offer_books_nothing_so_attaches_nothing() -> None:
    assert render_message(SAMPLES["appointment_offer"], CLINIC).attachments == ()


def test_the_caller_can_date_the_invitation() -> None:
    stamp = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)

    _, event = _invite(render_message(AppointmentBooked(**_FIELDS), CLINIC, stamp=stamp))

    assert event.decoded("DTSTAMP") == stamp


@pytest.mark.parametrize(
    ("method", "template"), [("REQUEST", NOTICES[0]), ("CANCEL", "appointment_cancelled")]
)
def test_the_mime_message_has_a_calendar_part_with_its_method(method: str, template: str) -> None:
    email = render_message(SAMPLES[template], CLINIC)

    msg = build_message(
        sender="Northside Clinic <hello@clinic.example>",
        to="ada@example.com",
        email=email,
        message_id="<a1@clinic.example>",
    )

    assert msg.get_content_type() == "multipart/mixed"
    types = [part.get_content_type() for part in msg.walk()]
    assert {"text/plain", "text/html", "text/calendar"} <= set(types)
    [invite] = list(msg.iter_attachments())
    assert invite.get_content_type() == "text/calendar"
    assert invite.get_param("method") == method
    assert invite.get_filename() == "invite.ics"
    assert invite.get_content_charset() == "utf-8"
    assert invite.get_payload(decode=True) == email.attachments[0].data


def test_the_body_shows_the_patients_time_and_the_clinics_when_they_differ() -> None:
    email = render_message(AppointmentBooked(**_FIELDS), CLINIC)

    for body in (email.text, email.html):
        assert "Tuesday 14 July 2026, 2:00 PM BST" in body  # London, where Ada is
        assert "Tuesday 14 July 2026, 9:00 AM EDT" in body  # New York, where the clinic is
        assert "12 Harbour Street, Boston, MA 02110" in body
        assert "https://portal.example/appointments/a1" in body
        assert "+1 555 0100" in body
    assert email.subject == "Your Northside Clinic appointment on Tuesday 14 July 2026"


def test_a_patient_in_the_clinics_zone_sees_one_time() -> None:
    message = AppointmentBooked(**{**_FIELDS, "patient_timezone": "America/New_York"})

    email = render_message(message, CLINIC)

    assert email.text.count("9:00 AM EDT") == 1
    assert "clinic time" not in email.text
    assert "clinic time" not in email.html


def test_the_subject_dates_the_appointment_where_the_patient_is() -> None:
    # 23:30 in New York on Monday is already Tuesday in London.
    late = {**_FIELDS, "starts_at": "2026-07-14T03:30:00Z", "ends_at": "2026-07-14T04:00:00Z"}

    email = render_message(AppointmentCancelled(**late), CLINIC)

    assert email.subject == "Your Northside Clinic appointment on Tuesday 14 July 2026 is cancelled"
    assert "Monday 13 July 2026, 11:30 PM EDT" in email.text


def test_a_video_appointment_shows_no_address_and_no_link_to_the_call() -> None:
    message = AppointmentBooked(
        **{**_FIELDS, "modality": "video", "location": "https://video.example/room/secret"}
    )

    email = render_message(message, CLINIC)
    _, event = _invite(email)

    assert event["LOCATION"] == VIDEO_PLACE == "Video call (the clinic emails you the joining link)"
    for body in (email.text, email.html):
        assert VIDEO_PLACE in body
        assert "video.example" not in body
    assert b"video.example" not in email.attachments[0].data


@pytest.mark.parametrize(("hours", "soon"), [(72, "in 3 days"), (24, "in 24 hours")])
def test_a_reminder_says_how_soon(hours: int, soon: str) -> None:
    email = render_message(AppointmentReminder(**_FIELDS, hours_before=hours), CLINIC)

    assert f"is {soon}." in email.text
    assert email.subject.startswith("Reminder: ")


def test_an_offer_lists_its_times_and_the_deadline() -> None:
    offer = AppointmentOffer(
        first_name="Ada",
        options=["Tuesday 14 July 2026, 2:00 PM BST", "Wednesday 15 July 2026, 3:30 PM BST"],
        pick_url="https://portal.example/offers/o1",
        expires_on="Friday 10 July 2026",
    )

    email = render_message(offer, CLINIC)

    for body in (email.text, email.html):
        assert "Tuesday 14 July 2026, 2:00 PM BST" in body
        assert "Wednesday 15 July 2026, 3:30 PM BST" in body
        assert "Friday 10 July 2026" in body
        assert "https://portal.example/offers/o1" in body


@pytest.mark.parametrize("template", APPOINTMENT_TEMPLATES)
def test_what_the_outbox_stores_is_json_and_renders_the_same_email(template: str) -> None:
    sample = SAMPLES[template]
    stored = json.loads(json.dumps(sample.context()))

    again = from_context(template, stored)

    assert again == sample
    assert render_message(again, CLINIC) == render_message(sample, CLINIC)
    assert all(isinstance(v, str | int | list) for v in stored.values())


@pytest.mark.parametrize("template", APPOINTMENT_TEMPLATES)
def test_from_context_refuses_a_missing_or_an_unknown_field(template: str) -> None:
    context = SAMPLES[template].context()
    first_name = context.pop("first_name")
    with pytest.raises(ValueError, match="needs exactly"):
        from_context(template, context)
    with pytest.raises(ValueError, match="needs exactly"):
        from_context(template, {**context, "first_name": first_name, "diagnosis": "x"})


@pytest.mark.parametrize("template", APPOINTMENT_TEMPLATES)
def test_no_sample_says_anything_clinical(template: str) -> None:
    email = render_message(SAMPLES[template], CLINIC)
    invite = b"".join(a.data for a in email.attachments).decode()

    for part in (email.subject, email.text, email.html, invite):
        assert clinical_words_in(part, UNSAYABLE) == [], template


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"modality": "phone"}, "modality"),
        ({"starts_at": "2026-07-14T09:00:00"}, "no UTC offset"),
        ({"ends_at": "2026-07-14T12:00:00Z"}, "end after it starts"),
        ({"clinic_timezone": "America/Gotham"}, "unknown timezone"),
        ({"patient_timezone": ""}, "unknown timezone"),
        ({"location": " "}, "needs a location"),
        ({"sequence": -1}, "sequence"),
        ({"uid": ""}, "uid"),
    ],
)
def test_a_bad_notice_is_refused_when_built(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        AppointmentBooked(**{**_FIELDS, **changes})


def test_bad_reminders_and_offers_are_refused_when_built() -> None:
    with pytest.raises(ValueError, match="hours_before"):
        AppointmentReminder(**_FIELDS, hours_before=0)
    offer = SAMPLES["appointment_offer"]
    assert isinstance(offer, AppointmentOffer)
    with pytest.raises(ValueError, match="1 to 3"):
        replace(offer, options=[])
    with pytest.raises(ValueError, match="1 to 3"):
        replace(offer, options=["a", "b", "c", "d"])
