"""Helpers for tests that look into the outbox: render a row, record what gets published."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from emails.messages import from_context, render_message
from emails.render import RenderedEmail
from emails.transport import Transport
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.notifications.models import OutboxEmail
from intake.notifications.service import Dispatcher, DispatchReport, clinic_contact


def rendered(row: OutboxEmail, settings: Settings) -> RenderedEmail:
    """The email as the dispatcher would render it now."""
    return render_message(from_context(row.template, row.context), clinic_contact(settings))


def everything_in(row: OutboxEmail, settings: Settings) -> str:
    """Subject, both bodies and the extra headers: all a mailbox would see."""
    email = rendered(row, settings)
    return "\n".join([email.subject, email.text, email.html, *row.headers.values()])


@dataclass
class RecordingPublisher:
    published: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def publish(self, task_name: str, args: tuple[str, ...]) -> None:
        self.published.append((task_name, args))

    def uow_factory(self) -> Callable[[], UnitOfWork]:
        return lambda: UnitOfWork(publisher=self)


def dispatch_due(
    settings: Settings, transport: Transport, *, now: datetime | None = None
) -> DispatchReport:
    """A dispatcher run, at `now` if given (a frozen clock)."""
    clock = (lambda: now) if now is not None else utcnow
    return Dispatcher(
        transport=transport, settings=settings, uow_factory=UnitOfWork, clock=clock
    ).run()
