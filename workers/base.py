"""What every task shares: one retry policy, and a unit of work that publishes through
the worker's own Celery app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Task
from sqlalchemy.exc import OperationalError

from intake.config import get_settings
from intake.db import UnitOfWork
from intake.logs import trace_headers
from intake.taskqueue import MAX_RETRY_DELAY_SECONDS
from workers.celery_app import app
from workers.deadletters import GuardedTask

MAX_TASK_RETRIES = 5


def task(name: str) -> Callable[[Callable[..., None]], Task[Any, Any]]:
    """Register a task under its stable `name`.

    Transient database trouble (a restarted PostgreSQL, a busy SQLite) is retried with
    exponential backoff and jitter, a bounded number of times; anything else is a bug
    and fails the task at once. Tasks return nothing: outcomes live in the database.
    """
    settings = get_settings()
    max_retries = settings.task_max_retries
    backoff_max = settings.task_retry_backoff_max_seconds
    return app.task(
        name=name,
        # Counts deliveries and dead-letters a message that keeps killing its worker.
        base=GuardedTask,
        autoretry_for=(OperationalError,),
        retry_backoff=True,
        retry_backoff_max=(
            MAX_RETRY_DELAY_SECONDS
            if backoff_max is None
            else min(backoff_max, MAX_RETRY_DELAY_SECONDS)
        ),
        retry_jitter=True,
        max_retries=MAX_TASK_RETRIES if max_retries is None else max_retries,
    )


class AppPublisher:
    def publish(self, task_name: str, args: tuple[str, ...]) -> None:
        # A task enqueued by a task carries on the request id it was bound to.
        app.send_task(task_name, args=args, headers=trace_headers())


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(publisher=AppPublisher())
