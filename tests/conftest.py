"""Fixtures for real services: PostgreSQL, SQLite, Redis, the embedded broker, SMTP."""

from __future__ import annotations

import copy
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert
from sqlalchemy.engine import make_url

from intake.config import Settings, get_settings
from intake.db import create_db_engine
from intake.main import create_app
from intake.models import Base
from intake.scheduling.models import DEFAULT_CONSULTATION_TYPES, ConsultationType
from tests.audit_support import AUDIT_TABLE, empty_audit_table
from tests.questionnaire.fixtures import COMPLETE_ANSWERS
from tests.support import free_port, migrate, parse_email, reset_caches, unavailable

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


# --- databases ------------------------------------------------------------------------


def psycopg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def scratch_postgres_database(prefix: str) -> Iterator[str]:
    """An empty database on the test PostgreSQL server, dropped afterwards; yields its URL."""
    admin = psycopg_dsn(POSTGRES_ADMIN_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        unavailable("PostgreSQL", str(exc).strip())
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, built by `alembic upgrade head`."""
    with scratch_postgres_database("intake_test") as url:
        migrate(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'intake.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Every test that touches the database runs on both backends."""
    return str(request.getfixturevalue(f"{request.param}_database"))


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable("Redis", str(exc))
    finally:
        client.close()
    return REDIS_URL


# --- SMTP ----------------------------------------------------------------------------


@dataclass
class SmtpSink:
    """A real SMTP server on loopback that keeps what it receives."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    # When set, RCPT TO answers with this status line instead of accepting.
    rcpt_reply: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def received(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.messages)

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.rcpt_reply = None


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.sink.rcpt_reply:
            return self.sink.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        with self.sink.lock:
            self.sink.messages.append(parse_email(content))
        return "250 Message accepted"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink(host="127.0.0.1", port=free_port())
    controller = Controller(_SinkHandler(sink), hostname=sink.host, port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def smtp(smtp_server: SmtpSink) -> SmtpSink:
    smtp_server.reset()
    return smtp_server


# --- the application ------------------------------------------------------------------


def service_env(
    *,
    database_url: str,
    smtp_url: str,
    var_dir: Path,
    broker_url: str | None = None,
    queue_prefix: str = "test",
) -> dict[str, str]:
    """The environment a process of ours gets: the API in-process, or a worker.

    Without a broker URL it is an embedded broker of its own; the queue name is unique,
    so runs sharing a Redis never take each other's messages.
    """
    broker_url = broker_url or f"sqla+sqlite:///{var_dir / 'broker.db'}"
    queue = f"{queue_prefix}-{uuid.uuid4().hex[:8]}"
    return {
        "ENVIRONMENT": "development",
        "DATABASE_URL": database_url,
        "BROKER_URL": broker_url,
        "SMTP_URL": smtp_url,
        "VAR_DIR": str(var_dir),
        "STORAGE_DIR": str(var_dir / "uploads"),
        "MAILBOX_DIR": str(var_dir / "mail"),
        "TASK_QUEUE": queue,
        "PUBLIC_BASE_URL": "http://testserver",
        "CLINIC_NAME": "Test Clinic",
        "SWEEP_INTERVAL_SECONDS": "2",
    }


def apply_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    """Point this process's settings at `env`; monkeypatch restores it afterwards."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    return get_settings()


def wipe_database(database_url: str) -> None:
    """Empty every table. By URL: the test may have pointed the settings elsewhere."""
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name == AUDIT_TABLE:
                    empty_audit_table(conn)  # its triggers refuse DELETE
                else:
                    conn.execute(delete(table))
            # Reference data the migration seeds: every test starts with it as shipped.
            conn.execute(
                insert(ConsultationType),
                [
                    {"code": code, "name": name, "duration_minutes": minutes, "modality": modality}
                    for code, name, minutes, modality in DEFAULT_CONSULTATION_TYPES
                ],
            )
    finally:
        engine.dispose()


@pytest.fixture
def settings(
    database_url: str,
    smtp: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Settings]:
    """Settings for one test, on one database, with an embedded broker of its own."""
    env = service_env(database_url=database_url, smtp_url=smtp.url, var_dir=tmp_path)
    yield apply_env(monkeypatch, env)
    wipe_database(database_url)
    reset_caches()


@pytest.fixture
def pg_settings(
    postgresql_database: str, smtp: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings on PostgreSQL alone, for races only a multi-writer database can have."""
    env = service_env(database_url=postgresql_database, smtp_url=smtp.url, var_dir=tmp_path)
    yield apply_env(monkeypatch, env)
    wipe_database(postgresql_database)
    reset_caches()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


PATIENT: dict[str, Any] = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "date_of_birth": "1970-05-17",
    "timezone": "Europe/London",
}


@dataclass(frozen=True)
class StartedIntake:
    id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def complete_answers() -> dict[str, Any]:
    """A fresh copy of a complete, valid answer set (lumbar fusion, no red flags)."""
    return copy.deepcopy(COMPLETE_ANSWERS)


def start_intake(
    client: TestClient, *, answers: dict[str, Any] | None = None, **patient: Any
) -> StartedIntake:
    body = {"patient": {**PATIENT, **patient}, "answers": answers or {}}
    response = client.post("/api/v1/intakes", json=body)
    assert response.status_code == 201, response.text
    body = response.json()
    return StartedIntake(id=body["id"], token=body["access_token"])
