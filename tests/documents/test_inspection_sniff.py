"""A file is what its bytes say, whatever it is called: sniff, describe, inspect_file."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.documents.inspection import UploadRefused, describe, inspect_file, sniff
from intake.documents.inspection.sniff import HEAD_BYTES
from tests.documents.dicom_factory import (
    PATIENT,
    PE_PREAMBLE,
    make_dicom,
    make_study_zip,
    make_zip,
    strip_file_header,
)

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(64)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
PE = PE_PREAMBLE + b"PE\x00\x00" + bytes(64)
ELF = b"\x7fELF\x02\x01\x01" + bytes(64)
EMPTY_ZIP = b"PK\x05\x06" + bytes(18)


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (PDF, "application/pdf"),
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (EMPTY_ZIP, "application/zip"),
        (make_zip([("a.txt", b"hello")]), "application/zip"),
        (make_dicom(), "application/dicom"),
        (make_dicom(preamble=PE_PREAMBLE), "application/dicom"),
        (b"GIF89a" + bytes(20), None),
        (PE, None),
        (b"just some text\n", None),
        (b"", None),
    ],
)
def test_sniff_names_only_allowed_types(content: bytes, media_type: str | None) -> None:
    assert sniff(content[:HEAD_BYTES]) == media_type


@pytest.mark.parametrize(
    ("content", "description"),
    [
        (PE, "a Windows executable"),
        (ELF, "an ELF executable"),
        (b"#!/bin/sh\nrm -rf /\n", "a script"),
        (b"GIF87a" + bytes(20), "a GIF image"),
        (b"II*\x00\x08\x00\x00\x00" + bytes(20), "a TIFF image"),
        (b"MM\x00*\x00\x00\x00\x08" + bytes(20), "a TIFF image"),
        (b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00", "a BMP image"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "a WebP image"),
        (b"\x00\x00\x00\x18ftypheic" + bytes(8), "a HEIC image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(20), "a legacy Microsoft Office document"),
        (b"Rar!\x1a\x07\x01\x00", "a RAR archive"),
        (b"\x1f\x8b\x08\x00", "a gzip archive"),
        (b"\xef\xbb\xbf  <!DOCTYPE html><html><body>x</body></html>", "an HTML page"),
        (b"<?xml version='1.0'?><a/>", "an XML document"),
        (b"Dear doctor, attached is my MRI report.\r\n", "a plain text file"),
        ("Grüße aus Köln, schöne Woche! ".encode() * 10, "a plain text file"),
        (b"\x00\x01\x02\x03\xfe\xfd", "an unrecognised file"),
        (b"", "an empty file"),
        (PDF, "a PDF document"),
        (EMPTY_ZIP, "a ZIP archive"),
        (make_dicom(preamble=PE_PREAMBLE), "a DICOM file"),
        (strip_file_header(make_dicom()), "a DICOM file without its standard header"),
    ],
)
def test_describe_says_what_a_file_looks_like(content: bytes, description: str) -> None:
    assert describe(content[:HEAD_BYTES]) == description


def test_text_cut_inside_a_character_is_still_text() -> None:
    head = ("é" * 100).encode()[: HEAD_BYTES - 1]  # ends in half a character

    assert describe(head) == "a plain text file"


def test_zip_named_dcm_is_a_zip(tmp_path: Path) -> None:
    upload = tmp_path / "scan.dcm"
    upload.write_bytes(make_study_zip())

    inspection = inspect_file(upload, patient=PATIENT)

    assert inspection.media_type == "application/zip"
    assert describe(upload.read_bytes()[:HEAD_BYTES]) == "a ZIP archive"


@pytest.mark.parametrize("name", ["report.png", "mri.dcm", "archive.zip", "noextension"])
def test_pdf_is_a_pdf_whatever_its_name(tmp_path: Path, name: str) -> None:
    upload = tmp_path / name
    upload.write_bytes(PDF)

    inspection = inspect_file(upload, patient=PATIENT)

    assert inspection.media_type == "application/pdf"
    assert (inspection.studies, inspection.ignored_members, inspection.review_reasons) == (
        (),
        (),
        (),
    )


@pytest.mark.parametrize(("content", "media_type"), [(JPEG, "image/jpeg"), (PNG, "image/png")])
def test_images_pass_through_untouched(tmp_path: Path, content: bytes, media_type: str) -> None:
    upload = tmp_path / "photo"
    upload.write_bytes(content)

    assert inspect_file(upload, patient=PATIENT).media_type == media_type
    assert upload.read_bytes() == content


@pytest.mark.parametrize(
    ("content", "phrase"),
    [(PE, "a Windows executable"), (ELF, "an ELF executable"), (b"GIF89a", "a GIF image")],
)
def test_other_types_are_refused_with_415_naming_what_they_look_like(
    tmp_path: Path, content: bytes, phrase: str
) -> None:
    upload = tmp_path / "scan.dcm"
    upload.write_bytes(content)

    with pytest.raises(UploadRefused) as refused:
        inspect_file(upload, patient=PATIENT)

    assert refused.value.status_code == 415
    assert phrase in refused.value.detail
    assert "PDF, JPEG, PNG, DICOM or ZIP" in refused.value.detail


def test_dicom_without_preamble_and_marker_is_refused_with_422(tmp_path: Path) -> None:
    upload = tmp_path / "IM0001"
    upload.write_bytes(strip_file_header(make_dicom()))

    with pytest.raises(UploadRefused) as refused:
        inspect_file(upload, patient=PATIENT)

    assert refused.value.status_code == 422
    assert "DICM" in refused.value.detail
