"""ZIP uploads: CD exports grouped into studies; what is ignored and what needs review."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from intake.documents.inspection import (
    NAME_DIFFERS,
    NESTED_ARCHIVE,
    UNREADABLE_DICOM,
    ArchiveLimits,
    Inspection,
    inspect_file,
)
from tests.documents.dicom_factory import (
    PATIENT,
    STUDY_CT,
    STUDY_MR,
    SeriesSpec,
    make_dicom,
    make_dicomdir,
    make_study_zip,
    make_zip,
    strip_file_header,
    truncate_inside,
    write_upload,
)


def inspect(tmp_path: Path, data: bytes) -> Inspection:
    return inspect_file(write_upload(tmp_path, data, "upload.zip"), patient=PATIENT)


def test_a_cd_export_is_grouped_into_studies_and_series(tmp_path: Path) -> None:
    inspection = inspect(tmp_path, make_study_zip())

    assert inspection.media_type == "application/zip"
    mr, ct = inspection.studies
    assert (mr.study_instance_uid, mr.modality, mr.body_part) == (STUDY_MR, "MR", "LSPINE")
    assert (mr.series_count, mr.instance_count) == (2, 5)
    assert (ct.study_instance_uid, ct.modality, ct.body_part) == (STUDY_CT, "CT", "LSPINE")
    assert (ct.series_count, ct.instance_count) == (1, 2)
    assert str(ct.study_date) == "2023-11-02"
    assert inspection.ignored_members == ("DICOMDIR", "README.TXT")
    assert inspection.review_reasons == ()


def test_an_uncompressed_export_reads_the_same(tmp_path: Path) -> None:
    inspection = inspect(tmp_path, make_study_zip(compression=zipfile.ZIP_STORED))

    assert [study.instance_count for study in inspection.studies] == [5, 2]


def test_a_dose_report_does_not_outvote_the_images(tmp_path: Path) -> None:
    series = (
        SeriesSpec(STUDY_MR, f"{STUDY_MR}.1", 2),
        SeriesSpec(STUDY_MR, f"{STUDY_MR}.9", 3, modality="SR", series_description="DOSE"),
    )

    (study,) = inspect(tmp_path, make_study_zip(series)).studies

    assert (study.modality, study.series_count, study.instance_count) == ("MR", 2, 5)


def test_a_study_of_reports_only_is_not_primary_imaging(tmp_path: Path) -> None:
    series = (SeriesSpec(STUDY_MR, f"{STUDY_MR}.9", 1, modality="SR"),)

    assert inspect(tmp_path, make_study_zip(series)).review_reasons == ("not primary imaging (SR)",)


def test_someone_elses_images_in_the_archive_ask_for_review(tmp_path: Path) -> None:
    stranger = make_dicom(patient_name="Babbage^Charles", study_uid=STUDY_MR)

    inspection = inspect(tmp_path, make_study_zip(extra_members={"OTHER/I0001": stranger}))

    assert inspection.review_reasons == (NAME_DIFFERS,)


def test_an_archive_without_dicom_is_accepted_as_not_imaging(tmp_path: Path) -> None:
    data = make_zip([("report.pdf", b"%PDF-1.4\n%%EOF\n"), ("notes/visit.txt", b"hello")])

    inspection = inspect(tmp_path, data)

    assert inspection.studies == ()
    assert inspection.ignored_members == ("report.pdf", "notes/visit.txt")
    assert inspection.review_reasons == ()


def test_a_nested_archive_is_listed_but_not_opened(tmp_path: Path) -> None:
    data = make_zip([("inner.zip", make_study_zip()), ("I0001", make_dicom())])

    inspection = inspect(tmp_path, data)

    assert [study.instance_count for study in inspection.studies] == [1]
    assert inspection.ignored_members == ("inner.zip",)
    assert inspection.review_reasons == (NESTED_ARCHIVE,)


def test_a_dicomdir_under_another_name_is_ignored_quietly(tmp_path: Path) -> None:
    data = make_zip([("INDEX", make_dicomdir()), ("I0001", make_dicom())])

    inspection = inspect(tmp_path, data)

    assert inspection.ignored_members == ("INDEX",)
    assert inspection.review_reasons == ()


@pytest.mark.parametrize(
    "broken",
    [
        truncate_inside(make_dicom()),
        make_dicom(modality=None),
        strip_file_header(make_dicom()),
        make_dicom(deflated=True),
    ],
    ids=["truncated", "no modality", "no file header", "deflated"],
)
def test_unreadable_dicom_members_are_ignored_and_flagged(tmp_path: Path, broken: bytes) -> None:
    inspection = inspect(tmp_path, make_study_zip(extra_members={"DICOM/BAD": broken}))

    assert len(inspection.studies) == 2
    assert "DICOM/BAD" in inspection.ignored_members
    assert inspection.review_reasons == (UNREADABLE_DICOM,)


def test_small_members_that_compress_extremely_well_are_fine(tmp_path: Path) -> None:
    blank_image = make_dicom(size=512, blank=True)  # 512 KiB of zero pixels
    data = make_zip([("I0001", blank_image)])
    (info,) = zipfile.ZipFile(write_upload(tmp_path, data, "check.zip")).infolist()
    assert info.file_size / info.compress_size > ArchiveLimits().max_ratio

    assert len(inspect(tmp_path, data).studies) == 1


def test_member_names_are_for_display_only(tmp_path: Path) -> None:
    data = make_zip(
        [
            ("../../etc/passwd", b"root:x:0:0"),
            ("C:\\Users\\x\\..\\evil.exe", b"MZ"),
            ("IMAGES/<b>scan</b>.txt", b"x"),
            ("__MACOSX/DICOM/._I0001", b"\x00\x05\x16\x07"),
            (".DS_Store", b"Bud1"),
        ]
    )

    inspection = inspect(tmp_path, data)

    assert inspection.ignored_members == (
        "etc/passwd",
        "C_/Users/x/evil.exe",
        "IMAGES/_b_scan_/b_.txt",
    )
    assert os.listdir(tmp_path) == ["upload.zip"]  # nothing was extracted
