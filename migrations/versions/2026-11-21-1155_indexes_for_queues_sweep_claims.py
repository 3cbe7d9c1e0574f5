"""Indexes for the queues, the sweep and claims: the whole-queue page, claims by holder,
idle claims, and old rate-limit hits

Revision ID: 2d805f127026
Revises: 2fcca845d2fd
Create Date: 2026-11-21 11:55:07.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2d805f127026"
down_revision: str | None = "2fcca845d2fd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Partial indexes hold only the rows their queries can match: a few hundred claimed
# intakes, or the third of all intakes sitting in a queue. Frozen here on purpose.
_IN_A_QUEUE = "queue IS NOT NULL"
_CLAIMED = "claimed_by_id IS NOT NULL"
_TOUCHED = "claim_touched_at IS NOT NULL"


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        # Fail fast instead of queueing behind a long transaction and blocking traffic.
        op.execute("SET LOCAL lock_timeout = '5s'")
    # GET /queues/all: every queue in queue order, read in that order.
    op.create_index(
        "ix_intakes_priority_queued_at_id",
        "intakes",
        ["priority", "queued_at", "id"],
        postgresql_where=sa.text(_IN_A_QUEUE),
        sqlite_where=sa.text(_IN_A_QUEUE),
    )
    # The claimed=mine (or a colleague) filter.
    op.create_index(
        "ix_intakes_claimed_by_id",
        "intakes",
        ["claimed_by_id"],
        postgresql_where=sa.text(_CLAIMED),
        sqlite_where=sa.text(_CLAIMED),
    )
    # The sweep's release of idle claims, oldest first.
    op.create_index(
        "ix_intakes_claim_touched_at_id",
        "intakes",
        ["claim_touched_at", "id"],
        postgresql_where=sa.text(_TOUCHED),
        sqlite_where=sa.text(_TOUCHED),
    )
    # The sweep's purge of hits older than any window.
    op.create_index("ix_rate_limit_hits_created_at", "rate_limit_hits", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_hits_created_at", table_name="rate_limit_hits")
    op.drop_index("ix_intakes_claim_touched_at_id", table_name="intakes")
    op.drop_index("ix_intakes_claimed_by_id", table_name="intakes")
    op.drop_index("ix_intakes_priority_queued_at_id", table_name="intakes")
