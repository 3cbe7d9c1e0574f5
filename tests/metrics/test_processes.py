"""Metrics across real processes: uvicorn's workers summed in one scrape, and a Celery
prefork worker serving what its children counted."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from intake import processes, tasknames
from intake.config import Settings
from intake.intakes.models import IntakeStatus
from intake.main import create_app
from intake.taskqueue import make_celery
from tests.conftest import SmtpSink, apply_env, service_env, wipe_database
from tests.live_api import live_api_process
from tests.metrics.support import SCRAPER_TOKEN, sample, scraper_auth
from tests.queues.support import intake, submitted_by_patient
from tests.support import free_port, reset_caches, start_process, stop_process, wait_for

pytestmark = pytest.mark.slow

EVALUATE = tasknames.EVALUATE_CHECKLIST


def _leftover_from_an_earlier_run(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stale = directory / "counter_1.db"
    stale.write_bytes(b"not a metrics file")
    return stale


def test_one_scrape_sums_every_uvicorn_worker(
    postgresql_database: str, smtp: SmtpSink, tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "api-metrics"
    stale = _leftover_from_an_earlier_run(metrics_dir)
    env = {
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "METRICS_TOKEN": SCRAPER_TOKEN,
    }
    requests = 20
    labels = {"method": "GET", "route": "/healthz", "status_class": "2xx"}
    try:
        with live_api_process(
            database_url=postgresql_database, smtp_url=smtp.url, var_dir=tmp_path, env=env
        ) as api:
            assert not stale.exists()  # emptied before the workers forked
            before = httpx.get(f"{api.base}/metrics", headers=scraper_auth(), timeout=30)
            assert before.status_code == 200, before.text
            for _ in range(requests):
                assert httpx.get(f"{api.base}/healthz", timeout=30).status_code == 200
            after = httpx.get(f"{api.base}/metrics", headers=scraper_auth(), timeout=30)
            anonymous = httpx.get(f"{api.base}/metrics", timeout=30)
    finally:
        wipe_database(postgresql_database)

    name = "intake_http_request_duration_seconds_count"
    # Whichever worker answered each request and each scrape, the sum is exact.
    assert sample(after.text, name, **labels) - sample(before.text, name, **labels) == requests
    assert anonymous.status_code == 401
    assert len(list(metrics_dir.glob("histogram_*.db"))) >= 1


@pytest.fixture
def worker_env(
    postgresql_database: str,
    redis_url: str,
    smtp: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Settings, dict[str, str]]]:
    env = service_env(
        database_url=postgresql_database,
        smtp_url=smtp.url,
        var_dir=tmp_path,
        broker_url=redis_url,
        queue_prefix="metrics",
    )
    settings = apply_env(monkeypatch, env)
    yield settings, {**os.environ, **env}
    wipe_database(postgresql_database)
    reset_caches()


@contextmanager
def metrics_worker(env: dict[str, str], workdir: Path, **overrides: str) -> Iterator[str]:
    """A prefork worker serving its metrics; yields the URL to scrape."""
    port = free_port()
    metrics_dir = workdir / f"worker-metrics-{port}"
    stale = _leftover_from_an_earlier_run(metrics_dir)
    log = workdir / f"worker-{port}.log"
    worker = start_process(
        [*processes.worker_command(), "--concurrency=1", "-n", f"{uuid.uuid4().hex[:8]}@%h"],
        env={
            **env,
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "WORKER_METRICS_PORT": str(port),
            **overrides,
        },
        log_path=log,
    )

    def ready() -> bool:
        if worker.poll() is not None:
            pytest.fail(f"worker exited early:\n{log.read_text(errors='replace')}")
        return log.exists() and "ready." in log.read_text(errors="replace")

    try:
        wait_for(ready, timeout=60, what="the worker to be ready")
        assert not stale.exists()  # emptied before the pool forked
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        stop_process(worker)


def _scrape(url: str) -> str:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return response.text


def _once_failed(url: str) -> str | None:
    """The scrape once the evaluate task has failed for good; None before."""
    text = _scrape(url)
    return text if sample(text, "intake_task_failures_total", task=EVALUATE) else None


def test_the_worker_serves_its_childrens_timings_and_failures(
    worker_env: tuple[Settings, dict[str, str]], tmp_path: Path
) -> None:
    settings, env = worker_env
    with metrics_worker(env, tmp_path) as url, TestClient(create_app()) as client:
        started = submitted_by_patient(client)
        wait_for(
            lambda: intake(started.id).status == IntakeStatus.ROUTED,
            timeout=60,
            what="the worker to route the intake",
        )
        timed = _scrape(url)
        # No such intake id can exist: the task fails at once, without a retry.
        make_celery(settings).send_task(EVALUATE, args=["not-a-uuid"])
        failed = wait_for(lambda: _once_failed(url), timeout=60, what="the failure to be counted")

    count = "intake_evaluation_duration_seconds_count"
    assert sample(timed, count, kind="checklist") >= 1  # one pass per upload and the submit
    assert sample(timed, count, kind="routing") == 1
    assert sample(timed, "intake_task_failures_total", task=EVALUATE) == 0
    assert sample(failed, "intake_task_failures_total", task=EVALUATE) == 1
    assert sample(failed, "intake_task_retries_total", task=EVALUATE) == 0


def test_retries_and_the_final_failure_are_counted_per_task(
    worker_env: tuple[Settings, dict[str, str]], tmp_path: Path
) -> None:
    settings, env = worker_env
    # A database nobody listens on: every run raises OperationalError, which is retried.
    unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    overrides = {
        "DATABASE_URL": unreachable,
        "TASK_MAX_RETRIES": "1",
        "TASK_RETRY_BACKOFF_MAX_SECONDS": "1",
    }
    with metrics_worker(env, tmp_path, **overrides) as url:
        make_celery(settings).send_task(EVALUATE, args=[str(uuid.uuid4())])
        text = wait_for(
            lambda: _once_failed(url), timeout=60, what="the retried task to fail for good"
        )

    assert sample(text, "intake_task_retries_total", task=EVALUATE) == 1
    assert sample(text, "intake_task_failures_total", task=EVALUATE) == 1
