"""Patients, their intakes, and the access tokens that let a patient back in."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, Timestamped, UuidPk, str_enum, utcnow


class IntakeStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for the worker's first checklist pass
    AWAITING_INFORMATION = "awaiting_information"
    COMPLETE = "complete"  # every required document is in: routing is on its way
    ROUTED = "routed"
    DEFERRED = "deferred"  # too soon after surgery to judge; routing runs again on recheck_on
    WITHDRAWN = "withdrawn"  # the patient stopped; nothing more is sent or routed


class Patient(UuidPk, Timestamped, Base):
    __tablename__ = "patients"

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320), index=True)
    date_of_birth: Mapped[date]
    timezone: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(40))
    # Set by the one-click link in a reminder; reminders to this patient stop.
    reminders_opted_out_at: Mapped[datetime | None]


class Intake(UuidPk, Timestamped, Base):
    __tablename__ = "intakes"
    # The reminder sweep walks due intakes by keyset on (next_reminder_at, id).
    __table_args__ = (
        Index("ix_intakes_next_reminder_at_id", "next_reminder_at", "id"),
        # A queue is read, and claimed from, in this order (intake/queues).
        Index("ix_intakes_queue_priority_queued_at_id", "queue", "priority", "queued_at", "id"),
        # All queues at once (queues/all), in the same order; intakes in no queue (drafts,
        # booked, withdrawn: most of them, in time) are left out.
        Index(
            "ix_intakes_priority_queued_at_id",
            "priority",
            "queued_at",
            "id",
            postgresql_where=text("queue IS NOT NULL"),
            sqlite_where=text("queue IS NOT NULL"),
        ),
        # The few claimed intakes: by holder (claimed=mine), and the sweep's idle ones.
        Index(
            "ix_intakes_claimed_by_id",
            "claimed_by_id",
            postgresql_where=text("claimed_by_id IS NOT NULL"),
            sqlite_where=text("claimed_by_id IS NOT NULL"),
        ),
        Index(
            "ix_intakes_claim_touched_at_id",
            "claim_touched_at",
            "id",
            postgresql_where=text("claim_touched_at IS NOT NULL"),
            sqlite_where=text("claim_touched_at IS NOT NULL"),
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    patient: Mapped[Patient] = relationship(lazy="joined", innerjoin=True)
    status: Mapped[IntakeStatus] = mapped_column(
        str_enum(IntakeStatus, 32),
        default=IntakeStatus.DRAFT,
        index=True,
    )
    # The questionnaire version the answers were given under; they are always read
    # with that version, so a newer questionnaire never breaks an old draft.
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The highest red-flag tier ever answered; a patient cannot lower it by editing.
    red_flag_tier: Mapped[str | None] = mapped_column(String(16))
    red_flag_at: Mapped[datetime | None]
    last_patient_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    # What the worker found missing on its last pass, and when it looked; the whole
    # result, item by item, is in checklist_results.
    checklist_missing: Mapped[list[str] | None] = mapped_column(JSON)
    checklist_checked_at: Mapped[datetime | None]
    # Set by every change that can alter the checklist, cleared by the worker's pass;
    # the sweep re-finds an intake whose message was lost.
    checklist_dirty: Mapped[bool] = mapped_column(default=False, index=True)
    # Where coordinators find the intake (intake/queues/placement.py keeps these together):
    # the queue, when it entered it, and its rank there (emergency, urgent, the rest).
    queue: Mapped[str | None] = mapped_column(String(32))
    queued_at: Mapped[datetime | None]
    priority: Mapped[int] = mapped_column(default=2)
    # Rests only on what the patient reported (the latest routing decision says so too).
    provisional: Mapped[bool] = mapped_column(default=False)
    recheck_on: Mapped[date | None] = mapped_column(index=True)
    # Who is working the intake; the sweep releases a claim untouched for too long.
    claimed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id"))
    claimed_at: Mapped[datetime | None]
    claim_touched_at: Mapped[datetime | None]
    # Reminders (intake/reminders): a round starts from the patient's last activity and
    # walks the cadence one step per reminder; next_reminder_at is None between rounds.
    reminder_round: Mapped[int] = mapped_column(default=0)
    reminder_step: Mapped[int] = mapped_column(default=0)
    reminder_anchor_at: Mapped[datetime | None]
    next_reminder_at: Mapped[datetime | None]
    # When the last reminder went unanswered; the intake sits in the `stale` queue.
    stale_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]


class PatientAccessToken(UuidPk, Base):
    """A patient's bearer token. Only its SHA-256 is stored."""

    __tablename__ = "patient_access_tokens"

    intake_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intakes.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
