"""Queries for checklist results."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.checklist.models import ChecklistRecord


def latest(session: Session, intake_id: uuid.UUID) -> ChecklistRecord | None:
    stmt = (
        select(ChecklistRecord)
        .where(ChecklistRecord.intake_id == intake_id)
        .order_by(ChecklistRecord.version.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()
