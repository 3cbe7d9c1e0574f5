"""Magic links and rate-limit hits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UuidPk, utcnow


class MagicLink(UuidPk, Base):
    """A single-use, short-lived sign-in link. Only the token's SHA-256 is stored."""

    __tablename__ = "magic_links"

    intake_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intakes.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]


class RateLimitHit(UuidPk, Base):
    """One counted request in a bucket such as `magic-link:ip:<address>`."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (
        Index("ix_rate_limit_hits_bucket_created_at", "bucket", "created_at"),
        # The sweep deletes hits older than any window (intake/auth/ratelimit.py).
        Index("ix_rate_limit_hits_created_at", "created_at"),
    )

    bucket: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
