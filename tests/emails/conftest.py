"""The invitation clock, pinned: rendering one message twice must give the same email."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from emails import calendar as ics

STAMP = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def pinned_dtstamp(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(ics, "utcnow", lambda: STAMP)
    return STAMP
