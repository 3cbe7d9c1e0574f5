"""No refusal detail, review reason or log line repeats what a header or member name says."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from intake.documents.inspection import ArchiveLimits, UploadRefused, inspect_file
from tests.documents.dicom_factory import (
    PATIENT,
    PE_PREAMBLE,
    MiB,
    crc_of,
    make_dicom,
    make_study_zip,
    make_zip,
    patch_zip_entry,
    truncate_inside,
    write_upload,
    zeros_zip,
)

FAMILY, GIVEN = "Zzyzxmarker", "Quillfeather"
MARKER_NAME = f"{FAMILY}^{GIVEN}"
MARKER_DIR = f"{FAMILY}_{GIVEN}"
MARKERS = (FAMILY.casefold(), GIVEN.casefold())


def _marked_dicom(
    modality: str | None = "MR",
    body_part: str | None = "LSPINE",
    preamble: bytes = bytes(128),
    study_uid: str | None = None,
) -> bytes:
    return make_dicom(
        modality=modality,
        body_part=body_part,
        preamble=preamble,
        study_uid=study_uid,
        patient_name=MARKER_NAME,
        birth_date="19010101",
        study_description=f"MRI LUMBAR SPINE {FAMILY}",
    )


def _with_damaged_marker() -> bytes:
    data = bytearray(_marked_dicom())
    data[128:132] = b"DICX"
    return bytes(data)


def _marked_zip(*contents: bytes) -> bytes:
    return make_zip((f"{MARKER_DIR}/{FAMILY}{index}.dcm", c) for index, c in enumerate(contents))


def _renamed(data: bytes) -> bytes:
    """The same archive with every member name replaced by one holding the marker."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = [
            (f"{MARKER_DIR}/{info.filename}", source.read(info)) for info in source.infolist()
        ]
    return make_zip(members)


REFUSALS: dict[str, tuple[Callable[[], bytes], ArchiveLimits]] = {
    "dicom without modality": (lambda: _marked_dicom(modality=None), ArchiveLimits()),
    "truncated dicom": (lambda: truncate_inside(_marked_dicom()), ArchiveLimits()),
    "damaged DICM marker": (_with_damaged_marker, ArchiveLimits()),
    "text file naming the patient": (
        lambda: f"{FAMILY} {GIVEN}, born 1901-01-01\n".encode(),
        ArchiveLimits(),
    ),
    "zip bomb": (lambda: _renamed(zeros_zip(20 * MiB)), ArchiveLimits()),
    "too many members": (lambda: _renamed(make_study_zip()), ArchiveLimits(max_members=3)),
    "too many bytes": (lambda: _renamed(make_study_zip()), ArchiveLimits(max_total_bytes=99)),
    "lying member": (
        lambda: patch_zip_entry(
            _marked_zip(bytes(20 * MiB)), 0, file_size=10, crc=crc_of(bytes(10))
        ),
        ArchiveLimits(),
    ),
    "encrypted member": (
        lambda: patch_zip_entry(_marked_zip(_marked_dicom()), 0, flag_bits=1),
        ArchiveLimits(),
    ),
    "damaged archive": (
        lambda: _marked_zip(_marked_dicom(), _marked_dicom())[:900],
        ArchiveLimits(),
    ),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_refusals_never_repeat_header_values_or_member_names(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    case: tuple[Callable[[], bytes], ArchiveLimits],
) -> None:
    build, limits = case
    upload = write_upload(tmp_path, build(), "upload")
    caplog.set_level(logging.DEBUG)

    with pytest.raises(UploadRefused) as refused:
        inspect_file(upload, patient=PATIENT, limits=limits)

    shown = refused.value.detail.casefold() + str(refused.value).casefold()
    assert not [marker for marker in MARKERS if marker in shown]
    assert not [marker for marker in MARKERS if marker in caplog.text.casefold()]
    assert "1901" not in shown


def test_accepted_uploads_give_reasons_without_header_values(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    data = _marked_zip(
        _marked_dicom(preamble=PE_PREAMBLE),
        _marked_dicom(modality=FAMILY.upper()[:16], body_part=GIVEN),
        _marked_dicom(study_uid=f"{FAMILY}.{GIVEN}"),
        truncate_inside(_marked_dicom()),
    )

    inspection = inspect_file(write_upload(tmp_path, data), patient=PATIENT)

    reasons = " ".join(inspection.review_reasons).casefold()
    assert inspection.review_reasons  # wrong name, wrong birth date, unknown modality...
    assert not [marker for marker in MARKERS if marker in reasons]
    assert not [marker for marker in MARKERS if marker in caplog.text.casefold()]
    assert "1901" not in reasons + caplog.text
