"""Retention: the sweep purges abandoned drafts, their files and everything hanging off them.

Abandoned means no patient activity for RETENTION_DRAFT_DAYS while the intake is a draft,
or was withdrawn before it was ever submitted (the patient stopped before giving us a
record to act on). Anything that was submitted is a clinical record and is never purged.

The audit trail stays: its rows name ids only, and each purge adds events of its own.
Files go only once the rows are committed away, so a rollback can never leave a row
without its file; a crash between the commit and the delete leaves an orphan file.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from intake import audit
from intake.auth.models import MagicLink
from intake.checklist.models import ChecklistRecord
from intake.config import Settings
from intake.db import UnitOfWork
from intake.documents.models import Document
from intake.documents.storage import LocalStorage, Storage
from intake.intakes.models import Intake, IntakeStatus, Patient, PatientAccessToken
from intake.notifications.models import OutboxEmail
from intake.routing.models import ConfirmedFinding, RoutingDecision
from intake.scheduling.models import Appointment, SlotOffer

log = logging.getLogger(__name__)

BATCH = 100

# Every column that points at an intake, in an order that deletes children before the
# rows they point at: offers name appointments, findings name documents.
# tests/lifecycle/test_purge.py checks this list against every foreign key in the schema.
INTAKE_CHILDREN: tuple[InstrumentedAttribute[Any], ...] = (
    SlotOffer.intake_id,
    Appointment.intake_id,
    ConfirmedFinding.intake_id,
    RoutingDecision.intake_id,
    ChecklistRecord.intake_id,
    MagicLink.intake_id,
    OutboxEmail.intake_id,
    PatientAccessToken.intake_id,
    Document.intake_id,
)


def abandoned(cutoff: datetime) -> ColumnElement[bool]:
    """Drafts, and drafts withdrawn unsubmitted, untouched by the patient since `cutoff`."""
    return and_(
        or_(
            Intake.status == IntakeStatus.DRAFT,
            and_(Intake.status == IntakeStatus.WITHDRAWN, Intake.submitted_at.is_(None)),
        ),
        Intake.last_patient_activity_at < cutoff,
        # Withdrawing is the patient's last word too; the clock starts again there.
        or_(Intake.withdrawn_at.is_(None), Intake.withdrawn_at < cutoff),
    )


def _lock_abandoned(
    session: Session, cutoff: datetime, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(intake id, patient id) of abandoned intakes, locked; a second sweep skips them.

    Their patients are locked too: two sweeps purging two intakes of one patient at once
    would each still see the other's intake and keep the patient, for ever. This way the
    second one skips that intake until the first has committed.

    SQLite renders no FOR UPDATE, but there every transaction is BEGIN IMMEDIATE, so
    one purge runs at a time and the second sees the rows already gone.
    """
    stmt = (
        select(Intake.id, Intake.patient_id)
        .join(Patient, Patient.id == Intake.patient_id)
        .where(abandoned(cutoff))
        .order_by(Intake.last_patient_activity_at, Intake.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=(Intake, Patient))
    )
    return [(row.id, row.patient_id) for row in session.execute(stmt)]


def _purge_batch(uow: UnitOfWork, rows: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> list[str]:
    """Delete the intakes in `rows` with their children and lone patients; the storage
    keys of their files, for the caller to delete after the commit."""
    session = uow.session
    intake_ids = [intake_id for intake_id, _ in rows]
    documents = session.execute(
        select(Document.id, Document.intake_id, Document.storage_key).where(
            Document.intake_id.in_(intake_ids)
        )
    ).all()
    for column in INTAKE_CHILDREN:
        session.execute(
            delete(column.class_)
            .where(column.in_(intake_ids))
            .execution_options(synchronize_session=False)
        )
    session.execute(
        delete(Intake).where(Intake.id.in_(intake_ids)).execution_options(synchronize_session=False)
    )
    for document in documents:
        audit.record(
            uow,
            actor=audit.SYSTEM,
            action="document.purged",
            object_type="document",
            object_id=document.id,
        )
    for intake_id in intake_ids:
        audit.record(
            uow,
            actor=audit.SYSTEM,
            action="intake.purged",
            object_type="intake",
            object_id=intake_id,
        )
    _purge_lone_patients(uow, {patient_id for _, patient_id in rows})
    return [document.storage_key for document in documents]


def _purge_lone_patients(uow: UnitOfWork, patient_ids: set[uuid.UUID]) -> None:
    """Patients left with no intake at all go too: nothing else of theirs is kept.

    Their rows are locked already (`_lock_abandoned`)."""
    if not patient_ids:
        return
    has_intake = exists().where(Intake.patient_id == Patient.id)
    lone = list(
        uow.session.scalars(select(Patient.id).where(Patient.id.in_(patient_ids), ~has_intake))
    )
    if not lone:
        return
    uow.session.execute(
        delete(Patient).where(Patient.id.in_(lone)).execution_options(synchronize_session=False)
    )
    for patient_id in lone:
        audit.record(
            uow,
            actor=audit.SYSTEM,
            action="patient.purged",
            object_type="patient",
            object_id=patient_id,
        )


def delete_files(storage: Storage, keys: list[str]) -> None:
    """Delete each file; one that fails is logged and the rest still go."""
    for key in keys:
        try:
            storage.delete(key)
        except OSError as exc:
            # The key is a random name, no PHI; the row is gone, so the file is an orphan.
            log.warning("retention: could not delete stored file %s: %s", key, exc.strerror)


def purge_abandoned(
    uow_factory: Callable[[], UnitOfWork],
    *,
    settings: Settings,
    now: datetime,
    storage: Storage | None = None,
    batch: int = BATCH,
) -> int:
    """Purge every abandoned draft, one transaction per batch; how many intakes went."""
    storage = storage or LocalStorage(settings.storage_path)
    cutoff = now - timedelta(days=settings.retention_draft_days)
    purged = 0
    while True:
        with uow_factory() as uow:
            rows = _lock_abandoned(uow.session, cutoff, batch)
            if rows:
                keys = _purge_batch(uow, rows)
                uow.after_commit(partial(delete_files, storage, keys))
        purged += len(rows)
        if len(rows) < batch:
            return purged
