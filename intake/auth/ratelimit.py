"""Fixed-window rate limits kept in the database, so every API process shares them."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from intake.auth.models import RateLimitHit


def bucket(kind: str, value: str) -> str:
    """A bucket name that never stores the raw value (an email address is PII)."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


def allow(session: Session, name: str, *, limit: int, window: timedelta, now: datetime) -> bool:
    """Count one request in `name`; False once `limit` requests fall inside `window`."""
    recent = session.scalar(
        select(func.count())
        .select_from(RateLimitHit)
        .where(RateLimitHit.bucket == name, RateLimitHit.created_at > now - window)
    )
    if (recent or 0) >= limit:
        return False
    session.add(RateLimitHit(bucket=name, created_at=now))
    return True


def forget_before(session: Session, cutoff: datetime) -> int:
    """Drop hits too old to matter to any window; the sweep calls this."""
    result = session.execute(delete(RateLimitHit).where(RateLimitHit.created_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]
