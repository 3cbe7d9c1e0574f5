"""Queries and writes for dead letters and delivery counters, on PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from intake.db import utcnow
from intake.deadletters.models import (
    DeadLetter,
    DeadLetterStatus,
    FailureKind,
    TaskDelivery,
)


def _insert(session: Session, model: type[Any]) -> Any:
    """INSERT ... ON CONFLICT in the bound database's own dialect."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def count_delivery(
    session: Session, *, task_id: str, task_name: str, uncounted_before: int = 0
) -> int:
    """Add one start of `task_id` and answer how many there have been without an outcome.

    `uncounted_before`: starts known to have happened without a row (a broker that marks
    redeliveries lets the first start go uncounted).
    """
    now = utcnow()
    stmt = _insert(session, TaskDelivery).values(
        task_id=task_id,
        task_name=task_name,
        deliveries=1 + uncounted_before,
        first_delivered_at=now,
        last_delivered_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["task_id"],
        set_={
            "deliveries": TaskDelivery.deliveries + 1,
            "last_delivered_at": now,
        },
    ).returning(TaskDelivery.deliveries)
    return int(session.execute(stmt).scalar_one())


def forget_deliveries(session: Session, task_id: str) -> None:
    session.execute(delete(TaskDelivery).where(TaskDelivery.task_id == task_id))


@dataclass(frozen=True)
class Failure:
    """What the worker knows about a task that failed for good. No message text."""

    task_id: str
    task_name: str
    args: list[str] | None
    kind: FailureKind
    exception_type: str | None
    summary: str
    retries: int
    deliveries: int
    redelivered: bool


def upsert(session: Session, failure: Failure) -> None:
    """One row per task id: the first failure inserts it, a repeat only refreshes it."""
    now = utcnow()
    values = {
        "kind": failure.kind,
        "exception_type": failure.exception_type,
        "summary": failure.summary[:200],
        "retries": failure.retries,
        "deliveries": failure.deliveries,
        "redelivered": failure.redelivered,
        "last_failed_at": now,
    }
    stmt = _insert(session, DeadLetter).values(
        id=uuid.uuid4(),
        task_id=failure.task_id,
        task_name=failure.task_name,
        args=failure.args,
        status=DeadLetterStatus.DEAD,
        first_failed_at=now,
        **values,
    )
    session.execute(stmt.on_conflict_do_update(index_elements=["task_id"], set_=values))


def by_task_id(session: Session, task_id: str) -> DeadLetter | None:
    return session.scalar(select(DeadLetter).where(DeadLetter.task_id == task_id))


def get_for_update(session: Session, dead_letter_id: uuid.UUID) -> DeadLetter | None:
    stmt = select(DeadLetter).where(DeadLetter.id == dead_letter_id).with_for_update()
    return session.scalar(stmt)


def page(
    session: Session,
    *,
    status: DeadLetterStatus | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[DeadLetter]:
    """Newest failure first; `after` is the (last_failed_at, id) of the previous page's end."""
    stmt = select(DeadLetter)
    if status is not None:
        stmt = stmt.where(DeadLetter.status == status)
    if after is not None:
        stmt = stmt.where(tuple_(DeadLetter.last_failed_at, DeadLetter.id) < tuple_(*after))
    stmt = stmt.order_by(DeadLetter.last_failed_at.desc(), DeadLetter.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def deliveries_of(session: Session, task_id: str) -> int:
    """Starts of `task_id` counted so far (0 when it was never counted)."""
    stmt = select(TaskDelivery.deliveries).where(TaskDelivery.task_id == task_id)
    return session.scalar(stmt) or 0
