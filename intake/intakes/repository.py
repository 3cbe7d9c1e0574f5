"""Queries for intakes and patient tokens."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.intakes.models import Intake, IntakeStatus, PatientAccessToken


def get(session: Session, intake_id: uuid.UUID, *, for_update: bool = False) -> Intake | None:
    stmt = select(Intake).where(Intake.id == intake_id)
    if for_update:
        # Locks only the intake row (not the joined patient) on PostgreSQL.
        stmt = stmt.with_for_update(of=Intake)
    return session.scalars(stmt).one_or_none()


def live_token(session: Session, token_hash: str, now: datetime) -> PatientAccessToken | None:
    stmt = select(PatientAccessToken).where(
        PatientAccessToken.token_hash == token_hash,
        PatientAccessToken.revoked_at.is_(None),
        PatientAccessToken.expires_at > now,
    )
    return session.scalars(stmt).one_or_none()


def needing_checklist(session: Session, *, limit: int) -> list[uuid.UUID]:
    """Intakes whose checklist is out of date: changed since the worker last looked."""
    stmt = (
        select(Intake.id)
        .where(Intake.checklist_dirty.is_(True) | (Intake.status == IntakeStatus.SUBMITTED))
        .order_by(Intake.updated_at, Intake.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def needing_routing(session: Session, *, today: date, limit: int) -> list[uuid.UUID]:
    """Complete intakes still waiting for their routing task, and deferred ones now due."""
    recheck_due = (Intake.status == IntakeStatus.DEFERRED) & (Intake.recheck_on <= today)
    stmt = (
        select(Intake.id)
        .where((Intake.status == IntakeStatus.COMPLETE) | recheck_due)
        .order_by(Intake.updated_at, Intake.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))
