"""Operative notes (one per surgery) and the conservative-care record (DOMAIN.md §4)."""

from __future__ import annotations

from typing import Any

import pytest

from intake.checklist.rules import DocumentEvidence
from tests.checklist.support import (
    DICOM,
    ZIP,
    Answers,
    Row,
    care,
    case,
    edited,
    evaluate,
    item,
    note,
    with_surgery,
    with_surgery_dates,
)
from tests.questionnaire.fixtures import COMPLETE_ANSWERS, COMPLETE_CERVICAL_ANSWERS

FLAGGED = ("patient name differs",)
Expected = list[tuple[str, str, str, tuple[str, ...]]]  # key, label, status, document ids
FEB_2023 = "Operative note for your surgery of February 2023"
MAY_2019 = "Operative note for your surgery of May 2019"
JAN_2024 = "Operative note for your surgery of January 2024"
TWO_SURGERIES = with_surgery_dates("2024-01-20", "2019-05")  # newest first in the answers

NOTE_RULES = [
    pytest.param(COMPLETE_ANSWERS, [note()], [("1", FEB_2023, "satisfied", ("note",))], id="one"),
    pytest.param(COMPLETE_ANSWERS, [], [("1", FEB_2023, "missing", ())], id="one-missing"),
    pytest.param(
        TWO_SURGERIES,
        [note("n1")],
        [("1", MAY_2019, "satisfied", ("n1",)), ("2", JAN_2024, "missing", ())],
        id="two-surgeries-one-note",
    ),
    pytest.param(
        TWO_SURGERIES,
        [note("n1"), note("n2")],
        [("1", MAY_2019, "satisfied", ("n1",)), ("2", JAN_2024, "satisfied", ("n2",))],
        id="two-surgeries-two-notes-in-upload-order",
    ),
    pytest.param(
        TWO_SURGERIES,
        [note("flagged", review_reasons=FLAGGED), note("clean")],
        [("1", MAY_2019, "satisfied", ("clean",)), ("2", JAN_2024, "needs_review", ("flagged",))],
        id="good-notes-are-handed-out-first",
    ),
    pytest.param(
        TWO_SURGERIES,
        [note("bad", review_status="rejected"), note("good")],
        [("1", MAY_2019, "satisfied", ("good",)), ("2", JAN_2024, "missing", ())],
        id="rejected-note-does-not-count",
    ),
    pytest.param(
        COMPLETE_ANSWERS,
        [note("n1"), note("n2")],
        [("1", FEB_2023, "satisfied", ("n1",))],
        id="extra-note-for-one-surgery",
    ),
    pytest.param(
        {},
        [],
        [("1", "Operative note for your surgery", "missing", ())],
        id="draft-without-surgeries",
    ),
    pytest.param(
        with_surgery_dates(None),
        [note()],
        [("1", "Operative note for your surgery (date not given yet)", "satisfied", ("note",))],
        id="undated-surgery",
    ),
    pytest.param(
        COMPLETE_CERVICAL_ANSWERS,
        [],
        [("1", "Operative note for your surgery of September 2022", "missing", ())],
        id="day-precision-shows-month-and-year",
    ),
    pytest.param(
        with_surgery_dates("2023-02-01", "2023-02"),
        [],
        [
            ("1", f"{FEB_2023} (1 of 2)", "missing", ()),
            ("2", f"{FEB_2023} (2 of 2)", "missing", ()),
        ],
        id="same-month-labels-are-told-apart",
    ),
]


@pytest.mark.parametrize(("answers", "documents", "expected"), NOTE_RULES)
def test_operative_note_per_surgery(
    answers: Answers, documents: list[DocumentEvidence], expected: Expected
) -> None:
    notes = [i for i in evaluate(documents, answers).items if i.key.startswith("operative_note")]

    found = [(i.key, i.label, i.status, i.document_ids) for i in notes]
    assert found == [(f"operative_note:{n}", *rest) for n, *rest in expected]
    assert all(i.required for i in notes)


@pytest.mark.parametrize(
    ("media_type", "status", "reason"),
    [
        ("application/pdf", "satisfied", "must be within 1 day(s) of the surgery"),
        ("image/jpeg", "satisfied", "operative note uploaded"),
        (DICOM, "needs_review", "uploaded as operative note but the file is DICOM images"),
        (ZIP, "needs_review", "uploaded as operative note but the file is an archive"),
    ],
)
def test_operative_note_is_a_readable_file(media_type: str, status: str, reason: str) -> None:
    found = item(evaluate([note(media_type=media_type)]), "operative_note:1")

    assert found.status == status
    assert reason in found.reason


def episodes(*spans: dict[str, Any]) -> Answers:
    return edited(lambda answers: answers.update(conservative_care=list(spans)))


def episode(start: str | None, end: str | None = None) -> dict[str, Any]:
    dates = {"start_date": start, "end_date": end}
    return {"type": "physical_therapy", **{k: v for k, v in dates.items() if v}}


SHORT = "under the 6 weeks expected"
CARE_RULES = [
    case("one-record", [care()], "satisfied", "conservative-care record uploaded"),
    case("no-record", [], "missing", "no conservative-care record uploaded"),
    case("photo", [care(media_type="image/png")], "satisfied", "record uploaded"),
    case("dicom", [care(media_type=DICOM)], "needs_review", "the file is DICOM images"),
    case(
        "42-days-is-enough",
        [care()],
        "satisfied",
        "record uploaded",
        answers=episodes(episode("2023-06-01", "2023-07-12")),
    ),
    case(
        "41-days-is-short-but-satisfied",
        [care()],
        "satisfied",
        f"episodes cover 41 days, {SHORT}",
        answers=episodes(episode("2023-06-01", "2023-07-11")),
    ),
    case(
        "overlap-counts-once",
        [care()],
        "satisfied",
        f"cover 41 days, {SHORT}",
        answers=episodes(episode("2023-06-01", "2023-06-30"), episode("2023-06-15", "2023-07-11")),
    ),
    case(
        "separate-spans-add-up",
        [care()],
        "satisfied",
        "record uploaded",
        answers=episodes(episode("2023-06", "2023-06"), episode("2023-08-01", "2023-08-12")),
    ),
    case(
        "ongoing-episode-runs-to-today",
        [care()],
        "satisfied",
        f"cover 15 days, {SHORT}",
        answers=episodes(episode("2024-05-01")),
    ),
    case(
        "no-episodes-in-the-answers",
        [care()],
        "satisfied",
        "the answers list no conservative-care episodes",
        answers=COMPLETE_CERVICAL_ANSWERS,
    ),
    case(
        "episodes-without-dates",
        [],
        "missing",
        "no conservative-care record uploaded; the answers give no episode dates",
        answers=episodes(episode(None)),
    ),
]


@pytest.mark.parametrize("row", CARE_RULES)
def test_conservative_care_record(row: Row) -> None:
    assert row.check("conservative_care_record").required


def test_enough_coverage_adds_no_comment() -> None:
    found = item(evaluate([care()], with_surgery()), "conservative_care_record")

    assert found.reason == "conservative-care record uploaded"


def test_more_notes_than_surgeries_is_pointed_out() -> None:
    found = item(evaluate([note("n1"), note("n2"), note("n3")]), "operative_note:1")

    assert (found.status, found.document_ids) == ("satisfied", ("n1",))
    assert "2 more operative note(s) than surgeries in the answers" in found.reason
