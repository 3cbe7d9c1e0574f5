"""Checklist results: one row per change of result, so the history can be read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UuidPk, utcnow


class ChecklistRecord(UuidPk, Base):
    __tablename__ = "checklist_results"
    __table_args__ = (UniqueConstraint("intake_id", "version"),)

    intake_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intakes.id"), index=True)
    version: Mapped[int]  # 1, 2, 3... per intake
    ruleset_version: Mapped[str] = mapped_column(String(32))
    # Each item: key, label, required, status, reason, document_ids.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    complete: Mapped[bool]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
