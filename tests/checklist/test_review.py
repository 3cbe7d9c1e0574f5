"""Staff review and upload flags: what counts, what waits for a person (DOMAIN.md §4).

Shown on the current-MRI item; every item settles its documents the same way.
"""

from __future__ import annotations

from datetime import date

import pytest

from intake.checklist.rules import DocumentEvidence
from tests.checklist.support import ZIP, Row, care, case, evaluate, item, mri, note

NAME_DIFFERS = ("patient name differs",)

REVIEW_RULES = [
    case(
        "rejected-is-ignored",
        [mri(review_status="rejected")],
        "missing",
        "no MRI uploaded; 1 upload of this kind rejected or of the wrong patient",
        (),
    ),
    case(
        "wrong-patient-is-ignored",
        [mri("a", review_status="wrong_patient"), mri("b", review_status="wrong_patient")],
        "missing",
        "2 uploads of this kind rejected or of the wrong patient",
        (),
    ),
    case(
        "rejected-beside-a-good-one",
        [mri("bad", review_status="rejected"), mri("good")],
        "satisfied",
        "MRI study",
        ("good",),
    ),
    case(
        "pending-with-flags",
        [mri(review_reasons=NAME_DIFFERS)],
        "needs_review",
        "flagged at upload (patient name differs); awaiting staff review; MRI study dated",
    ),
    case("pending-without-flags", [mri()], "satisfied", "MRI study"),
    case(
        "reviewed-clears-flags",
        [mri(review_status="reviewed", review_reasons=NAME_DIFFERS)],
        "satisfied",
        "MRI study",
    ),
    case(
        "flagged-beside-a-clean-one",
        [mri("flagged", review_reasons=NAME_DIFFERS), mri("clean", on=date(2024, 1, 5))],
        "satisfied",
        "dated 2024-01-05",
        ("clean",),
    ),
    case(
        "flagged-beats-stale",
        [mri("stale", on=date(2022, 1, 1)), mri("flagged", review_reasons=NAME_DIFFERS)],
        "needs_review",
        "flagged at upload",
        ("flagged",),
    ),
    case(
        "flagged-and-stale-stays-stale",
        [mri(on=date(2023, 4, 1), review_reasons=NAME_DIFFERS)],
        "stale",
        "the limit is 12; flagged at upload",
    ),
    case(
        "reviewed-settles-a-missing-date",
        [mri(on=None, review_status="reviewed")],
        "satisfied",
        "no study date; a coordinator must check; accepted in staff review",
    ),
    case(
        "reviewed-settles-an-archive",
        [mri(media_type=ZIP, modality=None, review_status="reviewed")],
        "satisfied",
        "accepted in staff review",
    ),
    case(
        "reviewed-does-not-make-it-fresh",
        [mri(on=date(2023, 4, 1), review_status="reviewed")],
        "stale",
        "the limit is 12",
    ),
    case(
        "unknown-review-status",
        [mri(review_status="escalated")],
        "needs_review",
        "unknown review status 'escalated'",
    ),
]


@pytest.mark.parametrize("row", REVIEW_RULES)
def test_review_status_and_flags(row: Row) -> None:
    row.check("current_mri")


def test_reviewed_does_not_turn_ct_into_an_mri() -> None:
    result = evaluate([mri("ct", modality="CT", review_status="reviewed")])

    assert item(result, "current_mri").status == "missing"
    assert item(result, "postop_imaging").document_ids == ("ct",)


@pytest.mark.parametrize(
    ("documents", "status"),
    [
        pytest.param([note(review_reasons=NAME_DIFFERS)], "needs_review", id="flagged"),
        pytest.param([note(review_status="rejected")], "missing", id="rejected"),
        pytest.param(
            [note(review_status="reviewed", review_reasons=NAME_DIFFERS)],
            "satisfied",
            id="reviewed",
        ),
    ],
)
def test_review_applies_to_operative_notes(documents: list[DocumentEvidence], status: str) -> None:
    assert item(evaluate(documents), "operative_note:1").status == status


@pytest.mark.parametrize(
    ("review_status", "status"),
    [("wrong_patient", "missing"), ("pending", "satisfied"), ("reviewed", "satisfied")],
)
def test_review_applies_to_conservative_care_records(review_status: str, status: str) -> None:
    found = item(evaluate([care(review_status=review_status)]), "conservative_care_record")

    assert found.status == status
