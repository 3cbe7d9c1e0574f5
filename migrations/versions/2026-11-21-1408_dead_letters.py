"""Dead letters: tasks that failed for good, and the delivery counter that stops a task
which kills its worker from looping

Revision ID: 97c3284b6ccc
Revises: 2d805f127026
Create Date: 2026-11-21 14:08:27.063219+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import intake.db

revision: str = "97c3284b6ccc"
down_revision: str | None = "2d805f127026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        # Fail fast instead of queueing behind a long transaction and blocking traffic.
        op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "task_deliveries",
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("task_name", sa.String(length=128), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("first_delivered_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_delivered_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_task_deliveries")),
    )
    op.create_table(
        "dead_letters",
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("task_name", sa.String(length=128), nullable=False),
        sa.Column("args", sa.JSON(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "error",
                "retries_exhausted",
                "poison",
                "time_limit",
                "worker_lost",
                name="failurekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("exception_type", sa.String(length=128), nullable=True),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("redelivered", sa.Boolean(), nullable=False),
        sa.Column("first_failed_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "dead", "retried", "resolved", name="deadletterstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("retried_at", intake.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("retried_by_id", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", intake.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["staff_users.id"],
            name=op.f("fk_dead_letters_resolved_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["retried_by_id"],
            ["staff_users.id"],
            name=op.f("fk_dead_letters_retried_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("task_id", name=op.f("uq_dead_letters_task_id")),
    )
    # The admin list: one status, newest failure first.
    op.create_index(
        "ix_dead_letters_status_last_failed_at_id",
        "dead_letters",
        ["status", "last_failed_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_dead_letters_status_last_failed_at_id", table_name="dead_letters")
    op.drop_table("dead_letters")
    op.drop_table("task_deliveries")
