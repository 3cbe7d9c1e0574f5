"""Document facts from DICOM headers, staff review of documents, versioned checklist results

Revision ID: 8d5e647aa198
Revises: ff70a34fecb6
Create Date: 2026-11-21 07:47:33.760497+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import intake.db

revision: str = "8d5e647aa198"
down_revision: str | None = "ff70a34fecb6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        # Fail fast instead of queueing behind a long transaction and blocking traffic.
        op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "checklist_results",
        sa.Column("intake_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ruleset_version", sa.String(length=32), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("computed_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intakes.id"], name=op.f("fk_checklist_results_intake_id_intakes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_results")),
        sa.UniqueConstraint(
            "intake_id", "version", name=op.f("uq_checklist_results_intake_id_version")
        ),
    )
    op.create_index(
        op.f("ix_checklist_results_intake_id"), "checklist_results", ["intake_id"], unique=False
    )
    # Existing rows get empty facts and a pending review; batch mode because SQLite
    # can only drop those server defaults again by rebuilding the table.
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("report_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("modality", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("study_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("body_part", sa.String(length=16), nullable=True))
        for name in ("studies", "ignored_members", "review_reasons"):
            batch.add_column(sa.Column(name, sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column(
                "review_status",
                sa.Enum(
                    "pending",
                    "reviewed",
                    "rejected",
                    "wrong_patient",
                    name="reviewstatus",
                    native_enum=False,
                    length=16,
                ),
                nullable=False,
                server_default="pending",
            )
        )
        batch.add_column(sa.Column("review_note", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("reviewed_by", sa.Uuid(), nullable=True))
        batch.add_column(
            sa.Column("reviewed_at", intake.db.UtcDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("documents") as batch:
        for name in ("studies", "ignored_members", "review_reasons", "review_status"):
            batch.alter_column(name, server_default=None)
    op.create_index(
        op.f("ix_intakes_checklist_dirty"), "intakes", ["checklist_dirty"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_intakes_checklist_dirty"), table_name="intakes")
    with op.batch_alter_table("documents") as batch:
        for name in (
            "reviewed_at",
            "reviewed_by",
            "review_note",
            "review_status",
            "review_reasons",
            "ignored_members",
            "studies",
            "body_part",
            "study_date",
            "modality",
            "report_date",
        ):
            batch.drop_column(name)
    op.drop_index(op.f("ix_checklist_results_intake_id"), table_name="checklist_results")
    op.drop_table("checklist_results")
