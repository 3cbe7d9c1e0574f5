"""Alembic owns the schema: it builds an empty database and matches the models exactly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from intake.db import create_db_engine
from intake.models import Base
from tests.conftest import POSTGRES_ADMIN_URL, psycopg_dsn
from tests.support import alembic_config, unavailable


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin = psycopg_dsn(POSTGRES_ADMIN_URL)
    name = f"intake_migrate_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        unavailable("PostgreSQL", str(exc).strip())
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
