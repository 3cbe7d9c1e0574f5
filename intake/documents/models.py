"""Uploaded documents: stored under generated names, identified by their SHA-256."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UuidPk, str_enum, utcnow


class DocumentKind(enum.StrEnum):
    PREOP_IMAGING = "preop_imaging"
    POSTOP_IMAGING = "postop_imaging"
    CURRENT_MRI = "current_mri"
    OPERATIVE_NOTE = "operative_note"
    CONSERVATIVE_CARE_RECORD = "conservative_care_record"
    OTHER = "other"


class ReviewStatus(enum.StrEnum):
    PENDING = "pending"  # no one on staff has looked yet
    REVIEWED = "reviewed"
    REJECTED = "rejected"
    WRONG_PATIENT = "wrong_patient"


class Document(UuidPk, Base):
    __tablename__ = "documents"
    # The same bytes uploaded twice to one intake are one document.
    __table_args__ = (UniqueConstraint("intake_id", "sha256"),)

    intake_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intakes.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind, 32))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(64))
    # A generated path relative to the storage root; never derived from user input.
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    original_filename: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The date the patient gives for a report that is a PDF or a photo.
    report_date: Mapped[date | None]
    # Facts read from DICOM headers: those of the primary (newest) study, for the
    # checklist, and every study of an archive in `studies`.
    modality: Mapped[str | None] = mapped_column(String(16))
    study_date: Mapped[date | None]
    body_part: Mapped[str | None] = mapped_column(String(16))
    studies: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ignored_members: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Why a human must look (wrong-patient suspicion, unknown body part...), PHI-free.
    review_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    review_status: Mapped[ReviewStatus] = mapped_column(
        str_enum(ReviewStatus, 16), default=ReviewStatus.PENDING
    )
    review_note: Mapped[str | None] = mapped_column(String(500))
    reviewed_by: Mapped[uuid.UUID | None]
    reviewed_at: Mapped[datetime | None]
