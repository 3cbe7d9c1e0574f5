"""build_facts over real and imperfect answers; the policy and its month arithmetic."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from intake.routing.facts import (
    FindingFact,
    RoutingFacts,
    StaffFinding,
    SurgeryFact,
    build_facts,
    effective_findings,
)
from intake.routing.policy import DEFAULT_POLICY, RoutingPolicy, add_months, months_between
from intake.routing.rules import decide
from tests.questionnaire.fixtures import COMPLETE_ANSWERS

TODAY = date(2024, 6, 15)


def build(answers: Any, *, staff: Sequence[StaffFinding] = (), **kwargs: Any) -> RoutingFacts:
    options: dict[str, Any] = {
        "red_flag_tier": None,
        "missing": (),
        "latest_mri_on": None,
        "has_post_fusion_ct": False,
        "today": TODAY,
    }
    return build_facts(answers, staff_findings=staff, **(options | kwargs))


def reported(finding: str, level: str | None = "L4-L5") -> dict[str, Any]:
    return {"finding": finding, "level": level, "said_by": "imaging_report"}


def dated(surgery_date: str | None, **fields: Any) -> dict[str, Any]:
    return {"procedure_type": "microdiscectomy", "surgery_date": surgery_date, **fields}


TEAR = FindingFact("annular_tear", "L4-L5", "patient_reported")
TEAR_CONFIRMED = FindingFact("annular_tear", "L4-L5", "staff_confirmed")


@pytest.mark.parametrize(
    ("reports", "staff", "expected"),
    [
        pytest.param([reported("annular_tear")], [], [TEAR], id="reported-only"),
        pytest.param(
            [reported("annular_tear")],
            [StaffFinding("annular_tear", "L4-L5", False)],
            [],
            id="ruled-out",
        ),
        pytest.param(
            [reported("annular_tear")],
            [StaffFinding("annular_tear", None, False)],
            [],
            id="ruled-out-everywhere",
        ),
        pytest.param(
            [reported("annular_tear")],
            [StaffFinding("annular_tear", "L3-L4", False)],
            [TEAR],
            id="ruled-out-elsewhere",
        ),
        pytest.param(
            [reported("annular_tear", None)],
            [StaffFinding("annular_tear", "L4-L5", False)],
            [FindingFact("annular_tear", None, "patient_reported")],
            id="levelless-report-survives-a-levelled-rule-out",
        ),
        pytest.param(
            [reported("annular_tear")],
            [StaffFinding("annular_tear", "L4-L5", True)],
            [TEAR_CONFIRMED],
            id="confirmed-beats-reported",
        ),
        pytest.param(
            [reported("annular_tear")],
            [StaffFinding("annular_tear", "L3-L4", True)],
            [FindingFact("annular_tear", "L3-L4", "staff_confirmed"), TEAR],
            id="confirmed-at-another-level",
        ),
        pytest.param(
            [],
            [StaffFinding("pseudarthrosis", "L5-S1", True), StaffFinding("facet_pain", None, True)],
            [
                FindingFact("facet_pain", None, "staff_confirmed"),
                FindingFact("pseudarthrosis", "L5-S1", "staff_confirmed"),
            ],
            id="staff-only-sorted",
        ),
        pytest.param(
            [reported("annular_tear"), reported("annular_tear"), {"level": "L4-L5"}],
            [],
            [TEAR],
            id="repeats-and-blanks",
        ),
    ],
)
def test_effective_findings(
    reports: list[dict[str, Any]], staff: list[StaffFinding], expected: list[FindingFact]
) -> None:
    assert build({"reported_findings": reports}, staff=staff).findings == tuple(expected)


def test_effective_findings_ignore_input_order() -> None:
    reports = [("facet_pain", None), ("annular_tear", "L4-L5"), ("annular_tear", "L3-L4")]
    forward = effective_findings(reports, [])
    assert forward == effective_findings(list(reversed(reports)), [])
    assert [f.level for f in forward] == ["L3-L4", "L4-L5", None]


def test_surgeries_are_read_oldest_first_with_month_dates_at_month_end() -> None:
    answers = {
        "surgeries": [
            {"procedure_type": "fusion", "levels": ["L4-L5", "L5-S1"], "surgery_date": "2023-02"},
            dated(None),
            {
                "levels": ["L3-L4"],
                "surgery_date": "2021-06-10",
                "outcome_pattern": "never_improved",
            },
        ]
    }
    surgeries = build(answers).surgeries
    assert surgeries == (
        SurgeryFact("other", ("L3-L4",), (), date(2021, 6, 10), "never_improved", None),
        # A fusion's levels count as instrumented until the draft lists them.
        SurgeryFact(
            "fusion", ("L4-L5", "L5-S1"), ("L4-L5", "L5-S1"), date(2023, 2, 28), None, None
        ),
        SurgeryFact("microdiscectomy", (), (), None, None, None),
    )


@pytest.mark.parametrize(
    ("surgeries", "expected"),
    [
        pytest.param([dated("2023-06-15")], 12, id="a-year"),
        pytest.param([dated("2023-06-16")], 11, id="a-year-less-a-day"),
        pytest.param([dated("2023-06")], 11, id="month-only-counts-from-its-last-day"),
        pytest.param(
            [dated("2023-06-15", outcome_pattern="improved_then_recurred", pain_free_months=4)],
            8,
            id="less-pain-free",
        ),
        pytest.param(
            [dated("2024-01-15", outcome_pattern="improved_then_recurred", pain_free_months=9)],
            0,
            id="floor-0",
        ),
        pytest.param(
            [dated("2023-06-15", outcome_pattern="improved_then_recurred")],
            None,
            id="pain-free-spell-unknown",
        ),
        pytest.param(
            [dated("2020-01-15"), dated("2024-02-15"), dated(None)], 4, id="latest-dated-surgery"
        ),
        pytest.param([dated(None)], None, id="undated"),
        pytest.param([], None, id="no-surgery"),
    ],
)
def test_pain_months(surgeries: list[dict[str, Any]], expected: int | None) -> None:
    assert build({"surgeries": surgeries}).pain_months == expected


@pytest.mark.parametrize(
    ("surgery_date", "starts", "expected"),
    [
        pytest.param("2024-01-10", ["2024-01-10", "2024-02", "2024-03-01"], 3, id="on-or-after"),
        pytest.param("2024-01-10", ["2024-01-09", "2023-06"], 0, id="before"),
        pytest.param("2024-01-10", ["2024-01"], 0, id="month-start-may-be-before"),
        pytest.param("2024-01", ["2024-01-31", "2024-02"], 2, id="month-surgery-from-its-last-day"),
        pytest.param("2024-01", ["2024-01-30"], 0, id="month-surgery-may-be-after"),
        pytest.param("2024-01-10", [None, "2024-13"], 0, id="undated-or-invalid-start"),
        pytest.param(None, ["2024-02-01"], 0, id="surgery-undated"),
    ],
)
def test_care_episodes_since_surgery(
    surgery_date: str | None, starts: list[str | None], expected: int
) -> None:
    care = [{"type": "physical_therapy", "start_date": start} for start in starts]
    answers = {"surgeries": [dated(surgery_date)], "conservative_care": care}
    assert build(answers).care_episodes_since_surgery == expected


def test_care_counts_since_the_latest_surgery() -> None:
    care = [{"start_date": "2022-03-01"}, {"start_date": "2024-03-01"}]
    answers = {"surgeries": [dated("2022-01-10"), dated("2024-01-10")], "conservative_care": care}
    assert build(answers).care_episodes_since_surgery == 1


def test_scores_and_caller_facts_pass_through() -> None:
    facts = build(
        {"pain": {"back_or_neck": 7, "leg_or_arm": 3}},
        red_flag_tier="urgent",
        missing=["current_mri"],
        latest_mri_on=date(2024, 3, 1),
        has_post_fusion_ct=True,
    )
    assert (facts.back_pain, facts.leg_pain) == (7, 3)
    assert (facts.red_flag_tier, facts.missing) == ("urgent", ("current_mri",))
    assert (facts.latest_mri_on, facts.has_post_fusion_ct, facts.today) == (
        date(2024, 3, 1),
        True,
        TODAY,
    )


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({}, id="empty"),
        pytest.param(None, id="none"),
        pytest.param(["not", "an", "object"], id="list"),
        pytest.param({"surgeries": "nope", "pain": 7, "extra": 1}, id="wrong-section-types"),
        pytest.param(
            {"surgeries": [5, {"surgery_date": "2023-13", "levels": ["L9"]}]}, id="bad-surgery"
        ),
        pytest.param({"pain": {"back_or_neck": "7", "leg_or_arm": 11}}, id="bad-scores"),
        pytest.param({"reported_findings": [{"finding": "unicorn"}, 5, None]}, id="bad-findings"),
        pytest.param(
            {"conservative_care": [{"start_date": 2024}, {"start_date": "soon"}]}, id="bad-care"
        ),
    ],
)
def test_garbage_answers_do_not_raise(answers: Any) -> None:
    facts = build(answers)
    assert facts.findings == ()
    assert (facts.back_pain, facts.leg_pain, facts.pain_months) == (None, None, None)
    assert decide(facts).route == "clinician_triage"


def test_an_invalid_field_is_set_aside_and_the_rest_kept() -> None:
    facts = build({"surgeries": [{"procedure_type": "laminectomy", "surgery_date": "2023-02-30"}]})
    assert facts.surgeries[0].procedure_type == "laminectomy"
    assert facts.surgeries[0].performed_on is None


def test_complete_answers_route_end_to_end() -> None:
    today = date(2024, 5, 15)
    facts = build(copy.deepcopy(COMPLETE_ANSWERS), latest_mri_on=date(2024, 3, 1), today=today)
    # Fusion 2023-02 (read as the 28th): 14 whole months, less 8 pain-free.
    assert (facts.pain_months, facts.care_episodes_since_surgery) == (6, 1)
    decision = decide(facts)
    assert (decision.route, decision.rule_ids, decision.provisional) == (
        "regenerative",
        ("R6",),
        True,
    )
    confirmed = build(
        copy.deepcopy(COMPLETE_ANSWERS),
        staff=[StaffFinding("annular_tear", "L3-L4", False)],
        latest_mri_on=date(2024, 3, 1),
        today=today,
    )
    assert decide(confirmed).rule_ids == ("R10",)


def test_snapshot_is_json_in_field_order() -> None:
    facts = build(copy.deepcopy(COMPLETE_ANSWERS), latest_mri_on=date(2024, 3, 1))
    snapshot = facts.snapshot()
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert list(snapshot) == [
        "today",
        "red_flag_tier",
        "missing",
        "surgeries",
        "findings",
        "back_pain",
        "leg_pain",
        "pain_months",
        "care_episodes_since_surgery",
        "latest_mri_on",
        "has_post_fusion_ct",
    ]
    assert snapshot["today"] == "2024-06-15"
    assert snapshot["surgeries"][0]["performed_on"] == "2023-02-28"
    assert snapshot["findings"] == [
        {"type": "annular_tear", "level": "L3-L4", "source": "patient_reported"}
    ]
    assert json.dumps(snapshot) == json.dumps(
        build(copy.deepcopy(COMPLETE_ANSWERS), latest_mri_on=date(2024, 3, 1)).snapshot()
    )


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="31-jan-leap"),
        pytest.param(date(2023, 1, 31), 1, date(2023, 2, 28), id="31-jan"),
        pytest.param(date(2023, 8, 31), 6, date(2024, 2, 29), id="31-aug-plus-6"),
        pytest.param(date(2023, 11, 15), 3, date(2024, 2, 15), id="across-the-year"),
        pytest.param(date(2024, 8, 31), -6, date(2024, 2, 29), id="backwards"),
        pytest.param(date(2024, 5, 15), 0, date(2024, 5, 15), id="zero"),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(date(2023, 6, 15), date(2024, 6, 15), 12, id="exactly"),
        pytest.param(date(2023, 6, 15), date(2024, 6, 14), 11, id="a-day-short"),
        pytest.param(date(2024, 1, 31), date(2024, 2, 29), 1, id="clamped"),
        pytest.param(date(2024, 2, 29), date(2024, 3, 28), 0, id="not-yet"),
        pytest.param(date(2024, 6, 15), date(2024, 1, 1), 0, id="end-first"),
    ],
)
def test_months_between(start: date, end: date, expected: int) -> None:
    assert months_between(start, end) == expected


def test_default_policy_is_domain_section_3() -> None:
    expected = RoutingPolicy(
        decompression_min_months=3,
        fusion_min_months=6,
        nonunion_window_months=12,
        procedure_mri_max_months=6,
        chronic_pain_min_months=6,
        min_conservative_episodes=1,
    )
    assert expected == DEFAULT_POLICY
    assert DEFAULT_POLICY.min_months_after("laminotomy_foraminotomy") == 3
    assert DEFAULT_POLICY.min_months_after("artificial_disc") == 6
    assert DEFAULT_POLICY.min_months_after("other") == 6
    assert RoutingPolicy(fusion_min_months=12).min_months_after("fusion") == 12


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"fusion_min_months": 13}, "fusion_min_months must be between 6 and 12", id="fusion-13"
        ),
        pytest.param(
            {"fusion_min_months": 5}, "fusion_min_months must be between 6 and 12", id="fusion-5"
        ),
        pytest.param({"decompression_min_months": -1}, "decompression_min_months", id="negative"),
        pytest.param({"procedure_mri_max_months": True}, "procedure_mri_max_months", id="bool"),
        pytest.param({"chronic_pain_min_months": 6.5}, "chronic_pain_min_months", id="float"),
    ],
)
def test_policy_refuses_bad_values(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RoutingPolicy(**changes)
