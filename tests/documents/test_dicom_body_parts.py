"""Body part normalisation from BodyPartExamined and free-text descriptions (DOMAIN §5)."""

from __future__ import annotations

import pytest

from intake.documents.inspection.body_parts import is_spine, normalise_body_part


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("LSPINE", "LSPINE"),
        ("L SPINE", "LSPINE"),
        ("l-spine", "LSPINE"),
        ("Lumbar", "LSPINE"),
        ("LUMBAR SPINE", "LSPINE"),
        ("LUMBOSACRAL", "LSPINE"),
        ("LWS", "LSPINE"),
        ("LSSPINE", "LSSPINE"),
        ("LS SPINE", "LSSPINE"),
        ("CERVICAL", "CSPINE"),
        ("C SPINE", "CSPINE"),
        ("NECK", "CSPINE"),
        ("HWS", "CSPINE"),
        ("CTSPINE", "CTSPINE"),
        ("THORACIC", "TSPINE"),
        ("T_SPINE", "TSPINE"),
        ("DORSAL", "TSPINE"),
        ("TL SPINE", "TLSPINE"),
        ("THORACOLUMBAR", "TLSPINE"),
        ("SACRUM", "SACRUM"),
        ("COCCYX", "COCCYX"),
        ("SPINE", "SPINE"),
        ("WHOLE SPINE", "SPINE"),
        ("KNEE", "KNEE"),
    ],
)
def test_body_part_examined_spellings(text: str, code: str) -> None:
    assert normalise_body_part(text) == code


@pytest.mark.parametrize(
    ("description", "code"),
    [
        ("MRI LUMBAR SPINE W/O CONTRAST", "LSPINE"),
        ("MR L-SPINE WITHOUT", "LSPINE"),
        ("SAG T2 TSE C-SPINE", "CSPINE"),
        ("T1 T SPINE SAG", "TSPINE"),
        ("SAG T L SPINE", "TLSPINE"),
        # "CT SPINE" is a CT of the spine, not the cervicothoracic spine (CTSPINE).
        ("CT SPINE", "SPINE"),
        ("CT L SPINE BONE", "LSPINE"),
        ("MRI PELVIS AND LUMBAR SPINE", "LSPINE"),
        ("C-SPINE AND L-SPINE", "SPINE"),
        ("SPINE^LUMBAR", "LSPINE"),
        ("XR HIP AP", "HIP"),
    ],
)
def test_descriptions_are_searched_word_by_word(description: str, code: str) -> None:
    assert normalise_body_part(None, description) == code


@pytest.mark.parametrize("text", [None, "", "   ", "SAG T2 TSE", "Outside study", "LOCALIZER"])
def test_nothing_recognisable_is_none(text: str | None) -> None:
    assert normalise_body_part(text) is None


def test_candidates_are_tried_in_order() -> None:
    assert normalise_body_part("CSPINE", "MRI LUMBAR", "SAG T SPINE") == "CSPINE"
    assert normalise_body_part(None, "MRI LUMBAR", "SAG T SPINE") == "LSPINE"
    assert normalise_body_part("??", "Outside study", "SAG T SPINE") == "TSPINE"


def test_spine_codes_are_told_from_others() -> None:
    assert is_spine("LSPINE")
    assert is_spine("SPINE")
    assert not is_spine("KNEE")
