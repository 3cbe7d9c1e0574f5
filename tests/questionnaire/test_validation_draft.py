"""Draft validation: shape and cross-field rules on what is present, never missing answers.

Each rule has a case that fires it and one that only just passes it. The base is the
complete lumbar fixture (born 1968-07-14, "today" 2024-05-15), changed in one place.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.questionnaire.fixtures import COMPLETE_CERVICAL_ANSWERS, DATE_OF_BIRTH, TODAY
from tests.questionnaire.support import V1, Edit, Found, draft, edited


def care(**changes: Any) -> Edit:
    return lambda answers: answers["conservative_care"][0].update(changes)


def section(name: str, **changes: Any) -> Edit:
    return lambda answers: answers[name].update(changes)


def odi_sections(**changes: Any) -> Edit:
    return lambda answers: answers["odi"]["sections"].update(changes)


C0 = ("conservative_care", 0)

RULES = [
    # Symptoms.
    pytest.param(
        lambda a: a["symptoms"].append({"symptom": "stiffness", "onset": "before_surgery"}),
        [(("symptoms", 2, "symptom"), "duplicate_symptom")],
        id="duplicate-symptom",
    ),
    pytest.param(
        lambda a: a["symptoms"].append({"symptom": "spasms", "onset": "before_surgery"}),
        [],
        id="another-symptom-ok",
    ),
    pytest.param(
        lambda a: a["symptoms"][1].update(onset_months_after_surgery=3),
        [(("symptoms", 1, "onset_months_after_surgery"), "not_applicable")],
        id="onset-months-without-after-surgery",
    ),
    pytest.param(
        lambda a: a["symptoms"][0].update(onset_months_after_surgery=601),
        [(("symptoms", 0, "onset_months_after_surgery"), "less_than_equal")],
        id="onset-months-601",
    ),
    pytest.param(
        lambda a: a["symptoms"][0].update(onset_months_after_surgery=600),
        [],
        id="onset-months-600-ok",
    ),
    # Pain: integers 0-10, strictly (JSON "7", 7.5 and true are not ratings).
    pytest.param(
        section("pain", back_or_neck=11),
        [(("pain", "back_or_neck"), "less_than_equal")],
        id="pain-11",
    ),
    pytest.param(section("pain", back_or_neck=10), [], id="pain-10-ok"),
    pytest.param(
        section("pain", leg_or_arm=-1),
        [(("pain", "leg_or_arm"), "greater_than_equal")],
        id="pain-minus-1",
    ),
    pytest.param(section("pain", leg_or_arm=0), [], id="pain-0-ok"),
    pytest.param(
        section("pain", back_or_neck="7"),
        [(("pain", "back_or_neck"), "int_type")],
        id="pain-string",
    ),
    pytest.param(
        section("pain", back_or_neck=7.5),
        [(("pain", "back_or_neck"), "int_type")],
        id="pain-fraction",
    ),
    pytest.param(
        section("pain", back_or_neck=True), [(("pain", "back_or_neck"), "int_type")], id="pain-bool"
    ),
    # ODI.
    pytest.param(
        odi_sections(lifting=6), [(("odi", "sections", "lifting"), "less_than_equal")], id="odi-6"
    ),
    pytest.param(odi_sections(lifting=5), [], id="odi-5-ok"),
    pytest.param(
        odi_sections(employment_homemaking=2),
        [(("odi", "sections", "employment_homemaking"), "wrong_odi_version")],
        id="odi-other-version-section",
    ),
    pytest.param(
        lambda a: (
            a["odi"]["sections"].update(sex_life=None, employment_homemaking=1)
            or a["odi"].update(version="modified")
        ),
        [(("odi", "sections", "sex_life"), "wrong_odi_version")],
        id="odi-null-other-version-section",
    ),
    pytest.param(
        lambda a: (
            a["odi"]["sections"].update(employment_homemaking=a["odi"]["sections"].pop("sex_life"))
            or a["odi"].update(version="modified")
        ),
        [],
        id="odi-modified-ok",
    ),
    pytest.param(
        odi_sections(bending=1),
        [(("odi", "sections", "bending"), "extra_forbidden")],
        id="odi-unknown-section",
    ),
    pytest.param(
        section("odi", version="2.0"),
        [(("odi", "version"), "literal_error")],
        id="odi-unknown-version",
    ),
    # Conservative care.
    pytest.param(
        care(end_date="2023-05"),
        [((*C0, "end_date"), "end_before_start")],
        id="care-ends-before-start",
    ),
    pytest.param(care(end_date="2023-06"), [], id="care-ends-in-start-month-ok"),
    pytest.param(
        care(start_date="2023-06-10", end_date="2023-06"),
        [],
        id="care-month-end-after-day-start-ok",
    ),
    pytest.param(
        care(start_date="2024-06", end_date=None),
        [((*C0, "start_date"), "date_in_future")],
        id="care-starts-in-future",
    ),
    pytest.param(
        care(start_date="1968-06", end_date=None),
        [((*C0, "start_date"), "date_before_birth")],
        id="care-starts-before-birth",
    ),
    pytest.param(
        care(end_date="2024-06"), [((*C0, "end_date"), "date_in_future")], id="care-ends-in-future"
    ),
    pytest.param(care(end_date="2024-05"), [], id="care-ends-this-month-ok"),
    pytest.param(
        care(sessions=1001), [((*C0, "sessions"), "less_than_equal")], id="care-1001-sessions"
    ),
    pytest.param(care(sessions=1000), [], id="care-1000-sessions-ok"),
    pytest.param(care(type="massage"), [((*C0, "type"), "literal_error")], id="care-unknown-type"),
    # Medications and reported findings.
    pytest.param(
        lambda a: a["medications"][0].update(name=""),
        [(("medications", 0, "name"), "string_too_short")],
        id="medication-empty-name",
    ),
    pytest.param(
        lambda a: a["medications"][0].update(opioid="yes"),
        [(("medications", 0, "opioid"), "bool_type")],
        id="medication-opioid-not-bool",
    ),
    pytest.param(
        lambda a: a["reported_findings"][0].update(finding="disc_bulge"),
        [(("reported_findings", 0, "finding"), "literal_error")],
        id="unknown-finding",
    ),
    pytest.param(
        lambda a: a["reported_findings"][0].update(level=None, said_by="surgeon"),
        [],
        id="finding-without-level-ok",
    ),
    # Red flags, consent, sections.
    pytest.param(
        section("red_flags", saddle_numbness="no"),
        [(("red_flags", "saddle_numbness"), "bool_type")],
        id="red-flag-not-bool",
    ),
    pytest.param(
        section("red_flags", tingling=False),
        [(("red_flags", "tingling"), "extra_forbidden")],
        id="unknown-red-flag",
    ),
    pytest.param(section("consent", privacy_notice=False), [], id="consent-false-ok-in-draft"),
    pytest.param(
        lambda a: a.update(insurance={}),
        [(("insurance",), "extra_forbidden")],
        id="unknown-section",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), RULES)
def test_rule(edit: Edit, expected: Found) -> None:
    assert draft(edited(edit)) == expected


def test_ndi_item_out_of_range() -> None:
    answers = edited(lambda a: a["ndi"]["items"].update(reading=6), COMPLETE_CERVICAL_ANSWERS)

    assert draft(answers) == [(("ndi", "items", "reading"), "less_than_equal")]


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"surgeries": [{}], "symptoms": [{}], "pain": {}, "odi": {}, "red_flags": {}},
        {"pain": None, "consent": {"privacy_notice": None}},
        {"surgeries": [{"procedure_type": "fusion"}]},
        {"surgeries": [{"outcome_pattern": "improved_then_recurred"}]},
    ],
)
def test_missing_answers_are_not_draft_problems(answers: dict[str, Any]) -> None:
    assert draft(answers) == []


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"surgeries": "abc"}, [(("surgeries",), "list_type")]),
        (
            {"surgeries": [1, 2]},
            [(("surgeries", 0), "model_type"), (("surgeries", 1), "model_type")],
        ),
        ({"surgeries": [None]}, [(("surgeries", 0), "model_type")]),
        ({"pain": "severe"}, [(("pain",), "model_type")]),
        ({"odi": {"sections": [1, 2]}}, [(("odi", "sections"), "model_type")]),
        ([1, 2], [((), "model_type")]),
    ],
)
def test_garbage_becomes_problems(answers: Any, expected: Found) -> None:
    assert draft(answers) == expected


def test_one_bad_odi_section_keeps_the_version_check_on_the_others() -> None:
    answers = edited(odi_sections(lifting=9, employment_homemaking=1))

    assert draft(answers) == [
        (("odi", "sections", "lifting"), "less_than_equal"),
        (("odi", "sections", "employment_homemaking"), "wrong_odi_version"),
    ]


def test_problems_come_in_form_order() -> None:
    answers = edited(lambda a: a.update(extra=1, consent={"privacy_notice": 1}, pain={"x": 1}))

    assert [loc[0] for loc, _ in draft(answers)] == ["pain", "consent", "extra"]


def test_a_problem_is_loc_msg_and_type_and_never_echoes_the_answer() -> None:
    answers = edited(lambda a: a["surgeries"][0].update(surgeon="Dr Private " * 30))

    problems = V1.validate_draft(answers, date_of_birth=DATE_OF_BIRTH, today=TODAY)

    assert problems == [
        {
            "loc": ["surgeries", 0, "surgeon"],
            "msg": "String should have at most 200 characters",
            "type": "string_too_long",
        }
    ]


def test_a_non_object_is_described_without_internal_class_names() -> None:
    problems = V1.validate_draft({"pain": 3}, date_of_birth=DATE_OF_BIRTH, today=TODAY)

    assert problems == [{"loc": ["pain"], "msg": "Input should be an object", "type": "model_type"}]
