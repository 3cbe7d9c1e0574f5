"""Questionnaire answers with their version, red-flag tier, magic links, rate limits

Revision ID: 13eeab4e7f28
Revises: a54ec137af07
Create Date: 2026-11-21 07:15:27.124715+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import intake.db

revision: str = "13eeab4e7f28"
down_revision: str | None = "a54ec137af07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        # Fail fast instead of queueing behind a long transaction and blocking traffic.
        op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "rate_limit_hits",
        sa.Column("bucket", sa.String(length=120), nullable=False),
        sa.Column("created_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hits")),
    )
    op.create_index(
        "ix_rate_limit_hits_bucket_created_at",
        "rate_limit_hits",
        ["bucket", "created_at"],
        unique=False,
    )
    op.create_table(
        "magic_links",
        sa.Column("intake_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", intake.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", intake.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intakes.id"], name=op.f("fk_magic_links_intake_id_intakes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_magic_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_magic_links_token_hash")),
    )
    op.create_index(op.f("ix_magic_links_intake_id"), "magic_links", ["intake_id"], unique=False)
    # Rows from before this revision were all started under the first questionnaire.
    # Batch mode, because SQLite can only drop a server default by rebuilding the table.
    with op.batch_alter_table("intakes") as batch:
        batch.add_column(
            sa.Column(
                "questionnaire_version",
                sa.String(length=32),
                nullable=False,
                server_default="fbss-intake/1",
            )
        )
        batch.add_column(sa.Column("red_flag_tier", sa.String(length=16), nullable=True))
        batch.add_column(
            sa.Column("red_flag_at", intake.db.UtcDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("intakes") as batch:
        batch.alter_column("questionnaire_version", server_default=None)
    with op.batch_alter_table("outbox_emails") as batch:
        batch.add_column(
            sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("outbox_emails") as batch:
        batch.alter_column("sensitive", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("outbox_emails") as batch:
        batch.drop_column("sensitive")
    with op.batch_alter_table("intakes") as batch:
        batch.drop_column("red_flag_at")
        batch.drop_column("red_flag_tier")
        batch.drop_column("questionnaire_version")
    op.drop_index(op.f("ix_magic_links_intake_id"), table_name="magic_links")
    op.drop_table("magic_links")
    op.drop_index("ix_rate_limit_hits_bucket_created_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
