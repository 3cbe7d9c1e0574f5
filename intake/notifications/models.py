"""The email outbox: every email is a row first, written with the change that causes it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, Timestamped, UuidPk, str_enum, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # No longer wanted (the intake completed, the patient opted out...) before it went.
    CANCELLED = "cancelled"


class EmailCategory(enum.StrEnum):
    # Asked for or needed (a sign-in link, a staff alert): always sent.
    TRANSACTIONAL = "transactional"
    # Nudges the patient may turn off (45 CFR 164.522(b)), held out of quiet hours.
    REMINDER = "reminder"


class OutboxEmail(UuidPk, Timestamped, Base):
    __tablename__ = "outbox_emails"
    __table_args__ = (
        Index("ix_outbox_emails_status_next_attempt_at", "status", "next_attempt_at"),
    )

    # Unique: a second sweep or a retried task cannot write a second row.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    # What to send: a message template and its fields, rendered at delivery.
    template: Mapped[str] = mapped_column(String(64))
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Extra headers, e.g. RFC 8058 List-Unsubscribe on reminders.
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    to_address: Mapped[str] = mapped_column(String(320))
    category: Mapped[EmailCategory] = mapped_column(
        str_enum(EmailCategory, 16), default=EmailCategory.TRANSACTIONAL
    )
    # The intake it is about, for the coordinators' email history (None: not about one).
    intake_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("intakes.id"), index=True)
    # The recipient's IANA timezone when it must not arrive in their quiet hours.
    quiet_hours_timezone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, 16),
        default=OutboxStatus.PENDING,
    )
    # A context that holds a secret (a sign-in link) is blanked once sent or moot.
    sensitive: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    # Sends cut short by a dead worker; the second one fails the row (never a third copy).
    interruptions: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]
