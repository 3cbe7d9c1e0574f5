"""The invitation: parsed back with icalendar, and read as a calendar app would."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar, Event, Timezone

from emails.calendar import Method, appointment_uid, build_invite

STAMP = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
UID = appointment_uid("3f1c2d4e-0000-4000-8000-000000000001", "clinic.example")


def _invite(starts_at: datetime, *, method: Method = "REQUEST", **changes: Any) -> Calendar:
    fields: dict[str, Any] = {
        "uid": UID,
        "sequence": 3,
        "method": method,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=45),
        "timezone": "America/New_York",
        "summary": "Consultation at Northside Clinic",
        "location": "12 Harbour Street, Boston, MA 02110",
        "url": "https://portal.example/appointments/a1",
        "organizer_name": "Northside Clinic",
        "organizer_email": "appointments@clinic.example",
        "stamp": STAMP,
        **changes,
    }
    return Calendar.from_ical(build_invite(**fields))


def _event(calendar: Calendar) -> Event:
    [event] = calendar.events
    return event


def _start(event: Event) -> datetime:
    start = event.start
    assert isinstance(start, datetime)  # a timed event, not an all-day one
    return start


def _offset_in(vtimezone: Timezone, instant: datetime) -> timedelta:
    """The UTC offset the VTIMEZONE itself gives at `instant`, by its own transitions,
    not by looking the TZID up in the local zone database."""
    times, infos = vtimezone.get_transitions()
    index = bisect_right(times, instant.astimezone(UTC).replace(tzinfo=None)) - 1
    assert index >= 0, "the VTIMEZONE does not reach back to the appointment"
    offset: timedelta = infos[index][0]
    return offset


def test_the_invite_identifies_the_event_for_updates() -> None:
    calendar = _invite(datetime(2026, 7, 14, 13, 0, tzinfo=UTC))
    event = _event(calendar)

    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert event["UID"] == "appointment-3f1c2d4e-0000-4000-8000-000000000001@clinic.example"
    assert event["SEQUENCE"] == 3
    assert event["STATUS"] == "CONFIRMED"
    assert event.decoded("DTSTAMP") == STAMP
    assert event["SUMMARY"] == "Consultation at Northside Clinic"
    assert event["LOCATION"] == "12 Harbour Street, Boston, MA 02110"
    assert event["URL"] == "https://portal.example/appointments/a1"
    assert str(event["ORGANIZER"]) == "mailto:appointments@clinic.example"
    assert event["ORGANIZER"].params["CN"] == "Northside Clinic"


@pytest.mark.parametrize(
    ("instant", "offset"),
    [
        # 09:00 in New York in July (EDT, UTC-4) and in December (EST, UTC-5).
        (datetime(2026, 7, 14, 13, 0, tzinfo=UTC), timedelta(hours=-4)),
        (datetime(2026, 12, 8, 14, 0, tzinfo=UTC), timedelta(hours=-5)),
    ],
)
def test_the_wall_time_is_the_clinics_on_either_side_of_daylight_saving(
    instant: datetime, offset: timedelta
) -> None:
    raw = build_invite(
        uid=UID,
        sequence=0,
        method="REQUEST",
        starts_at=instant,
        ends_at=instant + timedelta(minutes=45),
        timezone="America/New_York",
        summary="Consultation at Northside Clinic",
        location="12 Harbour Street",
        url="https://portal.example/a",
        organizer_name="Northside Clinic",
        organizer_email="appointments@clinic.example",
        stamp=STAMP,
    )
    calendar = Calendar.from_ical(raw)
    event = _event(calendar)
    [vtimezone] = calendar.timezones

    day = instant.strftime("%Y%m%d")
    assert f"DTSTART;TZID=America/New_York:{day}T090000\r\n".encode() in raw
    assert f"DTEND;TZID=America/New_York:{day}T094500\r\n".encode() in raw
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert vtimezone.tz_name == "America/New_York"
    start = _start(event)
    assert (start.hour, start.minute) == (9, 0)
    assert start == instant  # the same instant, whatever zone reads it
    assert event.end - start == timedelta(minutes=45)
    # The embedded VTIMEZONE alone puts 09:00 local at the right instant.
    assert _offset_in(vtimezone, instant) == offset
    assert start.replace(tzinfo=None) - offset == instant.replace(tzinfo=None)


def test_the_vtimezone_comes_before_the_event_and_lines_end_in_crlf() -> None:
    raw = build_invite(
        uid=UID,
        sequence=0,
        method="REQUEST",
        starts_at=datetime(2026, 7, 14, 13, 0, tzinfo=UTC),
        ends_at=datetime(2026, 7, 14, 13, 45, tzinfo=UTC),
        timezone="America/New_York",
        summary="s",
        location="l",
        url="https://portal.example/a",
        organizer_name="Northside Clinic",
        organizer_email="",
        stamp=STAMP,
    )

    assert raw.index(b"BEGIN:VTIMEZONE") < raw.index(b"BEGIN:VEVENT")
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert b"ORGANIZER" not in raw  # no clinic address given, so no organizer


def test_a_cancellation_says_cancel_and_cancelled() -> None:
    calendar = _invite(datetime(2026, 7, 14, 13, 0, tzinfo=UTC), method="CANCEL", sequence=4)
    event = _event(calendar)

    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == UID
    assert event["SEQUENCE"] == 4


def test_an_appointment_that_ends_before_it_starts_is_refused() -> None:
    start = datetime(2026, 7, 14, 13, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="end after it starts"):
        _invite(start, ends_at=start)
