"""Routing decisions and findings as the staff API shows and takes them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from intake.questionnaire.segments import Segment
from intake.questionnaire.v1 import Finding
from intake.routing.models import ConfirmedFinding, RoutingDecision

OverrideRoute = Literal["escalate_urgent", "regenerative", "surgical_revision", "clinician_triage"]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    route: str
    queue: str
    applied: bool = Field(description="False when an earlier override held the queue")
    rule_ids: list[str]
    reasons: list[str]
    missing: list[str]
    provisional: bool
    provisional_route: str | None
    recheck_on: date | None
    ruleset_version: str
    trigger: str
    decided_by_id: uuid.UUID | None
    input_snapshot: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, decision: RoutingDecision) -> DecisionOut:
        return cls.model_validate(decision)


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    route: OverrideRoute
    reason: Reason = Field(description="Why; kept with the decision and shown in the queue")


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Finding
    level: Segment | None = None
    present: bool = Field(default=True, description="False rules the finding out")
    document_id: uuid.UUID | None = Field(default=None, description="The document it is read from")
    note: Note | None = None


class FindingOut(BaseModel):
    id: uuid.UUID | None
    type: str
    level: str | None
    present: bool
    source: Literal["patient_reported", "staff_confirmed"]
    document_id: uuid.UUID | None = None
    entered_by_id: uuid.UUID | None = None
    note: str | None = None
    created_at: datetime | None = None

    @classmethod
    def confirmed(cls, row: ConfirmedFinding) -> FindingOut:
        return cls(
            id=row.id,
            type=row.type,
            level=row.level,
            present=row.present,
            source="staff_confirmed",
            document_id=row.document_id,
            entered_by_id=row.entered_by_id,
            note=row.note,
            created_at=row.created_at,
        )


class FindingAdded(BaseModel):
    finding: FindingOut
    decision: DecisionOut | None = Field(description="The routing it caused, if submitted")
