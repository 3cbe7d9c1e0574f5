"""GET /api/v1/audit-events: the audit log, for admins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from intake.deps import UowDep
from intake.staff import audit_log
from intake.staff.deps import StaffDep

router = APIRouter(prefix="/api/v1", tags=["audit"])


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    at: datetime
    actor_type: str
    actor_id: str | None
    action: str
    object_type: str | None
    object_id: str | None


class AuditEventPage(BaseModel):
    events: list[AuditEventOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for older events")


def _page(page: audit_log.AuditPage) -> AuditEventPage:
    return AuditEventPage(
        events=[AuditEventOut.model_validate(e) for e in page.events],
        next_cursor=page.next_cursor,
    )


@router.get("/intakes/{intake_id}/audit")
def intake_audit_events(
    intake_id: uuid.UUID,
    staff: StaffDep,
    uow: UowDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=audit_log.MAX_PAGE)] = 50,
) -> AuditEventPage:
    """Everything the audit log holds about this intake's patient, newest first."""
    with uow:
        return _page(
            audit_log.query_intake(uow, intake_id, staff=staff, cursor=cursor, limit=limit)
        )


@router.get("/audit-events")
def audit_events(
    staff: StaffDep,
    uow: UowDep,
    patient_id: uuid.UUID | None = None,
    actor_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=audit_log.MAX_PAGE)] = 50,
) -> AuditEventPage:
    """Events about a patient's records, or by one actor; newest first."""
    with uow:
        page = audit_log.query(
            uow, staff=staff, patient_id=patient_id, actor_id=actor_id, cursor=cursor, limit=limit
        )
        return _page(page)
