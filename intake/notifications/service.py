"""Writing emails to the outbox, and delivering them from it."""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from emails.messages import ClinicContact, intake_reminder
from emails.render import RenderedEmail
from emails.transport import DeliveryError, Transport, build_message
from intake import tasknames
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake
from intake.notifications import repository
from intake.notifications.models import OutboxEmail, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 600


def clinic_contact(settings: Settings) -> ClinicContact:
    """The clinic as every email introduces it."""
    return ClinicContact(name=settings.clinic_name, phone=settings.clinic_phone)


def message_id_for(key: str, settings: Settings) -> str:
    """A Message-ID derived from the idempotency key: a re-send carries the same id."""
    domain = settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "intake.local"
    return f"<{uuid.uuid5(uuid.NAMESPACE_URL, key)}@{domain}>"


REDACTED = "[redacted after delivery]"


def queue_email(
    uow: UnitOfWork,
    *,
    key: str,
    template: str,
    to: str,
    email: RenderedEmail,
    sensitive: bool = False,
) -> OutboxEmail:
    """Write an outbox row in the caller's transaction, once per key.

    `sensitive` bodies (sign-in links) are blanked as soon as they are sent, fail, or
    outlive their use, so the database keeps no usable secret.
    """
    existing = repository.by_key(uow.session, key)
    if existing is not None:
        return existing
    row = OutboxEmail(
        idempotency_key=key,
        template=template,
        to_address=to,
        subject=email.subject,
        body_text=email.text,
        body_html=email.html,
        sensitive=sensitive,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.jobs.enqueue(tasknames.DISPATCH_EMAIL, str(row.id))
    return row


def queue_intake_reminder(
    uow: UnitOfWork, intake: Intake, *, number: int, settings: Settings
) -> OutboxEmail:
    email = intake_reminder(
        first_name=intake.patient.first_name,
        clinic=clinic_contact(settings),
        portal_url=f"{settings.public_base_url.rstrip('/')}/",
    )
    return queue_email(
        uow,
        key=f"intake:{intake.id}:reminder:{number}",
        template="intake_reminder",
        to=intake.patient.email,
        email=email,
    )


@dataclass(frozen=True)
class DispatchResult:
    status: OutboxStatus | None  # None: nothing to do (already sent, or not due)
    retry_in: float | None = None


def redact_if_sensitive(row: OutboxEmail) -> None:
    if row.sensitive:
        row.body_text = row.body_html = REDACTED


def _backoff(attempt: int) -> float:
    """Exponential with full jitter, capped, so retries from many rows spread out."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def dispatch(
    email_id: uuid.UUID,
    *,
    transport: Transport,
    settings: Settings,
    uow_factory: Callable[[], UnitOfWork],
) -> DispatchResult:
    """Deliver one outbox row: pending → sending → sent | failed (or pending again, later).

    The claim commits before the SMTP call, so two workers never send the same row at
    once. If this process dies after the SMTP server accepted the message but before
    `sent` commits, the sweep puts the row back to pending: at most one duplicate,
    which SMTP's lack of idempotency makes unavoidable (RFC 1047).
    """
    with uow_factory() as uow:
        if not repository.claim(uow.session, email_id, utcnow()):
            return DispatchResult(status=None)
    with uow_factory() as uow:
        row = uow.session.get(OutboxEmail, email_id)
        assert row is not None  # claimed just now; rows are never deleted
        message = build_message(
            sender=settings.mail_from,
            to=row.to_address,
            email=RenderedEmail(subject=row.subject, text=row.body_text, html=row.body_html),
            message_id=message_id_for(row.idempotency_key, settings),
        )
        attempt = row.attempts
    try:
        transport.send(message)
    except DeliveryError as exc:
        return _record_failure(email_id, exc, attempt, uow_factory)
    with uow_factory() as uow:
        row = uow.session.get(OutboxEmail, email_id)
        assert row is not None
        row.status = OutboxStatus.SENT
        row.sent_at = utcnow()
        row.last_error = None
        redact_if_sensitive(row)
    log.info("email %s sent (attempt %d)", email_id, attempt)
    return DispatchResult(status=OutboxStatus.SENT)


def _record_failure(
    email_id: uuid.UUID, exc: DeliveryError, attempt: int, uow_factory: Callable[[], UnitOfWork]
) -> DispatchResult:
    with uow_factory() as uow:
        row = uow.session.get(OutboxEmail, email_id)
        assert row is not None
        row.last_error = exc.reason[:500]
        if exc.permanent or attempt >= MAX_ATTEMPTS:
            row.status = OutboxStatus.FAILED
            redact_if_sensitive(row)
            log.warning("email %s failed for good: %s", email_id, exc.reason)
            return DispatchResult(status=OutboxStatus.FAILED)
        delay = _backoff(attempt)
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
    log.info("email %s will be retried in %.0fs: %s", email_id, delay, exc.reason)
    return DispatchResult(status=OutboxStatus.PENDING, retry_in=delay)
