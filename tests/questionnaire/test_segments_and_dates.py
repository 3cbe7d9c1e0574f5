"""Disc segments and partial dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from intake.questionnaire import SEGMENTS, PartialDate, adjacent, parse_partial_date, region_of
from intake.questionnaire.dates import ends_before_start, is_before, is_in_future


def test_segments_run_cranial_to_caudal() -> None:
    thoracic = tuple(f"T{n}-T{n + 1}" for n in range(1, 12))
    expected = (
        *("C2-C3", "C3-C4", "C4-C5", "C5-C6", "C6-C7", "C7-T1"),
        *thoracic,
        "T12-L1",
        *("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"),
    )

    assert expected == SEGMENTS


@pytest.mark.parametrize(
    ("segment", "region"),
    [
        ("C2-C3", "cervical"),
        ("C7-T1", "cervical"),
        ("T1-T2", "thoracic"),
        ("T12-L1", "thoracic"),
        ("L1-L2", "lumbar"),
        ("L5-S1", "lumbar"),
    ],
)
def test_region_of(segment: str, region: str) -> None:
    assert region_of(segment) == region


@pytest.mark.parametrize(
    ("segment", "above", "below"),
    [
        ("L4-L5", "L3-L4", "L5-S1"),
        ("C2-C3", None, "C3-C4"),
        ("L5-S1", "L4-L5", None),
        ("C7-T1", "C6-C7", "T1-T2"),
        ("T12-L1", "T11-T12", "L1-L2"),
    ],
)
def test_adjacent(segment: str, above: str | None, below: str | None) -> None:
    assert adjacent(segment) == (above, below)


@pytest.mark.parametrize("call", [region_of, adjacent])
@pytest.mark.parametrize("segment", ["L6-S1", "l4-l5", ""])
def test_unknown_segment_is_an_error(call: Callable[[str], object], segment: str) -> None:
    with pytest.raises(ValueError, match="not a disc segment"):
        call(segment)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2023-02", PartialDate(2023, 2)),
        ("2023-02-28", PartialDate(2023, 2, 28)),
        ("2024-02-29", PartialDate(2024, 2, 29)),
    ],
)
def test_parse_partial_date(text: str, parsed: PartialDate) -> None:
    assert parse_partial_date(text) == parsed
    assert str(parsed) == text


@pytest.mark.parametrize(
    "text",
    [
        "2023",
        "2023-2",
        "23-02",
        "2023-13",
        "2023-00",
        "2023-02-29",
        "0000-01",
        " 2023-02",
        "2023-02-01T00:00",
        "",
    ],
)
def test_parse_partial_date_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"^not a (YYYY-MM|real calendar date)"):
        parse_partial_date(text)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2023-02", date(2023, 2, 1), date(2023, 2, 28)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-12", date(2023, 12, 1), date(2023, 12, 31)),
        ("2023-06-10", date(2023, 6, 10), date(2023, 6, 10)),
    ],
)
def test_first_and_last_day(text: str, first: date, last: date) -> None:
    value = parse_partial_date(text)

    assert (value.first_day, value.last_day) == (first, last)


@pytest.mark.parametrize(
    ("text", "future"),
    [("2024-05", False), ("2024-06", True), ("2024-05-15", False), ("2024-05-16", True)],
)
def test_in_future_only_when_wholly_after_today(text: str, future: bool) -> None:
    assert is_in_future(parse_partial_date(text), date(2024, 5, 15)) is future


@pytest.mark.parametrize(
    ("text", "before"),
    [("1968-07", False), ("1968-06", True), ("1968-07-14", False), ("1968-07-13", True)],
)
def test_before_only_when_wholly_before(text: str, before: bool) -> None:
    assert is_before(parse_partial_date(text), date(1968, 7, 14)) is before


@pytest.mark.parametrize(
    ("end", "start", "wrong_way_round"),
    [
        ("2023-05", "2023-05-10", False),
        ("2023-05-09", "2023-05", False),
        ("2023-04", "2023-05", True),
        ("2023-05-09", "2023-05-10", True),
        ("2023-05-10", "2023-05-10", False),
    ],
)
def test_ends_before_start(end: str, start: str, wrong_way_round: bool) -> None:
    assert ends_before_start(parse_partial_date(end), parse_partial_date(start)) is wrong_way_round
