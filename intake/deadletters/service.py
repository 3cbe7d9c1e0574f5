"""Admins list dead letters, re-send one by name once its cause is fixed, or close it."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from intake import audit
from intake.audit import Actor
from intake.db import UnitOfWork, utcnow
from intake.deadletters import repository
from intake.deadletters.models import DeadLetter, DeadLetterStatus
from intake.errors import Conflict, InvalidInput, NotFound, problem
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, authorize

MAX_PAGE = 200


@dataclass(frozen=True)
class Page:
    dead_letters: list[DeadLetter]
    next_cursor: str | None


def _cursor(row: DeadLetter) -> str:
    raw = json.dumps([row.last_failed_at.isoformat(), str(row.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _position(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), uuid.UUID(row_id)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidInput(
            [problem(["query", "cursor"], "Not a cursor this API gave out")]
        ) from None


def list_page(
    uow: UnitOfWork,
    *,
    staff: StaffUser,
    status: DeadLetterStatus | None,
    cursor: str | None,
    limit: int,
) -> Page:
    authorize(uow, staff, Permission.MANAGE_DEAD_LETTERS)
    limit = max(1, min(limit, MAX_PAGE))
    after = _position(cursor) if cursor else None
    rows = repository.page(uow.session, status=status, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(dead_letters=rows, next_cursor=_cursor(rows[-1]) if more else None)


def _open(uow: UnitOfWork, dead_letter_id: uuid.UUID) -> DeadLetter:
    row = repository.get_for_update(uow.session, dead_letter_id)
    if row is None:
        raise NotFound("No such dead letter")
    if row.status != DeadLetterStatus.DEAD:
        raise Conflict(f"This dead letter is {row.status.value} already")
    return row


def retry(uow: UnitOfWork, *, staff: StaffUser, dead_letter_id: uuid.UUID) -> DeadLetter:
    """Send the task again, by name and with the same ids, once this transaction commits.

    The new message has a new task id; if it fails for good too, it is a new row.
    """
    authorize(uow, staff, Permission.MANAGE_DEAD_LETTERS)
    row = _open(uow, dead_letter_id)
    if row.args is None:
        raise Conflict("Its arguments were not ids and were not kept, so it cannot be re-sent")
    uow.jobs.enqueue(row.task_name, *row.args)
    row.status = DeadLetterStatus.RETRIED
    row.retried_at = utcnow()
    row.retried_by_id = staff.id
    audit.record(
        uow,
        actor=Actor.staff(staff.id),
        action="dead_letter.retry",
        object_type="dead_letter",
        object_id=row.id,
    )
    return row


def resolve(uow: UnitOfWork, *, staff: StaffUser, dead_letter_id: uuid.UUID) -> DeadLetter:
    """Close it without a re-run: the work is moot, or done another way."""
    authorize(uow, staff, Permission.MANAGE_DEAD_LETTERS)
    row = _open(uow, dead_letter_id)
    row.status = DeadLetterStatus.RESOLVED
    row.resolved_at = utcnow()
    row.resolved_by_id = staff.id
    audit.record(
        uow,
        actor=Actor.staff(staff.id),
        action="dead_letter.resolve",
        object_type="dead_letter",
        object_id=row.id,
    )
    return row
