"""Inspect an uploaded file by its content: type, DICOM headers, ZIP safety (DOMAIN §4, §5).

Pure functions over a complete temporary file: no database, no web framework. Nothing
here logs or returns PHI; a refusal's `detail` is PHI-free. The submodules read one
header (`dicom`) or walk an archive (`archive`); this module turns the headers into
studies and review reasons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from intake.documents.inspection.archive import (
    DEFAULT_LIMITS,
    NESTED_ARCHIVE,
    UNREADABLE_DICOM,
    ArchiveLimits,
    read_archive,
)
from intake.documents.inspection.body_parts import is_spine
from intake.documents.inspection.dicom import (
    DicomHeader,
    PatientIdentity,
    UploadRefused,
    read_dicom_file,
)
from intake.documents.inspection.sniff import (
    ALLOWED_DESCRIPTION,
    DICOM,
    HEAD_BYTES,
    PROBE_BYTES,
    ZIP,
    describe,
    looks_like_dicom_without_marker,
    sniff,
)

__all__ = [
    "ALLOWED_DESCRIPTION",
    "BIRTH_DATE_DIFFERS",
    "BODY_PART_NOT_SPINE",
    "BODY_PART_UNKNOWN",
    "DEFAULT_LIMITS",
    "HEAD_BYTES",
    "MODALITY_UNKNOWN",
    "NAME_DIFFERS",
    "NESTED_ARCHIVE",
    "STUDY_UID_MISSING",
    "UNREADABLE_DICOM",
    "ArchiveLimits",
    "DicomStudy",
    "Inspection",
    "PatientIdentity",
    "UploadRefused",
    "describe",
    "inspect_file",
    "sniff",
]


@dataclass(frozen=True)
class DicomStudy:
    study_instance_uid: str  # "" when the header has none (a review reason says so)
    modality: str
    body_part: str | None
    study_date: date | None
    study_description: str | None
    series_count: int
    instance_count: int


@dataclass(frozen=True)
class Inspection:
    media_type: str
    studies: tuple[DicomStudy, ...]
    ignored_members: tuple[str, ...]
    review_reasons: tuple[str, ...]


NAME_DIFFERS = "patient name in the image header differs from the intake"
BIRTH_DATE_DIFFERS = "birth date in the image header differs from the intake"
BODY_PART_UNKNOWN = "body part not recognised"
BODY_PART_NOT_SPINE = "body part is not the spine"
MODALITY_UNKNOWN = "modality not recognised"
STUDY_UID_MISSING = "image header has no study identifier"

ACCEPTED_MODALITIES = frozenset({"MR", "CT", "CR", "DX", "RG"})
REVIEW_MODALITIES = frozenset({"RF", "XA", "NM", "PT"})
NOT_PRIMARY_MODALITIES = frozenset({"OT", "SR", "DOC", "PR", "KO"})
# Other DICOM CID 29/33 codes may be named in a review reason. Anything else is never
# echoed: a header field can hold any text.
_OTHER_MODALITIES = frozenset(
    {"US", "MG", "ES", "XC", "SEG", "REG", "SM", "OP", "OPT", "IO", "PX", "BMD", "DG", "TG"}
    | {"RTIMAGE", "RTSTRUCT", "RTPLAN", "RTDOSE", "ECG", "HD", "AU", "OCT", "LS", "GM"}
)


def inspect_file(
    path: Path, *, patient: PatientIdentity, limits: ArchiveLimits = DEFAULT_LIMITS
) -> Inspection:
    """Inspect the complete upload at `path`; raise UploadRefused when it cannot be accepted."""
    with path.open("rb") as file:
        head = file.read(PROBE_BYTES)
    media_type = sniff(head)
    if media_type == DICOM:
        studies, reasons = summarise([read_dicom_file(path, patient)])
        return Inspection(DICOM, studies, (), reasons)
    if media_type == ZIP:
        contents = read_archive(path, patient, limits)
        studies, reasons = summarise(contents.headers)
        all_reasons = tuple(dict.fromkeys([*reasons, *contents.review_reasons]))
        return Inspection(ZIP, studies, contents.ignored_members, all_reasons)
    if media_type is not None:
        return Inspection(media_type, (), (), ())
    if looks_like_dicom_without_marker(head):
        # Readable only with pydicom's force=True, which DOMAIN §5 rules out.
        raise UploadRefused(
            422,
            "This DICOM file lacks its standard header (DICM); export it again as a "
            "DICOM file, or upload the whole CD as a ZIP",
        )
    raise UploadRefused(
        415,
        f"File type not accepted: this looks like {describe(head)}; upload {ALLOWED_DESCRIPTION}",
    )


def summarise(headers: Sequence[DicomHeader]) -> tuple[tuple[DicomStudy, ...], tuple[str, ...]]:
    """Group instances into studies by StudyInstanceUID; collect PHI-free review reasons."""
    by_study: dict[str, list[DicomHeader]] = {}
    for header in headers:
        by_study.setdefault(header.study_uid, []).append(header)
    reasons: list[str] = []
    if any(header.name_differs for header in headers):
        reasons.append(NAME_DIFFERS)
    if any(header.birth_date_differs for header in headers):
        reasons.append(BIRTH_DATE_DIFFERS)
    studies = tuple(_study(uid, members) for uid, members in by_study.items())
    for study in studies:
        reasons.extend(study_review_reasons(study))
    return studies, tuple(dict.fromkeys(reasons))


def primary_modality(modalities: Sequence[str]) -> str:
    """The most common modality, counting secondary objects (SR, KO, PR...) only if alone."""
    # A CD export puts dose reports and key-object notes next to the images; they must
    # not outvote the MR they belong to.
    primary = [m for m in modalities if m not in NOT_PRIMARY_MODALITIES] or list(modalities)
    return Counter(primary).most_common(1)[0][0]


def modality_review_reason(modality: str) -> str | None:
    """Why a study of this modality needs a human (DOMAIN §5), or None when it is accepted."""
    if modality in ACCEPTED_MODALITIES:
        return None
    if modality in NOT_PRIMARY_MODALITIES:
        return f"not primary imaging ({modality})"
    if modality in REVIEW_MODALITIES or modality in _OTHER_MODALITIES:
        return f"modality {modality} needs review"
    return MODALITY_UNKNOWN


def study_review_reasons(study: DicomStudy) -> list[str]:
    """Why a human must look at this study (modality, body part, identifier)."""
    reasons = [] if study.study_instance_uid else [STUDY_UID_MISSING]
    if (modality_reason := modality_review_reason(study.modality)) is not None:
        reasons.append(modality_reason)
    if study.body_part is None:
        reasons.append(BODY_PART_UNKNOWN)
    elif not is_spine(study.body_part):
        reasons.append(BODY_PART_NOT_SPINE)
    return reasons


def _study(study_uid: str, members: list[DicomHeader]) -> DicomStudy:
    body_parts = Counter(m.body_part for m in members if m.body_part is not None)
    return DicomStudy(
        study_instance_uid=study_uid,
        modality=primary_modality([m.modality for m in members]),
        body_part=body_parts.most_common(1)[0][0] if body_parts else None,
        study_date=next((m.study_date for m in members if m.study_date), None),
        study_description=next((m.study_description for m in members if m.study_description), None),
        series_count=len({m.series_uid for m in members}),
        instance_count=len(members),
    )
