"""The required-document checklist, as the worker keeps it.

The rules themselves are pure (`rules.py`); this module feeds them the intake's
answers and documents, stores each new result as a new version, and moves the intake
between awaiting_information and complete.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from intake import tasknames
from intake.checklist import repository as results
from intake.checklist.models import ChecklistRecord
from intake.checklist.rules import ChecklistResult, DocumentEvidence, evaluate_checklist
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.documents import repository as documents
from intake.documents.models import Document
from intake.intakes import repository as intakes
from intake.intakes.models import Intake, IntakeStatus
from intake.metrics.events import observe
from intake.queues import placement
from intake.reminders import service as reminders

# Once submitted, the checklist decides between these; before, it only informs the form.
_SUBMITTED = frozenset(
    {
        IntakeStatus.SUBMITTED,
        IntakeStatus.AWAITING_INFORMATION,
        IntakeStatus.COMPLETE,
        IntakeStatus.ROUTED,
        IntakeStatus.DEFERRED,
    }
)


@dataclass(frozen=True)
class ChecklistOutcome:
    missing: list[str]
    status: IntakeStatus
    version: int


def evidence_of(document: Document) -> DocumentEvidence:
    return DocumentEvidence(
        id=str(document.id),
        kind=document.kind.value,
        media_type=document.media_type,
        modality=document.modality,
        study_date=document.study_date,
        report_date=document.report_date,
        body_part=document.body_part,
        review_status=document.review_status.value,
        review_reasons=tuple(document.review_reasons),
    )


def clinic_today(settings: Settings, now: datetime | None = None) -> date:
    """Freshness is counted in the clinic's own calendar, not in UTC."""
    return (now or utcnow()).astimezone(ZoneInfo(settings.clinic_timezone)).date()


def mark_dirty(uow: UnitOfWork, intake: Intake) -> None:
    """Ask for a checklist pass once this unit of work commits."""
    intake.checklist_dirty = True
    uow.jobs.enqueue(tasknames.EVALUATE_CHECKLIST, str(intake.id))


def _store(uow: UnitOfWork, intake: Intake, result: ChecklistResult) -> ChecklistRecord:
    """A new version only when the result changed: re-running stores nothing new."""
    items = [{**asdict(item), "document_ids": list(item.document_ids)} for item in result.items]
    latest = results.latest(uow.session, intake.id)
    if (
        latest is not None
        and latest.items == items
        and latest.ruleset_version == result.ruleset_version
    ):
        return latest
    record = ChecklistRecord(
        intake_id=intake.id,
        version=(latest.version + 1) if latest else 1,
        ruleset_version=result.ruleset_version,
        items=items,
        complete=result.complete,
    )
    uow.session.add(record)
    return record


def _move(uow: UnitOfWork, intake: Intake, result: ChecklistResult, settings: Settings) -> None:
    if result.complete:
        if intake.status in (IntakeStatus.SUBMITTED, IntakeStatus.AWAITING_INFORMATION):
            # Only the transition enqueues routing, so a second pass cannot route twice.
            intake.status = IntakeStatus.COMPLETE
            uow.jobs.enqueue(tasknames.ROUTE_INTAKE, str(intake.id))
        reminders.stop(uow, intake, why="the intake is complete")
        return
    intake.status = IntakeStatus.AWAITING_INFORMATION
    intake.recheck_on = None
    if intake.queue not in (placement.URGENT, placement.STALE):
        placement.place(intake, placement.AWAITING_INFORMATION, now=utcnow())
    if result.patient_actionable:
        reminders.keep_reminding(uow, intake, settings=settings, now=utcnow())
    else:
        # Waiting on the clinic (a document under review): nothing to nag about.
        reminders.stop(uow, intake, why="waiting on the clinic, not the patient")


@observe("checklist")
def evaluate(
    uow: UnitOfWork, intake_id: uuid.UUID, *, settings: Settings
) -> ChecklistOutcome | None:
    """Recompute the checklist; on a submitted intake, remind the patient or mark it complete.

    Safe to run twice or concurrently: it works under the intake's row lock (SQLite
    serialises writers), stores a new version only when the result changed, and a
    running reminder round is left as it is.
    """
    intake = intakes.get(uow.session, intake_id, for_update=True)
    if intake is None:
        return None
    evidence = [evidence_of(d) for d in documents.for_intake(uow.session, intake.id)]
    result = evaluate_checklist(
        answers=intake.answers, documents=evidence, today=clinic_today(settings)
    )
    record = _store(uow, intake, result)
    intake.checklist_missing = list(result.missing_keys)
    intake.checklist_checked_at = utcnow()
    intake.checklist_dirty = False
    if intake.status in _SUBMITTED:
        _move(uow, intake, result, settings)
    uow.session.flush()
    return ChecklistOutcome(
        missing=list(result.missing_keys), status=intake.status, version=record.version
    )


def latest_result(uow: UnitOfWork, intake: Intake) -> ChecklistRecord | None:
    return results.latest(uow.session, intake.id)


def preview(uow: UnitOfWork, intake: Intake, *, settings: Settings) -> ChecklistResult:
    """The checklist as it stands right now, for the patient's page; nothing is stored."""
    evidence = [evidence_of(d) for d in documents.for_intake(uow.session, intake.id)]
    return evaluate_checklist(
        answers=intake.answers, documents=evidence, today=clinic_today(settings)
    )


def item_kind(key: str) -> str:
    """The document kind an item asks for: "operative_note:2" -> "operative_note"."""
    return key.split(":", 1)[0]
