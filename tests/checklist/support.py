"""Builders for the checklist-rule tests: documents, edited answers, one evaluation.

The base is the complete lumbar fixture: one fusion in February 2023 with hardware at
L5-S1, evaluated on 2024-05-15. A fresh document is dated 2024-03-01.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from intake.checklist.rules import (
    DEFAULT_POLICY,
    ChecklistItem,
    ChecklistPolicy,
    ChecklistResult,
    DocumentEvidence,
    evaluate_checklist,
)
from tests.questionnaire.fixtures import COMPLETE_ANSWERS, TODAY

PDF = "application/pdf"
DICOM = "application/dicom"
ZIP = "application/zip"
FRESH = date(2024, 3, 1)

Answers = dict[str, Any]


def document(
    id: str,
    kind: str,
    *,
    media_type: str = DICOM,
    modality: str | None = None,
    study_date: date | None = None,
    report_date: date | None = None,
    body_part: str | None = None,
    review_status: str = "pending",
    review_reasons: tuple[str, ...] = (),
) -> DocumentEvidence:
    return DocumentEvidence(
        id=id,
        kind=kind,
        media_type=media_type,
        modality=modality,
        study_date=study_date,
        report_date=report_date,
        body_part=body_part,
        review_status=review_status,
        review_reasons=review_reasons,
    )


def mri(id: str = "mri", on: date | None = FRESH, **changes: Any) -> DocumentEvidence:
    """Lumbar MRI images uploaded as the current MRI."""
    fields: dict[str, Any] = {"modality": "MR", "study_date": on, "body_part": "LSPINE"}
    return document(id, "current_mri", **(fields | changes))


def report(id: str, kind: str, on: date | None = FRESH, **changes: Any) -> DocumentEvidence:
    """A PDF report with the date the patient typed."""
    return document(id, kind, **({"media_type": PDF, "report_date": on} | changes))


def postop(id: str = "ct", on: date | None = FRESH, **changes: Any) -> DocumentEvidence:
    """Lumbar CT images uploaded as post-op imaging."""
    fields: dict[str, Any] = {"modality": "CT", "study_date": on, "body_part": "LSPINE"}
    return document(id, "postop_imaging", **(fields | changes))


def preop(
    id: str = "preop", on: date | None = date(2022, 11, 2), **changes: Any
) -> DocumentEvidence:
    """Lumbar MRI images from before the February 2023 surgery."""
    fields: dict[str, Any] = {"modality": "MR", "study_date": on, "body_part": "LSPINE"}
    return document(id, "preop_imaging", **(fields | changes))


def note(id: str = "note", **changes: Any) -> DocumentEvidence:
    return document(id, "operative_note", **({"media_type": PDF} | changes))


def care(id: str = "care", **changes: Any) -> DocumentEvidence:
    return document(id, "conservative_care_record", **({"media_type": PDF} | changes))


def full_set(body_part: str = "LSPINE") -> list[DocumentEvidence]:
    """Everything COMPLETE_ANSWERS needs on TODAY, in upload order."""
    return [
        note(),
        mri(body_part=body_part),
        postop(body_part=body_part),
        preop(on=date(2022, 6, 1), body_part=body_part),
        care(),
    ]


def edited(edit: Callable[[Answers], object], base: Answers = COMPLETE_ANSWERS) -> Answers:
    """A deep copy of `base` changed by `edit`."""
    answers = copy.deepcopy(base)
    edit(answers)
    return answers


def with_surgery(**changes: Any) -> Answers:
    """COMPLETE_ANSWERS with its one surgery changed."""
    return edited(lambda answers: answers["surgeries"][0].update(changes))


def with_surgery_dates(*dates: str | None) -> Answers:
    """COMPLETE_ANSWERS with one copy of its surgery per date (None: date not given)."""
    template = COMPLETE_ANSWERS["surgeries"][0]
    surgeries = [{**copy.deepcopy(template), "surgery_date": on} for on in dates]
    for surgery in surgeries:
        if surgery["surgery_date"] is None:
            del surgery["surgery_date"]
    return edited(lambda answers: answers.update(surgeries=surgeries))


def evaluate(
    documents: Sequence[DocumentEvidence],
    answers: Answers = COMPLETE_ANSWERS,
    today: date = TODAY,
    policy: ChecklistPolicy = DEFAULT_POLICY,
) -> ChecklistResult:
    return evaluate_checklist(answers=answers, documents=documents, today=today, policy=policy)


def item(result: ChecklistResult, key: str) -> ChecklistItem:
    (found,) = [i for i in result.items if i.key == key]
    return found


@dataclass(frozen=True)
class Row:
    """One row of an item table: these documents give this status, reason and documents."""

    documents: Sequence[DocumentEvidence]
    status: str
    reason: str  # a fragment the reason must contain
    ids: tuple[str, ...]
    answers: Answers
    today: date
    policy: ChecklistPolicy

    def check(self, key: str) -> ChecklistItem:
        found = item(evaluate(self.documents, self.answers, self.today, self.policy), key)
        assert (found.status, found.document_ids) == (self.status, self.ids), found.reason
        assert self.reason in found.reason, found.reason
        return found


def case(
    name: str,
    documents: Sequence[DocumentEvidence],
    status: str,
    reason: str,
    ids: tuple[str, ...] | None = None,
    *,
    answers: Answers = COMPLETE_ANSWERS,
    today: date = TODAY,
    policy: ChecklistPolicy = DEFAULT_POLICY,
) -> Any:
    """A pytest.param holding one Row; `ids` defaults to every document given, in order."""
    expected_ids = tuple(d.id for d in documents) if ids is None else ids
    row = Row(documents, status, reason, expected_ids, answers, today, policy)
    return pytest.param(row, id=name)
