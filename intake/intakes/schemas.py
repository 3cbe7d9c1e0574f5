"""The API's view of intakes."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from intake import questionnaire
from intake.db import utcnow
from intake.intakes.models import Intake, IntakeStatus


class PatientIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: EmailStr
    date_of_birth: date
    timezone: str = Field(description="IANA timezone, e.g. Europe/London")
    phone: str | None = Field(default=None, max_length=40)

    @field_validator("timezone")
    @classmethod
    def _iana_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA timezone such as Europe/London") from exc
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _plausible_birth_date(cls, value: date) -> date:
        if value > utcnow().date():
            raise ValueError("cannot be in the future")
        if value.year < 1900:
            raise ValueError("must be after 1900")
        return value


class IntakeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patient: PatientIn
    answers: dict[str, Any] = Field(
        default_factory=dict, description="Optional first answers, saved as a draft"
    )


class IntakePatch(BaseModel):
    """Draft answers, merged section by section into what is already saved."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Any]


class RedFlagsOut(BaseModel):
    tier: Literal["emergency", "urgent"] | None = Field(
        description="The highest tier the answers have reached; it never goes down"
    )
    triggers: list[str] = Field(description="Red-flag questions currently answered yes")
    unanswered: list[str] = Field(description="Red-flag questions still to answer")
    instruction: str | None = Field(description="What the patient must do now, if anything")


class OdiOut(BaseModel):
    percent: float
    band: str
    answered: int


class NdiOut(BaseModel):
    raw: float
    band: str
    answered: int


class ScoresOut(BaseModel):
    odi: OdiOut | None
    ndi: NdiOut | None
    leg_dominant: bool | None


class IntakeOut(BaseModel):
    id: uuid.UUID
    status: IntakeStatus
    questionnaire_version: str
    created_at: datetime
    submitted_at: datetime | None
    answers: dict[str, Any]
    red_flags: RedFlagsOut
    scores: ScoresOut
    checklist_missing: list[str] | None
    queue: str | None

    @classmethod
    def of(cls, intake: Intake) -> IntakeOut:
        version = questionnaire.get_version(intake.questionnaire_version)
        flags = version.red_flags(intake.answers)
        scores = version.scores(intake.answers)
        return cls(
            id=intake.id,
            status=intake.status,
            questionnaire_version=intake.questionnaire_version,
            created_at=intake.created_at,
            submitted_at=intake.submitted_at,
            answers=intake.answers,
            red_flags=RedFlagsOut(
                tier=intake.red_flag_tier,
                triggers=list(flags.triggers),
                unanswered=list(flags.unanswered),
                instruction=questionnaire.instruction_for(intake.red_flag_tier),
            ),
            scores=ScoresOut(
                odi=OdiOut(**asdict(scores.odi)) if scores.odi else None,
                ndi=NdiOut(**asdict(scores.ndi)) if scores.ndi else None,
                leg_dominant=scores.leg_dominant,
            ),
            checklist_missing=intake.checklist_missing,
            queue=intake.queue,
        )


class IntakeCreated(IntakeOut):
    access_token: str = Field(description="Bearer token for this intake; shown only once")
    token_type: str = "bearer"
