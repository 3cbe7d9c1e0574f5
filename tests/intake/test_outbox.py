"""Delivering outbox rows to a real SMTP server on loopback."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from emails.render import RenderedEmail
from emails.transport import SmtpTransport
from intake import tasknames
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.notifications.models import OutboxEmail, OutboxStatus
from intake.notifications.service import dispatch, message_id_for, queue_email
from intake.sweep import sweep
from tests.conftest import SmtpSink
from tests.support import free_port

EMAIL = RenderedEmail(subject="Hello", text="Hi Ada", html="<p>Hi Ada</p>")


def _queue(key: str = "test:1") -> uuid.UUID:
    with UnitOfWork() as uow:
        row = queue_email(uow, key=key, template="t", to="ada@example.com", email=EMAIL)
        return row.id


def _row(email_id: uuid.UUID) -> OutboxEmail:
    with UnitOfWork() as uow:
        row = uow.session.get(OutboxEmail, email_id)
        assert row is not None
        return row


def _dispatch(email_id: uuid.UUID, settings: Settings, url: str) -> OutboxStatus | None:
    return dispatch(
        email_id, transport=SmtpTransport(url), settings=settings, uow_factory=UnitOfWork
    ).status


def test_a_key_makes_one_row_and_one_dispatch_job(settings: Settings) -> None:
    with UnitOfWork() as uow:
        first = queue_email(uow, key="k", template="t", to="a@example.com", email=EMAIL)
        second = queue_email(uow, key="k", template="t", to="a@example.com", email=EMAIL)
        assert second.id == first.id
        assert uow.jobs.pending == [(tasknames.DISPATCH_EMAIL, (str(first.id),))]


def test_dispatch_sends_once_with_a_message_id_from_the_key(
    settings: Settings, smtp: SmtpSink
) -> None:
    email_id = _queue("intake:abc:reminder:1")

    assert _dispatch(email_id, settings, smtp.url) == OutboxStatus.SENT
    assert _dispatch(email_id, settings, smtp.url) is None  # a redelivered task

    [message] = smtp.received()
    assert message["Message-ID"] == message_id_for("intake:abc:reminder:1", settings)
    assert message["To"] == "ada@example.com"
    row = _row(email_id)
    assert (row.status, row.attempts, row.sent_at is not None) == (OutboxStatus.SENT, 1, True)


def test_a_5xx_fails_at_once_and_says_why(settings: Settings, smtp: SmtpSink) -> None:
    smtp.rcpt_reply = "550 5.1.1 No such user"
    email_id = _queue()

    assert _dispatch(email_id, settings, smtp.url) == OutboxStatus.FAILED

    row = _row(email_id)
    assert row.status == OutboxStatus.FAILED
    assert row.last_error is not None
    assert "550" in row.last_error
    assert smtp.received() == []


def test_a_dead_server_is_retried_later_with_backoff(settings: Settings, smtp: SmtpSink) -> None:
    email_id = _queue()
    before = utcnow()

    assert _dispatch(email_id, settings, f"smtp://127.0.0.1:{free_port()}") == OutboxStatus.PENDING

    row = _row(email_id)
    assert row.attempts == 1
    assert row.next_attempt_at > before + timedelta(seconds=10)
    assert "unavailable" in (row.last_error or "")
    # Not due yet: a second delivery attempt now does nothing.
    assert _dispatch(email_id, settings, smtp.url) is None
    # Once due, it goes out.
    with UnitOfWork() as uow:
        uow.session.execute(
            update(OutboxEmail).where(OutboxEmail.id == email_id).values(next_attempt_at=utcnow())
        )
    assert _dispatch(email_id, settings, smtp.url) == OutboxStatus.SENT
    assert len(smtp.received()) == 1


@pytest.mark.parametrize("reply", ["451 4.3.0 Try later"])
def test_a_4xx_is_transient(settings: Settings, smtp: SmtpSink, reply: str) -> None:
    smtp.rcpt_reply = reply
    email_id = _queue()

    assert _dispatch(email_id, settings, smtp.url) == OutboxStatus.PENDING


def test_the_sweep_releases_a_row_abandoned_mid_send(settings: Settings) -> None:
    email_id = _queue()
    with UnitOfWork() as uow:  # a worker claimed it, then died
        uow.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id)
            .values(status=OutboxStatus.SENDING, updated_at=utcnow() - timedelta(minutes=10))
        )

    with UnitOfWork() as uow:
        report = sweep(uow)
        assert (tasknames.DISPATCH_EMAIL, (str(email_id),)) in uow.jobs.pending

    assert report.released == 1
    assert _row(email_id).status == OutboxStatus.PENDING


def test_the_sweep_leaves_a_fresh_send_alone(settings: Settings) -> None:
    email_id = _queue()
    with UnitOfWork() as uow:
        uow.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id)
            .values(status=OutboxStatus.SENDING)
        )

    with UnitOfWork() as uow:
        report = sweep(uow)

    assert (report.released, report.emails) == (0, 0)
    assert _row(email_id).status == OutboxStatus.SENDING
