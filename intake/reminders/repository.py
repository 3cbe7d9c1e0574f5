"""The reminder sweep's queries: a few set-based statements per batch, never one per intake."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, Table, bindparam, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from intake.intakes.models import Intake, IntakeStatus, Patient
from intake.notifications.models import OutboxEmail
from intake.queues.placement import NORMAL_PRIORITY


class DueReminder(NamedTuple):
    """One due intake, with what its reminder needs of the patient."""

    intake_id: uuid.UUID
    round: int
    steps_done: int
    anchor: datetime | None
    due_at: datetime
    queue: str | None
    patient_id: uuid.UUID
    first_name: str
    email: str
    timezone: str
    opted_out_at: datetime | None


def due(
    session: Session,
    now: datetime,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[DueReminder]:
    """Intakes with a reminder due, oldest first, by keyset on (next_reminder_at, id).

    FOR UPDATE SKIP LOCKED (PostgreSQL) hands each due intake to one sweep only; the
    keyset cursor stops a sweep from meeting rows it skipped again.
    """
    stmt = (
        select(
            Intake.id,
            Intake.reminder_round,
            Intake.reminder_step,
            Intake.reminder_anchor_at,
            Intake.next_reminder_at,
            Intake.queue,
            Patient.id,
            Patient.first_name,
            Patient.email,
            Patient.timezone,
            Patient.reminders_opted_out_at,
        )
        .join(Patient, Intake.patient_id == Patient.id)
        .where(
            Intake.status == IntakeStatus.AWAITING_INFORMATION,
            Intake.next_reminder_at <= now,
        )
    )
    if after is not None:
        at, last_id = after
        stmt = stmt.where(
            (Intake.next_reminder_at > at)
            | ((Intake.next_reminder_at == at) & (Intake.id > last_id))
        )
    stmt = (
        stmt.order_by(Intake.next_reminder_at, Intake.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Intake)
    )
    # next_reminder_at is never NULL here: the WHERE clause compares it.
    return [DueReminder._make(row) for row in session.execute(stmt)]


def insert_emails(session: Session, rows: list[dict[str, Any]]) -> None:
    """One executemany INSERT; a row whose idempotency key exists already is skipped."""
    if not rows:
        return
    table = OutboxEmail.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"]),  # type: ignore[arg-type]
        rows,
    )


_intakes = cast(Table, Intake.__table__)
# One parameter set per intake: `intake_id`, then the four columns it sets. A Core
# statement, so an executemany skips the ORM's bulk-update bookkeeping; `updated_at` is
# still set by its column's `onupdate`, as the ORM's UPDATE set it.
_ADVANCE = (
    update(_intakes)
    .where(_intakes.c.id == bindparam("intake_id"))
    .values(
        reminder_step=bindparam("reminder_step"),
        next_reminder_at=bindparam("next_reminder_at"),
        stale_at=bindparam("stale_at"),
        queue=bindparam("queue"),
        # As placement.place does it, in SQL (the right side reads the old row): an
        # intake that changes queue (into `stale`) starts its age there, unclaimed.
        queued_at=case(
            (_intakes.c.queue == bindparam("queue"), _intakes.c.queued_at),
            else_=bindparam("moved_at"),
        ),
        priority=case(
            (_intakes.c.queue == bindparam("queue"), _intakes.c.priority), else_=NORMAL_PRIORITY
        ),
        claimed_by_id=case(
            (_intakes.c.queue == bindparam("queue"), _intakes.c.claimed_by_id), else_=None
        ),
        claimed_at=case(
            (_intakes.c.queue == bindparam("queue"), _intakes.c.claimed_at), else_=None
        ),
        claim_touched_at=case(
            (_intakes.c.queue == bindparam("queue"), _intakes.c.claim_touched_at), else_=None
        ),
    )
)


def advance(session: Session, changes: list[dict[str, Any]]) -> None:
    """Move each intake to its next step (one executemany by primary key)."""
    if not changes:
        return
    matched = cast(CursorResult[Any], session.execute(_ADVANCE, changes)).rowcount
    if matched != len(changes):  # as the ORM's bulk update by primary key checked
        raise StaleDataError(
            f"UPDATE of intakes expected to match {len(changes)} row(s); {matched} did"
        )


def intakes_of(session: Session, patient_id: uuid.UUID) -> list[uuid.UUID]:
    return list(session.scalars(select(Intake.id).where(Intake.patient_id == patient_id)))
