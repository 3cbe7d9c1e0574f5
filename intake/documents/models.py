"""Uploaded documents: stored under generated names, identified by their SHA-256."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UuidPk, str_enum, utcnow


class DocumentKind(enum.StrEnum):
    PREOP_IMAGING = "preop_imaging"
    POSTOP_IMAGING = "postop_imaging"
    CURRENT_MRI = "current_mri"
    OPERATIVE_NOTE = "operative_note"
    CONSERVATIVE_CARE_RECORD = "conservative_care_record"
    OTHER = "other"


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
