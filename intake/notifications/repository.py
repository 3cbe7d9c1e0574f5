"""Queries for the outbox. Every state change of a row goes through here."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from intake.notifications.models import EmailCategory, OutboxEmail, OutboxStatus

# What a secret-bearing context is replaced with once it is no longer needed.
REDACTED: dict[str, str] = {"redacted": "after delivery"}


def by_key(session: Session, key: str) -> OutboxEmail | None:
    return session.scalars(
        select(OutboxEmail).where(OutboxEmail.idempotency_key == key)
    ).one_or_none()


def _due(now: datetime) -> Select[uuid.UUID]:
    return (
        select(OutboxEmail.id)
        .where(OutboxEmail.status == OutboxStatus.PENDING, OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
    )


def claim_due(session: Session, now: datetime, *, limit: int) -> list[uuid.UUID]:
    """Move up to `limit` due rows to `sending` and return their ids, oldest first.

    On PostgreSQL, FOR UPDATE SKIP LOCKED lets concurrent dispatchers each take
    different rows without waiting; SQLite renders no FOR UPDATE, and its write lock
    (BEGIN IMMEDIATE) makes the whole claim one dispatcher's at a time instead.
    """
    ids = list(session.scalars(_due(now).limit(limit).with_for_update(skip_locked=True)))
    if ids:
        session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(ids))
            .values(status=OutboxStatus.SENDING, attempts=OutboxEmail.attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


def unclaim(session: Session, email_ids: list[uuid.UUID]) -> int:
    """Give back claimed rows that were never tried; the attempt did not happen."""
    result = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(email_ids), OutboxEmail.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING, attempts=OutboxEmail.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def count_due(session: Session, now: datetime) -> int:
    stmt = select(func.count()).select_from(_due(now).order_by(None).subquery())
    return int(session.scalar(stmt) or 0)


def _redact_if_sensitive(row: OutboxEmail) -> None:
    if row.sensitive:
        row.context = dict(REDACTED)


def mark_sent(row: OutboxEmail, *, at: datetime) -> None:
    row.status = OutboxStatus.SENT
    row.sent_at = at
    row.last_error = None
    _redact_if_sensitive(row)


def mark_failed(row: OutboxEmail, *, reason: str) -> None:
    row.status = OutboxStatus.FAILED
    row.last_error = reason[:500]
    _redact_if_sensitive(row)


def retry_later(row: OutboxEmail, *, at: datetime, reason: str) -> None:
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = at
    row.last_error = reason[:500]


def hold(row: OutboxEmail, *, until: datetime) -> None:
    """Quiet hours: back to pending until `until`; this claim was not an attempt."""
    row.status = OutboxStatus.PENDING
    row.attempts -= 1
    row.next_attempt_at = until


def release_stuck(session: Session, *, older_than: datetime) -> tuple[int, int]:
    """Rows left in `sending` by a worker that died. Returns (released, given up).

    The first interruption sends the row again: at most one duplicate, if the server
    had accepted it. A second one fails the row for a coordinator to see, so no
    message ever goes out a third time.
    """
    stuck = (OutboxEmail.status == OutboxStatus.SENDING) & (OutboxEmail.updated_at < older_than)
    given_up = session.execute(
        update(OutboxEmail)
        .where(stuck, OutboxEmail.interruptions >= 1)
        .values(
            status=OutboxStatus.FAILED,
            interruptions=OutboxEmail.interruptions + 1,
            last_error="delivery interrupted twice; it may have arrived once",
        )
        .execution_options(synchronize_session=False)
    )
    released = session.execute(
        update(OutboxEmail)
        .where(stuck, OutboxEmail.interruptions == 0)
        .values(
            status=OutboxStatus.PENDING,
            interruptions=OutboxEmail.interruptions + 1,
            last_error="delivery interrupted; sending again",
        )
        .execution_options(synchronize_session=False)
    )
    return int(released.rowcount), int(given_up.rowcount)  # type: ignore[attr-defined]


def expire_sensitive(session: Session, *, created_before: datetime) -> int:
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
            context=dict(REDACTED),
            last_error="expired before delivery",
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def cancel_pending(
    session: Session,
    intake_ids: list[uuid.UUID],
    *,
    category: EmailCategory,
    why: str,
    now: datetime,
) -> int:
    result = session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.intake_id.in_(intake_ids),
            OutboxEmail.category == category,
            OutboxEmail.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED, last_error=why[:500], updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def for_intake(session: Session, intake_id: uuid.UUID) -> list[OutboxEmail]:
    stmt = (
        select(OutboxEmail)
        .where(OutboxEmail.intake_id == intake_id)
        .order_by(OutboxEmail.created_at, OutboxEmail.id)
    )
    return list(session.scalars(stmt))


def with_status(
    session: Session,
    status: OutboxStatus,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[OutboxEmail]:
    """Rows in one status, newest change first, by keyset on (updated_at, id)."""
    stmt = select(OutboxEmail).where(OutboxEmail.status == status)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(
            (OutboxEmail.updated_at < at)
            | ((OutboxEmail.updated_at == at) & (OutboxEmail.id < last_id))
        )
    stmt = stmt.order_by(OutboxEmail.updated_at.desc(), OutboxEmail.id.desc()).limit(limit)
    return list(session.scalars(stmt))
