"""The audit log for admins: by patient (everything touching their records) or by actor."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from intake import audit
from intake.audit import Actor, AuditEvent
from intake.db import UnitOfWork
from intake.documents.models import Document
from intake.errors import InvalidInput, NotFound, problem
from intake.intakes.models import Intake
from intake.notifications.models import OutboxEmail
from intake.routing.models import ConfirmedFinding
from intake.scheduling.models import Appointment, SlotOffer
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, authorize

MAX_PAGE = 200


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    next_cursor: str | None


def _ids(
    uow: UnitOfWork,
    column: InstrumentedAttribute[uuid.UUID],
    owner: InstrumentedAttribute[uuid.UUID] | InstrumentedAttribute[uuid.UUID | None],
    among: list[uuid.UUID],
) -> list[str]:
    if not among:
        return []
    return [str(i) for i in uow.session.scalars(select(column).where(owner.in_(among)))]


def _about_patient(uow: UnitOfWork, patient_id: uuid.UUID) -> ColumnElement[bool]:
    """Events whose object is the patient or one of their records.

    Audit rows name objects by type and id only (no PHI), so the patient's records are
    looked up first; a patient has a handful of them.
    """
    intake_ids = list(uow.session.scalars(select(Intake.id).where(Intake.patient_id == patient_id)))
    objects = {
        "patient": [str(patient_id)],
        "intake": [str(i) for i in intake_ids],
        "document": _ids(uow, Document.id, Document.intake_id, intake_ids),
        "finding": _ids(uow, ConfirmedFinding.id, ConfirmedFinding.intake_id, intake_ids),
        "outbox": _ids(uow, OutboxEmail.id, OutboxEmail.intake_id, intake_ids),
        "appointment": _ids(uow, Appointment.id, Appointment.intake_id, intake_ids),
        "offer": _ids(uow, SlotOffer.id, SlotOffer.intake_id, intake_ids),
    }
    terms = [
        and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(ids))
        for kind, ids in objects.items()
        if ids
    ]
    return or_(*terms) if terms else false()


def _cursor(event: AuditEvent) -> str:
    raw = json.dumps([event.at.isoformat(), str(event.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _position(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, event_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), uuid.UUID(event_id)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidInput(
            [problem(["query", "cursor"], "Not a cursor this API gave out")]
        ) from None


def query_intake(
    uow: UnitOfWork, intake_id: uuid.UUID, *, staff: StaffUser, cursor: str | None, limit: int
) -> AuditPage:
    """The audit trail of the patient an intake belongs to (DESIGN.md's per-intake path)."""
    authorize(uow, staff, Permission.READ_AUDIT_LOG)
    patient_id = uow.session.scalar(select(Intake.patient_id).where(Intake.id == intake_id))
    if patient_id is None:
        raise NotFound("No such intake")
    return query(uow, staff=staff, patient_id=patient_id, actor_id=None, cursor=cursor, limit=limit)


def query(
    uow: UnitOfWork,
    *,
    staff: StaffUser,
    patient_id: uuid.UUID | None,
    actor_id: str | None,
    cursor: str | None,
    limit: int,
) -> AuditPage:
    """Newest first, keyset-paginated; reading the log is itself audited."""
    authorize(uow, staff, Permission.READ_AUDIT_LOG)
    if patient_id is None and actor_id is None:
        raise InvalidInput(
            [problem(["query"], "Give patient_id or actor_id (or both) to search the log")]
        )
    stmt = select(AuditEvent)
    if patient_id is not None:
        stmt = stmt.where(_about_patient(uow, patient_id))
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if cursor:
        stmt = stmt.where(tuple_(AuditEvent.at, AuditEvent.id) < tuple_(*_position(cursor)))
    limit = max(1, min(limit, MAX_PAGE))
    events = list(
        uow.session.scalars(
            stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit + 1)
        )
    )
    audit.record(
        uow,
        actor=Actor.staff(staff.id),
        action="audit.read",
        object_type="patient" if patient_id else "staff",
        object_id=patient_id or actor_id,
    )
    more = len(events) > limit
    events = events[:limit]
    return AuditPage(events=events, next_cursor=_cursor(events[-1]) if more else None)
