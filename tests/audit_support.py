"""Emptying the append-only audit table between tests.

Its triggers refuse DELETE, so the wipe works around them: TRUNCATE on PostgreSQL
(row triggers do not fire for it), and on SQLite drop the triggers, delete, and put
them back. SQLITE_TRIGGERS is a copy of the DDL in the migration
(2026-11-21-0730_staff_accounts_and_audit.py); tests/staff/test_audit.py checks that
the copy still matches what the migration creates.
"""

from __future__ import annotations

from sqlalchemy import Connection

AUDIT_TABLE = "audit_events"

SQLITE_TRIGGERS = {
    "audit_events_no_update": (
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END"
    ),
    "audit_events_no_delete": (
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END"
    ),
}


def empty_audit_table(conn: Connection) -> None:
    """Delete every audit row, inside the caller's transaction, triggers intact after."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"TRUNCATE {AUDIT_TABLE}")
        return
    for name in SQLITE_TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    conn.exec_driver_sql(f"DELETE FROM {AUDIT_TABLE}")
    for ddl in SQLITE_TRIGGERS.values():
        conn.exec_driver_sql(ddl)
