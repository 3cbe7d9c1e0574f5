"""Queries for magic links."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intake.auth.models import MagicLink
from intake.intakes.models import Intake, Patient


def latest_intake_for_email(session: Session, email: str) -> Intake | None:
    stmt = (
        select(Intake)
        .join(Patient, Intake.patient_id == Patient.id)
        .where(func.lower(Patient.email) == email.lower())
        .order_by(Intake.created_at.desc(), Intake.id)
        .limit(1)
    )
    return session.scalars(stmt).first()


def consume(session: Session, token_hash: str, now: datetime) -> uuid.UUID | None:
    """Mark an unused, unexpired link used, atomically; its intake id, or None."""
    link_id = session.scalar(
        select(MagicLink.id).where(
            MagicLink.token_hash == token_hash,
            MagicLink.consumed_at.is_(None),
            MagicLink.expires_at > now,
        )
    )
    if link_id is None:
        return None
    # The conditional UPDATE is the real guard: of two concurrent consumers, one wins.
    result = session.execute(
        update(MagicLink)
        .where(MagicLink.id == link_id, MagicLink.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get_one(MagicLink, link_id).intake_id


def is_usable(session: Session, token_hash: str, now: datetime) -> bool:
    return (
        session.scalar(
            select(func.count())
            .select_from(MagicLink)
            .where(
                MagicLink.token_hash == token_hash,
                MagicLink.consumed_at.is_(None),
                MagicLink.expires_at > now,
            )
        )
        == 1
    )
