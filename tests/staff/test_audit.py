"""The audit log: ids only, and the database refuses to change or delete its rows."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from intake import audit
from intake.audit import Actor, AuditEvent
from intake.config import Settings
from intake.db import UnitOfWork, create_db_engine
from tests.audit_support import SQLITE_TRIGGERS
from tests.support import migrate


def _one_event() -> uuid.UUID:
    with UnitOfWork() as uow:
        event = audit.record(
            uow,
            actor=Actor.staff(uuid.uuid4()),
            action="intake.read",
            object_type="intake",
            object_id=uuid.uuid4(),
        )
    return event.id


def test_record_keeps_who_what_which_and_when(settings: Settings) -> None:
    staff_id, intake_id = uuid.uuid4(), uuid.uuid4()
    with UnitOfWork() as uow:
        audit.record(
            uow,
            actor=Actor.staff(staff_id),
            action="fhir.questionnaire_response.read",
            object_type="intake",
            object_id=intake_id,
        )

    with UnitOfWork() as uow:
        [event] = uow.session.scalars(select(AuditEvent)).all()
    assert (event.actor_type, event.actor_id) == ("staff", str(staff_id))
    assert (event.action, event.object_type, event.object_id) == (
        "fhir.questionnaire_response.read",
        "intake",
        str(intake_id),
    )
    assert event.at.utcoffset() is not None


def test_update_is_refused_by_the_database(settings: Settings) -> None:
    event_id = _one_event()

    with pytest.raises(DBAPIError, match="append-only"), UnitOfWork() as uow:
        uow.session.execute(
            update(AuditEvent).where(AuditEvent.id == event_id).values(action="nothing.happened")
        )

    with UnitOfWork() as uow:
        assert uow.session.get_one(AuditEvent, event_id).action == "intake.read"


def test_delete_is_refused_by_the_database(settings: Settings) -> None:
    event_id = _one_event()

    with pytest.raises(DBAPIError, match="append-only"), UnitOfWork() as uow:
        uow.session.execute(delete(AuditEvent))

    with UnitOfWork() as uow:
        assert uow.session.get(AuditEvent, event_id) is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [("object_id", "ada@example.com"), ("object_type", "Ada Lovelace"), ("action", "read")],
)
def test_record_refuses_anything_but_ids_and_action_names(
    settings: Settings, field: str, value: str
) -> None:
    fields: dict[str, str] = {"action": "intake.read", "object_type": "intake", "object_id": "x1"}
    fields[field] = value

    with pytest.raises(ValueError, match="audit") as refused, UnitOfWork() as uow:
        audit.record(
            uow,
            actor=audit.SYSTEM,
            action=fields["action"],
            object_type=fields["object_type"],
            object_id=fields["object_id"],
        )

    assert "@" not in str(refused.value)
    with UnitOfWork() as uow:
        assert uow.session.scalars(select(AuditEvent)).all() == []


def test_the_sqlite_trigger_copy_matches_the_migration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(url)
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master"
                    " WHERE type = 'trigger' AND tbl_name = 'audit_events'"
                )
            ).all()
    finally:
        engine.dispose()

    assert dict(rows) == SQLITE_TRIGGERS
