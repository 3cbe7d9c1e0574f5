"""Queue reads and claims: keyset pages in queue order, and claims that never collide.

Queue order is (priority, queued_at, id): emergencies, then urgent items, then the
rest, oldest first. The composite index on (queue, priority, queued_at, id) serves both
the pages and the claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, tuple_, update
from sqlalchemy.orm import Session, aliased, defer

from intake.checklist.models import ChecklistRecord
from intake.intakes.models import Intake
from intake.routing.models import DecisionKind, RoutingDecision
from intake.staff.models import StaffUser

Position = tuple[int, datetime, uuid.UUID]


class DecisionSummary(NamedTuple):
    """The columns of a routing decision that a queue item shows."""

    kind: DecisionKind
    route: str
    applied: bool


@dataclass(frozen=True)
class QueueFilter:
    claimed: str = "any"  # any | unclaimed | mine | a staff user id
    provisional: bool | None = None
    overdue: bool | None = None


def _in_queues(queues: Sequence[str]) -> ColumnElement[bool]:
    return Intake.queue.in_(queues) if len(queues) > 1 else Intake.queue == queues[0]


def _overdue(
    queues: Sequence[str], sla_hours: Mapping[str, float], now: datetime
) -> ColumnElement[bool]:
    terms = [
        and_(Intake.queue == queue, Intake.queued_at < now - timedelta(hours=sla_hours[queue]))
        for queue in queues
        if queue in sla_hours
    ]
    return or_(*terms) if terms else false()


def _filtered(
    stmt: Select[tuple[Intake]],
    queues: Sequence[str],
    filters: QueueFilter,
    *,
    me: uuid.UUID,
    sla_hours: Mapping[str, float],
    now: datetime,
) -> Select[tuple[Intake]]:
    stmt = stmt.where(_in_queues(queues))
    if filters.claimed == "unclaimed":
        stmt = stmt.where(Intake.claimed_by_id.is_(None))
    elif filters.claimed == "mine":
        stmt = stmt.where(Intake.claimed_by_id == me)
    elif filters.claimed != "any":
        stmt = stmt.where(Intake.claimed_by_id == uuid.UUID(filters.claimed))
    if filters.provisional is not None:
        stmt = stmt.where(Intake.provisional.is_(filters.provisional))
    if filters.overdue is not None:
        overdue = _overdue(queues, sla_hours, now)
        stmt = stmt.where(overdue if filters.overdue else ~overdue)
    return stmt


def page(
    session: Session,
    queues: Sequence[str],
    filters: QueueFilter,
    *,
    me: uuid.UUID,
    sla_hours: Mapping[str, float],
    now: datetime,
    after: Position | None,
    limit: int,
) -> list[Intake]:
    stmt = _filtered(select(Intake), queues, filters, me=me, sla_hours=sla_hours, now=now)
    # A queue item never shows the answers, and decoding every row's answers JSON was a
    # large part of a page's CPU (bench/api.py profile). Deferred, not gone: code that
    # reads them later in the same session gets them with one more query.
    stmt = stmt.options(defer(Intake.answers))
    if after is not None:
        stmt = stmt.where(tuple_(Intake.priority, Intake.queued_at, Intake.id) > tuple_(*after))
    stmt = stmt.order_by(Intake.priority, Intake.queued_at, Intake.id).limit(limit)
    return list(session.scalars(stmt))


def next_unclaimed(session: Session, queue: str) -> Intake | None:
    """The first unclaimed intake in queue order, locked; others skip it (PostgreSQL).

    SQLite ignores FOR UPDATE, but every transaction there starts with BEGIN IMMEDIATE,
    so one claim runs at a time.
    """
    stmt = (
        select(Intake)
        .where(Intake.queue == queue, Intake.claimed_by_id.is_(None))
        .order_by(Intake.priority, Intake.queued_at, Intake.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Intake)
    )
    return session.scalars(stmt).first()


def release_idle(session: Session, *, touched_before: datetime, limit: int) -> list[uuid.UUID]:
    """Release claims nobody has touched since `touched_before`; the ids released."""
    ids = list(
        session.scalars(
            select(Intake.id)
            .where(Intake.claim_touched_at < touched_before)
            .order_by(Intake.claim_touched_at, Intake.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        session.execute(
            update(Intake)
            .where(Intake.id.in_(ids))
            .values(claimed_by_id=None, claimed_at=None, claim_touched_at=None)
            .execution_options(synchronize_session=False)
        )
    return ids


def staff_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.execute(select(StaffUser.id, StaffUser.full_name).where(StaffUser.id.in_(ids)))
    return {row.id: row.full_name for row in rows}


def latest_checklists(
    session: Session, intake_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The items of each intake's newest checklist result, in one query for the page.

    Columns rather than records, and one statement rather than two: building a record
    per row cost more than the query (bench/api.py profile). The anti-join reads the
    unique (intake_id, version) index.
    """
    if not intake_ids:
        return {}
    newer = aliased(ChecklistRecord)
    stmt = select(ChecklistRecord.intake_id, ChecklistRecord.items).where(
        ChecklistRecord.intake_id.in_(intake_ids),
        ~exists().where(
            newer.intake_id == ChecklistRecord.intake_id, newer.version > ChecklistRecord.version
        ),
    )
    return {row.intake_id: row.items for row in session.execute(stmt)}


def decisions_of(
    session: Session, intake_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[DecisionSummary]]:
    """Every decision per intake, oldest first, in one query for the whole page.

    Only the columns a queue item shows: whole decisions carry JSON (the input snapshot,
    reasons) that each row had to decode for nothing.
    """
    found: dict[uuid.UUID, list[DecisionSummary]] = {i: [] for i in intake_ids}
    if not intake_ids:
        return found
    stmt = (
        select(
            RoutingDecision.intake_id,
            RoutingDecision.kind,
            RoutingDecision.route,
            RoutingDecision.applied,
        )
        .where(RoutingDecision.intake_id.in_(intake_ids))
        .order_by(RoutingDecision.created_at, RoutingDecision.id)
    )
    for intake_id, kind, route, applied in session.execute(stmt):
        found[intake_id].append(DecisionSummary(kind, route, applied))
    return found


def counts(session: Session, queues: Sequence[str]) -> dict[str, int]:
    rows = session.execute(
        select(Intake.queue, func.count()).where(Intake.queue.in_(queues)).group_by(Intake.queue)
    )
    found = dict.fromkeys(queues, 0)
    for queue, count in rows:
        if queue is not None:
            found[queue] = count
    return found
