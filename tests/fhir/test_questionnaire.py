"""FHIR Questionnaire and QuestionnaireResponse builders, validated by the R4B models."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from intake.fhir import (
    QUESTIONNAIRE_URL,
    NoFhirMapping,
    questionnaire_resource,
    questionnaire_response_resource,
)
from intake.fhir.questionnaire import (
    CALCULATED_EXPRESSION_URL,
    ODI_SCORE_EXPRESSION,
    VARIABLE_URL,
)
from intake.questionnaire import (
    EMERGENCY_INSTRUCTION,
    ODI_SECTIONS,
    RED_FLAG_QUESTIONS,
    SECTIONS,
    get_version,
)
from tests.questionnaire.fixtures import COMPLETE_ANSWERS, COMPLETE_CERVICAL_ANSWERS
from tests.questionnaire.test_registry import FakeV2

V1 = get_version("fbss-intake/1")
AUTHORED = datetime(2024, 5, 15, 9, 30, tzinfo=UTC)
INTAKE_ID = "5f0c8a52-7d1e-4a9b-9c3f-2b6e1d0a4c77"


def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every item of a tree, depth first."""
    for item in items:
        yield item
        yield from walk(item.get("item", []))


def by_link_id(resource: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for item in walk(resource.get("item", [])):
        found.setdefault(item["linkId"], []).append(item)
    return found


def response(
    answers: dict[str, Any], status: Literal["in-progress", "completed"] = "completed"
) -> dict[str, Any]:
    built = questionnaire_response_resource(
        intake_id=INTAKE_ID,
        status=status,
        answers=answers,
        authored=AUTHORED,
        version=V1,
    )
    QuestionnaireResponse.model_validate(built)  # raises unless it is valid R4B
    return built


def answers_of(resource: dict[str, Any], link_id: str) -> list[Any]:
    return [
        next(iter(answer.values()))
        for item in by_link_id(resource).get(link_id, [])
        for answer in item["answer"]
    ]


@pytest.fixture(scope="module")
def questionnaire() -> dict[str, Any]:
    built = questionnaire_resource()
    Questionnaire.model_validate(built)
    return built


def test_questionnaire_identity(questionnaire: dict[str, Any]) -> None:
    assert questionnaire["resourceType"] == "Questionnaire"
    assert questionnaire["id"] == "fbss-intake"
    assert questionnaire["url"] == QUESTIONNAIRE_URL
    assert questionnaire["url"].endswith("/Questionnaire/fbss-intake")
    assert questionnaire["version"] == "fbss-intake/1"
    assert questionnaire["status"] == "active"
    assert questionnaire_resource(V1) == questionnaire
    json.dumps(questionnaire)  # JSON-ready: plain dicts, lists, strings and numbers


def test_one_group_per_section_and_unique_link_ids(questionnaire: dict[str, Any]) -> None:
    assert [item["linkId"] for item in questionnaire["item"]] == list(SECTIONS)
    assert {item["type"] for item in questionnaire["item"]} == {"group"}
    assert all(len(items) == 1 for items in by_link_id(questionnaire).values())


def test_odi_sections_are_integers_0_to_5(questionnaire: dict[str, Any]) -> None:
    items = by_link_id(questionnaire)
    names = {name for version in ODI_SECTIONS.values() for name in version}

    for name in names:
        (item,) = items[f"odi.sections.{name}"]
        assert item["type"] == "integer"
        assert [e["valueInteger"] for e in item["extension"]] == [0, 5]
    (sex_life,) = items["odi.sections.sex_life"]
    (employment,) = items["odi.sections.employment_homemaking"]
    assert sex_life["enableWhen"][0]["answerCoding"]["code"] == "2.1a"
    assert employment["enableWhen"][0]["answerCoding"]["code"] == "modified"
    assert "enableWhen" not in items["odi.sections.lifting"][0]


def test_odi_score_is_a_calculated_read_only_decimal(questionnaire: dict[str, Any]) -> None:
    items = by_link_id(questionnaire)
    (score,) = items["odi.score"]
    (odi,) = items["odi"]

    assert score["type"] == "decimal"
    assert score["readOnly"] is True
    assert score["extension"] == [
        {
            "url": CALCULATED_EXPRESSION_URL,
            "valueExpression": {"language": "text/fhirpath", "expression": ODI_SCORE_EXPRESSION},
        }
    ]
    assert "%odiAnswers.count() >= 8" in ODI_SCORE_EXPRESSION
    (variable,) = odi["extension"]
    assert variable["url"] == VARIABLE_URL
    assert variable["valueExpression"]["name"] == "odiAnswers"
    assert "odi.sections." in variable["valueExpression"]["expression"]


def test_red_flags_are_required_booleans_with_the_instruction(
    questionnaire: dict[str, Any],
) -> None:
    items = by_link_id(questionnaire)

    for question in RED_FLAG_QUESTIONS:
        (item,) = items[f"red_flags.{question.key}"]
        assert (item["type"], item["required"], item["text"]) == (
            "boolean",
            True,
            question.question,
        )
    (instruction,) = items["red_flags.instruction"]
    assert (instruction["type"], instruction["text"]) == ("display", EMERGENCY_INSTRUCTION)


def test_conditional_questions(questionnaire: dict[str, Any]) -> None:
    items = by_link_id(questionnaire)
    (pain_free,) = items["surgeries.pain_free_months"]
    (levels,) = items["surgeries.levels"]

    assert pain_free["enableWhen"][0]["question"] == "surgeries.outcome_pattern"
    assert pain_free["enableWhen"][0]["answerCoding"]["code"] == "improved_then_recurred"
    assert levels["repeats"] is True
    assert len(levels["answerOption"]) == 23


def test_a_version_without_a_mapping_is_refused() -> None:
    with pytest.raises(NoFhirMapping, match="fbss-intake/2"):
        questionnaire_resource(FakeV2())


def test_response_identity_and_no_patient_identity() -> None:
    built = response(COMPLETE_ANSWERS)

    assert set(built) == {"resourceType", "id", "questionnaire", "status", "authored", "item"}
    assert built["questionnaire"] == f"{QUESTIONNAIRE_URL}|fbss-intake/1"
    assert built["id"] == INTAKE_ID
    assert built["status"] == "completed"
    assert built["authored"] == "2024-05-15T09:30:00+00:00"
    assert response({}, status="in-progress")["status"] == "in-progress"


@pytest.mark.parametrize("answers", [COMPLETE_ANSWERS, COMPLETE_CERVICAL_ANSWERS])
def test_every_response_link_id_is_in_the_questionnaire(
    questionnaire: dict[str, Any], answers: dict[str, Any]
) -> None:
    assert set(by_link_id(response(answers))) <= set(by_link_id(questionnaire))


def test_odi_answers_and_score() -> None:
    built = response(COMPLETE_ANSWERS)
    sections = COMPLETE_ANSWERS["odi"]["sections"]

    for name, value in sections.items():
        assert answers_of(built, f"odi.sections.{name}") == [value]
    assert answers_of(built, "odi.score") == [32.0]
    assert answers_of(built, "odi.version")[0]["code"] == "2.1a"


def test_odi_score_with_nine_answered_is_unrounded() -> None:
    answers = copy.deepcopy(COMPLETE_ANSWERS)
    del answers["odi"]["sections"]["lifting"]  # 3 of the 16

    assert answers_of(response(answers, "in-progress"), "odi.score") == [13 / 45 * 100]


def test_no_odi_score_below_eight_answered() -> None:
    answers = copy.deepcopy(COMPLETE_ANSWERS)
    for name in ("lifting", "walking", "sitting"):
        del answers["odi"]["sections"][name]

    built = response(answers, "in-progress")

    assert answers_of(built, "odi.score") == []
    assert len([link for link in by_link_id(built) if link.startswith("odi.sections.")]) == 7


def test_ndi_score_for_cervical_answers() -> None:
    assert answers_of(response(COMPLETE_CERVICAL_ANSWERS), "ndi.score") == [20.0]


def test_red_flags_answered_false_are_kept() -> None:
    built = response(COMPLETE_ANSWERS)

    for question in RED_FLAG_QUESTIONS:
        assert answers_of(built, f"red_flags.{question.key}") == [False]


def test_surgeries_are_repeating_groups() -> None:
    answers = copy.deepcopy(COMPLETE_ANSWERS)
    answers["surgeries"].append(COMPLETE_CERVICAL_ANSWERS["surgeries"][0])

    built = response(answers)

    assert len(by_link_id(built)["surgeries"]) == 2
    assert [c["code"] for c in answers_of(built, "surgeries.levels")] == [
        "L4-L5",
        "L5-S1",
        "C5-C6",
        "C6-C7",
    ]
    assert answers_of(built, "surgeries.surgery_date") == ["2023-02", "2022-09-12"]


def test_invalid_draft_answers_are_left_out() -> None:
    answers = {"pain": {"back_or_neck": 11, "leg_or_arm": 4}, "surgeries": "abc"}

    built = response(answers, "in-progress")

    assert set(by_link_id(built)) == {"pain", "pain.leg_or_arm"}


def test_empty_answers_give_a_response_without_items() -> None:
    assert "item" not in response({}, "in-progress")


def test_authored_must_carry_a_timezone() -> None:
    with pytest.raises(ValueError, match="timezone"):
        questionnaire_response_resource(
            intake_id=INTAKE_ID,
            status="completed",
            answers={},
            authored=datetime(2024, 5, 15, 9, 30),  # noqa: DTZ001 - the naive time under test
            version=V1,
        )
