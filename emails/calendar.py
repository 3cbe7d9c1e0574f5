"""An RFC 5545 invitation for one appointment, sent as an email attachment.

The caller gives the UID and SEQUENCE: calendar apps match an update or a cancellation
to the event they already hold by UID, and apply it only when SEQUENCE has grown. Times
are written in the clinic's zone (where the appointment happens) with a VTIMEZONE for
it, so the wall time stays right across daylight-saving changes in any client.

What is written here is as public as the email: a summary naming the clinic, never the
kind of consultation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from icalendar import Calendar, Event, Timezone, vCalAddress

from emails.timefmt import zone

PRODID = "-//FBSS Intake//Appointments//EN"
Method = Literal["REQUEST", "CANCEL"]


def utcnow() -> datetime:
    """The DTSTAMP clock. Tests pin it so that rendering the same message twice gives
    the same bytes; callers pass `stamp` explicitly when they have a clock of their own."""
    return datetime.now(UTC).replace(microsecond=0)


def appointment_uid(appointment_id: str, domain: str) -> str:
    """A UID that stays the same for every notice about one appointment."""
    return f"appointment-{appointment_id}@{domain}"


def build_invite(
    *,
    uid: str,
    sequence: int,
    method: Method,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str,
    summary: str,
    location: str,
    url: str,
    organizer_name: str,
    organizer_email: str,
    stamp: datetime,
) -> bytes:
    """One VCALENDAR holding a VTIMEZONE for `timezone` and one VEVENT.

    `method` CANCEL marks the event CANCELLED; REQUEST (a booking, a move, a reminder)
    marks it CONFIRMED. An empty `organizer_email` leaves ORGANIZER out.
    """
    if ends_at <= starts_at:
        raise ValueError("an appointment must end after it starts")
    tz = zone(timezone)
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)

    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("location", location)
    event.add("url", url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if organizer_email:
        organizer = vCalAddress(f"mailto:{organizer_email}")
        organizer.params["CN"] = organizer_name
        event.add("organizer", organizer)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    # The VTIMEZONE goes first (some parsers resolve TZID as they read) and is built
    # explicitly: add_missing_timezones() would skip an unknown zone in silence. It spans
    # whole years around the event so clients see both of the zone's offsets.
    calendar.add_component(
        Timezone.from_tzid(
            timezone,
            first_date=date(start.year, 1, 1),
            last_date=date(end.year + 2, 1, 1),
        )
    )
    calendar.add_component(event)
    if missing := calendar.get_missing_tzids():
        raise ValueError(f"no VTIMEZONE for {sorted(missing)}")
    ical: bytes = calendar.to_ical()
    return ical
