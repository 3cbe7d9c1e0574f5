"""bench/sweep.py with the sweep's two writes swapped for other statements, in-process only.

The code under test is not changed on disk: this script patches
`intake.reminders.repository` (and, for `insert`, nothing else) in its own process, then
runs bench/sweep.py's main() with the same arguments. It answers one question: would
sending each batch as real multi-row statements instead of psycopg's pipelined
executemany close the gap to the set-based floor?

- `insert`: the outbox INSERT with RETURNING, so SQLAlchemy's "insertmanyvalues" renders
  multi-row VALUES pages (1,000 rows each). Without RETURNING it does not, because of the
  ON CONFLICT clause (sqlalchemy/sql/crud.py), and the dialect keeps executemany.
- `update`: one `UPDATE intakes ... FROM unnest(<arrays>)` per batch instead of the Core
  executemany by primary key.

    .venv/bin/python bench/sweep_variants.py insert,update --batch 500 5000 --reps 3
"""

from __future__ import annotations

import sys
from typing import Any

import sweep
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from intake.notifications.models import OutboxEmail
from intake.reminders import repository

ADVANCE = text("""
UPDATE intakes AS i
SET queue = v.queue, reminder_step = v.step, next_reminder_at = v.next_at,
    stale_at = v.stale_at, updated_at = now()
FROM unnest(CAST(:ids AS uuid[]), CAST(:queues AS varchar[]), CAST(:steps AS int[]),
            CAST(:nexts AS timestamptz[]), CAST(:stales AS timestamptz[]))
     AS v(id, queue, step, next_at, stale_at)
WHERE i.id = v.id
""")


def insert_emails(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        table = OutboxEmail.__table__
        stmt = (
            postgresql.insert(table)  # type: ignore[arg-type]
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(table.c.id)
        )
        session.execute(stmt, rows).all()


def advance(session: Session, changes: list[dict[str, Any]]) -> None:
    if changes:
        session.execute(
            ADVANCE,
            {
                "ids": [c["intake_id"] for c in changes],
                "queues": [c["queue"] for c in changes],
                "steps": [c["reminder_step"] for c in changes],
                "nexts": [c["next_reminder_at"] for c in changes],
                "stales": [c["stale_at"] for c in changes],
            },
        )


def main() -> None:
    if len(sys.argv) < 2 or not set(sys.argv[1].split(",")) <= {"insert", "update"}:
        sys.exit("usage: sweep_variants.py insert|update|insert,update [bench/sweep.py args]")
    variants = set(sys.argv.pop(1).split(","))
    if "insert" in variants:
        repository.insert_emails = insert_emails
    if "update" in variants:
        repository.advance = advance
    sweep.say(f"variants patched in: {', '.join(sorted(variants))}")
    sweep.main()


if __name__ == "__main__":
    main()
