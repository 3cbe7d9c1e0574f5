"""Scheduling: consultation types, clinicians with weekly hours and exceptions,
appointments that cannot overlap, and slot offers.

Revision ID: 2fcca845d2fd
Revises: 613a27364be8
Create Date: 2026-11-21 10:59:04.327388+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import intake.db

revision: str = "2fcca845d2fd"
down_revision: str | None = "613a27364be8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        # Fail fast instead of queueing behind a long transaction and blocking traffic.
        op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "consultation_types",
        sa.Column(
            "code",
            sa.Enum(
                "regenerative",
                "surgical_revision",
                "clinician_triage",
                name="consultationkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "modality",
            sa.Enum("in_person", "video", name="modality", native_enum=False, length=16),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 5 AND 480",
            name=op.f("ck_consultation_types_duration_minutes"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_consultation_types")),
    )
    op.create_table(
        "clinicians",
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("staff_user_id", sa.Uuid(), nullable=True),
        sa.Column("offers", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_clinicians_staff_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinicians")),
        sa.UniqueConstraint("staff_user_id", name=op.f("uq_clinicians_staff_user_id")),
    )
    op.create_table(
        "appointments",
        sa.Column("intake_id", sa.Uuid(), nullable=False),
        sa.Column("clinician_id", sa.Uuid(), nullable=False),
        sa.Column(
            "consultation_type",
            sa.Enum(
                "regenerative",
                "surgical_revision",
                "clinician_triage",
                name="consultationkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "modality",
            sa.Enum("in_person", "video", name="modality", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("starts_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "booked",
                "confirmed",
                "cancelled",
                "completed",
                "no_show",
                name="appointmentstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("booked_by_id", sa.Uuid(), nullable=True),
        sa.Column("confirmed_at", intake.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", intake.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=300), nullable=True),
        sa.Column("reminded_72h_at", intake.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reminded_24h_at", intake.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_appointments_starts_before_ends")),
        sa.ForeignKeyConstraint(
            ["booked_by_id"],
            ["staff_users.id"],
            name=op.f("fk_appointments_booked_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["clinicians.id"],
            name=op.f("fk_appointments_clinician_id_clinicians"),
        ),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intakes.id"], name=op.f("fk_appointments_intake_id_intakes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_index(
        "ix_appointments_clinician_id_starts_at",
        "appointments",
        ["clinician_id", "starts_at"],
        unique=False,
    )
    op.create_index(op.f("ix_appointments_intake_id"), "appointments", ["intake_id"], unique=False)
    op.create_index(
        "ix_appointments_status_starts_at", "appointments", ["status", "starts_at"], unique=False
    )
    op.create_index(
        "uq_appointments_intake_active",
        "appointments",
        ["intake_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('booked', 'confirmed')"),
        sqlite_where=sa.text("status IN ('booked', 'confirmed')"),
    )
    op.create_table(
        "clinician_exceptions",
        sa.Column("clinician_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("unavailable", "extra", name="exceptionkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("starts_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "starts_at < ends_at", name=op.f("ck_clinician_exceptions_starts_before_ends")
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["clinicians.id"],
            name=op.f("fk_clinician_exceptions_clinician_id_clinicians"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinician_exceptions")),
    )
    op.create_index(
        op.f("ix_clinician_exceptions_clinician_id"),
        "clinician_exceptions",
        ["clinician_id"],
        unique=False,
    )
    op.create_table(
        "clinician_weekly_hours",
        sa.Column("clinician_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "starts < ends", name=op.f("ck_clinician_weekly_hours_starts_before_ends")
        ),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_clinician_weekly_hours_weekday")
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["clinicians.id"],
            name=op.f("fk_clinician_weekly_hours_clinician_id_clinicians"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinician_weekly_hours")),
    )
    op.create_index(
        op.f("ix_clinician_weekly_hours_clinician_id"),
        "clinician_weekly_hours",
        ["clinician_id"],
        unique=False,
    )
    op.create_table(
        "slot_offers",
        sa.Column("intake_id", sa.Uuid(), nullable=False),
        sa.Column("slot_ids", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "taken", "withdrawn", name="offerstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("expires_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("offered_by_id", sa.Uuid(), nullable=False),
        sa.Column("appointment_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_slot_offers_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intakes.id"], name=op.f("fk_slot_offers_intake_id_intakes")
        ),
        sa.ForeignKeyConstraint(
            ["offered_by_id"],
            ["staff_users.id"],
            name=op.f("fk_slot_offers_offered_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slot_offers")),
    )
    op.create_index(op.f("ix_slot_offers_intake_id"), "slot_offers", ["intake_id"], unique=False)
    _no_double_booking()
    op.bulk_insert(
        sa.table(
            "consultation_types",
            sa.column("code", sa.String),
            sa.column("name", sa.String),
            sa.column("duration_minutes", sa.Integer),
            sa.column("modality", sa.String),
        ),
        [
            # Starting values; PUT /api/v1/consultation-types/{code} changes them.
            {
                "code": "regenerative",
                "name": "Regenerative consultation",
                "duration_minutes": 60,
                "modality": "in_person",
            },
            {
                "code": "surgical_revision",
                "name": "Surgical revision review",
                "duration_minutes": 45,
                "modality": "in_person",
            },
            {
                "code": "clinician_triage",
                "name": "Clinician review",
                "duration_minutes": 30,
                "modality": "video",
            },
        ],
    )


# Two active appointments of one clinician may not overlap. PostgreSQL says so with an
# exclusion constraint (btree_gist lets a GiST index compare the uuid with "=").
_PG_EXCLUDE = """
    ALTER TABLE appointments ADD CONSTRAINT ex_appointments_clinician_time
    EXCLUDE USING gist (clinician_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
    WHERE (status IN ('booked', 'confirmed'))
"""
# SQLite has no exclusion constraints; these triggers refuse the same rows. They are
# race-free because SQLite runs one writer at a time and the app's transactions take the
# write lock up front (BEGIN IMMEDIATE, intake/db.py). Times are stored as UTC text of one
# fixed width, so comparing the text compares the instants.
_SQLITE_OVERLAP = """
    CREATE TRIGGER appointments_no_overlap_{when} BEFORE {event} ON appointments
    WHEN NEW.status IN ('booked', 'confirmed') AND EXISTS (
        SELECT 1 FROM appointments AS other
        WHERE other.clinician_id = NEW.clinician_id
          AND other.id != NEW.id
          AND other.status IN ('booked', 'confirmed')
          AND other.starts_at < NEW.ends_at
          AND other.ends_at > NEW.starts_at
    )
    BEGIN
        SELECT RAISE(ABORT, 'ex_appointments_clinician_time: the clinician is booked then');
    END
"""


def _no_double_booking() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(_PG_EXCLUDE)
    else:
        op.execute(_SQLITE_OVERLAP.format(when="insert", event="INSERT"))
        op.execute(_SQLITE_OVERLAP.format(when="update", event="UPDATE"))


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS appointments_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS appointments_no_overlap_update")
    op.drop_index(op.f("ix_slot_offers_intake_id"), table_name="slot_offers")
    op.drop_table("slot_offers")
    op.drop_index(
        op.f("ix_clinician_weekly_hours_clinician_id"), table_name="clinician_weekly_hours"
    )
    op.drop_table("clinician_weekly_hours")
    op.drop_index(op.f("ix_clinician_exceptions_clinician_id"), table_name="clinician_exceptions")
    op.drop_table("clinician_exceptions")
    op.drop_index(
        "uq_appointments_intake_active",
        table_name="appointments",
        postgresql_where=sa.text("status IN ('booked', 'confirmed')"),
        sqlite_where=sa.text("status IN ('booked', 'confirmed')"),
    )
    op.drop_index("ix_appointments_status_starts_at", table_name="appointments")
    op.drop_index(op.f("ix_appointments_intake_id"), table_name="appointments")
    op.drop_index("ix_appointments_clinician_id_starts_at", table_name="appointments")
    op.drop_table("appointments")
    op.drop_table("clinicians")
    op.drop_table("consultation_types")
