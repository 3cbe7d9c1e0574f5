"""Post-op imaging (required only with hardware) and pre-op imaging (optional).

Base: one lumbar fusion with hardware in February 2023; "today" is 2024-05-15.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from intake.checklist.rules import ChecklistPolicy
from tests.checklist.support import (
    Row,
    case,
    evaluate,
    item,
    mri,
    postop,
    preop,
    report,
    with_surgery,
    with_surgery_dates,
)
from tests.questionnaire.fixtures import COMPLETE_CERVICAL_ANSWERS

POSTOP_RULES = [
    case("ct-exactly-12-months", [postop(on=date(2023, 5, 15))], "satisfied", "post-op CT"),
    case("ct-12-months-and-1-day", [postop(on=date(2023, 5, 14))], "stale", "the limit is 12"),
    case(
        "ct-in-the-surgery-month",
        [postop(on=date(2023, 2, 28))],
        "stale",
        "not after the last surgery (2023-02)",
    ),
    case("ct-month-after-surgery", [postop(on=date(2023, 5, 15))], "satisfied", "CT"),
    case(
        "six-month-policy-boundary",
        [postop(on=date(2023, 11, 15))],
        "satisfied",
        "6 months old; the limit is 6",
        policy=ChecklistPolicy(postop_imaging_max_age_months=6),
    ),
    case(
        "six-month-policy-one-over",
        [postop(on=date(2023, 11, 14))],
        "stale",
        "6 months and 1 day old; the limit is 6",
        policy=ChecklistPolicy(postop_imaging_max_age_months=6),
    ),
    case("xray", [postop("dx", modality="DX")], "satisfied", "post-op X-ray (DX)"),
    case("mri", [postop("mr", modality="MR")], "satisfied", "post-op MRI"),
    case("report", [report("report", "postop_imaging")], "satisfied", "post-op report"),
    case("undated", [postop(on=None)], "needs_review", "no study date"),
    case("nuclear-medicine", [postop("nm", modality="NM")], "needs_review", "images are NM"),
    case(
        "ct-uploaded-as-current-mri",
        [mri("ct", modality="CT")],
        "satisfied",
        "post-op CT (uploaded as current MRI)",
    ),
    case(
        "ct-uploaded-as-current-mri-before-surgery",
        [mri("ct", modality="CT", on=date(2022, 12, 1))],
        "missing",
        "no post-op imaging uploaded",
        (),
    ),
]


@pytest.mark.parametrize("row", POSTOP_RULES)
def test_postop_imaging(row: Row) -> None:
    row.check("postop_imaging")


@pytest.mark.parametrize(
    ("answers", "required"),
    [
        pytest.param(with_surgery(), True, id="instrumented-fusion"),
        pytest.param(
            with_surgery(procedure_type="discectomy", instrumented_levels=[]),
            False,
            id="discectomy-without-hardware",
        ),
        pytest.param(
            with_surgery(procedure_type="other", instrumented_levels=["L5-S1"]),
            True,
            id="other-procedure-with-hardware",
        ),
        pytest.param(
            with_surgery(instrumented_levels=None),
            True,
            id="draft-fusion-before-its-levels",
        ),
        pytest.param(COMPLETE_CERVICAL_ANSWERS, True, id="cervical-fusion"),
        pytest.param({}, False, id="empty-draft"),
    ],
)
def test_postop_imaging_is_required_only_with_hardware(
    answers: dict[str, Any], required: bool
) -> None:
    result = evaluate([], answers)
    found = item(result, "postop_imaging")

    assert (found.required, found.status) == (required, "missing")
    assert ("postop_imaging" in result.missing_keys) is required


PREOP_RULES = [
    case(
        "before-the-surgery-month",
        [preop(on=date(2023, 1, 31))],
        "satisfied",
        "pre-op imaging dated 2023-01-31, before the first surgery (2023-02)",
    ),
    case(
        "in-the-surgery-month",
        [preop(on=date(2023, 2, 1))],
        "needs_review",
        "in the month of the surgery (2023-02)",
    ),
    case("after-the-surgery", [preop(on=date(2023, 3, 1))], "needs_review", "after the surgery"),
    case(
        "day-before-the-surgery-day",
        [preop(on=date(2023, 2, 9))],
        "satisfied",
        "before the first surgery (2023-02-10)",
        answers=with_surgery(surgery_date="2023-02-10"),
    ),
    case(
        "on-the-surgery-day",
        [preop(on=date(2023, 2, 10))],
        "needs_review",
        "on the day of the surgery",
        answers=with_surgery(surgery_date="2023-02-10"),
    ),
    case(
        "between-two-surgeries",
        [preop(on=date(2020, 1, 1))],
        "needs_review",
        "pre-op imaging dated after the surgery (2020-01-01; surgery 2019-05)",
        answers=with_surgery_dates("2024-01", "2019-05"),
    ),
    case("undated", [preop(on=None)], "satisfied", "date unknown"),
    case("report", [report("report", "preop_imaging", on=date(2022, 1, 5))], "satisfied", "2022"),
    case("none", [], "missing", "no pre-op imaging uploaded (optional)"),
]


@pytest.mark.parametrize("row", PREOP_RULES)
def test_preop_imaging(row: Row) -> None:
    assert not row.check("preop_imaging").required


@pytest.mark.parametrize(
    ("answers", "label"),
    [
        pytest.param(
            with_surgery(),
            "CT scan, X-ray or MRI taken after your surgery, in the last 12 months",
            id="required",
        ),
        pytest.param(
            with_surgery(procedure_type="discectomy", instrumented_levels=[]),
            "CT scan, X-ray or MRI taken after your surgery, in the last 12 months, "
            "if you have one",
            id="optional",
        ),
        pytest.param(
            with_surgery_dates("2019-05", "2024-01"),
            "CT scan, X-ray or MRI taken after your most recent surgery, in the last 12 months",
            id="several-surgeries",
        ),
    ],
)
def test_postop_label(answers: dict[str, Any], label: str) -> None:
    assert item(evaluate([], answers), "postop_imaging").label == label
