"""Working the queues: reading them, claiming the next item, releasing and reassigning.

Every function checks the caller's permission first and audits what it did; listing
a queue is a read of patient data (names) and is audited too.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from intake import audit
from intake.audit import SYSTEM, Actor
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.errors import Conflict, InvalidInput, NotFound, problem
from intake.intakes import repository as intakes
from intake.intakes.models import Intake
from intake.queues import placement, repository
from intake.queues.repository import DecisionSummary, Position, QueueFilter
from intake.queues.schemas import ChecklistProgress, ClaimHolder, QueueItem, QueuePage, QueueSummary
from intake.routing.models import DecisionKind
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, allows, authorize

ALL = "all"
MAX_PAGE = 100


def _queues(queue: str) -> list[str]:
    if queue == ALL:
        return list(placement.QUEUES)
    if queue not in placement.QUEUES:
        raise NotFound(f"No queue named {queue!r}; the queues are {', '.join(placement.QUEUES)}")
    return [queue]


def encode_cursor(position: Position) -> str:
    priority, queued_at, intake_id = position
    raw = json.dumps([priority, queued_at.isoformat(), str(intake_id)])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> Position:
    try:
        priority, queued_at, intake_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return int(priority), datetime.fromisoformat(queued_at), uuid.UUID(intake_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise InvalidInput(
            [problem(["query", "cursor"], "Not a cursor this API gave out")]
        ) from None


def summary(uow: UnitOfWork, *, staff: StaffUser, settings: Settings) -> list[QueueSummary]:
    """How many items each queue holds (no patient data)."""
    authorize(uow, staff, Permission.READ_PATIENT_DATA)
    counts = repository.counts(uow.session, placement.QUEUES)
    return [
        QueueSummary(queue=q, items=counts[q], sla_hours=settings.queue_sla_hours.get(q))
        for q in placement.QUEUES
    ]


def list_items(
    uow: UnitOfWork,
    queue: str,
    *,
    staff: StaffUser,
    settings: Settings,
    filters: QueueFilter,
    cursor: str | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> QueuePage:
    authorize(uow, staff, Permission.READ_PATIENT_DATA)
    now = now or utcnow()
    queues = _queues(queue)
    if filters.claimed not in ("any", "unclaimed", "mine"):
        try:
            uuid.UUID(filters.claimed)
        except ValueError:
            raise InvalidInput(
                [problem(["query", "claimed"], "Use any, unclaimed, mine or a staff id")]
            ) from None
    limit = max(1, min(limit, MAX_PAGE))
    rows = repository.page(
        uow.session,
        queues,
        filters,
        me=staff.id,
        sla_hours=settings.queue_sla_hours,
        now=now,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    audit.record(
        uow, actor=Actor.staff(staff.id), action="queue.read", object_type="queue", object_id=queue
    )
    items = describe(uow, rows, settings=settings, now=now)
    last = rows[-1] if more else None
    next_cursor = None
    if last is not None and last.queued_at is not None:
        next_cursor = encode_cursor((last.priority, last.queued_at, last.id))
    return QueuePage(items=items, next_cursor=next_cursor)


def _progress(items: list[dict[str, Any]] | None) -> ChecklistProgress | None:
    if items is None:
        return None
    required = [item for item in items if item.get("required")]
    done = sum(1 for item in required if item.get("status") == "satisfied")
    return ChecklistProgress(satisfied=done, required=len(required))


def _routes(decisions: list[DecisionSummary]) -> tuple[DecisionSummary | None, str | None]:
    applied = [d for d in decisions if d.applied]
    rules = [d for d in decisions if d.kind == DecisionKind.RULES]
    return (applied[-1] if applied else None), (rules[-1].route if rules else None)


def describe(
    uow: UnitOfWork, rows: list[Intake], *, settings: Settings, now: datetime
) -> list[QueueItem]:
    """Queue items for `rows`, with a fixed number of queries whatever the page size."""
    ids = [row.id for row in rows]
    checklists = repository.latest_checklists(uow.session, ids)
    decisions = repository.decisions_of(uow.session, ids)
    names = repository.staff_names(uow.session, {r.claimed_by_id for r in rows if r.claimed_by_id})
    items = []
    for row in rows:
        queued_at = row.queued_at or row.updated_at
        sla = settings.queue_sla_hours.get(row.queue or "")
        due = queued_at + timedelta(hours=sla) if sla is not None else None
        current, rules_route = _routes(decisions[row.id])
        holder = None
        if row.claimed_by_id is not None and row.claimed_at is not None:
            holder = ClaimHolder(
                id=row.claimed_by_id, name=names.get(row.claimed_by_id, "?"), since=row.claimed_at
            )
        items.append(
            QueueItem(
                intake_id=row.id,
                queue=row.queue or "",
                status=row.status.value,
                patient_name=f"{row.patient.first_name} {row.patient.last_name}",
                red_flag_tier=row.red_flag_tier,
                queued_at=queued_at,
                age_hours=round((now - queued_at).total_seconds() / 3600, 2),
                hours_since_patient_activity=round(
                    (now - row.last_patient_activity_at).total_seconds() / 3600, 2
                ),
                overdue=due is not None and now > due,
                sla_due_at=due,
                provisional=row.provisional,
                route=current.route if current else None,
                routed_by=current.kind.value if current else None,
                rules_route=rules_route,
                recheck_on=row.recheck_on,
                claimed_by=holder,
                checklist=_progress(checklists.get(row.id)),
            )
        )
    return items


def claim_next(
    uow: UnitOfWork, queue: str, *, staff: StaffUser, settings: Settings
) -> QueueItem | None:
    """Hand the caller the next unclaimed item in `queue`, or None when there is none."""
    authorize(uow, staff, Permission.WORK_QUEUE)
    if queue not in placement.QUEUES:  # one queue at a time: "all" is for reading
        raise NotFound(f"No queue named {queue!r} to claim from")
    now = utcnow()
    intake = repository.next_unclaimed(uow.session, queue)
    if intake is None:
        return None
    _hand_to(intake, staff.id, now)
    audit.record(
        uow,
        actor=Actor.staff(staff.id),
        action="queue.claim",
        object_type="intake",
        object_id=intake.id,
    )
    uow.session.flush()
    return describe(uow, [intake], settings=settings, now=now)[0]


def _hand_to(intake: Intake, staff_id: uuid.UUID, now: datetime) -> None:
    intake.claimed_by_id = staff_id
    intake.claimed_at = now
    intake.claim_touched_at = now


def _queued_intake(uow: UnitOfWork, intake_id: uuid.UUID) -> Intake:
    intake = intakes.get(uow.session, intake_id, for_update=True)
    if intake is None or intake.queue is None:
        raise NotFound("No such intake in a queue")
    return intake


def release(
    uow: UnitOfWork, intake_id: uuid.UUID, *, staff: StaffUser, settings: Settings
) -> QueueItem:
    """Give the item back to its queue: the holder may; taking it from someone needs ASSIGN."""
    if not allows(staff, Permission.ASSIGN):
        authorize(uow, staff, Permission.WORK_QUEUE)
    intake = _queued_intake(uow, intake_id)
    if intake.claimed_by_id is None:
        raise Conflict("This intake is not claimed")
    if intake.claimed_by_id != staff.id:
        authorize(uow, staff, Permission.ASSIGN)
    placement.release(intake)
    audit.record(
        uow,
        actor=Actor.staff(staff.id),
        action="queue.release",
        object_type="intake",
        object_id=intake.id,
    )
    uow.session.flush()
    return describe(uow, [intake], settings=settings, now=utcnow())[0]


def assign(
    uow: UnitOfWork,
    intake_id: uuid.UUID,
    *,
    staff: StaffUser,
    assignee_id: uuid.UUID,
    settings: Settings,
) -> QueueItem:
    """Hand the item to a colleague who works queues (or take it from whoever holds it)."""
    authorize(uow, staff, Permission.ASSIGN)
    assignee = uow.session.get(StaffUser, assignee_id)
    if assignee is None or not allows(assignee, Permission.WORK_QUEUE):
        raise InvalidInput(
            [problem(["body", "staff_id"], "Not an active coordinator or clinician")]
        )
    intake = _queued_intake(uow, intake_id)
    now = utcnow()
    _hand_to(intake, assignee.id, now)
    audit.record(
        uow,
        actor=Actor.staff(staff.id),
        action="queue.assign",
        object_type="intake",
        object_id=intake.id,
    )
    uow.session.flush()
    return describe(uow, [intake], settings=settings, now=now)[0]


def release_idle_claims(uow: UnitOfWork, *, settings: Settings, now: datetime) -> int:
    """The sweep's part: claims untouched for CLAIM_IDLE_MINUTES go back to their queue."""
    cutoff = now - timedelta(minutes=settings.claim_idle_minutes)
    released = repository.release_idle(uow.session, touched_before=cutoff, limit=500)
    for intake_id in released:
        audit.record(
            uow,
            actor=SYSTEM,
            action="queue.claim_expired",
            object_type="intake",
            object_id=intake_id,
        )
    return len(released)
