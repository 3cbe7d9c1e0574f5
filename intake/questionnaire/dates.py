"""Partial dates: "YYYY-MM" (month precision) or "YYYY-MM-DD".

Patients often remember only the month of an operation. A month date stands for every
day in it, so comparisons are lenient: a month is "in the future" only when its first
day is, and "before birth" only when its last day is.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

# Fixed widths on purpose: "2023-2" or "23-02" are typing slips worth catching.
_PATTERN = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})(?:-(?P<day>\d{2}))?")


@dataclass(frozen=True)
class PartialDate:
    year: int
    month: int
    day: int | None = None

    @property
    def first_day(self) -> date:
        """The earliest calendar day this date can mean."""
        return date(self.year, self.month, self.day or 1)

    @property
    def last_day(self) -> date:
        """The latest calendar day this date can mean."""
        if self.day is not None:
            return date(self.year, self.month, self.day)
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        text = f"{self.year:04d}-{self.month:02d}"
        return text if self.day is None else f"{text}-{self.day:02d}"


def parse_partial_date(text: str) -> PartialDate:
    """Parse "YYYY-MM" or "YYYY-MM-DD"; ValueError unless it names a real calendar month/day."""
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"not a YYYY-MM or YYYY-MM-DD date: {text!r}")
    day = match["day"]
    parsed = PartialDate(int(match["year"]), int(match["month"]), int(day) if day else None)
    try:
        date(parsed.year, parsed.month, parsed.day or 1)  # month 13, 30 February, year 0
    except ValueError:
        raise ValueError(f"not a real calendar date: {text!r}") from None
    return parsed


def is_in_future(value: PartialDate, today: date) -> bool:
    """True only when every day `value` can mean lies after `today`."""
    return value.first_day > today


def is_before(value: PartialDate, earliest: date) -> bool:
    """True only when every day `value` can mean lies before `earliest`."""
    return value.last_day < earliest


def ends_before_start(end: PartialDate, start: PartialDate) -> bool:
    """True only when `end` certainly lies before `start`, whatever their precision."""
    return end.last_day < start.first_day
