"""Queue endpoints: summaries, keyset pages, claim, release and reassignment."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from intake.deps import SettingsDep, UowDep
from intake.openapi_errors import errors
from intake.queues import service
from intake.queues.repository import QueueFilter
from intake.queues.schemas import QueueItem, QueuePage, QueueSummary
from intake.staff.deps import StaffDep

router = APIRouter(prefix="/api/v1", tags=["queues"])


@router.get("/queues")
def queue_summary(staff: StaffDep, uow: UowDep, settings: SettingsDep) -> list[QueueSummary]:
    """Every queue with its item count and SLA."""
    with uow:
        return service.summary(uow, staff=staff, settings=settings)


@router.get("/queues/{queue}")
def queue_items(
    queue: str,
    staff: StaffDep,
    uow: UowDep,
    settings: SettingsDep,
    claimed: Annotated[str, Query(description="any, unclaimed, mine, or a staff id")] = "any",
    provisional: bool | None = None,
    overdue: bool | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> QueuePage:
    """One queue (or `all`), urgent first, then oldest first; keyset-paginated."""
    filters = QueueFilter(claimed=claimed, provisional=provisional, overdue=overdue)
    with uow:
        return service.list_items(
            uow, queue, staff=staff, settings=settings, filters=filters, cursor=cursor, limit=limit
        )


@router.post(
    "/queues/{queue}/claim",
    response_model=QueueItem,
    responses={204: {"description": "Nothing left to claim"}},
)
def claim_next(
    queue: str, staff: StaffDep, uow: UowDep, settings: SettingsDep
) -> QueueItem | Response:
    """Take the next unclaimed item; two callers never get the same one."""
    with uow:
        item = service.claim_next(uow, queue, staff=staff, settings=settings)
    return item if item is not None else Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/intakes/{intake_id}/release", responses=errors(409))
def release_claim(
    intake_id: uuid.UUID, staff: StaffDep, uow: UowDep, settings: SettingsDep
) -> QueueItem:
    """Give the item back to its queue."""
    with uow:
        return service.release(uow, intake_id, staff=staff, settings=settings)


class Assignment(BaseModel):
    staff_id: uuid.UUID


@router.post("/intakes/{intake_id}/assign")
def assign_claim(
    intake_id: uuid.UUID, body: Assignment, staff: StaffDep, uow: UowDep, settings: SettingsDep
) -> QueueItem:
    """Hand the item to a colleague."""
    with uow:
        return service.assign(
            uow, intake_id, staff=staff, assignee_id=body.staff_id, settings=settings
        )
