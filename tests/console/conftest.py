"""Fixtures for the console's browser test: Chromium and a live API, as tests/web has them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SmtpSink, apply_env, service_env
from tests.support import reset_caches
from tests.web.conftest import browser, live_server

__all__ = ["browser", "live_server", "same_database_as_live_server"]


@pytest.fixture
def same_database_as_live_server(
    sqlite_database: str, smtp: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Point this process at the live server's database, to set up staff and queue ages."""
    env = service_env(database_url=sqlite_database, smtp_url=smtp.url, var_dir=tmp_path / "here")
    apply_env(monkeypatch, env)
    yield sqlite_database
    reset_caches()
