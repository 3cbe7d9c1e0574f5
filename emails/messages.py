"""One dataclass per message. Each holds only what its email may show: no clinical details.

The outbox stores a message as its template name plus these fields (`context`), and
renders it when it is delivered; `from_context` is the way back.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

from emails import calendar as ics
from emails.render import Attachment, ClinicContact, RenderedEmail, render
from emails.timefmt import format_day, format_moment, parse_utc, zone

__all__ = [
    "MESSAGES",
    "AppointmentBooked",
    "AppointmentCancelled",
    "AppointmentMessage",
    "AppointmentOffer",
    "AppointmentReminder",
    "AppointmentRescheduled",
    "Attachment",
    "ClinicContact",
    "IntakeReminder",
    "IntakeStarted",
    "MagicLinkEmail",
    "Message",
    "StaffAlert",
    "from_context",
    "render_message",
]


@dataclass(frozen=True)
class Message(ABC):
    """A message's fields; each kind names its template and writes its own subject."""

    template: ClassVar[str]

    @abstractmethod
    def subject(self, clinic: ClinicContact) -> str: ...

    def context(self) -> dict[str, Any]:
        return asdict(self)

    def derived(self) -> dict[str, Any]:
        """Values the templates show that are computed from the fields, not stored."""
        return {}

    def attachments(
        self, clinic: ClinicContact, *, stamp: datetime | None = None
    ) -> tuple[Attachment, ...]:
        """Files built from the fields at render time; `stamp` is when (default: now)."""
        del clinic, stamp  # most messages attach nothing
        return ()


@dataclass(frozen=True)
class IntakeReminder(Message):
    """'You have items waiting in your portal': the portal, not the email, names them."""

    template: ClassVar[str] = "intake_reminder"
    first_name: str
    portal_url: str
    unsubscribe_url: str

    def subject(self, clinic: ClinicContact) -> str:
        return f"Items waiting in your {clinic.name} portal"


@dataclass(frozen=True)
class IntakeStarted(Message):
    """Sent when an intake starts: how to come back to it later (no token in it)."""

    template: ClassVar[str] = "intake_started"
    first_name: str
    resume_url: str

    def subject(self, clinic: ClinicContact) -> str:
        return f"Your {clinic.name} intake"


@dataclass(frozen=True)
class MagicLinkEmail(Message):
    """A single-use sign-in link."""

    template: ClassVar[str] = "magic_link"
    first_name: str
    link_url: str
    valid_minutes: int

    def subject(self, clinic: ClinicContact) -> str:
        return f"Your {clinic.name} sign-in link"


@dataclass(frozen=True)
class StaffAlert(Message):
    """For the clinic's own triage mailbox: a link to the record and nothing else."""

    template: ClassVar[str] = "staff_alert"
    tier: str
    staff_url: str

    def subject(self, clinic: ClinicContact) -> str:
        return f"[{self.tier.upper()}] {clinic.name}: an intake needs review"


# A plain str field (a StrEnum member fits too), checked against these when built.
MODALITIES = ("in_person", "video")
# Where a video appointment "is", in the email and the invitation: the link itself
# lives behind the portal's sign-in, never in a mailbox.
VIDEO_PLACE = "Video call (the clinic emails you the joining link)"


@dataclass(frozen=True)
class AppointmentMessage(Message):
    """What every email about one booked appointment carries.

    `starts_at`/`ends_at` are ISO 8601 instants in UTC (see `timefmt.iso_utc`). The body
    shows them in the patient's zone; the invitation is written in the clinic's, where
    the appointment happens. `uid` and `sequence` identify the event and its revision
    to calendar apps: the same uid for every notice about one appointment, a larger
    sequence after each change of time or status.
    """

    ics_method: ClassVar[ics.Method] = "REQUEST"
    first_name: str
    starts_at: str
    ends_at: str
    patient_timezone: str
    clinic_timezone: str
    modality: str
    location: str
    manage_url: str
    uid: str
    sequence: int

    def __post_init__(self) -> None:
        # Checked when the row is written, not days later when it is delivered.
        if parse_utc(self.ends_at) <= parse_utc(self.starts_at):
            raise ValueError("an appointment must end after it starts")
        zone(self.patient_timezone)
        zone(self.clinic_timezone)
        if self.modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {self.modality!r}")
        if self.modality == "in_person" and not self.location.strip():
            raise ValueError("an in-person appointment needs a location")
        if not self.uid or self.sequence < 0:
            raise ValueError("an appointment needs a uid and a sequence of 0 or more")

    @property
    def place(self) -> str:
        return self.location if self.modality == "in_person" else VIDEO_PLACE

    def day(self) -> str:
        """The appointment's date where the patient is, for subjects."""
        return format_day(parse_utc(self.starts_at), zone(self.patient_timezone))

    def derived(self) -> dict[str, Any]:
        start, end = parse_utc(self.starts_at), parse_utc(self.ends_at)
        when = format_moment(start, zone(self.patient_timezone))
        at_clinic = format_moment(start, zone(self.clinic_timezone))
        return {
            "when": when,
            # Only when it reads differently: a zone with the same clock adds nothing.
            "clinic_when": at_clinic if at_clinic != when else "",
            "minutes": int((end - start).total_seconds() // 60),
            "place": self.place,
            "is_video": self.modality == "video",
        }

    def attachments(
        self, clinic: ClinicContact, *, stamp: datetime | None = None
    ) -> tuple[Attachment, ...]:
        data = ics.build_invite(
            uid=self.uid,
            sequence=self.sequence,
            method=self.ics_method,
            starts_at=parse_utc(self.starts_at),
            ends_at=parse_utc(self.ends_at),
            timezone=self.clinic_timezone,
            summary=f"Consultation at {clinic.name}",
            location=self.place,
            url=self.manage_url,
            organizer_name=clinic.name,
            organizer_email=clinic.email,
            # Looked up on the module at call time, so a test can pin the clock.
            stamp=stamp if stamp is not None else ics.utcnow(),
        )
        content_type = f"text/calendar; charset=utf-8; method={self.ics_method}"
        return (Attachment(filename="invite.ics", content_type=content_type, data=data),)


@dataclass(frozen=True)
class AppointmentBooked(AppointmentMessage):
    """The confirmation of a booking, with the invitation to add to a calendar."""

    template: ClassVar[str] = "appointment_booked"

    def subject(self, clinic: ClinicContact) -> str:
        return f"Your {clinic.name} appointment on {self.day()}"


@dataclass(frozen=True)
class AppointmentReminder(AppointmentMessage):
    """Sent `hours_before` the start (72 and 24 today); re-sends the same invitation."""

    template: ClassVar[str] = "appointment_reminder"
    hours_before: int

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.hours_before <= 0:
            raise ValueError("hours_before must be positive")

    def derived(self) -> dict[str, Any]:
        days, hours = divmod(self.hours_before, 24)
        soon = f"in {days} days" if days >= 2 and not hours else f"in {self.hours_before} hours"
        return {**super().derived(), "soon": soon}

    def subject(self, clinic: ClinicContact) -> str:
        return f"Reminder: your {clinic.name} appointment on {self.day()}"


@dataclass(frozen=True)
class AppointmentRescheduled(AppointmentMessage):
    """The appointment moved: same uid, a larger sequence, the new time."""

    template: ClassVar[str] = "appointment_rescheduled"

    def subject(self, clinic: ClinicContact) -> str:
        return f"Your {clinic.name} appointment has moved to {self.day()}"


@dataclass(frozen=True)
class AppointmentCancelled(AppointmentMessage):
    """The appointment is off; the invitation's CANCEL removes it from calendars."""

    template: ClassVar[str] = "appointment_cancelled"
    ics_method: ClassVar[ics.Method] = "CANCEL"

    def subject(self, clinic: ClinicContact) -> str:
        return f"Your {clinic.name} appointment on {self.day()} is cancelled"


@dataclass(frozen=True)
class AppointmentOffer(Message):
    """A coordinator offers times to choose from. `options` are already written in the
    patient's zone (like 'Tuesday 24 November 2026, 2:00 PM EST'); nothing is booked yet,
    so there is no invitation."""

    template: ClassVar[str] = "appointment_offer"
    max_options: ClassVar[int] = 3
    first_name: str
    options: list[str]
    pick_url: str
    expires_on: str

    def __post_init__(self) -> None:
        if not 1 <= len(self.options) <= self.max_options:
            raise ValueError(f"offer 1 to {self.max_options} times, not {len(self.options)}")

    def subject(self, clinic: ClinicContact) -> str:
        return f"Choose a time for your {clinic.name} appointment"


MESSAGES: dict[str, type[Message]] = {
    cls.template: cls
    for cls in (
        IntakeReminder,
        IntakeStarted,
        MagicLinkEmail,
        StaffAlert,
        AppointmentBooked,
        AppointmentReminder,
        AppointmentRescheduled,
        AppointmentCancelled,
        AppointmentOffer,
    )
}


def from_context(template: str, context: dict[str, Any]) -> Message:
    """The message an outbox row describes. Unknown or missing fields are a bug: raise."""
    cls = MESSAGES[template]
    expected = {f.name for f in fields(cls)}
    if set(context) != expected:
        raise ValueError(f"{template} needs exactly {sorted(expected)}, got {sorted(context)}")
    return cls(**context)


def render_message(
    message: Message, clinic: ClinicContact, *, stamp: datetime | None = None
) -> RenderedEmail:
    """The email for `message`. `stamp` dates any attachment (an invitation's DTSTAMP)."""
    return render(
        message.template,
        message.subject(clinic),
        message,
        clinic,
        derived=message.derived(),
        attachments=message.attachments(clinic, stamp=stamp),
    )
