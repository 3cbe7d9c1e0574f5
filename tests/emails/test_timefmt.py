"""Times as a patient reads them, whatever the worker's locale."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from emails.timefmt import format_clock, format_moment, iso_utc, parse_utc, zone

NEW_YORK = ZoneInfo("America/New_York")


def test_a_moment_reads_as_day_date_and_twelve_hour_clock() -> None:
    moment = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)

    assert format_moment(moment, NEW_YORK) == "Tuesday 24 November 2026, 2:00 PM EST"
    assert format_moment(moment, ZoneInfo("Europe/London")) == (
        "Tuesday 24 November 2026, 7:00 PM GMT"
    )


def test_summer_time_changes_the_abbreviation_and_noon_and_midnight_read_as_12() -> None:
    assert format_clock(datetime(2026, 7, 14, 16, 5, tzinfo=UTC), NEW_YORK) == "12:05 PM EDT"
    assert format_clock(datetime(2026, 7, 14, 4, 0, tzinfo=UTC), NEW_YORK) == "12:00 AM EDT"


def test_a_zone_without_an_abbreviation_is_named_by_its_utc_offset() -> None:
    moment = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

    assert format_clock(moment, ZoneInfo("Asia/Dubai")) == "2:00 PM UTC+04"


def test_stored_instants_round_trip_through_iso_utc() -> None:
    moment = datetime(2026, 7, 14, 9, 0, tzinfo=NEW_YORK)

    assert iso_utc(moment) == "2026-07-14T13:00:00Z"
    assert parse_utc(iso_utc(moment)) == moment
    assert parse_utc("2026-07-14T09:00:00-04:00") == moment


def test_naive_times_and_unknown_zones_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        iso_utc(datetime(2026, 7, 14, 9, 0))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_utc("2026-07-14T09:00:00")
    with pytest.raises(ValueError, match="unknown timezone"):
        zone("Mars/Olympus_Mons")
