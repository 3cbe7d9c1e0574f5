"""Imaging of a spine region no surgery was in goes to a person (DOMAIN.md §4).

Base: one lumbar fusion in February 2023; "today" is 2024-05-15.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.checklist.support import (
    PDF,
    Row,
    case,
    document,
    evaluate,
    item,
    mri,
    postop,
)
from tests.questionnaire.fixtures import COMPLETE_CERVICAL_ANSWERS

CERVICAL = COMPLETE_CERVICAL_ANSWERS
REGION_RULES = [
    case(
        "neck-for-a-lower-back-surgery",
        [mri(body_part="CSPINE")],
        "needs_review",
        "imaging of the neck; surgery was in the lower back",
    ),
    case("lower-back", [mri(body_part="LSPINE")], "satisfied", "MRI study"),
    case("whole-spine", [mri(body_part="SPINE")], "satisfied", "MRI study"),
    case("body-part-unknown", [mri(body_part=None)], "satisfied", "MRI study"),
    case("thoracolumbar", [mri(body_part="TLSPINE")], "satisfied", "MRI study"),
    case("sacrum", [mri(body_part="SACRUM")], "satisfied", "MRI study"),
    case("mid-back", [mri(body_part="TSPINE")], "needs_review", "imaging of the mid back"),
    case("not-the-spine", [mri(body_part="KNEE")], "needs_review", "'KNEE' is not a spine"),
    case("neck-for-neck", [mri(body_part="CSPINE")], "satisfied", "MRI", answers=CERVICAL),
    case(
        "lower-back-for-neck",
        [mri(body_part="LSPINE")],
        "needs_review",
        "imaging of the lower back; surgery was in the neck",
        answers=CERVICAL,
    ),
    case(
        "reviewed-wrong-region",
        [mri(body_part="CSPINE", review_status="reviewed")],
        "satisfied",
        "MRI study",
    ),
    case(
        "wrong-region-and-stale",
        [mri(body_part="CSPINE", on=date(2023, 4, 1))],
        "stale",
        "old; the limit is 12; imaging of the neck",
    ),
    case("no-region-in-a-draft", [mri(body_part="CSPINE")], "satisfied", "MRI", answers={}),
]


@pytest.mark.parametrize("row", REGION_RULES)
def test_imaging_of_the_wrong_region(row: Row) -> None:
    row.check("current_mri")


def test_wrong_region_applies_to_post_op_imaging_too() -> None:
    found = item(evaluate([postop(body_part="CSPINE")]), "postop_imaging")

    assert (found.status, found.document_ids) == ("needs_review", ("ct",))
    assert "imaging of the neck" in found.reason


def test_a_pdf_report_is_never_the_wrong_region() -> None:
    # Only DICOM headers carry a body part; a report has none to compare.
    pdf = document("r", "current_mri", media_type=PDF, report_date=date(2024, 3, 1))

    assert item(evaluate([pdf], CERVICAL), "current_mri").status == "satisfied"
