"""GET /api/v1/intakes/{id}/checklist, for the intake's patient and for staff."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from intake import audit
from intake.checklist import service
from intake.db import UnitOfWork
from intake.deps import PatientTokenDep, SettingsDep, UowDep
from intake.errors import NotFound, Unauthorized
from intake.intakes import repository as intakes
from intake.intakes.models import Intake, IntakeStatus
from intake.intakes.service import authorize_patient
from intake.staff.permissions import Permission, authorize
from intake.staff.service import authenticate

router = APIRouter(prefix="/api/v1/intakes", tags=["checklist"])


class ChecklistItemOut(BaseModel):
    key: str
    label: str = Field(description="For the patient")
    required: bool
    status: Literal["satisfied", "missing", "stale", "needs_review"]
    reason: str = Field(description="For a coordinator: why this status")
    document_ids: list[str]


class ChecklistOut(BaseModel):
    status: IntakeStatus
    version: int | None = Field(description="Increases each time the result changes")
    ruleset_version: str | None
    complete: bool | None
    items: list[ChecklistItemOut]
    missing: list[str] | None = Field(description="Keys of required items not satisfied")
    checked_at: datetime | None


def _viewer_intake(
    uow: UnitOfWork, token: str | None, intake_id: uuid.UUID, settings: SettingsDep
) -> Intake:
    """The intake for its own patient, or for any signed-in staff member (audited)."""
    try:
        return authorize_patient(uow, token=token, intake_id=intake_id)
    except Unauthorized:
        staff = authenticate(uow, token=token, settings=settings)
    authorize(uow, staff, Permission.READ_PATIENT_DATA)
    intake = intakes.get(uow.session, intake_id)
    if intake is None:
        raise NotFound("Intake not found")
    audit.record(
        uow,
        actor=audit.Actor.staff(staff.id),
        action="checklist.read",
        object_type="intake",
        object_id=intake.id,
    )
    return intake


@router.get("/{intake_id}/checklist")
def get_checklist(
    intake_id: uuid.UUID, uow: UowDep, token: PatientTokenDep, settings: SettingsDep
) -> ChecklistOut:
    """Each required item: satisfied, missing, stale or needs review, with the reason."""
    with uow:
        intake = _viewer_intake(uow, token, intake_id, settings)
        record = service.latest_result(uow, intake)
        return ChecklistOut(
            status=intake.status,
            version=record.version if record else None,
            ruleset_version=record.ruleset_version if record else None,
            complete=record.complete if record else None,
            items=[ChecklistItemOut(**item) for item in record.items] if record else [],
            missing=intake.checklist_missing,
            checked_at=intake.checklist_checked_at,
        )
