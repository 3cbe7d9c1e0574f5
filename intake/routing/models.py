"""Routing decisions and the findings staff confirm from documents.

Both tables only grow: a new decision never overwrites an old one, and correcting a
finding adds a row that supersedes the last one for the same type and level.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UuidPk, str_enum, utcnow


class DecisionKind(enum.StrEnum):
    RULES = "rules"  # the rules engine decided
    OVERRIDE = "override"  # a coordinator or clinician chose the route, with a reason


class RoutingDecision(UuidPk, Base):
    __tablename__ = "routing_decisions"

    intake_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intakes.id"), index=True)
    kind: Mapped[DecisionKind] = mapped_column(str_enum(DecisionKind, 16))
    # The engine's outcome (intake/routing/rules.py Route) and the queue it put the intake in.
    route: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str] = mapped_column(String(32))
    ruleset_version: Mapped[str] = mapped_column(String(32))
    rule_ids: Mapped[list[str]] = mapped_column(JSON)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    missing: Mapped[list[str]] = mapped_column(JSON)
    provisional: Mapped[bool]
    provisional_route: Mapped[str | None] = mapped_column(String(32))
    recheck_on: Mapped[date | None]
    # Everything the rules read, as they read it: the decision can be replayed.
    input_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What set it off: "checklist_complete", "finding", "recheck", "override", ...
    trigger: Mapped[str] = mapped_column(String(32))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id"))
    # False when an earlier override held: the decision is kept and shown, the queue stays.
    applied: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConfirmedFinding(UuidPk, Base):
    """A finding as staff read it in a document; present=False rules a finding out."""

    __tablename__ = "confirmed_findings"

    intake_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intakes.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    level: Mapped[str | None] = mapped_column(String(8))
    present: Mapped[bool]
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    note: Mapped[str | None] = mapped_column(Text)
    entered_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
