"""Versions: an intake keeps being read by the questionnaire version it started on."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest

from intake import questionnaire
from intake.questionnaire import (
    CURRENT_VERSION,
    SECTIONS,
    FbssIntakeV1,
    Problem,
    QuestionnaireRegistry,
    QuestionnaireVersion,
    RedFlagResult,
    Scores,
    UnknownQuestionnaireVersion,
    get_version,
    register,
)
from intake.questionnaire import registry as registry_module
from tests.questionnaire.fixtures import COMPLETE_ANSWERS, DATE_OF_BIRTH, TODAY


class FakeV2:
    """A later version that reads the same JSON very differently."""

    version = "fbss-intake/2"
    sections = frozenset({"pain"})

    def validate_draft(
        self, answers: Mapping[str, Any], *, date_of_birth: date, today: date
    ) -> list[Problem]:
        return [{"loc": [name], "msg": "Unknown section", "type": "v2"} for name in answers]

    def validate_complete(
        self, answers: Mapping[str, Any], *, date_of_birth: date, today: date
    ) -> list[Problem]:
        return self.validate_draft(answers, date_of_birth=date_of_birth, today=today)

    def red_flags(self, answers: Mapping[str, Any]) -> RedFlagResult:
        return RedFlagResult(tier="urgent", triggers=("v2",), unanswered=(), instruction=None)

    def scores(self, answers: Mapping[str, Any]) -> Scores:
        return Scores(odi=None, ndi=None, leg_dominant=None)


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> QuestionnaireRegistry:
    """The process registry, swapped for a copy for the length of one test."""
    copied = registry_module.REGISTRY.copy()
    monkeypatch.setattr(registry_module, "REGISTRY", copied)
    return copied


def old_draft() -> dict[str, Any]:
    answers = copy.deepcopy(COMPLETE_ANSWERS)
    answers["pain"]["back_or_neck"] = 11
    del answers["consent"]
    return answers


def reading(version: QuestionnaireVersion, answers: dict[str, Any]) -> tuple[object, ...]:
    """Everything a version says about some answers."""
    return (
        version.validate_draft(answers, date_of_birth=DATE_OF_BIRTH, today=TODAY),
        version.validate_complete(answers, date_of_birth=DATE_OF_BIRTH, today=TODAY),
        version.red_flags(answers),
        version.scores(answers),
    )


def test_current_version_is_v1() -> None:
    version = get_version(CURRENT_VERSION)

    assert CURRENT_VERSION == "fbss-intake/1"
    assert isinstance(version, FbssIntakeV1)
    assert version.version == "fbss-intake/1"
    assert version.sections == frozenset(SECTIONS)


def test_unknown_version_is_a_lookup_error_that_names_it() -> None:
    with pytest.raises(UnknownQuestionnaireVersion, match="fbss-intake/9") as raised:
        get_version("fbss-intake/9")

    assert isinstance(raised.value, LookupError)
    assert not isinstance(raised.value, KeyError)


def test_a_taken_name_cannot_be_given_to_another_questionnaire(
    isolated_registry: QuestionnaireRegistry,
) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(FbssIntakeV1())


def test_registering_the_same_version_again_is_harmless(
    isolated_registry: QuestionnaireRegistry,
) -> None:
    register(get_version("fbss-intake/1"))

    assert isolated_registry.names() == ("fbss-intake/1",)


def test_a_new_current_version_leaves_v1_drafts_read_by_v1(
    isolated_registry: QuestionnaireRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = old_draft()
    before = reading(get_version("fbss-intake/1"), answers)

    register(FakeV2())
    monkeypatch.setattr(questionnaire, "CURRENT_VERSION", "fbss-intake/2")

    assert isinstance(get_version(questionnaire.CURRENT_VERSION), FakeV2)
    assert reading(get_version("fbss-intake/2"), answers) != before
    assert reading(get_version("fbss-intake/1"), answers) == before
    draft_problems = before[0]
    assert isinstance(draft_problems, list)
    assert [(p["loc"], p["type"]) for p in draft_problems] == [
        (["pain", "back_or_neck"], "less_than_equal")
    ]


def test_the_fake_is_a_questionnaire_version() -> None:
    version: QuestionnaireVersion = FakeV2()  # mypy checks the protocol here

    assert version.version == "fbss-intake/2"


def test_the_isolated_registry_does_not_leak() -> None:
    with pytest.raises(UnknownQuestionnaireVersion):
        get_version("fbss-intake/2")
