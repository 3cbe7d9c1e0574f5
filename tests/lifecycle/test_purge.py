"""Retention: the sweep purges abandoned drafts with everything hanging off them."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text

from intake import audit
from intake.auth.models import MagicLink
from intake.checklist.models import ChecklistRecord
from intake.config import Settings
from intake.db import Base, UnitOfWork, utcnow
from intake.documents.models import Document
from intake.intakes.models import Intake, IntakeStatus, Patient
from intake.lifecycle import purge
from intake.main import create_app
from intake.routing.models import ConfirmedFinding, DecisionKind, RoutingDecision
from intake.scheduling.models import (
    Appointment,
    Clinician,
    ConsultationKind,
    Modality,
    SlotOffer,
)
from intake.sweep import sweep
from tests.conftest import StartedIntake, start_intake
from tests.lifecycle.support import age, exists, row_counts, stored_file, upload
from tests.staff.support import audit_events, make_staff

# Everything a purge may delete, and what it must leave alone.
PURGED_TABLES = {column.class_.__tablename__ for column in purge.INTAKE_CHILDREN} | {
    "intakes",
    "patients",
}


def _storage_keys(intake_id: str) -> list[str]:
    with UnitOfWork() as uow:
        return list(
            uow.session.scalars(
                select(Document.storage_key).where(Document.intake_id == uuid.UUID(intake_id))
            )
        )


def _with_every_child(client: TestClient, label: str) -> StartedIntake:
    """A draft with a row in every table that points at an intake, and two files."""
    started = start_intake(client, email=f"{label}@example.com")  # outbox row, token
    note = upload(client, started, "operative_note", f"{label}-note")
    upload(client, started, "current_mri", f"{label}-mri")
    staff = make_staff(email=f"{label}-staff@clinic.example")
    intake_id = uuid.UUID(started.id)
    now = utcnow()
    with UnitOfWork() as uow:
        clinician = Clinician(display_name="Dr Who", offers=["regenerative"])
        uow.session.add(clinician)
        uow.session.flush()
        booked = Appointment(
            intake_id=intake_id,
            clinician_id=clinician.id,
            consultation_type=ConsultationKind.REGENERATIVE,
            modality=Modality.VIDEO,
            # Beyond the 72-hour reminder, so the sweep writes no email for it.
            starts_at=now + timedelta(days=10),
            ends_at=now + timedelta(days=10, hours=1),
            booked_by_id=staff.id,
        )
        uow.session.add(booked)
        uow.session.flush()
        uow.session.add_all(
            [
                SlotOffer(
                    intake_id=intake_id,
                    slot_ids=[],
                    expires_at=now,
                    offered_by_id=staff.id,
                    appointment_id=booked.id,
                ),
                ConfirmedFinding(
                    intake_id=intake_id,
                    type="hardware_failure",
                    present=True,
                    document_id=uuid.UUID(note["id"]),
                    entered_by_id=staff.id,
                ),
                RoutingDecision(
                    intake_id=intake_id,
                    kind=DecisionKind.RULES,
                    route="clinician_triage",
                    queue="clinician_triage",
                    ruleset_version="test",
                    rule_ids=[],
                    reasons=[],
                    missing=[],
                    provisional=True,
                    input_snapshot={},
                    trigger="test",
                    applied=False,
                ),
                ChecklistRecord(
                    intake_id=intake_id,
                    version=1,
                    ruleset_version="test",
                    items=[],
                    complete=False,
                ),
                MagicLink(intake_id=intake_id, token_hash=uuid.uuid4().hex, expires_at=now),
            ]
        )
        audit.record(
            uow,
            actor=audit.Actor.staff(staff.id),
            action="intake.read",
            object_type="intake",
            object_id=intake_id,
        )
    return started


def test_every_foreign_key_into_an_intake_is_purged() -> None:
    """A new table pointing at intakes (or at what a purge deletes) must join the purge."""
    children = {(c.class_.__tablename__, c.key) for c in purge.INTAKE_CHILDREN}
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target == "intakes":
                assert (table.name, fk.parent.name) in children, f"{table.name}.{fk.parent.name}"
            elif target in PURGED_TABLES:
                # Rows pointing at a purged row must be purged themselves (findings name
                # documents, offers name appointments, intakes name patients).
                assert table.name in PURGED_TABLES, f"{table.name}.{fk.parent.name}"


def test_only_abandoned_drafts_older_than_the_policy_go(
    client: TestClient, settings: Settings
) -> None:
    assert settings.retention_draft_days == 90
    young = start_intake(client, email="young@example.com")
    old = start_intake(client, email="old@example.com")
    submitted = start_intake(client, email="submitted@example.com")
    left = start_intake(client, email="left@example.com")
    left_late = start_intake(client, email="left-late@example.com")
    withdrew_after_submit = start_intake(client, email="withdrew@example.com")
    age(young.id, 89)
    age(old.id, 91)
    long_ago = utcnow() - timedelta(days=100)
    age(submitted.id, 91, status=IntakeStatus.SUBMITTED, submitted_at=long_ago)
    age(left.id, 95, status=IntakeStatus.WITHDRAWN, withdrawn_at=long_ago)
    # Withdrawn 10 days ago after 95 quiet days: the clock restarted at the withdrawal.
    age(left_late.id, 95, status=IntakeStatus.WITHDRAWN, withdrawn_at=utcnow() - timedelta(days=10))
    age(
        withdrew_after_submit.id,
        91,
        status=IntakeStatus.WITHDRAWN,
        submitted_at=long_ago,
        withdrawn_at=long_ago,
    )

    report = sweep(UnitOfWork, settings)

    assert report.purged == 2
    assert not exists(old.id)
    assert not exists(left.id)
    for kept in (young, submitted, left_late, withdrew_after_submit):
        assert exists(kept.id)
    assert sweep(UnitOfWork, settings).purged == 0  # idempotent


def test_purge_removes_every_child_row_and_file_and_keeps_the_audit_trail(
    client: TestClient, settings: Settings
) -> None:
    before = row_counts()
    doomed = _with_every_child(client, "doomed")
    kept = _with_every_child(client, "kept")
    keys = _storage_keys(doomed.id)
    kept_keys = _storage_keys(kept.id)
    assert len(keys) == 2
    assert all(stored_file(settings, key) for key in keys)
    age(doomed.id, 120)
    age(kept.id, 30)
    after_kept = row_counts()
    old_audit = [event.id for event in audit_events()]
    doomed_document_ids = {
        str(d) for d in _ids(select(Document.id).where(Document.intake_id == uuid.UUID(doomed.id)))
    }

    report = sweep(UnitOfWork, settings)

    assert report.purged == 1
    assert not any(stored_file(settings, key) for key in keys)
    assert all(stored_file(settings, key) for key in kept_keys)
    now = row_counts()
    for table in PURGED_TABLES:
        # Each table lost exactly the doomed intake's rows: it had as many as `kept`.
        kept_rows = (after_kept[table] - before[table]) // 2
        assert now[table] == before[table] + kept_rows, table
    # The audit trail keeps every earlier event and records the purge, ids only.
    events = audit_events()
    assert [e.id for e in events][: len(old_audit)] == old_audit
    new = [(e.actor_type, e.action, e.object_type, e.object_id) for e in events[len(old_audit) :]]
    purged_patient = [e for e in new if e[1] == "patient.purged"]
    assert ("system", "intake.purged", "intake", doomed.id) in new
    assert {e[3] for e in new if e[1] == "document.purged"} == doomed_document_ids
    assert len(purged_patient) == 1
    assert len(new) == 4


def _ids(stmt: object) -> list[uuid.UUID]:
    with UnitOfWork() as uow:
        return list(uow.session.scalars(stmt))  # type: ignore[call-overload]


def test_a_file_already_gone_does_not_stop_the_purge(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client)
    upload(client, started, "operative_note", "gone")
    upload(client, started, "current_mri", "still-there")
    first, second = _storage_keys(started.id)
    (settings.storage_path / first).unlink()
    age(started.id, 91)

    assert sweep(UnitOfWork, settings).purged == 1

    assert not exists(started.id)
    assert not stored_file(settings, second)


def test_a_rolled_back_purge_keeps_rows_and_files(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_intake(client)
    upload(client, started, "operative_note", "kept-on-rollback")
    [key] = _storage_keys(started.id)
    age(started.id, 91)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the audit write failed")

    # The last write of the transaction fails, after every DELETE has run.
    monkeypatch.setattr(audit, "record", refuse)
    with pytest.raises(RuntimeError):
        purge.purge_abandoned(UnitOfWork, settings=settings, now=utcnow())

    assert exists(started.id)
    assert stored_file(settings, key)


def _lock_timeout_uow() -> UnitOfWork:
    """A unit of work that gives up on a locked row instead of waiting forever."""
    uow = UnitOfWork()
    uow.session.execute(text("SET LOCAL lock_timeout = '10s'"))
    return uow


@pytest.fixture
def pg_client(pg_settings: Settings) -> Iterator[TestClient]:
    """A client on PostgreSQL alone (`client` runs on both backends)."""
    with TestClient(create_app()) as test_client:
        yield test_client


def test_a_second_sweep_skips_what_the_first_holds(
    pg_client: TestClient, pg_settings: Settings
) -> None:
    drafts = [start_intake(pg_client, email=f"p{n}@example.com") for n in range(6)]
    for started in drafts:
        age(started.id, 91)
    cutoff = utcnow() - timedelta(days=pg_settings.retention_draft_days)

    with UnitOfWork() as first:
        held = purge._lock_abandoned(first.session, cutoff, 2)
        purge._purge_batch(first, held)
        # The first sweep has not committed yet: the second takes the other four at
        # once, neither waiting on the held rows nor purging them twice.
        second = purge.purge_abandoned(_lock_timeout_uow, settings=pg_settings, now=utcnow())
        assert second == 4

    assert not any(exists(started.id) for started in drafts)
    assert len(audit_events("intake.purged")) == 6


def test_two_sweeps_at_once_purge_each_draft_once(
    pg_client: TestClient, pg_settings: Settings
) -> None:
    drafts = [start_intake(pg_client, email=f"q{n}@example.com") for n in range(24)]
    for started in drafts:
        age(started.id, 91)
    counts: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def one_sweep() -> None:
        try:
            barrier.wait()
            counts.append(
                purge.purge_abandoned(UnitOfWork, settings=pg_settings, now=utcnow(), batch=3)
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(counts) == 24
    assert len(audit_events("intake.purged")) == 24
    assert len(audit_events("patient.purged")) == 24


def test_a_patient_with_two_intakes_purged_by_two_sweeps_goes_too(
    pg_client: TestClient, pg_settings: Settings
) -> None:
    first = start_intake(pg_client, email="twice@example.com")
    second = start_intake(pg_client, email="twice@example.com")
    with UnitOfWork() as uow:
        one = uow.session.get_one(Intake, uuid.UUID(first.id))
        other = uow.session.get_one(Intake, uuid.UUID(second.id))
        spare = other.patient_id
        other.patient_id = one.patient_id
    with UnitOfWork() as uow:
        uow.session.execute(delete(Patient).where(Patient.id == spare))
    age(first.id, 120)
    age(second.id, 100)
    cutoff = utcnow() - timedelta(days=pg_settings.retention_draft_days)

    with UnitOfWork() as held:
        rows = purge._lock_abandoned(held.session, cutoff, 1)
        assert [intake_id for intake_id, _ in rows] == [uuid.UUID(first.id)]
        purge._purge_batch(held, rows)
        # The other intake's patient is held: this sweep leaves it for the next one.
        assert purge.purge_abandoned(_lock_timeout_uow, settings=pg_settings, now=utcnow()) == 0
    assert purge.purge_abandoned(UnitOfWork, settings=pg_settings, now=utcnow()) == 1

    with UnitOfWork() as uow:
        assert uow.session.scalars(select(Patient)).all() == []
    assert len(audit_events("patient.purged")) == 1
