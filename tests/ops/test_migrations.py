"""Alembic owns the schema: it builds an empty database and matches the models exactly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from intake.db import create_db_engine
from intake.models import Base
from tests.conftest import scratch_postgres_database
from tests.support import alembic_config


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with scratch_postgres_database("intake_migrate") as url:
        yield url


def _tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_head_builds_the_whole_schema_without_drift(empty_database: str) -> None:
    config = alembic_config(empty_database)

    command.upgrade(config, "head")

    assert _tables(empty_database) == set(Base.metadata.tables)
    command.check(config)  # raises if the models and the migrations disagree


def test_downgrade_and_upgrade_round_trip(empty_database: str) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "head")

    command.downgrade(config, "base")
    assert _tables(empty_database) == set()
    command.upgrade(config, "head")

    assert _tables(empty_database) == set(Base.metadata.tables)
