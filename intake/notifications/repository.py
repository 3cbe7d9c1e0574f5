"""Queries for the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake.notifications.models import OutboxEmail, OutboxStatus


def by_key(session: Session, key: str) -> OutboxEmail | None:
    return session.scalars(
        select(OutboxEmail).where(OutboxEmail.idempotency_key == key)
    ).one_or_none()


def claim(session: Session, email_id: uuid.UUID, now: datetime) -> bool:
    """Move one due pending row to `sending`. A conditional UPDATE, so only one caller wins."""
    result = session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            OutboxEmail.status == OutboxStatus.PENDING,
            OutboxEmail.next_attempt_at <= now,
        )
        .values(status=OutboxStatus.SENDING, attempts=OutboxEmail.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def due(session: Session, now: datetime, *, limit: int) -> list[uuid.UUID]:
    stmt = (
        select(OutboxEmail.id)
        .where(OutboxEmail.status == OutboxStatus.PENDING, OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def release_stuck(session: Session, *, older_than: datetime) -> int:
    """Rows left in `sending` by a worker that died: send them again (at most one duplicate)."""
    result = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == OutboxStatus.SENDING, OutboxEmail.updated_at < older_than)
        .values(status=OutboxStatus.PENDING)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def expire_sensitive(session: Session, *, created_before: datetime, redacted: str) -> int:
    """Give up on secret-bearing emails that were not sent in time, and blank them."""
    result = session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.sensitive.is_(True),
            OutboxEmail.status == OutboxStatus.PENDING,
            OutboxEmail.created_at < created_before,
        )
        .values(
            status=OutboxStatus.FAILED,
            body_text=redacted,
            body_html=redacted,
            last_error="expired before delivery",
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
