"""The after-commit job buffer: tasks are sent by name, and only once the data is there."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Protocol

from intake.config import get_settings
from intake.logs import trace_headers
from intake.taskqueue import make_celery

log = logging.getLogger(__name__)

Job = tuple[str, tuple[str, ...]]


class JobPublisher(Protocol):
    def publish(self, task_name: str, args: tuple[str, ...]) -> None: ...


class CeleryPublisher:
    """Sends tasks by name through a send-only Celery client."""

    def __init__(self) -> None:
        self._app = make_celery(get_settings(), main="intake-publisher")

    def publish(self, task_name: str, args: tuple[str, ...]) -> None:
        # A short retry policy: a request must not hang on a dead broker. The row is
        # committed already, and the sweep re-finds work whose message never left.
        self._app.send_task(
            task_name,
            args=args,
            headers=trace_headers(),
            retry=True,
            retry_policy={
                "max_retries": 2,
                "interval_start": 0.1,
                "interval_step": 0.3,
                "interval_max": 0.5,
            },
        )


@lru_cache
def get_publisher() -> JobPublisher:
    return CeleryPublisher()


class JobBuffer:
    """Collects jobs during a unit of work; flush() after commit, discard() on rollback."""

    def __init__(self, publisher: JobPublisher) -> None:
        self._publisher = publisher
        self._pending: list[Job] = []

    def enqueue(self, task_name: str, *ids: str) -> None:
        """Ask for `task_name(*ids)` once the transaction commits. Ids only, never PHI."""
        job = (task_name, ids)
        if job not in self._pending:
            self._pending.append(job)

    def wake(self, task_name: str, times: int) -> None:
        """Ask for `times` runs of an argument-free task, e.g. workers sharing a backlog."""
        self._pending.extend((task_name, ()) for _ in range(times))

    @property
    def pending(self) -> list[Job]:
        return list(self._pending)

    def discard(self) -> None:
        self._pending.clear()

    def flush(self) -> None:
        jobs, self._pending = self._pending, []
        for task_name, args in jobs:
            try:
                self._publisher.publish(task_name, args)
            except Exception:  # the broker is down: the sweep will redo this work
                log.warning("could not enqueue %s; the sweep will pick it up", task_name)
