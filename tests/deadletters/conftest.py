"""A real Celery worker on Redis and PostgreSQL, with the test-only tasks loaded."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery import Celery
from fastapi.testclient import TestClient

from intake import processes
from intake.config import Settings
from intake.main import create_app
from intake.taskqueue import make_celery
from tests.conftest import SmtpSink, apply_env, service_env, wipe_database
from tests.support import reset_caches, start_process, stop_process, wait_for

MAX_DELIVERIES = 3
MAX_RETRIES = 2


@dataclass
class WorkerStack:
    settings: Settings
    client: TestClient
    marks: Path
    worker: subprocess.Popen[bytes]
    log: Path
    sender: Celery

    def send(self, task_name: str, mark: str) -> str:
        """Enqueue `task_name(mark)` by name, as the API does; the Celery task id."""
        return str(self.sender.send_task(task_name, args=[mark]).id)

    def starts(self, mark: str) -> int:
        """How many times a body for `mark` began."""
        path = self.marks / f"{mark}.starts"
        return len(path.read_text().splitlines()) if path.exists() else 0

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def _ready(process: subprocess.Popen[bytes], log: Path) -> bool:
    if process.poll() is not None:
        pytest.fail(f"worker exited early:\n{log.read_text(errors='replace')}")
    return log.exists() and "ready." in log.read_text(errors="replace")


@contextlib.contextmanager
def _stack(
    database_url: str,
    broker_url: str | None,
    smtp: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[WorkerStack]:
    marks = tmp_path / "marks"
    marks.mkdir()
    env = service_env(
        database_url=database_url,
        smtp_url=smtp.url,
        var_dir=tmp_path,
        broker_url=broker_url,
        queue_prefix="deadletters",
    )
    # Retries at once and few of them, so exhausting them takes no waiting.
    env |= {
        "TASK_MAX_DELIVERIES": str(MAX_DELIVERIES),
        "TASK_MAX_RETRIES": str(MAX_RETRIES),
        "TASK_RETRY_BACKOFF_MAX_SECONDS": "0",
        "DEADLETTER_MARKS": str(marks),
    }
    settings = apply_env(monkeypatch, env)
    log = tmp_path / "worker.log"
    worker = start_process(
        [
            *processes.worker_command(),
            "--concurrency=1",
            "-I",
            "tests.deadletters.poison_tasks",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-n",
            f"deadletters-{uuid.uuid4().hex[:6]}@%h",
        ],
        env={**os.environ, **env},
        log_path=log,
    )
    sender = make_celery(settings, main="deadletters-test-sender")
    try:
        wait_for(lambda: _ready(worker, log), timeout=60, what="the worker to be ready")
        with TestClient(create_app()) as client:
            yield WorkerStack(settings, client, marks, worker, log, sender)
    finally:
        sender.close()
        stop_process(worker, grace=10)
        with contextlib.suppress(ProcessLookupError):  # the whole group exited already
            os.killpg(worker.pid, signal.SIGKILL)
        wipe_database(database_url)
        reset_caches()


@pytest.fixture
def worker_stack(
    postgresql_database: str,
    redis_url: str,
    smtp: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[WorkerStack]:
    """The production shape: PostgreSQL and Redis."""
    with _stack(postgresql_database, redis_url, smtp, tmp_path, monkeypatch) as stack:
        yield stack


@pytest.fixture
def embedded_worker_stack(
    sqlite_database: str, smtp: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WorkerStack]:
    """The `make run` default: SQLite and kombu's SQLAlchemy broker, which never marks a
    requeued message as redelivered."""
    with _stack(sqlite_database, None, smtp, tmp_path, monkeypatch) as stack:
        yield stack
