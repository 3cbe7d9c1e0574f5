"""What a coordinator sees of a queue item: the API answers with it, the console renders it."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class ClaimHolder(BaseModel):
    id: uuid.UUID
    name: str
    since: datetime


class ChecklistProgress(BaseModel):
    satisfied: int
    required: int


class QueueItem(BaseModel):
    intake_id: uuid.UUID
    queue: str
    status: str
    patient_name: str
    red_flag_tier: str | None
    queued_at: datetime
    age_hours: float = Field(description="Hours in this queue")
    hours_since_patient_activity: float
    overdue: bool = Field(description="Older than the queue's SLA (QUEUE_SLA_HOURS)")
    sla_due_at: datetime | None
    provisional: bool = Field(description="The route rests only on patient-reported findings")
    route: str | None = Field(description="The route the queue follows now")
    routed_by: str | None = Field(description="rules or override")
    rules_route: str | None = Field(description="What the rules said last, override or not")
    recheck_on: date | None
    claimed_by: ClaimHolder | None
    checklist: ChecklistProgress | None


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class QueueSummary(BaseModel):
    queue: str
    items: int
    sla_hours: float | None
