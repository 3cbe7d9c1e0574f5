"""One seeded PostgreSQL world and one app for the whole fuzzing module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from intake.main import create_app
from tests.conftest import SmtpSink, apply_env, service_env, wipe_database
from tests.fuzz.world import World, build_world
from tests.support import reset_caches


@dataclass(frozen=True)
class Target:
    app: FastAPI
    world: World


@pytest.fixture(scope="module")
def target(
    postgresql_database: str, smtp_server: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """Module-scoped: seeding logs in four accounts (argon2), too slow to repeat per case."""
    var_dir = tmp_path_factory.mktemp("fuzz")
    env = service_env(database_url=postgresql_database, smtp_url=smtp_server.url, var_dir=var_dir)
    with pytest.MonkeyPatch.context() as monkeypatch:
        settings = apply_env(monkeypatch, env)
        app = create_app()
        try:
            with TestClient(app) as client:
                world = build_world(client, settings)
            yield Target(app=app, world=world)
        finally:
            wipe_database(postgresql_database)
            reset_caches()
