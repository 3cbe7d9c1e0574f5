"""The worker's side of the metrics: task failures and retries, and a metrics server.

Celery's prefork children count in PROMETHEUS_MULTIPROC_DIR; the main process, which
forks them, empties that directory first and serves the sum of every child's file on
WORKER_METRICS_PORT (README "Metrics"). The handlers run in the process where the task
ran, so the count lands in that child's file.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Task
from celery.signals import task_failure, task_retry, worker_init, worker_process_shutdown
from prometheus_client import start_http_server
from prometheus_client.multiprocess import mark_process_dead

from intake.config import get_settings
from intake.metrics.events import TASK_FAILURES, TASK_RETRIES
from intake.metrics.exposition import event_registry, reset_multiproc_dir

log = logging.getLogger(__name__)


def _task_name(sender: Task[Any, Any] | None) -> str:
    return (sender.name if sender is not None else None) or "unknown"


@task_failure.connect
def count_failure(sender: Task[Any, Any] | None = None, **_: object) -> None:
    TASK_FAILURES.labels(task=_task_name(sender)).inc()


@task_retry.connect
def count_retry(sender: Task[Any, Any] | None = None, **_: object) -> None:
    TASK_RETRIES.labels(task=_task_name(sender)).inc()


@worker_init.connect
def serve_metrics(**_: object) -> None:
    """In the main process, before the pool forks: a clean directory, then the server."""
    settings = get_settings()
    directory = settings.prometheus_multiproc_dir
    # Made even when nothing serves it: the children write there whatever happens.
    reset_multiproc_dir(directory)
    if settings.worker_metrics_port is None:
        return
    if directory is None:
        # Without it each child counts in its own memory, which no server can read.
        log.warning("WORKER_METRICS_PORT is set without PROMETHEUS_MULTIPROC_DIR: not serving")
        return
    start_http_server(
        settings.worker_metrics_port,
        addr=settings.worker_metrics_address,
        registry=event_registry(directory),
    )
    log.info(
        "serving worker metrics on %s:%d",
        settings.worker_metrics_address,
        settings.worker_metrics_port,
    )


@worker_process_shutdown.connect
def forget_child(**_: object) -> None:
    """The client's bookkeeping for a child that exits (it drops only live gauges)."""
    if get_settings().prometheus_multiproc_dir is not None:
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]  # untyped upstream
