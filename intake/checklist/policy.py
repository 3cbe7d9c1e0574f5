"""The checklist's configurable limits (DOMAIN.md §4, all POLICY) and the calendar arithmetic
behind "N months old".

"N months old" is counted in calendar months, not in 30-day blocks: a document is at most N
months old on `today` when it is dated on or after the same day of the month N months
earlier, clamped to the end of a shorter month. On 2024-05-15 a 12-month limit keeps
2023-05-15 and drops 2023-05-14; on 2024-03-31 "1 month ago" is 2024-02-29.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, fields
from datetime import date

# Stored next to every result, so a stored checklist can be told apart from one computed by
# later rules. Change it whenever a rule or a default below changes meaning.
RULESET_VERSION = "checklist-1"


@dataclass(frozen=True)
class ChecklistPolicy:
    """POLICY values (DOMAIN.md §4); the clinic's medical director must confirm them."""

    mri_max_age_months: int = 12
    postop_imaging_max_age_months: int = 12
    # Informational for now: the rules cannot read the date inside an operative note, so
    # staff compare it with the surgery date when they read the note.
    operative_note_date_tolerance_days: int = 1
    # Coverage the conservative-care record should show (ACR's 6-week threshold). A PDF
    # cannot be read for it, so the rules compare the answers' episodes and only comment.
    conservative_care_min_weeks: int = 6

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{field.name} must be a whole number >= 0, not {value!r}")


DEFAULT_POLICY = ChecklistPolicy()


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` calendar months before `day`, clamped to the end
    of a shorter month (2024-03-31 minus 1 month is 2024-02-29)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month_index = divmod(index, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_within_months(dated: date, today: date, months: int) -> bool:
    """True when `dated` is at most `months` calendar months old on `today`."""
    return dated >= months_before(today, months)


def describe_age(dated: date, today: date) -> str:
    """How old `dated` is on `today` in whole calendar months and leftover days, e.g.
    "18 months", "12 months and 1 day", "3 days". `dated` must not be after `today`."""
    if dated > today:
        raise ValueError(f"{dated} is after {today}")
    # The month difference overshoots by at most one when today's day of the month is
    # earlier than dated's (2024-05-15 vs 2023-05-20 is 11 whole months, not 12).
    months = (today.year - dated.year) * 12 + today.month - dated.month
    while months > 0 and months_before(today, months) < dated:
        months -= 1
    days = (months_before(today, months) - dated).days
    parts = []
    if months:
        parts.append(_plural(months, "month"))
    if days or not months:
        parts.append(_plural(days, "day"))
    return " and ".join(parts)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
