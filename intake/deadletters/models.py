"""Dead letters, and the delivery counter that catches a task which kills its worker."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UuidPk, str_enum, utcnow


class DeadLetterStatus(enum.StrEnum):
    DEAD = "dead"  # waiting for an admin
    RETRIED = "retried"  # re-sent by an admin; a new failure is a new row
    RESOLVED = "resolved"  # an admin decided it needs no re-run


class FailureKind(enum.StrEnum):
    ERROR = "error"  # an exception no retry can fix (a bug, bad data)
    RETRIES_EXHAUSTED = "retries_exhausted"  # transient trouble that outlasted the retries
    POISON = "poison"  # delivered again and again, and never finished (it kills its worker)
    TIME_LIMIT = "time_limit"  # killed by the hard time limit
    WORKER_LOST = "worker_lost"  # the worker process died and the message was not requeued


class DeadLetter(UuidPk, Base):
    __tablename__ = "dead_letters"
    __table_args__ = (
        # The admin list: one status, newest first.
        Index("ix_dead_letters_status_last_failed_at_id", "status", "last_failed_at", "id"),
    )

    # One row per Celery task id: the signal may fire twice for one failure (in the
    # pool child and in the worker), and the second only updates the row.
    task_id: Mapped[str] = mapped_column(String(64), unique=True)
    task_name: Mapped[str] = mapped_column(String(128))
    # The task's positional arguments: ids only. None when something that is not an id
    # was passed; such a row cannot be re-sent.
    args: Mapped[list[str] | None] = mapped_column(JSON)
    kind: Mapped[FailureKind] = mapped_column(str_enum(FailureKind, 32))
    # The exception's class name only. Its message may quote data, so it is never kept.
    exception_type: Mapped[str | None] = mapped_column(String(128))
    summary: Mapped[str] = mapped_column(String(200))
    retries: Mapped[int] = mapped_column(default=0)
    deliveries: Mapped[int] = mapped_column(default=0)
    # Whether the broker flagged the last delivery as a redelivery (Redis does).
    redelivered: Mapped[bool] = mapped_column(default=False)
    first_failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[DeadLetterStatus] = mapped_column(
        str_enum(DeadLetterStatus, 16), default=DeadLetterStatus.DEAD
    )
    retried_at: Mapped[datetime | None]
    retried_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id"))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id"))


class TaskDelivery(Base):
    """Starts of one task id that have not reached an outcome yet.

    A row is written and committed before the task body runs, and removed when the body
    returns, raises or asks for a retry. So its count is the number of consecutive
    deliveries whose worker died mid-task: a message that kills its worker every time
    (acks_late + reject_on_worker_lost requeue it forever) is caught by this count.
    """

    __tablename__ = "task_deliveries"

    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    task_name: Mapped[str] = mapped_column(String(128))
    deliveries: Mapped[int] = mapped_column(default=0)
    first_delivered_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_delivered_at: Mapped[datetime] = mapped_column(default=utcnow)
