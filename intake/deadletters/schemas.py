"""The dead-letter API's shapes: ids, names and counts, never exception text."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from intake.deadletters.models import DeadLetterStatus, FailureKind


class DeadLetterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    task_id: str
    task_name: str
    args: list[str] | None = Field(description="Ids only; null when they could not be kept")
    kind: FailureKind
    exception_type: str | None
    summary: str
    retries: int
    deliveries: int
    redelivered: bool
    first_failed_at: datetime
    last_failed_at: datetime
    status: DeadLetterStatus
    retried_at: datetime | None
    retried_by_id: uuid.UUID | None
    resolved_at: datetime | None
    resolved_by_id: uuid.UUID | None


class DeadLetterPage(BaseModel):
    dead_letters: list[DeadLetterOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for older failures")
