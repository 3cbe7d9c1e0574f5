"""Delivering outbox rows to a real SMTP server on loopback."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import update

from emails.messages import IntakeStarted
from emails.transport import DeliveryError, SmtpTransport
from intake import tasknames
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.notifications.models import OutboxEmail, OutboxStatus
from intake.notifications.service import Dispatcher, message_id_for, queue_email
from intake.sweep import sweep
from tests.conftest import SmtpSink
from tests.outbox_support import RecordingPublisher
from tests.support import free_port

MESSAGE = IntakeStarted(first_name="Ada", resume_url="https://portal.example/resume")


def _queue(key: str = "test:1", *, quiet_in: str | None = None) -> uuid.UUID:
    with UnitOfWork() as uow:
        row = queue_email(
            uow, key=key, to="ada@example.com", message=MESSAGE, quiet_hours_timezone=quiet_in
        )
        return row.id


def _row(email_id: uuid.UUID) -> OutboxEmail:
    with UnitOfWork() as uow:
        row = uow.session.get(OutboxEmail, email_id)
        assert row is not None
        return row


def _dispatch(settings: Settings, url: str, *, now: datetime | None = None) -> Dispatcher:
    dispatcher = Dispatcher(
        transport=SmtpTransport(url),
        settings=settings,
        uow_factory=UnitOfWork,
        clock=(lambda: now) if now else utcnow,
    )
    dispatcher.run()
    return dispatcher


def _make_due(email_id: uuid.UUID) -> None:
    with UnitOfWork() as uow:
        uow.session.execute(
            update(OutboxEmail).where(OutboxEmail.id == email_id).values(next_attempt_at=utcnow())
        )


def test_a_key_makes_one_row_and_one_dispatch_job(settings: Settings) -> None:
    with UnitOfWork() as uow:
        first = queue_email(uow, key="k", to="a@example.com", message=MESSAGE)
        second = queue_email(uow, key="k", to="a@example.com", message=MESSAGE)
        assert second.id == first.id
        # No id in the job: a dispatcher claims whatever is due.
        assert uow.jobs.pending == [(tasknames.DISPATCH_EMAIL, ())]


def test_dispatch_sends_once_with_a_message_id_from_the_key(
    settings: Settings, smtp: SmtpSink
) -> None:
    email_id = _queue("intake:abc:reminder:1")

    _dispatch(settings, smtp.url)
    _dispatch(settings, smtp.url)  # a redelivered task finds nothing due

    [message] = smtp.received()
    assert message["Message-ID"] == message_id_for("intake:abc:reminder:1", settings)
    assert message["To"] == "ada@example.com"
    assert "Hi Ada" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    row = _row(email_id)
    assert (row.status, row.attempts, row.sent_at is not None) == (OutboxStatus.SENT, 1, True)


def test_a_5xx_fails_at_once_and_says_why(settings: Settings, smtp: SmtpSink) -> None:
    smtp.rcpt_reply = "550 5.1.1 No such user"
    email_id = _queue()

    _dispatch(settings, smtp.url)

    row = _row(email_id)
    assert row.status == OutboxStatus.FAILED
    assert row.last_error is not None
    assert "550" in row.last_error
    assert smtp.received() == []


def test_a_dead_server_is_retried_later_with_backoff(settings: Settings, smtp: SmtpSink) -> None:
    email_id = _queue()
    before = utcnow()

    _dispatch(settings, f"smtp://127.0.0.1:{free_port()}")

    row = _row(email_id)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    base = settings.outbox_retry_base_seconds
    assert before + timedelta(seconds=base / 2) <= row.next_attempt_at
    assert "unavailable" in (row.last_error or "")
    # Not due yet: a dispatcher now does nothing.
    _dispatch(settings, smtp.url)
    assert smtp.received() == []
    # Once due, it goes out.
    _make_due(email_id)
    _dispatch(settings, smtp.url)
    assert len(smtp.received()) == 1
    assert _row(email_id).status == OutboxStatus.SENT


def test_backoff_grows_then_gives_up_at_the_bound(settings: Settings) -> None:
    settings = settings.model_copy(update={"outbox_max_attempts": 3})
    email_id = _queue()
    dead = f"smtp://127.0.0.1:{free_port()}"
    delays = []
    for _ in range(3):
        started = utcnow()
        _dispatch(settings, dead)
        row = _row(email_id)
        delays.append((row.next_attempt_at - started).total_seconds())
        if row.status == OutboxStatus.PENDING:
            _make_due(email_id)

    row = _row(email_id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
    base = settings.outbox_retry_base_seconds
    # Full jitter within [ceiling/2, ceiling]: the second wait is at least the first's floor x2.
    assert base / 2 <= delays[0] <= base + 1
    assert base <= delays[1] <= 2 * base + 1


@pytest.mark.parametrize("reply", ["451 4.3.0 Try later", "421 4.7.0 Too busy"])
def test_a_4xx_is_transient(settings: Settings, smtp: SmtpSink, reply: str) -> None:
    smtp.rcpt_reply = reply
    email_id = _queue()

    _dispatch(settings, smtp.url)

    assert _row(email_id).status == OutboxStatus.PENDING


def test_an_email_due_in_quiet_hours_is_held_to_the_morning(
    settings: Settings, smtp: SmtpSink
) -> None:
    email_id = _queue(quiet_in="Asia/Tokyo")  # UTC+9 all year
    tomorrow = utcnow().date() + timedelta(days=1)
    late_evening = datetime.combine(tomorrow, time(13, 30), tzinfo=UTC)  # 22:30 in Tokyo

    _dispatch(settings, smtp.url, now=late_evening)

    row = _row(email_id)
    assert smtp.received() == []
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    morning = datetime.combine(tomorrow, time(23, 0), tzinfo=UTC)  # 08:00 in Tokyo
    assert row.next_attempt_at == morning
    _dispatch(settings, smtp.url, now=row.next_attempt_at)
    assert len(smtp.received()) == 1


def test_the_sweep_releases_a_row_abandoned_mid_send_once(settings: Settings) -> None:
    email_id = _queue()
    publisher = RecordingPublisher()

    def abandon() -> None:  # a worker claimed it, then died
        with UnitOfWork() as uow:
            uow.session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id == email_id)
                .values(status=OutboxStatus.SENDING, updated_at=utcnow() - timedelta(minutes=10))
            )

    abandon()
    report = sweep(publisher.uow_factory())
    assert report.released == 1
    assert (tasknames.DISPATCH_EMAIL, ()) in publisher.published
    row = _row(email_id)
    assert (row.status, row.interruptions) == (OutboxStatus.PENDING, 1)

    # Interrupted again: it may have arrived twice already, so it is failed, not re-sent.
    abandon()
    assert sweep(publisher.uow_factory()).released == 0
    row = _row(email_id)
    assert (row.status, row.interruptions) == (OutboxStatus.FAILED, 2)
    assert "interrupted twice" in (row.last_error or "")


def test_the_sweep_leaves_a_fresh_send_alone(settings: Settings) -> None:
    email_id = _queue()
    with UnitOfWork() as uow:
        uow.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id)
            .values(status=OutboxStatus.SENDING)
        )

    report = sweep(RecordingPublisher().uow_factory())

    assert (report.released, report.emails) == (0, 0)
    assert _row(email_id).status == OutboxStatus.SENDING


def test_a_row_that_cannot_render_fails_instead_of_looping(
    settings: Settings, smtp: SmtpSink
) -> None:
    email_id = _queue()
    with UnitOfWork() as uow:
        uow.session.execute(
            update(OutboxEmail).where(OutboxEmail.id == email_id).values(context={"x": 1})
        )

    _dispatch(settings, smtp.url)

    row = _row(email_id)
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "cannot render: ValueError")
    assert smtp.received() == []


class _OutlivesItsLease:
    """While this send hangs, the lease runs out and another worker sends the row."""

    def __init__(self, email_id: uuid.UUID) -> None:
        self.email_id = email_id

    def send(self, message: EmailMessage) -> None:
        with UnitOfWork() as uow:
            uow.session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id == self.email_id)
                .values(status=OutboxStatus.SENT, attempts=2, sent_at=utcnow())
            )
        raise DeliveryError("SMTP unavailable: TimeoutError", permanent=False)


def test_a_send_that_outlived_its_lease_does_not_undo_the_next_attempt(
    settings: Settings,
) -> None:
    email_id = _queue()

    Dispatcher(
        transport=_OutlivesItsLease(email_id), settings=settings, uow_factory=UnitOfWork
    ).run()

    row = _row(email_id)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
