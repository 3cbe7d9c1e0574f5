"""GET /api/v1/dead-letters and the admin's retry and resolve."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from intake.deadletters import service
from intake.deadletters.models import DeadLetterStatus
from intake.deadletters.schemas import DeadLetterOut, DeadLetterPage
from intake.deps import UowDep
from intake.staff.deps import StaffDep

router = APIRouter(prefix="/api/v1/dead-letters", tags=["dead letters"])


@router.get("")
def list_dead_letters(
    staff: StaffDep,
    uow: UowDep,
    status: DeadLetterStatus | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> DeadLetterPage:
    """Tasks that failed for good, newest failure first."""
    with uow:
        page = service.list_page(uow, staff=staff, status=status, cursor=cursor, limit=limit)
        return DeadLetterPage(
            dead_letters=[DeadLetterOut.model_validate(row) for row in page.dead_letters],
            next_cursor=page.next_cursor,
        )


@router.post("/{dead_letter_id}/retry")
def retry_dead_letter(dead_letter_id: uuid.UUID, staff: StaffDep, uow: UowDep) -> DeadLetterOut:
    """Send the task again with the same ids (after its cause is fixed)."""
    with uow:
        row = service.retry(uow, staff=staff, dead_letter_id=dead_letter_id)
        return DeadLetterOut.model_validate(row)


@router.post("/{dead_letter_id}/resolve")
def resolve_dead_letter(dead_letter_id: uuid.UUID, staff: StaffDep, uow: UowDep) -> DeadLetterOut:
    """Close it without a re-run."""
    with uow:
        row = service.resolve(uow, staff=staff, dead_letter_id=dead_letter_id)
        return DeadLetterOut.model_validate(row)
