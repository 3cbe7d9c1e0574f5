"""Times as emails carry and show them.

Outbox rows hold JSON, so a message keeps an instant as an ISO 8601 string in UTC and a
zone as its IANA name; these helpers turn them back into something a person reads.
Names of days and months are spelled out here rather than taken from the C locale, so a
worker's locale can never change what a patient sees.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def iso_utc(moment: datetime) -> str:
    """The form messages store: '2026-11-24T19:00:00Z'. A naive time is a bug: raise."""
    if moment.utcoffset() is None:
        raise ValueError("a naive datetime has no instant; give it a timezone")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_utc(value: str) -> datetime:
    """An instant stored by `iso_utc` (any explicit offset is accepted), in UTC."""
    moment = datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return moment.astimezone(UTC)


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`. An unknown name raises ValueError, like any other bad field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


def format_day(moment: datetime, tz: ZoneInfo) -> str:
    """'Tuesday 24 November 2026', the date in `tz`."""
    local = moment.astimezone(tz)
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}"


def format_clock(moment: datetime, tz: ZoneInfo) -> str:
    """'2:00 PM EST', the time in `tz` with the zone's abbreviation."""
    local = moment.astimezone(tz)
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    abbreviation = local.tzname() or ""
    # Zones with no customary abbreviation are named by offset ('+04'): say it is UTC's.
    if abbreviation[:1] in ("+", "-"):
        abbreviation = f"UTC{abbreviation}"
    return f"{hour}:{local.minute:02d} {half} {abbreviation}".rstrip()


def format_moment(moment: datetime, tz: ZoneInfo) -> str:
    """'Tuesday 24 November 2026, 2:00 PM EST'."""
    return f"{format_day(moment, tz)}, {format_clock(moment, tz)}"
