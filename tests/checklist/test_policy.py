"""Calendar-month ages and the policy values (DOMAIN.md §4)."""

from __future__ import annotations

from datetime import date

import pytest

from intake.checklist.policy import (
    DEFAULT_POLICY,
    ChecklistPolicy,
    describe_age,
    is_within_months,
    months_before,
)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param(date(2024, 5, 15), 12, date(2023, 5, 15), id="same-day-a-year-ago"),
        pytest.param(date(2024, 5, 15), 0, date(2024, 5, 15), id="zero-months"),
        pytest.param(date(2024, 1, 15), 1, date(2023, 12, 15), id="across-the-year"),
        pytest.param(date(2024, 3, 31), 1, date(2024, 2, 29), id="clamped-leap-february"),
        pytest.param(date(2023, 3, 31), 1, date(2023, 2, 28), id="clamped-february"),
        pytest.param(date(2024, 2, 29), 12, date(2023, 2, 28), id="leap-day-a-year-ago"),
        pytest.param(date(2024, 5, 31), 6, date(2023, 11, 30), id="clamped-30-day-month"),
        pytest.param(date(2024, 5, 15), 25, date(2022, 4, 15), id="over-two-years"),
    ],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


@pytest.mark.parametrize(
    ("dated", "today", "months", "within"),
    [
        pytest.param(date(2023, 5, 15), date(2024, 5, 15), 12, True, id="exactly-12-months"),
        pytest.param(date(2023, 5, 14), date(2024, 5, 15), 12, False, id="12-months-and-a-day"),
        pytest.param(date(2023, 2, 28), date(2024, 2, 29), 12, True, id="leap-day-clamped"),
        pytest.param(date(2023, 2, 27), date(2024, 2, 29), 12, False, id="leap-day-one-over"),
        pytest.param(date(2024, 5, 15), date(2024, 5, 15), 0, True, id="today-with-no-slack"),
    ],
)
def test_is_within_months(dated: date, today: date, months: int, within: bool) -> None:
    assert is_within_months(dated, today, months) is within


@pytest.mark.parametrize(
    ("dated", "expected"),
    [
        pytest.param(date(2024, 5, 15), "0 days", id="today"),
        pytest.param(date(2024, 5, 14), "1 day", id="yesterday"),
        pytest.param(date(2024, 4, 15), "1 month", id="one-month"),
        pytest.param(date(2023, 5, 15), "12 months", id="twelve-months"),
        pytest.param(date(2023, 5, 14), "12 months and 1 day", id="twelve-months-and-a-day"),
        pytest.param(date(2023, 5, 20), "11 months and 26 days", id="not-yet-twelve"),
        pytest.param(date(2022, 11, 2), "18 months and 13 days", id="eighteen-months"),
    ],
)
def test_describe_age(dated: date, expected: str) -> None:
    assert describe_age(dated, date(2024, 5, 15)) == expected


def test_describe_age_refuses_a_future_date() -> None:
    with pytest.raises(ValueError, match="after"):
        describe_age(date(2024, 5, 16), date(2024, 5, 15))


def test_default_policy_is_domain_section_4() -> None:
    assert (
        ChecklistPolicy(
            mri_max_age_months=12,
            postop_imaging_max_age_months=12,
            operative_note_date_tolerance_days=1,
            conservative_care_min_weeks=6,
        )
        == DEFAULT_POLICY
    )


@pytest.mark.parametrize("value", [-1, True, 1.5])
def test_policy_rejects_values_that_are_not_whole_numbers(value: object) -> None:
    with pytest.raises(ValueError, match="mri_max_age_months"):
        ChecklistPolicy(mri_max_age_months=value)  # type: ignore[arg-type]
