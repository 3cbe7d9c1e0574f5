"""Uploaded documents as the checklist rules see them, and how each one is judged on its own:
what kind of file it is, and the doubts about it that only a person can settle.

Pure: no database. The service builds DocumentEvidence from its rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal, TypeAlias

from intake.checklist.policy import describe_age, is_within_months
from intake.questionnaire import PartialDate, Region

ItemStatus: TypeAlias = Literal["satisfied", "missing", "stale", "needs_review"]

# Document kinds as uploaded (the values of intake.documents.models.DocumentKind); plain
# strings so the rules import nothing from the database layer.
PREOP_IMAGING = "preop_imaging"
POSTOP_IMAGING = "postop_imaging"
CURRENT_MRI = "current_mri"
OPERATIVE_NOTE = "operative_note"
CONSERVATIVE_CARE_RECORD = "conservative_care_record"

# A PDF or a photo is read by a person (a report, a note); DICOM and ZIP uploads carry images.
READABLE_MEDIA_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
ZIP = "application/zip"
DICOM = "application/dicom"

# The primary imaging DOMAIN.md §5 accepts; RG is the legacy code for an X-ray.
MRI = frozenset({"MR"})
CT_OR_XRAY = frozenset({"CT", "CR", "DX", "RG"})
ANY_IMAGING = MRI | CT_OR_XRAY
_MODALITY_NAMES: Mapping[str, str] = {"MR": "MRI", "CT": "CT"}

NOT_COUNTED_REVIEW_STATUSES = frozenset({"rejected", "wrong_patient"})

# Normalised BodyPartExamined spine terms (DOMAIN.md §5) and the answer regions they show.
# Sacral and coccygeal imaging goes with lumbar: L5-S1 is a lumbar segment in the answers.
_WHOLE_SPINE = "SPINE"
_BODY_PART_REGIONS: Mapping[str, frozenset[Region]] = {
    "CSPINE": frozenset({"cervical"}),
    "CTSPINE": frozenset({"cervical", "thoracic"}),
    "TSPINE": frozenset({"thoracic"}),
    "TLSPINE": frozenset({"thoracic", "lumbar"}),
    "LSPINE": frozenset({"lumbar"}),
    "LSSPINE": frozenset({"lumbar"}),
    "SSPINE": frozenset({"lumbar"}),
    "SACRUM": frozenset({"lumbar"}),
    "COCCYX": frozenset({"lumbar"}),
}
_REGION_WORDS: Mapping[Region, str] = {
    "cervical": "the neck",
    "thoracic": "the mid back",
    "lumbar": "the lower back",
}


@dataclass(frozen=True)
class DocumentEvidence:
    """What the rules see of one uploaded document."""

    id: str
    kind: str  # preop_imaging | postop_imaging | current_mri | operative_note | ...
    media_type: str  # application/pdf | image/jpeg | image/png | application/dicom | ...zip
    modality: str | None  # DICOM modality of its (first/primary) study; None without DICOM
    study_date: date | None  # DICOM study date (for a ZIP: the newest study's date)
    report_date: date | None  # the date the patient typed for a PDF/photo of a report
    body_part: str | None  # normalised DICOM body part (CSPINE, LSPINE, SPINE, ...)
    review_status: str  # pending | reviewed | rejected | wrong_patient
    review_reasons: tuple[str, ...]  # flags raised at upload; pending + flags => a human

    @property
    def counts(self) -> bool:
        """False once staff rejected it or found it belongs to someone else."""
        return self.review_status not in NOT_COUNTED_REVIEW_STATUSES

    @property
    def is_readable(self) -> bool:
        """A PDF or photo: a report or note rather than images."""
        return self.media_type in READABLE_MEDIA_TYPES

    @property
    def dated(self) -> date | None:
        """The date freshness is judged by: the study date, else the typed report date."""
        return self.study_date or self.report_date


@dataclass(frozen=True)
class Verdict:
    """One document's standing towards one checklist item, before the item picks its best."""

    status: ItemStatus  # never "missing": a missing item has no verdicts
    reason: str
    document_id: str
    dated: date | None

    @classmethod
    def of(cls, document: DocumentEvidence, status: ItemStatus, reason: str) -> Verdict:
        return cls(status, reason, document.id, document.dated)

    def noted(self, note: str) -> Verdict:
        return replace(self, reason=f"{self.reason} ({note})")


def settle(verdict: Verdict, document: DocumentEvidence, regions: frozenset[Region]) -> Verdict:
    """Apply what staff review has (or has not yet) said about `document`.

    "reviewed" means staff accepted the document as the kind it was uploaded as, so every
    needs_review doubt about it is settled; what the rules see for themselves (too old,
    before the surgery, CT instead of MRI) stays. An unreviewed document with open doubts
    (upload flags, wrong region) cannot satisfy an item, only need review; a stale one stays
    stale, since accepting it would not make it fresh.
    """
    if document.review_status == "reviewed":
        if verdict.status == "needs_review":
            accepted = f"{verdict.reason}; accepted in staff review"
            return replace(verdict, status="satisfied", reason=accepted)
        return verdict
    doubts = [*_review_doubts(document), *_region_doubts(document, regions)]
    if not doubts:
        return verdict
    if verdict.status == "stale":
        return replace(verdict, reason="; ".join((verdict.reason, *doubts)))
    return replace(verdict, status="needs_review", reason="; ".join((*doubts, verdict.reason)))


def _review_doubts(document: DocumentEvidence) -> list[str]:
    if document.review_status != "pending":
        return [f"unknown review status {document.review_status!r}; a coordinator must check"]
    if not document.review_reasons:
        return []
    return [f"flagged at upload ({', '.join(document.review_reasons)}); awaiting staff review"]


def _region_doubts(document: DocumentEvidence, regions: frozenset[Region]) -> list[str]:
    """Imaging of a part of the spine no surgery was in goes to a person (DOMAIN.md §4)."""
    part = document.body_part
    if part is None or part == _WHOLE_SPINE:
        return []
    shown = _BODY_PART_REGIONS.get(part)
    if shown is None:
        # DOMAIN.md §5: an unrecognised body part goes to review; it is not rejected.
        return [f"body part {part!r} is not a spine region we know; a coordinator must check"]
    if not regions or shown & regions:
        return []
    return [f"imaging of {_region_words(shown)}; surgery was in {_region_words(regions)}"]


def _region_words(regions: frozenset[Region]) -> str:
    return " and ".join(words for region, words in _REGION_WORDS.items() if region in regions)


def imaging_problem(document: DocumentEvidence, accepted: Collection[str], uploaded_as: str) -> str:
    """Why this upload cannot count as imaging of an `accepted` modality; "" when it can.

    A PDF or photo is taken to be the report of the imaging, which counts.
    """
    if document.is_readable:
        return ""
    if document.media_type not in (DICOM, ZIP):
        return f"unexpected file type {document.media_type!r}; a coordinator must check"
    if document.modality is None:
        if document.media_type == ZIP:
            return "archive holds no DICOM images; a coordinator must check"
        return "DICOM file has no modality; a coordinator must check"
    if document.modality not in accepted:
        return (
            f"uploaded as {uploaded_as} but the images are {document.modality}; "
            "a coordinator must check"
        )
    return ""


def readable_verdict(document: DocumentEvidence, noun: str, caveat: str) -> Verdict:
    """A note or record is read by a person: a PDF or photo counts; images need a look."""
    if document.is_readable:
        caveat = f" ({caveat})" if caveat else ""
        return Verdict.of(document, "satisfied", f"{noun} uploaded{caveat}")
    what = {ZIP: "an archive", DICOM: "DICOM images"}.get(document.media_type)
    what = what or f"of type {document.media_type!r}"
    reason = f"uploaded as {noun} but the file is {what}; a coordinator must check"
    return Verdict.of(document, "needs_review", reason)


def modality_words(modality: str | None) -> str:
    """ "MRI", "CT", "X-ray (DX)": plain enough for a coordinator, precise for an X-ray."""
    if modality in CT_OR_XRAY - {"CT"}:
        return f"X-ray ({modality})"
    return _MODALITY_NAMES.get(modality or "", modality or "unknown")


def is_not_after(dated: date | None, surgery: PartialDate | None) -> bool:
    """True when `dated` is known not to be after `surgery`.

    A month-only surgery date stands for its whole month: "after" is after all of it.
    """
    return dated is not None and surgery is not None and dated <= surgery.last_day


def recent_verdict(
    document: DocumentEvidence,
    noun: str,
    months: int,
    last_surgery: PartialDate | None,
    today: date,
) -> Verdict:
    """Fresh imaging is dated after the last surgery and at most `months` months old."""
    dated = document.dated
    if dated is None:
        return _to_check(document, f"{noun} has no study date")
    said = f"{noun} dated {dated}"
    if dated > today:
        return _to_check(document, f"{said} is in the future")
    if is_not_after(dated, last_surgery):
        return Verdict.of(
            document, "stale", f"{said} is not after the last surgery ({last_surgery})"
        )
    age = describe_age(dated, today)
    if not is_within_months(dated, today, months):
        return Verdict.of(document, "stale", f"{said} is {age} old; the limit is {months}")
    unchecked = "" if last_surgery else "; surgery date unknown, not checked against it"
    return Verdict.of(
        document, "satisfied", f"{said} is {age} old; the limit is {months}{unchecked}"
    )


def preop_verdict(
    document: DocumentEvidence, first_surgery: PartialDate | None, today: date
) -> Verdict:
    """Pre-op imaging is dated before the first surgery; undated, it is taken on trust."""
    dated, first = document.dated, first_surgery
    if dated is None:
        return Verdict.of(document, "satisfied", "pre-op imaging, date unknown")
    said = f"pre-op imaging dated {dated}"
    if dated > today:
        return _to_check(document, f"{said} is in the future")
    if first is None:
        return Verdict.of(document, "satisfied", f"{said}; surgery date unknown, not checked")
    # A month-only surgery date stands for its whole month: "before" is before all of it.
    if dated < first.first_day:
        return Verdict.of(document, "satisfied", f"{said}, before the first surgery ({first})")
    if dated <= first.last_day:
        within = "in the month" if first.day is None else "on the day"
        return _to_check(document, f"{said}, {within} of the surgery ({first}); maybe after it")
    return _to_check(document, f"pre-op imaging dated after the surgery ({dated}; surgery {first})")


def _to_check(document: DocumentEvidence, reason: str) -> Verdict:
    return Verdict.of(document, "needs_review", f"{reason}; a coordinator must check")
