"""Routing decisions: append-only, each with the rules that fired and why."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UuidPk, utcnow


class RoutingDecision(UuidPk, Base):
    __tablename__ = "routing_decisions"

    intake_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intakes.id"), index=True)
    queue: Mapped[str] = mapped_column(String(32))
    ruleset_version: Mapped[str] = mapped_column(String(32))
    rule_ids: Mapped[list[str]] = mapped_column(JSON)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    provisional: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
