"""The API's view of documents."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from intake.documents.models import DocumentKind, ReviewStatus


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: DocumentKind
    media_type: str = Field(description="What the bytes were found to be")
    sha256: str = Field(description="SHA-256 of the file as uploaded")
    size_bytes: int
    original_filename: str | None
    created_at: datetime
    report_date: date | None
    modality: str | None
    study_date: date | None
    body_part: str | None
    studies: list[dict[str, Any]] = Field(description="DICOM studies found, newest facts first")
    ignored_members: list[str] = Field(description="Archive members that are not DICOM")
    review_reasons: list[str] = Field(description="Why staff should look at it")
    review_status: ReviewStatus
    review_note: str | None


class DocumentReview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["reviewed", "rejected", "wrong_patient"]
    note: str | None = Field(default=None, max_length=500, description="Required to reject")
