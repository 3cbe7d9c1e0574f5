"""Disability scores (ODI for the low back, NDI for the neck) and leg-dominant pain.

Scoring reads answers that may be partial or not yet valid: a value that is not a rating
in range counts as unanswered here, and validation reports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias, TypeGuard

from intake.questionnaire.v1 import NDI_ITEMS, ODI_SECTIONS

OdiBand: TypeAlias = Literal[
    "minimal", "moderate", "severe", "crippled", "bed_bound_or_exaggerating"
]
NdiBand: TypeAlias = Literal["none", "mild", "moderate", "severe", "complete"]

# POLICY (DOMAIN.md §1): no score from fewer than 8 of the 10 answers. No sourced cap on
# missing ODI sections was found; NDI follows the same rule so both scores behave alike.
MIN_ANSWERED = 8
MAX_RATING = 5


@dataclass(frozen=True)
class OdiScore:
    percent: float  # unrounded: sum / (5 x answered) x 100
    band: OdiBand
    answered: int


@dataclass(frozen=True)
class NdiScore:
    raw: float  # out of 50, a missing item counted as the mean of the answered ones
    band: NdiBand
    answered: int


@dataclass(frozen=True)
class Scores:
    odi: OdiScore | None
    ndi: NdiScore | None
    leg_dominant: bool | None


def _is_rating(value: object, highest: int) -> TypeGuard[int]:
    # bool is an int subclass; a JSON true is never a rating.
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= highest


def _ratings(answers: Mapping[str, object], names: Sequence[str]) -> list[int]:
    values = [answers.get(name) for name in names]
    return [value for value in values if _is_rating(value, MAX_RATING)]


def odi_band(percent: float) -> OdiBand:
    """Fairbank band for an ODI percentage, with edges at <=20, <=40, <=60 and <=80."""
    if percent <= 20:
        return "minimal"
    if percent <= 40:
        return "moderate"
    if percent <= 60:
        return "severe"
    if percent <= 80:
        return "crippled"
    return "bed_bound_or_exaggerating"


def ndi_band(raw: float) -> NdiBand:
    """Vernon band for an NDI raw score.

    The published bands are integer ranges (0-4, 5-14, 15-24, 25-34, >=35); an imputed
    raw score can fall between them, so each band runs up to the next one's lower edge:
    4.5 is "none", 14.9 "mild".
    """
    if raw < 5:
        return "none"
    if raw < 15:
        return "mild"
    if raw < 25:
        return "moderate"
    if raw < 35:
        return "severe"
    return "complete"


def odi_score(sections: Mapping[str, object], section_names: Sequence[str]) -> OdiScore | None:
    """ODI% = sum / (5 x answered) x 100 over `section_names`; None below 8 answered."""
    ratings = _ratings(sections, section_names)
    if len(ratings) < MIN_ANSWERED:
        return None
    percent = sum(ratings) / (MAX_RATING * len(ratings)) * 100
    return OdiScore(percent=percent, band=odi_band(percent), answered=len(ratings))


def ndi_score(
    items: Mapping[str, object], item_names: Sequence[str] = NDI_ITEMS
) -> NdiScore | None:
    """NDI raw score out of 50 with mean imputation; None below 8 answered (POLICY)."""
    ratings = _ratings(items, item_names)
    if len(ratings) < MIN_ANSWERED:
        return None
    # sum x items / answered is mean x 10, computed so that a full set stays exact.
    raw = sum(ratings) * len(item_names) / len(ratings)
    return NdiScore(raw=raw, band=ndi_band(raw), answered=len(ratings))


def leg_dominant(back_or_neck: object, leg_or_arm: object) -> bool | None:
    """True when limb pain outscores axial pain; None unless both are ratings 0-10."""
    if _is_rating(back_or_neck, 10) and _is_rating(leg_or_arm, 10):
        return leg_or_arm > back_or_neck
    return None


def _section(answers: Mapping[str, object], name: str) -> Mapping[str, object]:
    value = answers.get(name)
    return value if isinstance(value, Mapping) else {}


def score_answers(answers: Mapping[str, object]) -> Scores:
    """Every score the answers of fbss-intake/1 allow, however partial they are.

    The ODI is scored only once its version is known, because the version decides which
    section names count.
    """
    odi = _section(answers, "odi")
    odi_version = odi.get("version")
    odi_names = ODI_SECTIONS.get(odi_version) if isinstance(odi_version, str) else None
    pain = _section(answers, "pain")
    return Scores(
        odi=odi_score(_section(odi, "sections"), odi_names) if odi_names else None,
        ndi=ndi_score(_section(_section(answers, "ndi"), "items")),
        leg_dominant=leg_dominant(pain.get("back_or_neck"), pain.get("leg_or_arm")),
    )
