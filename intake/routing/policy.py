"""The routing rules' configurable limits (DOMAIN.md §3, all POLICY) and their month arithmetic.

Months are calendar months, clamped to the end of a shorter month, as in the checklist:
31 January + 1 month is 28 (or 29) February, and a threshold of N months is met on the day
`add_months(surgery, N)`, not a day earlier.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, fields
from datetime import date

# Procedures that only remove tissue; everything else (fusion, artificial_disc, and 'other',
# whose healing time is unknown) waits the longer fusion threshold.
DECOMPRESSION_PROCEDURES = frozenset(
    {"discectomy", "microdiscectomy", "laminectomy", "laminotomy_foraminotomy"}
)
# DOMAIN.md §3: fusion and artificial disc wait at least 6 months, configurable up to 12.
FUSION_MIN_MONTHS_RANGE = range(6, 13)


@dataclass(frozen=True)
class RoutingPolicy:
    """POLICY values (DOMAIN.md §3); the clinic's medical director must confirm them."""

    decompression_min_months: int = 3
    fusion_min_months: int = 6
    # R5: a fusion younger than this may still be a non-union (no bony union by 12 months).
    nonunion_window_months: int = 12
    procedure_mri_max_months: int = 6
    chronic_pain_min_months: int = 6
    min_conservative_episodes: int = 1

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{field.name} must be a whole number >= 0, not {value!r}")
        if self.fusion_min_months not in FUSION_MIN_MONTHS_RANGE:
            raise ValueError(
                f"fusion_min_months must be between 6 and 12, not {self.fusion_min_months}"
            )

    def min_months_after(self, procedure_type: str) -> int:
        """Months to wait after this procedure before the regenerative route."""
        if procedure_type in DECOMPRESSION_PROCEDURES:
            return self.decompression_min_months
        return self.fusion_min_months


DEFAULT_POLICY = RoutingPolicy()


def add_months(day: date, months: int) -> date:
    """`day` moved by `months` calendar months (may be negative), clamped to the month's end."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end`; 0 when `end` is not after `start`."""
    months = (end.year - start.year) * 12 + end.month - start.month
    # The month difference overshoots by one when end's day of the month comes before start's.
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)
