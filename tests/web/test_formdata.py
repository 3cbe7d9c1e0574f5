"""Form fields to answers JSON and back, without a browser or a database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from intake import questionnaire
from intake.web import formdata
from intake.web.formdata import Action


def fields(*pairs: tuple[str, str]) -> dict[str, list[str]]:
    return formdata.group(pairs)


def test_a_surgery_block_becomes_one_surgery() -> None:
    form = fields(
        ("surgeries-0-procedure_type", "fusion"),
        ("surgeries-0-region", "lumbar"),
        ("surgeries-0-levels", "L4-L5"),
        ("surgeries-0-levels", "L5-S1"),
        ("surgeries-0-instrumented_levels", "L4-L5"),
        ("surgeries-0-surgery_date", " 2023-04 "),
        ("surgeries-0-surgeon", ""),
        ("surgeries-0-outcome_pattern", "improved_then_recurred"),
        ("surgeries-0-pain_free_months", "8"),
    )

    assert formdata.parse_section(form, "surgeries") == [
        {
            "procedure_type": "fusion",
            "region": "lumbar",
            "levels": ["L4-L5", "L5-S1"],
            "instrumented_levels": ["L4-L5"],
            "surgery_date": "2023-04",
            "outcome_pattern": "improved_then_recurred",
            "pain_free_months": 8,
        }
    ]


def test_empty_inputs_are_missing_and_a_non_number_is_kept_as_typed() -> None:
    form = fields(
        ("conservative_care-0-type", "physical_therapy"),
        ("conservative_care-0-start_date", ""),
        ("conservative_care-0-sessions", "twelve"),
        ("conservative_care-0-response", ""),
    )

    assert formdata.parse_section(form, "conservative_care") == [
        {"type": "physical_therapy", "sessions": "twelve"}
    ]


@pytest.mark.parametrize(
    ("typed", "parsed"), [("12", 12), ("-3", -3), ("+4", 4), ("1.5", "1.5"), ("1e3", "1e3")]
)
def test_numbers_parse_only_when_whole(typed: str, parsed: Any) -> None:
    form = fields(("pain-back_or_neck", typed))

    assert formdata.parse_section(form, "pain") == {"back_or_neck": parsed}


def test_blank_rows_are_dropped_and_rows_keep_their_order() -> None:
    form = fields(
        ("medications-0-name", "Gabapentin"),
        ("medications-0-current", "yes"),
        ("medications-1-name", ""),
        ("medications-1-drug_class", ""),
        ("medications-10-name", "Tramadol"),
        ("medications-10-opioid", "yes"),
    )

    assert formdata.parse_section(form, "medications") == [
        {"name": "Gabapentin", "opioid": False, "current": True},
        {"name": "Tramadol", "opioid": True, "current": False},
    ]


def test_remove_drops_the_row_by_its_place_on_the_page() -> None:
    form = fields(
        ("reported_findings-0-finding", "annular_tear"),
        ("reported_findings-1-finding", "facet_pain"),
        ("reported_findings-2-finding", "epidural_fibrosis"),
    )

    parsed = formdata.parse_section(form, "reported_findings", remove=1)

    assert [row["finding"] for row in parsed] == ["annular_tear", "epidural_fibrosis"]


def test_a_follow_up_answer_is_dropped_when_its_question_rules_it_out() -> None:
    form = fields(
        ("surgeries-0-outcome_pattern", "never_improved"),
        ("surgeries-0-pain_free_months", "6"),
        ("surgeries-1-pain_free_months", "6"),  # pattern not chosen yet: kept
        ("symptoms-stiffness-selected", "yes"),
        ("symptoms-stiffness-onset", "before_surgery"),
        ("symptoms-stiffness-onset_months_after_surgery", "3"),
        ("symptoms-spasms-selected", "yes"),
        ("symptoms-spasms-onset", "after_surgery"),
        ("symptoms-spasms-onset_months_after_surgery", "3"),
    )

    assert formdata.parse_section(form, "surgeries") == [
        {"outcome_pattern": "never_improved"},
        {"pain_free_months": 6},
    ]
    assert formdata.parse_section(form, "symptoms") == [
        {"symptom": "stiffness", "onset": "before_surgery"},
        {"symptom": "spasms", "onset": "after_surgery", "onset_months_after_surgery": 3},
    ]


def test_only_ticked_symptoms_count_in_the_clinics_order() -> None:
    form = fields(
        ("symptoms-spasms-selected", "yes"),
        ("symptoms-stiffness-onset", "after_surgery"),  # not ticked: ignored
        ("symptoms-no_improvement-selected", "yes"),
    )

    parsed = formdata.parse_section(form, "symptoms")

    assert [item["symptom"] for item in parsed] == ["no_improvement", "spasms"]


def test_odi_keeps_only_the_chosen_versions_sections() -> None:
    form = fields(
        ("odi-version", "modified"),
        ("odi-sections-pain_intensity", "3"),
        ("odi-sections-sex_life", "2"),
        ("odi-sections-employment_homemaking", "4"),
        ("odi-sections-walking", ""),  # "Skip"
    )

    assert formdata.parse_section(form, "odi") == {
        "version": "modified",
        "sections": {"pain_intensity": 3, "employment_homemaking": 4},
    }


def test_yes_no_questions_and_the_consent_box() -> None:
    form = fields(("red_flags-saddle_numbness", "yes"), ("red_flags-wound_problem", "no"))

    assert formdata.parse_section(form, "red_flags") == {
        "saddle_numbness": True,
        "wound_problem": False,
    }
    assert formdata.parse_section(form, "consent") == {"privacy_notice": False}
    ticked = fields(("consent-privacy_notice", "yes"))
    assert formdata.parse_section(ticked, "consent") == {"privacy_notice": True}


def test_uploads_are_not_answers() -> None:
    assert formdata.group([("name", "x"), ("file", object())]) == {"name": ["x"]}


@pytest.mark.parametrize(
    ("value", "action"),
    [
        (None, Action("continue")),
        ("save", Action("save")),
        ("add-surgeries", Action("add", "surgeries")),
        ("remove-surgeries-2", Action("remove", "surgeries", 2)),
        ("add-consent_forms", Action("continue")),  # not a list on this page
        ("remove-surgeries-x", Action("continue")),
    ],
)
def test_buttons(value: str | None, action: Action) -> None:
    assert formdata.parse_action(value, ["surgeries"]) == action


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (["surgeries", 0, "instrumented_levels", 1], "surgeries-0-instrumented_levels"),
        (["surgeries", 1, "surgery_date"], "surgeries-1-surgery_date"),
        (["surgeries", 1], "surgeries-1"),
        (["surgeries", 1, "nonsense"], "surgeries-1"),
        (["surgeries"], "surgeries"),
        (["symptoms", 1, "onset"], "symptoms-spasms-onset"),
        (["symptoms", 0, "symptom"], "symptoms-stiffness-selected"),
        (["symptoms", 7, "onset"], "symptoms"),
        (["odi", "sections", "walking"], "odi-sections-walking"),
        (["odi", "version"], "odi-version"),
        (["ndi", "items", "reading"], "ndi-items-reading"),
        (["pain", "leg_or_arm"], "pain-leg_or_arm"),
        (["red_flags", "saddle_numbness"], "red_flags-saddle_numbness"),
        (["consent", "privacy_notice"], "consent-privacy_notice"),
    ],
)
def test_an_error_path_finds_its_input(loc: list[str | int], field: str) -> None:
    answers = {"symptoms": [{"symptom": "stiffness"}, {"symptom": "spasms"}]}

    assert formdata.field_name(loc, answers) == field


def test_parsed_answers_pass_the_questionnaires_draft_check() -> None:
    """What the parser makes has the shape the questionnaire wants (strict types)."""
    form = fields(
        ("surgeries-0-procedure_type", "fusion"),
        ("surgeries-0-levels", "L4-L5"),
        ("pain-back_or_neck", "4"),
        ("odi-version", "2.1a"),
        ("odi-sections-lifting", "2"),
        ("medications-0-name", "Ibuprofen"),
        ("red_flags-saddle_numbness", "no"),
    )
    sections = ("surgeries", "pain", "odi", "medications", "red_flags", "consent", "symptoms")
    answers = {name: formdata.parse_section(form, name) for name in sections}
    version = questionnaire.get_version(questionnaire.CURRENT_VERSION)

    assert (
        version.validate_draft(answers, date_of_birth=date(1970, 1, 1), today=date(2026, 1, 1))
        == []
    )
