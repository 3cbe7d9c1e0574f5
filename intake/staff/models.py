"""Staff users and their bearer-token sessions."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, UuidPk, str_enum, utcnow


class StaffRole(enum.StrEnum):
    COORDINATOR = "coordinator"
    CLINICIAN = "clinician"
    ADMIN = "admin"


class StaffUser(UuidPk, Base):
    __tablename__ = "staff_users"

    # Kept lower-case, so the unique constraint is case-insensitive in effect.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole, 16))
    # An argon2id PHC string; it carries its own salt and parameters.
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffToken(UuidPk, Base):
    """One login session. Only the token's SHA-256 is stored.

    Its idle and absolute expiry are worked out from `last_used_at` and `created_at`
    with the current settings, so shortening the policy also shortens live sessions.
    """

    __tablename__ = "staff_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"), index=True)
    user: Mapped[StaffUser] = relationship(lazy="joined", innerjoin=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
