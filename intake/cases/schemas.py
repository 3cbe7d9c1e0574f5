"""The case view: everything a clinician needs about one intake, in one document.

The staff API returns it as JSON, the console renders it, and the consult packet is
built from it, so all three always agree on what the case holds.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from intake.routing.schemas import DecisionOut, FindingOut


class PatientView(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    date_of_birth: date
    timezone: str
    email: str
    phone: str | None
    reminders_opted_out_at: datetime | None


class ClaimView(BaseModel):
    staff_id: uuid.UUID
    name: str
    since: datetime


class ScoresView(BaseModel):
    odi_version: str | None
    odi_percent: float | None = Field(description="Unrounded: sum / (5 x answered) x 100")
    odi_band: str | None
    odi_answered: int | None
    ndi_raw: float | None = Field(description="Out of 50; a missing item counts as the mean")
    ndi_band: str | None
    ndi_answered: int | None
    nrs_back_or_neck: int | None
    nrs_leg_or_arm: int | None
    leg_dominant: bool | None


class SurgeryView(BaseModel):
    number: int = Field(description="1-based, in the order the patient listed them")
    surgery_date: str | None = Field(description="YYYY-MM or YYYY-MM-DD")
    procedure_type: str | None
    region: str | None
    levels: list[str]
    instrumented_levels: list[str]
    complications: list[str]
    outcome_pattern: str | None
    pain_free_months: int | None
    surgeon: str | None
    facility: str | None


class SymptomView(BaseModel):
    symptom: str
    onset: str | None
    onset_months_after_surgery: int | None


class CareEpisodeView(BaseModel):
    type: str | None
    start_date: str | None
    end_date: str | None
    sessions: int | None
    response: str | None


class MedicationView(BaseModel):
    name: str | None
    drug_class: str | None
    opioid: bool | None
    current: bool | None


class ChecklistItemView(BaseModel):
    key: str
    label: str
    required: bool
    status: str
    reason: str


class ChecklistView(BaseModel):
    version: int
    ruleset_version: str
    complete: bool
    computed_at: datetime
    items: list[ChecklistItemView]

    @property
    def progress(self) -> tuple[int, int]:
        """(satisfied, required) over the required items."""
        required = [item for item in self.items if item.required]
        return sum(1 for item in required if item.status == "satisfied"), len(required)


class DicomStudyView(BaseModel):
    modality: str | None
    body_part: str | None
    study_date: date | None
    description: str | None
    series_count: int
    instance_count: int


class DocumentView(BaseModel):
    id: uuid.UUID
    kind: str
    media_type: str
    original_filename: str | None
    size_bytes: int
    uploaded_at: datetime
    report_date: date | None
    # The primary (newest) study's facts, which the checklist judges the document by.
    modality: str | None
    body_part: str | None
    study_date: date | None
    studies: list[DicomStudyView]
    review_status: str
    review_note: str | None
    review_reasons: list[str]
    reviewed_at: datetime | None


class DecisionView(DecisionOut):
    decided_by_name: str | None = Field(description="Who overrode; None for the rules")


class EmailView(BaseModel):
    id: uuid.UUID
    template: str
    category: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    reason: str | None = Field(description="Why it failed, was cancelled, or is being retried")


class ActivityView(BaseModel):
    at: datetime
    action: str
    actor_type: str
    actor_id: str | None
    actor_name: str | None = Field(description="The staff member's name, when staff acted")
    object_type: str | None
    object_id: str | None


class CaseView(BaseModel):
    intake_id: uuid.UUID
    status: str
    questionnaire_version: str
    created_at: datetime
    submitted_at: datetime | None
    last_patient_activity_at: datetime
    queue: str | None
    queued_at: datetime | None
    sla_due_at: datetime | None = Field(description="When the queue's SLA runs out")
    overdue: bool
    provisional: bool
    recheck_on: date | None
    red_flag_tier: str | None
    red_flag_triggers: list[str] = Field(description="Red-flag questions answered yes")
    claimed_by: ClaimView | None
    patient: PatientView
    answers: dict[str, Any] = Field(description="The answers as given, by section")
    scores: ScoresView
    symptoms: list[SymptomView]
    surgeries: list[SurgeryView] = Field(description="Oldest first")
    conservative_care: list[CareEpisodeView]
    medications: list[MedicationView]
    checklist: ChecklistView | None = Field(description="The latest result; None before one")
    documents: list[DocumentView]
    current_decision: DecisionView | None = Field(description="The decision the queue follows")
    routing: list[DecisionView] = Field(description="Rules and overrides, newest first")
    findings: list[FindingOut] = Field(description="Patient-reported, then staff-confirmed")
    emails: list[EmailView] = Field(description="Oldest first")
    activity: list[ActivityView] = Field(description="Audit events about the case, newest first")
