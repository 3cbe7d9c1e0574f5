"""The required-document checklist rules (DOMAIN.md §4), as a pure function.

`evaluate_checklist` lists, in a stable order, one item per surgery's operative note, then
current_mri, postop_imaging, preop_imaging and conservative_care_record. Each document is
judged on its own (a Verdict, see evidence.py); an item then takes its strongest verdict:
satisfied, else needs_review (a person may still find it good), else stale, else missing.
Labels are for the patient and stay plain; reasons are for staff and may be precise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from intake.checklist.answers import AnswerFacts, read_answers
from intake.checklist.evidence import (
    ANY_IMAGING,
    CONSERVATIVE_CARE_RECORD,
    CT_OR_XRAY,
    CURRENT_MRI,
    MRI,
    OPERATIVE_NOTE,
    POSTOP_IMAGING,
    PREOP_IMAGING,
    DocumentEvidence,
    ItemStatus,
    Verdict,
    imaging_problem,
    is_not_after,
    modality_words,
    preop_verdict,
    readable_verdict,
    recent_verdict,
    settle,
)
from intake.checklist.policy import DEFAULT_POLICY, RULESET_VERSION, ChecklistPolicy
from intake.questionnaire import PartialDate

__all__ = [
    "DEFAULT_POLICY",
    "RULESET_VERSION",
    "ChecklistItem",
    "ChecklistPolicy",
    "ChecklistResult",
    "DocumentEvidence",
    "ItemStatus",
    "evaluate_checklist",
]

_STRENGTH: Mapping[ItemStatus, int] = {"satisfied": 3, "needs_review": 2, "stale": 1}
_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


@dataclass(frozen=True)
class ChecklistItem:
    key: str  # stable: "operative_note:1", "current_mri", ...
    label: str  # patient-facing, plain English
    required: bool
    status: ItemStatus
    reason: str  # for a coordinator: why this status
    document_ids: tuple[str, ...]  # the documents that count towards it, strongest first


@dataclass(frozen=True)
class ChecklistResult:
    ruleset_version: str
    items: tuple[ChecklistItem, ...]

    @property
    def complete(self) -> bool:
        """Every required item is satisfied."""
        return all(item.status == "satisfied" for item in self.items if item.required)

    @property
    def patient_actionable(self) -> tuple[ChecklistItem, ...]:
        """Required items the patient must upload (again); needs_review waits on staff."""
        return tuple(i for i in self.items if i.required and i.status in ("missing", "stale"))

    @property
    def missing_keys(self) -> tuple[str, ...]:
        """Keys of the required items not satisfied, in item order."""
        return tuple(i.key for i in self.items if i.required and i.status != "satisfied")


def evaluate_checklist(
    *,
    answers: Mapping[str, Any],
    documents: Sequence[DocumentEvidence],
    today: date,
    policy: ChecklistPolicy = DEFAULT_POLICY,
) -> ChecklistResult:
    """The checklist for these answers and documents on `today` (the clinic's calendar day).

    `documents` must be in upload order, oldest first: operative notes are matched to
    surgeries in that order. `answers` may be a partial or invalid draft.
    """
    rules = _Rules(read_answers(answers, today), documents, today, policy)
    mri, misfiled = rules.current_mri()
    items = (
        *rules.operative_notes(),
        mri,
        rules.postop_imaging(misfiled),
        rules.preop_imaging(),
        rules.conservative_care_record(),
    )
    return ChecklistResult(ruleset_version=RULESET_VERSION, items=items)


class _Rules:
    """The per-item rules over one evaluation's answers, documents, day and policy."""

    def __init__(
        self,
        facts: AnswerFacts,
        documents: Sequence[DocumentEvidence],
        today: date,
        policy: ChecklistPolicy,
    ) -> None:
        self.facts = facts
        self.documents = documents
        self.today = today
        self.policy = policy
        self.last = facts.last_surgery
        surgery = "your most recent surgery" if len(facts.surgeries) > 1 else "your surgery"
        self.after_surgery = f"after {surgery}"

    def counted(self, kind: str) -> list[DocumentEvidence]:
        return [d for d in self.documents if d.kind == kind and d.counts]

    def judged(self, document: DocumentEvidence, verdict: Verdict) -> Verdict:
        return settle(verdict, document, self.facts.regions)

    def not_counted(self, kind: str) -> list[str]:
        count = sum(1 for d in self.documents if d.kind == kind and not d.counts)
        uploads = "1 upload" if count == 1 else f"{count} uploads"
        return [f"{uploads} of this kind rejected or of the wrong patient"] if count else []

    def operative_notes(self) -> list[ChecklistItem]:
        """One required item per surgery, oldest first, matched to notes in upload order.

        We cannot read which surgery a note is about, so the i-th item is satisfied when at
        least i notes count. Good notes are handed out before ones awaiting review.
        """
        # POLICY date tolerance is left to staff: the note's date is inside the file.
        days = self.policy.operative_note_date_tolerance_days
        unchecked = f"its date must be within {days} day(s) of the surgery; staff check that"
        verdicts = [
            self.judged(d, readable_verdict(d, "operative note", unchecked))
            for d in self.counted(OPERATIVE_NOTE)
        ]
        verdicts.sort(key=lambda v: -_STRENGTH[v.status])  # stable: upload order within
        labels = _note_labels(self.facts)
        missing = (
            f"{len(verdicts)} operative note(s) for {len(labels)} surgeries; "
            "notes are matched to surgeries in upload order"
            if verdicts
            else "no operative note uploaded"
        )
        notes = self.not_counted(OPERATIVE_NOTE)
        items = [
            _item(f"operative_note:{n}", label, True, verdicts[n - 1 : n], missing, notes)
            for n, label in enumerate(labels, start=1)
        ]
        if len(verdicts) > len(labels):
            # More notes than surgeries: the answers may lack a surgery; staff should know.
            extra = f"{len(verdicts) - len(labels)} more operative note(s) than surgeries"
            last = items[-1]
            items[-1] = replace(last, reason=f"{last.reason}; {extra} in the answers")
        return items

    def current_mri(self) -> tuple[ChecklistItem, list[DocumentEvidence]]:
        """The current-MRI item, and the CT/X-ray uploads misfiled as one (for post-op)."""
        verdicts: list[Verdict] = []
        misfiled: list[DocumentEvidence] = []
        notes: list[str] = []
        for document in self.counted(CURRENT_MRI):
            if not document.is_readable and document.modality in CT_OR_XRAY:
                images = modality_words(document.modality)
                images = f"uploaded as current MRI but the images are {images}"
                if is_not_after(document.dated, self.last):
                    notes.append(
                        f"{images} dated {document.dated}, not after the last surgery; not counted"
                    )
                else:
                    notes.append(f"{images}; counted as post-op imaging")
                    misfiled.append(document)
                continue
            if problem := imaging_problem(document, MRI, "current MRI"):
                verdict = Verdict.of(document, "needs_review", problem)
            elif document.is_readable:
                verdict = self.recent_mri(document, "MRI report")
                verdict = verdict.noted("report only, images pending")
            else:
                verdict = self.recent_mri(document, "MRI study")
            verdicts.append(self.judged(document, verdict))
        months = self.policy.mri_max_age_months
        label = f"MRI scan of your spine from the last {months} months, taken {self.after_surgery}"
        notes += self.not_counted(CURRENT_MRI)
        return _item("current_mri", label, True, verdicts, "no MRI uploaded", notes), misfiled

    def postop_imaging(self, misfiled: Iterable[DocumentEvidence]) -> ChecklistItem:
        """Required only with hardware, where CT or X-ray shows the fusion and implants."""
        months = self.policy.postop_imaging_max_age_months
        verdicts = []
        for document in [*self.counted(POSTOP_IMAGING), *misfiled]:
            if problem := imaging_problem(document, ANY_IMAGING, "post-op imaging"):
                verdict = Verdict.of(document, "needs_review", problem)
            else:
                what = "report" if document.is_readable else modality_words(document.modality)
                moved = " (uploaded as current MRI)" if document.kind == CURRENT_MRI else ""
                verdict = recent_verdict(
                    document, f"post-op {what}{moved}", months, self.last, self.today
                )
            verdicts.append(self.judged(document, verdict))
        required = self.facts.has_hardware
        why = "required: hardware was implanted" if required else "optional: no hardware recorded"
        label = f"CT scan, X-ray or MRI taken {self.after_surgery}, in the last {months} months"
        if not required:
            label += ", if you have one"
        notes = [why, *self.not_counted(POSTOP_IMAGING)]
        missing = "no post-op imaging uploaded"
        return _item("postop_imaging", label, required, verdicts, missing, notes)

    def preop_imaging(self) -> ChecklistItem:
        """Optional ("required if obtainable"): imaging from before the first surgery."""
        verdicts = []
        for document in self.counted(PREOP_IMAGING):
            if problem := imaging_problem(document, ANY_IMAGING, "pre-op imaging"):
                verdict = Verdict.of(document, "needs_review", problem)
            else:
                verdict = preop_verdict(document, self.facts.first_surgery, self.today)
            verdicts.append(self.judged(document, verdict))
        surgery = "your first surgery" if len(self.facts.surgeries) > 1 else "your surgery"
        label = f"Scans or X-rays from before {surgery}, if you have them"
        missing = "no pre-op imaging uploaded (optional)"
        return _item(
            "preop_imaging", label, False, verdicts, missing, self.not_counted(PREOP_IMAGING)
        )

    def conservative_care_record(self) -> ChecklistItem:
        """Required: at least one record; the answers' coverage is only commented on."""
        verdicts = [
            self.judged(d, readable_verdict(d, "conservative-care record", ""))
            for d in self.counted(CONSERVATIVE_CARE_RECORD)
        ]
        label = (
            "Records of treatment since your surgery, such as physiotherapy notes, "
            "injection records or a medication list"
        )
        notes = [*self.care_coverage(), *self.not_counted(CONSERVATIVE_CARE_RECORD)]
        missing = "no conservative-care record uploaded"
        return _item("conservative_care_record", label, True, verdicts, missing, notes)

    def recent_mri(self, document: DocumentEvidence, noun: str) -> Verdict:
        months = self.policy.mri_max_age_months
        return recent_verdict(document, noun, months, self.last, self.today)

    def care_coverage(self) -> list[str]:
        # POLICY (DOMAIN.md §4): the record should cover >= 6 weeks. A PDF cannot be read for
        # that, so a short span in the answers is only noted for staff and never holds the
        # item back: the patient may simply have typed partial dates.
        weeks, days = self.policy.conservative_care_min_weeks, self.facts.care_days
        if not self.facts.care_episode_count:
            return ["the answers list no conservative-care episodes"]
        if days is None:
            return ["the answers give no episode dates; coverage unknown"]
        if days < weeks * 7:
            return [f"the answers' episodes cover {days} days, under the {weeks} weeks expected"]
        return []


def _item(
    key: str,
    label: str,
    required: bool,
    verdicts: Sequence[Verdict],
    missing_reason: str,
    notes: Sequence[str],
) -> ChecklistItem:
    """The strongest verdict decides; among equals the newest document, then the first."""
    if not verdicts:
        reason = "; ".join((missing_reason, *notes))
        return ChecklistItem(key, label, required, "missing", reason, ())
    best = max(verdicts, key=_strength)
    counting = sorted((v for v in verdicts if v.status == best.status), key=_strength, reverse=True)
    reason = "; ".join((best.reason, *notes))
    ids = tuple(v.document_id for v in counting)
    return ChecklistItem(key, label, required, best.status, reason, ids)


def _strength(verdict: Verdict) -> tuple[int, date]:
    return _STRENGTH[verdict.status], verdict.dated or date.min


def _note_labels(facts: AnswerFacts) -> list[str]:
    """One label per surgery; a draft without surgeries still gets one."""
    if not facts.surgeries:
        return ["Operative note for your surgery"]
    labels = [
        f"Operative note for your surgery of {_month_year(s.date)}"
        if s.date
        else "Operative note for your surgery (date not given yet)"
        for s in facts.surgeries
    ]
    # Two surgeries in one month, or two undated, would otherwise read the same.
    return [
        f"{label} ({n} of {len(labels)})" if labels.count(label) > 1 else label
        for n, label in enumerate(labels, start=1)
    ]


def _month_year(value: PartialDate) -> str:
    return f"{_MONTHS[value.month - 1]} {value.year}"
