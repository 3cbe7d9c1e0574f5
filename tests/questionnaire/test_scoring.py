"""ODI, NDI and leg dominance, checked against hand-computed values."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from intake.questionnaire import NDI_ITEMS, ODI_SECTIONS, NdiScore, OdiScore, Scores
from intake.questionnaire.scoring import (
    NdiBand,
    OdiBand,
    leg_dominant,
    ndi_band,
    ndi_score,
    odi_band,
    odi_score,
)
from tests.questionnaire.fixtures import COMPLETE_ANSWERS, COMPLETE_CERVICAL_ANSWERS
from tests.questionnaire.support import V1

ODI_21A = ODI_SECTIONS["2.1a"]


def ratings(names: tuple[str, ...], total: int, answered: int) -> dict[str, object]:
    """`answered` of `names` rated so that they add up to `total` (5s first, then the rest)."""
    values: dict[str, object] = {}
    for name in names[:answered]:
        rating = min(5, total)
        values[name] = rating
        total -= rating
    assert total == 0, "cannot reach the total with this many answers"
    return values


@pytest.mark.parametrize(
    ("total", "answered", "percent"),
    [
        (16, 10, 32.0),
        (16, 9, 16 / 45 * 100),  # 35.555..., kept unrounded
        (16, 8, 40.0),
        (0, 10, 0.0),
        (50, 10, 100.0),
    ],
)
def test_odi_percent(total: int, answered: int, percent: float) -> None:
    score = odi_score(ratings(ODI_21A, total, answered), ODI_21A)

    assert score is not None
    assert score.percent == percent
    assert score.answered == answered


def test_odi_percent_with_nine_answered_is_not_rounded() -> None:
    score = odi_score(ratings(ODI_21A, 16, 9), ODI_21A)

    assert score is not None
    assert score.percent == pytest.approx(35.5555555556)
    assert score.percent != round(score.percent, 1)


def test_odi_needs_eight_answers() -> None:
    assert odi_score(ratings(ODI_21A, 16, 7), ODI_21A) is None


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (10, "minimal"),  # 20%
        (11, "moderate"),  # 22%
        (20, "moderate"),  # 40%
        (21, "severe"),  # 42%
        (30, "severe"),  # 60%
        (31, "crippled"),  # 62%
        (40, "crippled"),  # 80%
        (41, "bed_bound_or_exaggerating"),  # 82%
    ],
)
def test_odi_band_edges(total: int, band: OdiBand) -> None:
    assert odi_score(ratings(ODI_21A, total, 10), ODI_21A) == OdiScore(total * 2.0, band, 10)


def test_odi_band_edge_with_nine_answered() -> None:
    assert odi_band(9 / 45 * 100) == "minimal"
    assert odi_band(10 / 45 * 100) == "moderate"


@pytest.mark.parametrize("not_a_rating", [None, True, "3", 6, -1, 2.5])
def test_odi_ignores_values_that_are_not_ratings(not_a_rating: object) -> None:
    sections: dict[str, object] = {**ratings(ODI_21A, 16, 9), "travelling": not_a_rating}

    score = odi_score(sections, ODI_21A)

    assert score is not None
    assert score.answered == 9


def test_odi_counts_only_the_sections_of_its_version() -> None:
    answers = copy.deepcopy(COMPLETE_ANSWERS)
    answers["odi"] = {"version": "modified", "sections": ratings(ODI_SECTIONS["2.1a"], 16, 10)}

    scored = V1.scores(answers).odi

    # sex_life is not a section of the modified ODI, so nine answers count.
    assert scored == OdiScore(16 / 45 * 100, "moderate", 9)


def test_odi_is_not_scored_without_its_version() -> None:
    answers = copy.deepcopy(COMPLETE_ANSWERS)
    del answers["odi"]["version"]

    assert V1.scores(answers).odi is None


@pytest.mark.parametrize(
    ("total", "answered", "raw"),
    [
        (23, 10, 23.0),  # all answered: the raw sum
        (18, 9, 20.0),  # one missing: mean 2 counts for it
        (19, 9, 19 * 10 / 9),  # 21.11..., not rounded
        (16, 8, 20.0),
        (0, 10, 0.0),
        (50, 10, 50.0),
    ],
)
def test_ndi_raw_with_mean_imputation(total: int, answered: int, raw: float) -> None:
    score = ndi_score(ratings(NDI_ITEMS, total, answered))

    assert score is not None
    assert score.raw == raw
    assert score.answered == answered


def test_ndi_needs_eight_answers() -> None:
    assert ndi_score(ratings(NDI_ITEMS, 14, 7)) is None


@pytest.mark.parametrize(
    ("raw", "band"),
    [
        (0, "none"),
        (4, "none"),
        (4.9, "none"),
        (5, "mild"),
        (14, "mild"),
        (14.9, "mild"),
        (15, "moderate"),
        (24, "moderate"),
        (25, "severe"),
        (34, "severe"),
        (34.9, "severe"),
        (35, "complete"),
        (50, "complete"),
    ],
)
def test_ndi_band_edges(raw: float, band: str) -> None:
    assert ndi_band(raw) == band


@pytest.mark.parametrize(
    ("total", "band"), [(4, "none"), (5, "mild"), (34, "severe"), (35, "complete")]
)
def test_ndi_band_from_answers(total: int, band: NdiBand) -> None:
    assert ndi_score(ratings(NDI_ITEMS, total, 10)) == NdiScore(float(total), band, 10)


@pytest.mark.parametrize(
    ("back", "leg", "dominant"),
    [
        (7, 4, False),
        (4, 7, True),
        (5, 5, False),
        (0, 1, True),
        (None, 7, None),
        (7, None, None),
        (11, 3, None),
        (True, 3, None),
        ("4", 7, None),
    ],
)
def test_leg_dominant(back: object, leg: object, dominant: bool | None) -> None:
    assert leg_dominant(back, leg) is dominant


def test_scores_of_the_fixtures() -> None:
    assert V1.scores(COMPLETE_ANSWERS) == Scores(OdiScore(32.0, "moderate", 10), None, False)
    assert V1.scores(COMPLETE_CERVICAL_ANSWERS) == Scores(
        None, NdiScore(20.0, "moderate", 10), True
    )


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"odi": "x", "ndi": {"items": "y"}, "pain": [1]},
        {"odi": {"version": ["2.1a"], "sections": {"lifting": 3}}},
        {"odi": {"version": "2.1a", "sections": None}, "ndi": None, "pain": None},
    ],
)
def test_scores_of_partial_or_broken_answers_are_empty(answers: dict[str, Any]) -> None:
    assert V1.scores(answers) == Scores(None, None, None)
