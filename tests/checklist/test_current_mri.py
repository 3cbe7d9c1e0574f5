"""The current-MRI item (DOMAIN.md §4): MRI images or a report, fresh and after surgery.

Each rule has a row that fires it and one that only just misses it. The base answers are one
lumbar fusion in February 2023 (month only: it counts as ending 2023-02-28) and "today" is
2024-05-15, so a 12-month limit keeps 2023-05-15 and drops 2023-05-14. "N months old" is
counted in calendar months (see intake/checklist/policy.py).
"""

from __future__ import annotations

from datetime import date

import pytest

from intake.checklist.rules import ChecklistPolicy
from tests.checklist.support import (
    ZIP,
    Row,
    case,
    evaluate,
    item,
    mri,
    report,
    with_surgery,
    with_surgery_dates,
)

CURRENT_MRI_RULES = [
    # Freshness: "12 months old" in calendar months.
    case("exactly-12-months", [mri(on=date(2023, 5, 15))], "satisfied", "is 12 months old"),
    case(
        "12-months-and-1-day",
        [mri(on=date(2023, 5, 14))],
        "stale",
        "MRI study dated 2023-05-14 is 12 months and 1 day old; the limit is 12",
    ),
    case(
        "clamped-leap-day-boundary",
        [mri(on=date(2023, 2, 28))],
        "satisfied",
        "is 12 months old",
        answers=with_surgery(surgery_date="2022-12"),
        today=date(2024, 2, 29),
    ),
    case(
        "clamped-leap-day-one-over",
        [mri(on=date(2023, 2, 27))],
        "stale",
        "12 months and 1 day old",
        answers=with_surgery(surgery_date="2022-12"),
        today=date(2024, 2, 29),
    ),
    case(
        "six-month-policy",
        [mri(on=date(2023, 11, 14))],
        "stale",
        "the limit is 6",
        policy=ChecklistPolicy(mri_max_age_months=6),
    ),
    # After the last surgery; a month-only date is the whole month.
    case(
        "in-the-surgery-month",
        [mri(on=date(2024, 1, 31))],
        "stale",
        "MRI study dated 2024-01-31 is not after the last surgery (2024-01)",
        answers=with_surgery(surgery_date="2024-01"),
    ),
    case(
        "month-after-surgery",
        [mri(on=date(2024, 2, 1))],
        "satisfied",
        "3 months and 14 days old",
        answers=with_surgery(surgery_date="2024-01"),
    ),
    case(
        "on-the-surgery-day",
        [mri(on=date(2024, 1, 10))],
        "stale",
        "not after the last surgery (2024-01-10)",
        answers=with_surgery(surgery_date="2024-01-10"),
    ),
    case(
        "day-after-surgery",
        [mri(on=date(2024, 1, 11))],
        "satisfied",
        "dated 2024-01-11",
        answers=with_surgery(surgery_date="2024-01-10"),
    ),
    case(
        "between-two-surgeries",
        [mri(on=date(2023, 6, 1))],
        "stale",
        "not after the last surgery (2024-01)",
        answers=with_surgery_dates("2024-01", "2019-05"),
    ),
    case(
        "surgery-date-unknown",
        [mri()],
        "satisfied",
        "surgery date unknown, not checked against it",
        answers=with_surgery_dates(None),
    ),
    # Dates: missing, from the report, in the future.
    case("images-without-date", [mri(on=None)], "needs_review", "no study date"),
    case(
        "images-with-typed-date",
        [mri(on=None, report_date=date(2024, 1, 2))],
        "satisfied",
        "MRI study dated 2024-01-02",
    ),
    case(
        "report-with-date",
        [report("report", "current_mri")],
        "satisfied",
        "MRI report dated 2024-03-01 is 2 months and 14 days old; the limit is 12 (report only",
    ),
    case(
        "report-without-date",
        [report("report", "current_mri", on=None)],
        "needs_review",
        "no study date; a coordinator must check",
    ),
    case("dated-tomorrow", [mri(on=date(2024, 5, 16))], "needs_review", "in the future"),
    case("dated-today", [mri(on=date(2024, 5, 15))], "satisfied", "is 0 days old"),
    # Several: the strongest, then the freshest, wins.
    case(
        "freshest-wins",
        [mri("old", on=date(2022, 1, 1)), mri("new")],
        "satisfied",
        "dated 2024-03-01",
        ("new",),
    ),
    case(
        "newest-first",
        [mri("older", on=date(2024, 1, 1)), mri("newer")],
        "satisfied",
        "dated 2024-03-01",
        ("newer", "older"),
    ),
    case(
        "undated-beats-stale",
        [mri("old", on=date(2022, 1, 1)), mri("undated", on=None)],
        "needs_review",
        "no study date",
        ("undated",),
    ),
    # What the file holds.
    case(
        "ct-uploaded-as-mri",
        [mri("ct", modality="CT")],
        "missing",
        "no MRI uploaded; uploaded as current MRI but the images are CT; "
        "counted as post-op imaging",
        (),
    ),
    case(
        "xray-uploaded-as-mri",
        [mri("dx", modality="DX")],
        "missing",
        "the images are X-ray (DX); counted as post-op imaging",
        (),
    ),
    case(
        "ct-beside-a-real-mri",
        [mri("ct", modality="CT"), mri()],
        "satisfied",
        "the images are CT; counted as post-op imaging",
        ("mri",),
    ),
    case(
        "zip-without-dicom",
        [mri("zip", media_type=ZIP, modality=None)],
        "needs_review",
        "archive holds no DICOM images",
    ),
    case("zip-with-mri", [mri("zip", media_type=ZIP)], "satisfied", "MRI study"),
    case(
        "angiography",
        [mri("xa", modality="XA")],
        "needs_review",
        "uploaded as current MRI but the images are XA",
    ),
    case(
        "unexpected-file-type",
        [mri("txt", media_type="text/plain")],
        "needs_review",
        "unexpected file type",
    ),
]


@pytest.mark.parametrize("row", CURRENT_MRI_RULES)
def test_current_mri(row: Row) -> None:
    row.check("current_mri")


def test_ct_uploaded_as_mri_before_surgery_says_why_it_is_not_counted() -> None:
    found = item(evaluate([mri("ct", modality="CT", on=date(2022, 12, 1))]), "current_mri")

    assert found.status == "missing"
    assert "images are CT dated 2022-12-01, not after the last surgery; not counted" in found.reason
