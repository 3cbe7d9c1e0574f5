"""The image header's patient against the intake: wrong-patient uploads go to review."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from intake.documents.inspection import (
    BIRTH_DATE_DIFFERS,
    NAME_DIFFERS,
    Inspection,
    PatientIdentity,
    inspect_file,
)
from tests.documents.dicom_factory import PATIENT, make_dicom, write_upload


def inspect(tmp_path: Path, data: bytes, patient: PatientIdentity = PATIENT) -> Inspection:
    return inspect_file(write_upload(tmp_path, data), patient=patient)


@pytest.mark.parametrize(
    "patient_name",
    [
        "Lovelace^Ada",
        "LOVELACE^ADA",
        " lovelace ^ ada ",
        "Lovelace^Ada^Augusta^^",
        "Lovelace^Ada Augusta",
        "Lovelace",
        "Lovelace^",
        "^Ada",
        "Lovelace, Ada",
        "ADA LOVELACE",
        "Lovelace^Ada=ラブレス^エイダ",
        "",
    ],
)
def test_same_patient_in_any_spelling_needs_no_review(tmp_path: Path, patient_name: str) -> None:
    character_set = "ISO_IR 100" if patient_name.isascii() else "ISO_IR 192"
    data = make_dicom(patient_name=patient_name, character_set=character_set)

    assert inspect(tmp_path, data).review_reasons == ()


@pytest.mark.parametrize("patient_name", ["Byron^Ada", "Lovelace^Augusta", "Babbage", "Byron^"])
def test_wrong_patient_name_asks_for_review(tmp_path: Path, patient_name: str) -> None:
    assert inspect(tmp_path, make_dicom(patient_name=patient_name)).review_reasons == (
        NAME_DIFFERS,
    )


def test_wrong_birth_date_asks_for_review(tmp_path: Path) -> None:
    assert inspect(tmp_path, make_dicom(birth_date="19700518")).review_reasons == (
        BIRTH_DATE_DIFFERS,
    )


def test_both_wrong_gives_both_reasons(tmp_path: Path) -> None:
    data = make_dicom(patient_name="Babbage^Charles", birth_date="17911226")

    assert inspect(tmp_path, data).review_reasons == (NAME_DIFFERS, BIRTH_DATE_DIFFERS)


@pytest.mark.parametrize("birth_date", [None, "", "1970-05-17", "19700532"])
def test_missing_or_unreadable_patient_tags_are_not_a_mismatch(
    tmp_path: Path, birth_date: str | None
) -> None:
    data = make_dicom(patient_name=None, birth_date=birth_date)

    assert inspect(tmp_path, data).review_reasons == ()


@pytest.mark.parametrize("character_set", ["ISO_IR 100", "ISO_IR 192"])
def test_accents_are_decoded_and_compared_loosely(tmp_path: Path, character_set: str) -> None:
    patient = PatientIdentity("José", "Pérez-Núñez", date(1970, 5, 17))
    data = make_dicom(patient_name="PEREZ NUNEZ^Jose", character_set=character_set)

    assert inspect(tmp_path, data, patient).review_reasons == ()
    data = make_dicom(patient_name="Pérez-Núñez^José", character_set=character_set)
    ascii_intake = PatientIdentity("Jose", "Perez Nunez", date(1970, 5, 17))
    assert inspect(tmp_path, data, ascii_intake).review_reasons == ()


def test_iso_2022_names_are_decoded(tmp_path: Path) -> None:
    patient = PatientIdentity("Tarou", "Yamada", date(1970, 5, 17))
    data = make_dicom(
        patient_name="Yamada^Tarou=山田^太郎=やまだ^たろう",
        character_set="\\ISO 2022 IR 87",
    )

    assert inspect(tmp_path, data, patient).review_reasons == ()
    assert inspect(tmp_path, data).review_reasons == (NAME_DIFFERS,)


def test_values_pydicom_would_warn_about_are_read_without_warnings(tmp_path: Path) -> None:
    # pytest turns warnings into errors here: converting this name through pydicom would
    # warn (and log); inspection decodes the raw bytes instead.
    data = make_dicom(patient_name="Lovelace^" + "A" * 80, birth_date="1970-05-17")

    assert inspect(tmp_path, data).review_reasons == (NAME_DIFFERS,)
