"""Reminder rounds and stale intakes, withdrawal, opt-out; outbox rows render at delivery

Revision ID: 7922997dd368
Revises: 8d5e647aa198
Create Date: 2026-11-21 09:17:51.594167+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import intake.db

revision: str = "7922997dd368"
down_revision: str | None = "8d5e647aa198"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CATEGORY = sa.Enum("transactional", "reminder", name="emailcategory", native_enum=False, length=16)


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        # Fail fast instead of queueing behind a long transaction and blocking traffic.
        op.execute("SET LOCAL lock_timeout = '5s'")
    with op.batch_alter_table("intakes") as batch:
        batch.add_column(
            sa.Column("reminder_round", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("reminder_step", sa.Integer(), nullable=False, server_default="0")
        )
        for name in ("reminder_anchor_at", "next_reminder_at", "stale_at", "withdrawn_at"):
            batch.add_column(sa.Column(name, intake.db.UtcDateTime(timezone=True), nullable=True))
        batch.create_index("ix_intakes_next_reminder_at_id", ["next_reminder_at", "id"])
    with op.batch_alter_table("intakes") as batch:
        batch.alter_column("reminder_round", server_default=None)
        batch.alter_column("reminder_step", server_default=None)

    with op.batch_alter_table("patients") as batch:
        batch.add_column(
            sa.Column("reminders_opted_out_at", intake.db.UtcDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("outbox_emails") as batch:
        batch.add_column(sa.Column("context", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("headers", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(
            sa.Column("category", _CATEGORY, nullable=False, server_default="transactional")
        )
        batch.add_column(sa.Column("intake_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("quiet_hours_timezone", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("interruptions", sa.Integer(), nullable=False, server_default="0")
        )
        batch.create_index("ix_outbox_emails_intake_id", ["intake_id"])
        batch.create_foreign_key(
            "fk_outbox_emails_intake_id_intakes", "intakes", ["intake_id"], ["id"]
        )
        batch.drop_column("body_text")
        batch.drop_column("body_html")
        batch.drop_column("subject")
    with op.batch_alter_table("outbox_emails") as batch:
        for name in ("context", "headers", "category", "interruptions"):
            batch.alter_column(name, server_default=None)
    # Rows written before this revision held rendered bodies, which are gone now; one
    # not yet sent cannot be rendered again, so it is failed where a coordinator sees it.
    op.execute(
        "UPDATE outbox_emails SET status = 'failed', "
        "last_error = 'written before the outbox stored message fields; not sent' "
        "WHERE status IN ('pending', 'sending')"
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_emails") as batch:
        batch.add_column(sa.Column("subject", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("body_html", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("body_text", sa.Text(), nullable=False, server_default=""))
        batch.drop_constraint("fk_outbox_emails_intake_id_intakes", type_="foreignkey")
        batch.drop_index("ix_outbox_emails_intake_id")
        for name in (
            "interruptions",
            "quiet_hours_timezone",
            "intake_id",
            "category",
            "headers",
            "context",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("outbox_emails") as batch:
        for name in ("subject", "body_html", "body_text"):
            batch.alter_column(name, server_default=None)
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("reminders_opted_out_at")
    with op.batch_alter_table("intakes") as batch:
        batch.drop_index("ix_intakes_next_reminder_at_id")
        for name in (
            "withdrawn_at",
            "stale_at",
            "next_reminder_at",
            "reminder_anchor_at",
            "reminder_step",
            "reminder_round",
        ):
            batch.drop_column(name)
