"""A real worker process (and, where asked, beat) on a real broker and database."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from intake import processes
from intake.config import Settings
from intake.main import create_app
from tests.conftest import SmtpSink, apply_env, service_env, wipe_database
from tests.support import reset_caches, start_process, stop_process, wait_for

COMBINATIONS = [
    ("postgresql", "redis"),
    ("sqlite", "embedded"),
    ("postgresql", "embedded"),
    ("sqlite", "redis"),
]


@dataclass
class Stack:
    settings: Settings
    env: dict[str, str]
    client: TestClient
    workdir: Path
    worker: subprocess.Popen[bytes]
    worker_log: Path

    def start_beat(self) -> subprocess.Popen[bytes]:
        return start_process(
            processes.beat_command(self.workdir / "celerybeat-schedule"),
            env=self.env,
            log_path=self.workdir / "beat.log",
        )

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.workdir.glob("*.log"))


def _ready(process: subprocess.Popen[bytes], log: Path) -> bool:
    if process.poll() is not None:
        pytest.fail(f"worker exited early:\n{log.read_text(errors='replace')}")
    return log.exists() and "ready." in log.read_text(errors="replace")


@pytest.fixture(params=COMBINATIONS, ids=[f"{db}-{broker}" for db, broker in COMBINATIONS])
def stack(
    request: pytest.FixtureRequest,
    smtp: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Stack]:
    database, broker = request.param
    database_url = str(request.getfixturevalue(f"{database}_database"))
    env = service_env(
        database_url=database_url,
        smtp_url=smtp.url,
        var_dir=tmp_path,
        broker_url=str(request.getfixturevalue("redis_url")) if broker == "redis" else None,
        queue_prefix="e2e",
    )
    # The reminder cadence in seconds rather than days, and no quiet hours, so a real
    # beat and worker walk it within the test.
    env |= {
        "REMINDER_CADENCE_DAYS": "[0.00005, 0.0002]",
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
    }
    settings = apply_env(monkeypatch, env)
    process_env = {**os.environ, **env}
    log = tmp_path / "worker.log"
    worker = start_process(
        [*processes.worker_command(), "--concurrency=1", "-n", f"{uuid.uuid4().hex[:8]}@%h"],
        env=process_env,
        log_path=log,
    )
    try:
        wait_for(lambda: _ready(worker, log), timeout=60, what="the worker to be ready")
        with TestClient(create_app()) as client:
            yield Stack(settings, process_env, client, tmp_path, worker, log)
    finally:
        stop_process(worker)
        wipe_database(database_url)
        reset_caches()
