"""Single DICOM uploads: header facts, review reasons, refusals and the preamble (DOMAIN §5)."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pydicom
import pytest

from intake.documents.inspection import (
    BODY_PART_NOT_SPINE,
    BODY_PART_UNKNOWN,
    MODALITY_UNKNOWN,
    STUDY_UID_MISSING,
    Inspection,
    PatientIdentity,
    UploadRefused,
    inspect_file,
)
from tests.documents.dicom_factory import (
    PATIENT,
    PE_PREAMBLE,
    element_offsets,
    make_dicom,
    make_dicomdir,
    write_upload,
)


def inspect(tmp_path: Path, data: bytes, patient: PatientIdentity = PATIENT) -> Inspection:
    return inspect_file(write_upload(tmp_path, data), patient=patient)


def refusal(tmp_path: Path, data: bytes) -> UploadRefused:
    with pytest.raises(UploadRefused) as refused:
        inspect(tmp_path, data)
    return refused.value


@pytest.mark.parametrize("modality", ["MR", "CT", "DX", "CR", "RG"])
def test_primary_spine_imaging_is_accepted_without_review(tmp_path: Path, modality: str) -> None:
    inspection = inspect(
        tmp_path, make_dicom(modality=modality, study_uid="1.2.3.4", series_uid="1.2.3.4.1")
    )

    assert inspection.media_type == "application/dicom"
    assert inspection.ignored_members == ()
    assert inspection.review_reasons == ()
    (study,) = inspection.studies
    assert study.study_instance_uid == "1.2.3.4"
    assert study.modality == modality
    assert study.body_part == "LSPINE"
    assert study.study_date == date(2024, 1, 10)
    assert study.study_description == "MRI LUMBAR SPINE"
    assert (study.series_count, study.instance_count) == (1, 1)


def test_implicit_vr_files_read_the_same(tmp_path: Path) -> None:
    (study,) = inspect(tmp_path, make_dicom(implicit_vr=True)).studies

    assert (study.modality, study.body_part) == ("MR", "LSPINE")


@pytest.mark.parametrize(
    ("body_part", "study_description", "series_description", "expected"),
    [
        ("L SPINE", None, None, "LSPINE"),
        ("Lumbar", None, None, "LSPINE"),
        ("lumbo-sacral", None, None, "LSPINE"),
        ("C_SPINE", None, None, "CSPINE"),
        ("THORACIC", None, None, "TSPINE"),
        (None, "MRI LUMBAR SPINE W/O CONTRAST", None, "LSPINE"),
        (None, "Outside study", "SAG T2 C-SPINE", "CSPINE"),
        ("", "CT THORACOLUMBAR JUNCTION", None, "TLSPINE"),
    ],
)
def test_body_part_is_normalised_from_tag_or_descriptions(
    tmp_path: Path,
    body_part: str | None,
    study_description: str | None,
    series_description: str | None,
    expected: str,
) -> None:
    data = make_dicom(
        body_part=body_part,
        study_description=study_description,
        series_description=series_description,
    )

    inspection = inspect(tmp_path, data)

    assert inspection.studies[0].body_part == expected
    assert inspection.review_reasons == ()


def test_unknown_body_part_asks_for_review_instead_of_refusing(tmp_path: Path) -> None:
    data = make_dicom(body_part=None, study_description="Outside study", series_description="T2")

    inspection = inspect(tmp_path, data)

    assert inspection.studies[0].body_part is None
    assert inspection.review_reasons == (BODY_PART_UNKNOWN,)


def test_a_knee_is_recognised_but_is_not_the_spine(tmp_path: Path) -> None:
    inspection = inspect(tmp_path, make_dicom(body_part="KNEE", study_description="MR KNEE"))

    assert inspection.studies[0].body_part == "KNEE"
    assert inspection.review_reasons == (BODY_PART_NOT_SPINE,)


@pytest.mark.parametrize(
    ("study_date", "series_date", "acquisition_date", "expected"),
    [
        ("20240110", "20230101", None, date(2024, 1, 10)),
        (None, "20240111", None, date(2024, 1, 11)),
        ("", None, "20240112", date(2024, 1, 12)),
        (None, None, None, None),
        ("2024-01-10", None, None, None),
        ("20240231", None, None, None),
        ("2024011", None, None, None),
        ("20240110-20240112", None, None, None),
    ],
)
def test_study_date_is_parsed_strictly_with_fallbacks(
    tmp_path: Path,
    study_date: str | None,
    series_date: str | None,
    acquisition_date: str | None,
    expected: date | None,
) -> None:
    data = make_dicom(
        study_date=study_date, series_date=series_date, acquisition_date=acquisition_date
    )

    assert inspect(tmp_path, data).studies[0].study_date == expected


def test_description_is_kept_cleaned_and_capped(tmp_path: Path) -> None:
    data = make_dicom(study_description="MRI\tLUMBAR  SPINE " + "x" * 300)

    description = inspect(tmp_path, data).studies[0].study_description

    assert description is not None
    assert description.startswith("MRI LUMBAR SPINE x")
    assert len(description) == 200


def test_a_uid_that_is_not_a_uid_is_dropped_unlogged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # pydicom's own validator would log "Invalid value for VR UI: 'Lovelace Ada'".
    caplog.set_level(logging.DEBUG)

    inspection = inspect(tmp_path, make_dicom(study_uid="Lovelace Ada"))

    assert inspection.studies[0].study_instance_uid == ""
    assert inspection.review_reasons == (STUDY_UID_MISSING,)
    assert "Lovelace" not in caplog.text


@pytest.mark.parametrize(
    ("modality", "reason"),
    [
        ("RF", "modality RF needs review"),
        ("XA", "modality XA needs review"),
        ("NM", "modality NM needs review"),
        ("PT", "modality PT needs review"),
        ("US", "modality US needs review"),
        ("SR", "not primary imaging (SR)"),
        ("KO", "not primary imaging (KO)"),
        ("PR", "not primary imaging (PR)"),
        ("OT", "not primary imaging (OT)"),
        ("DOC", "not primary imaging (DOC)"),
        ("ZZ", MODALITY_UNKNOWN),
        ("lovelace", MODALITY_UNKNOWN),
    ],
)
def test_modalities_outside_the_accepted_set_ask_for_review(
    tmp_path: Path, modality: str, reason: str
) -> None:
    inspection = inspect(tmp_path, make_dicom(modality=modality))

    assert inspection.review_reasons == (reason,)
    assert inspection.studies[0].modality == modality.upper()


@pytest.mark.parametrize("modality", [None, "", "MR/CT?", "A" * 17])
def test_no_usable_modality_is_refused(tmp_path: Path, modality: str | None) -> None:
    refused = refusal(tmp_path, make_dicom(modality=modality))

    assert refused.status_code == 422
    assert "what kind of imaging" in refused.detail


def test_a_dicomdir_alone_is_refused_with_advice(tmp_path: Path) -> None:
    refused = refusal(tmp_path, make_dicomdir())

    assert refused.status_code == 422
    assert "ZIP" in refused.detail


def test_deflated_files_are_refused_before_pydicom_inflates_them(tmp_path: Path) -> None:
    # 128 KiB of blank pixels deflate to under 1 KiB; pydicom would inflate any amount.
    refused = refusal(tmp_path, make_dicom(deflated=True, size=256, blank=True))

    assert (refused.status_code, refused.detail) == (
        422,
        "Deflate-compressed DICOM files are not accepted",
    )


def test_missing_dicm_marker_is_refused(tmp_path: Path) -> None:
    data = bytearray(make_dicom())
    data[128:132] = b"DICX"

    refused = refusal(tmp_path, bytes(data))

    assert refused.status_code == 422


# One file for both the cut points and the test: generated UIDs vary in length.
COMPLETE = make_dicom()


def _truncation_points() -> dict[str, int]:
    _, name_value = element_offsets(COMPLETE, "PatientName")
    body_part_tag, _ = element_offsets(COMPLETE, "BodyPartExamined")
    pixel_tag, pixel_value = element_offsets(COMPLETE, "PixelData")
    return {
        "after 200 bytes, inside the file meta": 200,
        "inside a value": name_value + 3,
        "inside a tag": body_part_tag + 3,
        "inside the pixel data header": pixel_tag + 10,
        "inside the pixel data": pixel_value + 100,
        "one byte short": len(COMPLETE) - 1,
    }


@pytest.mark.parametrize("cut", _truncation_points().values(), ids=_truncation_points().keys())
def test_truncated_files_are_refused(tmp_path: Path, cut: int) -> None:
    refused = refusal(tmp_path, COMPLETE[:cut])

    assert refused.status_code == 422
    assert "incomplete" in refused.detail


def test_the_untruncated_file_is_accepted(tmp_path: Path) -> None:
    assert inspect(tmp_path, COMPLETE).review_reasons == ()


@pytest.mark.parametrize(
    ("modality", "sequence"), [("MR", "ReferencedImageSequence"), ("SR", "ContentSequence")]
)
def test_undefined_length_sequences_read_whole_and_refused_cut(
    tmp_path: Path, modality: str, sequence: str
) -> None:
    data = make_dicom(modality=modality, sequence=sequence)
    item_start = data.index(b"\xfe\xff\x00\xe0")  # the first item of the sequence

    assert inspect(tmp_path, data).studies[0].modality == modality
    assert refusal(tmp_path, data[: item_start + 20]).status_code == 422
    assert refusal(tmp_path, data[:-4]).status_code == 422


def test_polyglot_preamble_is_zeroed_on_disk_and_the_file_still_parses(tmp_path: Path) -> None:
    data = make_dicom(preamble=PE_PREAMBLE)
    upload = write_upload(tmp_path, data)

    inspection = inspect_file(upload, patient=PATIENT)

    stored = upload.read_bytes()
    assert stored[:128] == bytes(128)
    assert stored[128:] == data[128:]
    assert inspection.studies[0].modality == "MR"
    assert pydicom.dcmread(upload).Modality == "MR"


def test_a_clean_preamble_is_left_alone(tmp_path: Path) -> None:
    data = make_dicom()
    upload = write_upload(tmp_path, data)

    inspect_file(upload, patient=PATIENT)

    assert upload.read_bytes() == data
