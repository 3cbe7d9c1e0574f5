"""The whole checklist: item order, drafts, complete, patient_actionable and missing_keys."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any

import pytest

from intake.checklist.rules import RULESET_VERSION, ChecklistItem, ChecklistResult
from tests.checklist.support import (
    care,
    document,
    evaluate,
    full_set,
    item,
    mri,
    note,
    postop,
    preop,
    with_surgery,
    with_surgery_dates,
)
from tests.questionnaire.fixtures import COMPLETE_ANSWERS, COMPLETE_CERVICAL_ANSWERS

SINGLE_KEYS = ("current_mri", "postop_imaging", "preop_imaging", "conservative_care_record")


def statuses(result: ChecklistResult) -> dict[str, str]:
    return {i.key: i.status for i in result.items}


def keys(items: tuple[ChecklistItem, ...]) -> tuple[str, ...]:
    return tuple(i.key for i in items)


@pytest.mark.parametrize(
    ("answers", "body_part"),
    [
        pytest.param(COMPLETE_ANSWERS, "LSPINE", id="lumbar"),
        pytest.param(COMPLETE_CERVICAL_ANSWERS, "CSPINE", id="cervical"),
    ],
)
def test_complete_answers_with_a_full_document_set_are_complete(
    answers: dict[str, Any], body_part: str
) -> None:
    result = evaluate(full_set(body_part), answers)

    assert set(statuses(result).values()) == {"satisfied"}
    assert result.complete
    assert (result.missing_keys, result.patient_actionable) == ((), ())
    assert result.ruleset_version == RULESET_VERSION == "checklist-1"


def test_items_keep_a_stable_order() -> None:
    result = evaluate(full_set(), with_surgery_dates("2024-01-20", "2019-05"))

    assert keys(result.items) == ("operative_note:1", "operative_note:2", *SINGLE_KEYS)


def test_an_empty_draft_still_lists_what_to_upload() -> None:
    result = evaluate([], {})

    assert [(i.key, i.required, i.status) for i in result.items] == [
        ("operative_note:1", True, "missing"),
        ("current_mri", True, "missing"),
        ("postop_imaging", False, "missing"),
        ("preop_imaging", False, "missing"),
        ("conservative_care_record", True, "missing"),
    ]
    required = ("operative_note:1", "current_mri", "conservative_care_record")
    assert result.missing_keys == keys(result.patient_actionable) == required
    assert not result.complete


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({"surgeries": "not a list"}, id="surgeries-not-a-list"),
        pytest.param({"surgeries": [{"surgery_date": "Feb 2023"}]}, id="bad-date"),
        pytest.param({"surgeries": [None, 3]}, id="surgeries-not-objects"),
        pytest.param({"conservative_care": [{"start_date": "2023-13"}]}, id="bad-episode"),
        pytest.param({"surprise": True}, id="unknown-section"),
    ],
)
def test_invalid_answers_never_break_the_checklist(answers: dict[str, Any]) -> None:
    result = evaluate(full_set(), answers)

    assert keys(result.items) == ("operative_note:1", *SINGLE_KEYS)
    assert result.complete


def test_each_status_lands_where_it_belongs() -> None:
    documents = [
        mri(on=date(2023, 4, 1)),  # stale: the patient must upload a newer one
        care(review_reasons=("patient name differs",)),  # needs_review: staff act
        preop(on=date(2023, 3, 1)),  # optional, needs review: blocks nothing
    ]

    result = evaluate(documents)

    assert statuses(result) == {
        "operative_note:1": "missing",
        "current_mri": "stale",
        "postop_imaging": "missing",
        "preop_imaging": "needs_review",
        "conservative_care_record": "needs_review",
    }
    assert result.missing_keys == (
        "operative_note:1",
        "current_mri",
        "postop_imaging",
        "conservative_care_record",
    )
    assert keys(result.patient_actionable) == ("operative_note:1", "current_mri", "postop_imaging")
    assert not result.complete


@pytest.mark.parametrize(
    ("answers", "documents", "complete"),
    [
        pytest.param(COMPLETE_ANSWERS, full_set(), True, id="full-set"),
        pytest.param(COMPLETE_ANSWERS, [note(), mri(), postop(), care()], True, id="no-preop"),
        pytest.param(COMPLETE_ANSWERS, [note(), mri(), care()], False, id="hardware-no-postop"),
        pytest.param(
            with_surgery(procedure_type="discectomy", instrumented_levels=[]),
            [note(), mri(), care()],
            True,
            id="no-hardware-no-postop",
        ),
        pytest.param(COMPLETE_ANSWERS, [mri(), postop(), care()], False, id="no-note"),
        pytest.param(COMPLETE_ANSWERS, [note(), postop(), care()], False, id="no-mri"),
        pytest.param(COMPLETE_ANSWERS, [note(), mri(), postop()], False, id="no-care-record"),
        pytest.param(
            COMPLETE_ANSWERS,
            [note(), mri(on=None), postop(), care()],
            False,
            id="mri-needs-review",
        ),
    ],
)
def test_complete_needs_every_required_item_satisfied(
    answers: dict[str, Any], documents: list[Any], complete: bool
) -> None:
    assert evaluate(documents, answers).complete is complete


def test_documents_of_other_kinds_count_for_nothing() -> None:
    other = document("other", "other", modality="MR", study_date=date(2024, 3, 1))

    assert evaluate([other]).missing_keys == evaluate([]).missing_keys


def test_items_store_as_json() -> None:
    # The service stores asdict(item); every field must survive JSON.
    items = [asdict(i) for i in evaluate(full_set()).items]

    assert json.loads(json.dumps(items)) == [
        {**i, "document_ids": list(i["document_ids"])} for i in items
    ]


def test_labels_are_plain_and_reasons_are_precise() -> None:
    result = evaluate([mri(on=date(2022, 11, 2))], with_surgery(surgery_date="2022-06"))
    found = item(result, "current_mri")

    assert found.label == "MRI scan of your spine from the last 12 months, taken after your surgery"
    assert (
        found.reason == "MRI study dated 2022-11-02 is 18 months and 13 days old; the limit is 12"
    )
