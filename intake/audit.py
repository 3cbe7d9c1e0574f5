"""Append-only audit events: who did what to which record, and when (ASVS 16.2.1).

Rows hold ids and action names only, never PHI. The database refuses UPDATE and
DELETE on the table (triggers created by the migration), so history cannot be edited
through the application's connection.
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UnitOfWork, UuidPk, str_enum, utcnow

# "intake.read", "fhir.questionnaire_response.read", "staff.login_failed" ...
_ACTION = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
# Ids and type names only: no spaces or "@", so a name or an email address cannot slip in.
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class ActorType(enum.StrEnum):
    STAFF = "staff"
    PATIENT = "patient"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who acted: a staff user or patient by id, or the system itself."""

    type: ActorType
    id: str | None = None

    @classmethod
    def staff(cls, user_id: uuid.UUID | None) -> Actor:
        """A staff user; None when a failed login names no known account."""
        return cls(ActorType.STAFF, str(user_id) if user_id else None)

    @classmethod
    def patient(cls, patient_id: uuid.UUID) -> Actor:
        return cls(ActorType.PATIENT, str(patient_id))


SYSTEM = Actor(ActorType.SYSTEM)


class AuditEvent(UuidPk, Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        # "Everything that happened to this record", e.g. GET /intakes/{id}/audit.
        Index("ix_audit_events_object_type_object_id", "object_type", "object_id"),
    )

    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_type: Mapped[ActorType] = mapped_column(str_enum(ActorType, 16))
    actor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))


def _identifier(value: str | None, what: str) -> str | None:
    if value is not None and not _IDENTIFIER.match(value):
        raise ValueError(f"audit {what} must be an id, got {len(value)} characters of text")
    return value


def record(
    uow: UnitOfWork,
    *,
    actor: Actor,
    action: str,
    object_type: str | None,
    object_id: uuid.UUID | str | None,
) -> AuditEvent:
    """Add one audit event to the unit of work; it commits (or not) with the change."""
    if not _ACTION.match(action) or len(action) > 64:
        raise ValueError(f"audit action must look like 'area.verb', got {action!r}")
    event = AuditEvent(
        at=utcnow(),
        actor_type=actor.type,
        actor_id=_identifier(actor.id, "actor id"),
        action=action,
        object_type=_identifier(object_type, "object type"),
        object_id=_identifier(None if object_id is None else str(object_id), "object id"),
    )
    uow.session.add(event)
    return event
