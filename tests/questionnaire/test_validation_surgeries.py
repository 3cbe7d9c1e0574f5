"""Draft validation of surgeries: segments, regions, hardware levels, dates, outcome.

Each rule has a case that fires it and one that only just passes it. The base is the
complete lumbar fixture (born 1968-07-14, "today" 2024-05-15), changed in one place.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.questionnaire.support import Edit, Found, draft, edited

S0 = ("surgeries", 0)


def surgery(**changes: Any) -> Edit:
    return lambda answers: answers["surgeries"][0].update(changes)


SURGERY_RULES = [
    # Segments: the enum, the region, repeats.
    pytest.param(
        surgery(levels=["L4-L5", "L6-S1"]),
        [((*S0, "levels", 1), "literal_error")],
        id="level-not-a-segment",
    ),
    pytest.param(surgery(levels=["L3-L4", "L4-L5", "L5-S1"]), [], id="level-segment-ok"),
    pytest.param(
        surgery(levels=["T12-L1", "L4-L5", "L5-S1"]),
        [((*S0, "levels", 0), "level_outside_region")],
        id="level-outside-region",
    ),
    pytest.param(surgery(levels=["L1-L2", "L4-L5", "L5-S1"]), [], id="level-first-of-region-ok"),
    pytest.param(
        surgery(region="cervical", levels=["T1-T2"], instrumented_levels=["T1-T2"]),
        [((*S0, "levels", 0), "level_outside_region")],
        id="cervical-ends-at-C7-T1",
    ),
    pytest.param(
        surgery(region="cervical", levels=["C7-T1"], instrumented_levels=["C7-T1"]),
        [],
        id="C7-T1-is-cervical",
    ),
    pytest.param(
        surgery(region="thoracic", levels=["T12-L1"], instrumented_levels=["T12-L1"]),
        [],
        id="T12-L1-is-thoracic",
    ),
    pytest.param(
        surgery(levels=["L4-L5", "L5-S1", "L4-L5"]),
        [((*S0, "levels", 2), "duplicate_level")],
        id="duplicate-level",
    ),
    pytest.param(
        surgery(instrumented_levels=["L5-S1", "L5-S1"]),
        [((*S0, "instrumented_levels", 1), "duplicate_level")],
        id="duplicate-instrumented-level",
    ),
    pytest.param(
        surgery(instrumented_levels=["L5-S1", "L3-L4"]),
        [((*S0, "instrumented_levels", 1), "instrumented_not_operated")],
        id="instrumented-not-operated",
    ),
    pytest.param(
        surgery(instrumented_levels=["L4-L5", "L5-S1"]), [], id="instrumented-all-operated"
    ),
    # A level that fails its own check is not compared again (no second problem for it).
    pytest.param(
        surgery(levels=["L6-S1"]),
        [((*S0, "levels", 0), "literal_error")],
        id="invalid-levels-not-cross-checked",
    ),
    # Dates: month precision is lenient at both ends.
    pytest.param(
        surgery(surgery_date="2024-06"),
        [((*S0, "surgery_date"), "date_in_future")],
        id="surgery-next-month",
    ),
    pytest.param(surgery(surgery_date="2024-05"), [], id="surgery-this-month-ok"),
    pytest.param(
        surgery(surgery_date="2024-05-16"),
        [((*S0, "surgery_date"), "date_in_future")],
        id="surgery-tomorrow",
    ),
    pytest.param(surgery(surgery_date="2024-05-15"), [], id="surgery-today-ok"),
    pytest.param(
        surgery(surgery_date="1968-06"),
        [((*S0, "surgery_date"), "date_before_birth")],
        id="surgery-month-before-birth",
    ),
    pytest.param(surgery(surgery_date="1968-07"), [], id="surgery-birth-month-ok"),
    pytest.param(
        surgery(surgery_date="1968-07-13"),
        [((*S0, "surgery_date"), "date_before_birth")],
        id="surgery-day-before-birth",
    ),
    pytest.param(surgery(surgery_date="1968-07-14"), [], id="surgery-birthday-ok"),
    pytest.param(
        surgery(surgery_date="2023-2"),
        [((*S0, "surgery_date"), "partial_date")],
        id="date-unpadded",
    ),
    pytest.param(
        surgery(surgery_date="2023-02-29"),
        [((*S0, "surgery_date"), "partial_date")],
        id="date-not-in-calendar",
    ),
    pytest.param(surgery(surgery_date="2024-02-29"), [], id="date-leap-day-ok"),
    # Outcome and its pain-free interval.
    pytest.param(
        surgery(pain_free_months=601),
        [((*S0, "pain_free_months"), "less_than_equal")],
        id="pain-free-601",
    ),
    pytest.param(surgery(pain_free_months=600), [], id="pain-free-600-ok"),
    pytest.param(
        surgery(pain_free_months=-1),
        [((*S0, "pain_free_months"), "greater_than_equal")],
        id="pain-free-negative",
    ),
    pytest.param(
        surgery(outcome_pattern="never_improved"),
        [((*S0, "pain_free_months"), "not_applicable")],
        id="pain-free-without-recurrence",
    ),
    pytest.param(
        surgery(outcome_pattern="never_improved", pain_free_months=None),
        [],
        id="no-pain-free-without-recurrence-ok",
    ),
    pytest.param(surgery(outcome_pattern=None), [], id="pain-free-while-outcome-unanswered-ok"),
    # Enums, text and unknown fields.
    pytest.param(
        surgery(procedure_type="ACDF"),
        [((*S0, "procedure_type"), "literal_error")],
        id="unknown-procedure",
    ),
    pytest.param(
        surgery(complications=["infection", "bleeding"]),
        [((*S0, "complications", 1), "literal_error")],
        id="unknown-complication",
    ),
    pytest.param(
        surgery(surgeon="x" * 201), [((*S0, "surgeon"), "string_too_long")], id="surgeon-201-chars"
    ),
    pytest.param(surgery(surgeon="x" * 200), [], id="surgeon-200-chars-ok"),
    pytest.param(
        surgery(hospital="General"), [((*S0, "hospital"), "extra_forbidden")], id="unknown-field"
    ),
    pytest.param(surgery(levels="L4-L5"), [((*S0, "levels"), "list_type")], id="levels-not-a-list"),
]


@pytest.mark.parametrize(("edit", "expected"), SURGERY_RULES)
def test_surgery_rule(edit: Edit, expected: Found) -> None:
    assert draft(edited(edit)) == expected


def test_independent_problems_are_all_reported() -> None:
    def two_bad_surgeries(answers: dict[str, Any]) -> None:
        answers["surgeries"].append(dict(answers["surgeries"][0], levels=["X1-X2"]))
        answers["surgeries"][0].update(levels=["L6-S1"], surgery_date="2030-01", facility=7)

    assert sorted(draft(edited(two_bad_surgeries))) == sorted(
        [
            ((*S0, "levels", 0), "literal_error"),
            ((*S0, "facility"), "string_type"),
            ((*S0, "surgery_date"), "date_in_future"),
            (("surgeries", 1, "levels", 0), "literal_error"),
        ]
    )
