"""Writing emails to the outbox, and delivering them from it.

A row is written in the transaction of the change that causes it, under a unique
idempotency key. The dispatcher claims due rows, renders each, and moves it
pending → sending → sent | failed; transient failures go back to pending with a later
`next_attempt_at`, which the sweep finds. Nothing waits in the broker.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from jinja2 import TemplateError

from emails.messages import ClinicContact, Message, from_context, render_message
from emails.transport import DeliveryError, Transport, build_message
from intake import tasknames
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.notifications import repository
from intake.notifications.models import EmailCategory, OutboxEmail, OutboxStatus
from intake.notifications.quiet_hours import QuietHours

log = logging.getLogger(__name__)

# Rows claimed per dispatcher transaction.
DISPATCH_BATCH = 20
# A dispatcher run starts no new batch after this long, well inside the task's soft
# time limit (intake/taskqueue.py), so a limit never strands claimed rows mid-batch.
RUN_BUDGET = timedelta(seconds=60)


def clinic_contact(settings: Settings) -> ClinicContact:
    """The clinic as every email introduces it."""
    return ClinicContact(
        name=settings.clinic_name,
        phone=settings.clinic_phone,
        email=parseaddr(settings.mail_from)[1],  # the calendar invite's organizer
    )


def quiet_hours(settings: Settings) -> QuietHours:
    return QuietHours(start=settings.quiet_hours_start, end=settings.quiet_hours_end)


def message_id_for(key: str, settings: Settings) -> str:
    """A Message-ID derived from the idempotency key: a re-send carries the same id."""
    domain = settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "intake.local"
    return f"<{uuid.uuid5(uuid.NAMESPACE_URL, key)}@{domain}>"


def queue_email(
    uow: UnitOfWork,
    *,
    key: str,
    to: str,
    message: Message,
    intake_id: uuid.UUID | None = None,
    category: EmailCategory = EmailCategory.TRANSACTIONAL,
    headers: dict[str, str] | None = None,
    quiet_hours_timezone: str | None = None,
    sensitive: bool = False,
) -> OutboxEmail:
    """Write an outbox row in the caller's transaction, once per key.

    `sensitive` contexts (sign-in links) are blanked as soon as they are sent, fail, or
    outlive their use, so the database keeps no usable secret.
    """
    existing = repository.by_key(uow.session, key)
    if existing is not None:
        return existing
    row = OutboxEmail(
        idempotency_key=key,
        template=message.template,
        context=message.context(),
        headers=headers or {},
        to_address=to,
        category=category,
        intake_id=intake_id,
        quiet_hours_timezone=quiet_hours_timezone,
        sensitive=sensitive,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.jobs.enqueue(tasknames.DISPATCH_EMAIL)
    return row


def cancel_reminders(uow: UnitOfWork, intake_ids: list[uuid.UUID], *, why: str) -> int:
    """Stop reminders that have not gone yet (a row already `sending` cannot be stopped)."""
    return repository.cancel_pending(
        uow.session, intake_ids, category=EmailCategory.REMINDER, why=why, now=utcnow()
    )


@dataclass(frozen=True)
class DispatchReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    held: int = 0  # quiet hours
    returned: int = 0  # claimed but not tried before the lease ran short

    @property
    def claimed(self) -> int:
        return self.sent + self.failed + self.retrying + self.held + self.returned


class Dispatcher:
    """Delivers due outbox rows. One instance per task run."""

    def __init__(
        self,
        *,
        transport: Transport,
        settings: Settings,
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._transport = transport
        self._settings = settings
        self._uow = uow_factory
        self._clock = clock
        self._quiet = quiet_hours(settings)
        self._run_deadline = clock() + RUN_BUDGET
        self._counts = {"sent": 0, "failed": 0, "retrying": 0, "held": 0, "returned": 0}

    def run(self, *, max_batches: int = 50) -> DispatchReport:
        """Claim and deliver batches until nothing is due, or the run's budget is spent."""
        self._run_deadline = self._clock() + RUN_BUDGET
        for _ in range(max_batches):
            if self._clock() >= self._run_deadline or not self._one_batch():
                break
        return DispatchReport(**self._counts)

    def _one_batch(self) -> bool:
        started = self._clock()
        with self._uow() as uow:
            # SKIP LOCKED on PostgreSQL; on SQLite the claim's write transaction
            # (BEGIN IMMEDIATE) serialises dispatchers, so each row has one owner.
            claimed = repository.claim_due(uow.session, started, limit=DISPATCH_BATCH)
        # A row's lease started at the claim: stop trying rows well before it runs out,
        # or the sweep would hand a row we are about to send to another worker.
        lease = timedelta(seconds=self._settings.outbox_sending_lease_seconds)
        deadline = min(started + lease / 2, self._run_deadline)
        for position, email_id in enumerate(claimed):
            if self._clock() >= deadline:
                self._return(claimed[position:])
                break
            self._deliver(email_id)
        return len(claimed) == DISPATCH_BATCH

    def _return(self, email_ids: list[uuid.UUID]) -> None:
        with self._uow() as uow:
            self._counts["returned"] += repository.unclaim(uow.session, email_ids)

    def _deliver(self, email_id: uuid.UUID) -> None:
        with self._uow() as uow:
            row = uow.session.get(OutboxEmail, email_id)
            assert row is not None  # claimed just now; rows are never deleted
            now = self._clock()
            if row.quiet_hours_timezone:
                held_to = self._quiet.next_allowed(now, ZoneInfo(row.quiet_hours_timezone))
                if held_to > now:
                    repository.hold(row, until=held_to)
                    self._counts["held"] += 1
                    return
            try:
                email = render_message(
                    from_context(row.template, row.context), clinic_contact(self._settings)
                )
            except (KeyError, ValueError, TypeError, TemplateError) as exc:
                # A row that cannot render never will: fail it rather than loop on it.
                repository.mark_failed(row, reason=f"cannot render: {type(exc).__name__}")
                self._counts["failed"] += 1
                log.error("email %s cannot be rendered: %s", email_id, type(exc).__name__)
                return
            message = build_message(
                sender=self._settings.mail_from,
                to=row.to_address,
                email=email,
                message_id=message_id_for(row.idempotency_key, self._settings),
                headers=row.headers,
            )
            attempt = row.attempts
        # The claim (and this attempt) committed before the SMTP call. If the process
        # dies after the server accepted the message but before `sent` commits, the
        # sweep re-sends it once: SMTP has no idempotency (RFC 1047).
        try:
            self._transport.send(message)
        except DeliveryError as exc:
            self._record_failure(email_id, exc, attempt)
            return
        with self._uow() as uow:
            row = self._still_ours(uow, email_id, attempt)
            if row is None:
                return
            repository.mark_sent(row, at=self._clock())
        self._counts["sent"] += 1
        log.info("email %s sent (attempt %d)", email_id, attempt)

    def _still_ours(self, uow: UnitOfWork, email_id: uuid.UUID, attempt: int) -> OutboxEmail | None:
        """The row, locked, if this attempt still holds it. A send that outlived its lease
        has been handed on by the sweep; recording its outcome now would undo the next
        attempt's (a `sent` row put back to pending, and sent again)."""
        row = uow.session.get(OutboxEmail, email_id, with_for_update=True)
        if row is None or row.status != OutboxStatus.SENDING or row.attempts != attempt:
            log.warning(
                "email %s: attempt %d outlived its lease; outcome dropped", email_id, attempt
            )
            return None
        return row

    def _record_failure(self, email_id: uuid.UUID, exc: DeliveryError, attempt: int) -> None:
        with self._uow() as uow:
            row = self._still_ours(uow, email_id, attempt)
            if row is None:
                return
            if exc.permanent or attempt >= self._settings.outbox_max_attempts:
                repository.mark_failed(row, reason=exc.reason)
                self._counts["failed"] += 1
                log.warning("email %s failed for good: %s", email_id, exc.reason)
                return
            retry_at = self._clock() + timedelta(seconds=self._backoff(attempt))
            if row.quiet_hours_timezone:
                retry_at = self._quiet.next_allowed(retry_at, ZoneInfo(row.quiet_hours_timezone))
            repository.retry_later(row, at=retry_at, reason=exc.reason)
        self._counts["retrying"] += 1
        log.info("email %s will be retried at %s: %s", email_id, retry_at, exc.reason)

    def _backoff(self, attempt: int) -> float:
        """Exponential with jitter, capped, so retries from many rows spread out."""
        base = self._settings.outbox_retry_base_seconds
        ceiling = min(self._settings.outbox_retry_cap_seconds, base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)
