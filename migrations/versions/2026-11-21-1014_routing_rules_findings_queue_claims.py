"""Routing rules R0-R10: decisions with snapshots and overrides, confirmed findings,
queue order and claims on intakes.

Revision ID: 613a27364be8
Revises: 7922997dd368
Create Date: 2026-11-21 10:14:34.226586+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import intake.db

revision: str = "613a27364be8"
down_revision: str | None = "7922997dd368"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KIND = sa.Enum("rules", "override", name="decisionkind", native_enum=False, length=16)
_UTC = intake.db.UtcDateTime(timezone=True)
# The interim rules' queue names were already routes; map them for the history.
_INTERIM_ROUTE = "CASE queue WHEN 'urgent' THEN 'escalate_urgent' ELSE queue END"


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        # Fail fast instead of queueing behind a long transaction and blocking traffic.
        op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "confirmed_findings",
        sa.Column("intake_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=True),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("entered_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name="fk_confirmed_findings_document_id_documents"
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["staff_users.id"],
            name="fk_confirmed_findings_entered_by_id_staff_users",
        ),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intakes.id"], name="fk_confirmed_findings_intake_id_intakes"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_confirmed_findings"),
    )
    op.create_index("ix_confirmed_findings_intake_id", "confirmed_findings", ["intake_id"])

    with op.batch_alter_table("intakes") as batch:
        batch.add_column(sa.Column("queued_at", _UTC, nullable=True))
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="2"))
        batch.add_column(
            sa.Column("provisional", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("recheck_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("claimed_by_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("claimed_at", _UTC, nullable=True))
        batch.add_column(sa.Column("claim_touched_at", _UTC, nullable=True))
        batch.drop_index("ix_intakes_queue")
        batch.create_index(
            "ix_intakes_queue_priority_queued_at_id", ["queue", "priority", "queued_at", "id"]
        )
        batch.create_index("ix_intakes_recheck_on", ["recheck_on"])
        batch.create_foreign_key(
            "fk_intakes_claimed_by_id_staff_users", "staff_users", ["claimed_by_id"], ["id"]
        )
    with op.batch_alter_table("intakes") as batch:
        batch.alter_column("priority", server_default=None)
        batch.alter_column("provisional", server_default=None)
    # Intakes already in a queue keep their place, aged from their last change.
    op.execute(
        "UPDATE intakes SET queued_at = updated_at, "
        "priority = CASE WHEN queue = 'urgent' THEN "
        "(CASE WHEN red_flag_tier = 'emergency' THEN 0 ELSE 1 END) ELSE 2 END "
        "WHERE queue IS NOT NULL"
    )
    op.execute(
        "UPDATE intakes SET queue = 'awaiting_information', queued_at = updated_at "
        "WHERE queue IS NULL AND status = 'awaiting_information'"
    )

    with op.batch_alter_table("routing_decisions") as batch:
        batch.add_column(sa.Column("kind", _KIND, nullable=False, server_default="rules"))
        batch.add_column(
            sa.Column("route", sa.String(length=32), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("missing", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("provisional_route", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("recheck_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("input_snapshot", sa.JSON(), nullable=False, server_default="{}")
        )
        batch.add_column(
            sa.Column("trigger", sa.String(length=32), nullable=False, server_default="interim")
        )
        batch.add_column(sa.Column("decided_by_id", sa.Uuid(), nullable=True))
        batch.add_column(
            sa.Column("applied", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.create_foreign_key(
            "fk_routing_decisions_decided_by_id_staff_users",
            "staff_users",
            ["decided_by_id"],
            ["id"],
        )
    op.execute(f"UPDATE routing_decisions SET route = {_INTERIM_ROUTE}")
    with op.batch_alter_table("routing_decisions") as batch:
        for name in ("kind", "route", "missing", "input_snapshot", "trigger", "applied"):
            batch.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("routing_decisions") as batch:
        batch.drop_constraint("fk_routing_decisions_decided_by_id_staff_users", type_="foreignkey")
        for name in (
            "applied",
            "decided_by_id",
            "trigger",
            "input_snapshot",
            "recheck_on",
            "provisional_route",
            "missing",
            "route",
            "kind",
        ):
            batch.drop_column(name)
    op.execute(
        "UPDATE intakes SET queue = NULL WHERE queue IN ('awaiting_information', 'deferred')"
    )
    op.execute("UPDATE intakes SET status = 'routed' WHERE status = 'deferred'")
    with op.batch_alter_table("intakes") as batch:
        batch.drop_constraint("fk_intakes_claimed_by_id_staff_users", type_="foreignkey")
        batch.drop_index("ix_intakes_recheck_on")
        batch.drop_index("ix_intakes_queue_priority_queued_at_id")
        batch.create_index("ix_intakes_queue", ["queue"])
        for name in (
            "claim_touched_at",
            "claimed_at",
            "claimed_by_id",
            "recheck_on",
            "provisional",
            "priority",
            "queued_at",
        ):
            batch.drop_column(name)
    op.drop_index("ix_confirmed_findings_intake_id", table_name="confirmed_findings")
    op.drop_table("confirmed_findings")
