"""Queries the case view needs beyond the other packages' own: activity and staff names."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from intake.audit import AuditEvent
from intake.documents.models import Document
from intake.routing.models import ConfirmedFinding
from intake.staff.models import StaffUser

# An intake's activity is bounded on the page; the admins' audit log has all of it.
ACTIVITY_LIMIT = 200


def _document_ids(session: Session, intake_id: uuid.UUID) -> list[str]:
    stmt = select(Document.id).where(Document.intake_id == intake_id)
    return [str(value) for value in session.scalars(stmt)]


def _finding_ids(session: Session, intake_id: uuid.UUID) -> list[str]:
    stmt = select(ConfirmedFinding.id).where(ConfirmedFinding.intake_id == intake_id)
    return [str(value) for value in session.scalars(stmt)]


def activity(session: Session, intake_id: uuid.UUID, *, limit: int) -> list[AuditEvent]:
    """Audit events about the intake, its documents or its findings, newest first.

    Audit rows name their object by type and id only (no PHI), so the intake's own
    documents and findings are looked up first; an intake has a handful of each.
    """
    objects = {
        "intake": [str(intake_id)],
        "document": _document_ids(session, intake_id),
        "finding": _finding_ids(session, intake_id),
    }
    about = or_(
        *(
            and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(ids))
            for kind, ids in objects.items()
            if ids
        )
    )
    stmt = (
        select(AuditEvent)
        .where(about)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def staff_names(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(StaffUser.id, StaffUser.full_name).where(StaffUser.id.in_(wanted))
    )
    return {row.id: row.full_name for row in rows}
