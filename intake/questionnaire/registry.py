"""Questionnaire versions: an intake is read, for good, by the version it was started on.

A new version is added next to the old ones, never in place of them, so a draft begun
under fbss-intake/1 still validates and scores under fbss-intake/1.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from intake.questionnaire import v1
from intake.questionnaire.red_flags import RedFlagResult, evaluate_red_flags
from intake.questionnaire.scoring import Scores, score_answers
from intake.questionnaire.validation import Problem, validate_answers

# The version new intakes start on.
CURRENT_VERSION = v1.VERSION


class QuestionnaireVersion(Protocol):
    """What the API needs from one version of the questionnaire."""

    @property
    def version(self) -> str: ...

    @property
    def sections(self) -> frozenset[str]: ...

    def validate_draft(
        self, answers: Mapping[str, Any], *, date_of_birth: date, today: date
    ) -> list[Problem]:
        """Problems in what is present; a missing answer is not a problem in a draft."""
        ...

    def validate_complete(
        self, answers: Mapping[str, Any], *, date_of_birth: date, today: date
    ) -> list[Problem]:
        """Everything validate_draft reports plus every missing REQUIRED answer."""
        ...

    def red_flags(self, answers: Mapping[str, Any]) -> RedFlagResult:
        """The red-flag reading of answers, however partial."""
        ...

    def scores(self, answers: Mapping[str, Any]) -> Scores:
        """Every score the answers allow, however partial."""
        ...


class UnknownQuestionnaireVersion(LookupError):
    """No questionnaire version is registered under this name."""


class FbssIntakeV1:
    """Questionnaire fbss-intake/1 (the contract in the answers spec)."""

    version: str = v1.VERSION
    sections: frozenset[str] = frozenset(v1.SECTIONS)

    def validate_draft(
        self, answers: Mapping[str, Any], *, date_of_birth: date, today: date
    ) -> list[Problem]:
        """Problems in what is present; a missing answer is not a problem in a draft."""
        return validate_answers(answers, date_of_birth=date_of_birth, today=today, complete=False)

    def validate_complete(
        self, answers: Mapping[str, Any], *, date_of_birth: date, today: date
    ) -> list[Problem]:
        """Everything validate_draft reports plus every missing REQUIRED answer."""
        return validate_answers(answers, date_of_birth=date_of_birth, today=today, complete=True)

    def red_flags(self, answers: Mapping[str, Any]) -> RedFlagResult:
        """The red-flag reading of answers, however partial."""
        section = answers.get("red_flags") if isinstance(answers, Mapping) else None
        return evaluate_red_flags(section)

    def scores(self, answers: Mapping[str, Any]) -> Scores:
        """Every score the answers allow, however partial."""
        return score_answers(answers if isinstance(answers, Mapping) else {})


class QuestionnaireRegistry:
    """Versions by name; a name, once taken, always means the same questionnaire."""

    def __init__(self, versions: Mapping[str, QuestionnaireVersion] | None = None) -> None:
        self._versions: dict[str, QuestionnaireVersion] = dict(versions or {})

    def register(self, version: QuestionnaireVersion) -> None:
        """Add a version; ValueError if its name already means another questionnaire."""
        known = self._versions.get(version.version)
        if known is not None and known is not version:
            raise ValueError(f"questionnaire version {version.version!r} is already registered")
        self._versions[version.version] = version

    def get(self, version: str) -> QuestionnaireVersion:
        """The version registered under `version`; UnknownQuestionnaireVersion otherwise."""
        try:
            return self._versions[version]
        except KeyError:
            known = ", ".join(sorted(self._versions))
            raise UnknownQuestionnaireVersion(
                f"unknown questionnaire version {version!r} (known: {known})"
            ) from None

    def names(self) -> tuple[str, ...]:
        """Every registered version name, sorted."""
        return tuple(sorted(self._versions))

    def copy(self) -> QuestionnaireRegistry:
        """An independent registry holding the same versions (tests register into it)."""
        return QuestionnaireRegistry(self._versions)


REGISTRY = QuestionnaireRegistry()
REGISTRY.register(FbssIntakeV1())


def register(version: QuestionnaireVersion) -> None:
    """Add a version to the process-wide registry."""
    REGISTRY.register(version)


def get_version(version: str) -> QuestionnaireVersion:
    """The version named `version`; UnknownQuestionnaireVersion (a LookupError) if none."""
    return REGISTRY.get(version)
