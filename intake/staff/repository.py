"""Queries for staff users and tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from intake.staff.models import StaffToken, StaffUser


def user_by_email(session: Session, email: str) -> StaffUser | None:
    return session.scalars(select(StaffUser).where(StaffUser.email == email)).one_or_none()


def token_by_hash(session: Session, token_hash: str) -> StaffToken | None:
    stmt = select(StaffToken).where(StaffToken.token_hash == token_hash)
    return session.scalars(stmt).one_or_none()


def all_users(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))


def forget_tokens_created_before(session: Session, cutoff: datetime) -> int:
    """Drop staff tokens too old to be live whatever their use; returns how many went."""
    result = session.execute(delete(StaffToken).where(StaffToken.created_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]
