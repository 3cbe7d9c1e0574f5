"""One dataclass per message. Each holds only what its email may show: no clinical details.

The outbox stores a message as its template name plus these fields (`context`), and
renders it when it is delivered; `from_context` is the way back.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from emails.render import ClinicContact, RenderedEmail, render

__all__ = [
    "MESSAGES",
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


MESSAGES: dict[str, type[Message]] = {
    cls.template: cls for cls in (IntakeReminder, IntakeStarted, MagicLinkEmail, StaffAlert)
}


def from_context(template: str, context: dict[str, Any]) -> Message:
    """The message an outbox row describes. Unknown or missing fields are a bug: raise."""
    cls = MESSAGES[template]
    expected = {f.name for f in fields(cls)}
    if set(context) != expected:
        raise ValueError(f"{template} needs exactly {sorted(expected)}, got {sorted(context)}")
    return cls(**context)


def render_message(message: Message, clinic: ClinicContact) -> RenderedEmail:
    return render(message.template, message.subject(clinic), message, clinic)
