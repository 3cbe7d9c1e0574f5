"""Dead letters from the worker side: a guard around every task, and the failure signal.

- `GuardedTask` counts each start of a task id in the database, committed before the
  body runs, and clears the count when the body returns or asks for a retry. A message
  whose body kills the worker process (os._exit, SIGKILL, a segfault, the OOM killer)
  never gets that far; acks_late + reject_on_worker_lost requeue it, and the next start
  sees the count. Past `task_max_deliveries` it is dead-lettered and acked unrun, so a
  poison message cannot loop. The count lives in the database because brokers differ:
  Redis marks a requeued message `redelivered`, the embedded broker does not. On Redis
  a first delivery is not counted at all (every requeue path in kombu's Redis transport
  sets the flag), which spares the common case two commits per task; the embedded
  broker counts every start.
- `task_failure` fires when a task fails for good: a non-retryable exception, retries
  exhausted (autoretry re-raises the last error), a hard time limit, or a lost worker
  whose message was not requeued. A retry in progress raises `Retry` instead and fires
  `task_retry`, so it never lands here.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from celery import Task, signals
from celery.exceptions import MaxRetriesExceededError, Retry, TimeLimitExceeded, WorkerLostError

from intake import db
from intake.config import get_settings
from intake.db import UnitOfWork
from intake.deadletters import recording, repository
from intake.deadletters.models import FailureKind
from intake.deadletters.repository import Failure

log = logging.getLogger(__name__)


def _redelivered(task: Task[Any, Any]) -> bool:
    delivery_info = task.request.delivery_info or {}
    return bool(delivery_info.get("redelivered", False))


def _flags_redeliveries(task: Task[Any, Any]) -> bool:
    """Whether this task's broker marks requeued messages `redelivered` (Redis does)."""
    scheme = urlsplit(str(task.app.conf.broker_url or "")).scheme
    return scheme in {"redis", "rediss", "sentinel"}


def _forget(task_id: str) -> None:
    try:
        with UnitOfWork() as uow:
            recording.finished(uow, task_id)
    except Exception:  # the outcome stands; a leftover row for a finished id is inert
        log.warning("could not clear the delivery count of task %s", task_id, exc_info=True)


class GuardedTask(Task[Any, Any]):
    """Every task of ours: refuses a message that has killed its worker too often."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        task_id = self.request.id
        if task_id is None:  # called as a plain function, not delivered by a broker
            return super().__call__(*args, **kwargs)
        flagged = _flags_redeliveries(self)
        if flagged and not _redelivered(self):
            return super().__call__(*args, **kwargs)  # a first delivery: nothing to count
        if not self._admit(task_id, args, uncounted_before=1 if flagged else 0):
            return None  # dead-lettered; returning acks the message
        try:
            result = super().__call__(*args, **kwargs)
        except Retry:
            _forget(task_id)
            raise
        # Any other exception is a final failure: the task_failure handler records it
        # and clears the count in one transaction.
        _forget(task_id)
        return result

    def _admit(self, task_id: str, args: tuple[Any, ...], *, uncounted_before: int) -> bool:
        try:
            with UnitOfWork() as uow:
                return recording.admit(
                    uow,
                    task_id=task_id,
                    task_name=self.name,
                    args=args,
                    max_deliveries=get_settings().task_max_deliveries,
                    retries=self.request.retries or 0,
                    redelivered=_redelivered(self),
                    uncounted_before=uncounted_before,
                )
        except Exception:
            # The database is unreachable: run the body, whose own retries handle that.
            log.warning("could not count the delivery of task %s", task_id, exc_info=True)
            return True


def _classify(task: Task[Any, Any], exception: BaseException) -> tuple[FailureKind, str]:
    name = type(exception).__name__
    retries = task.request.retries or 0
    if isinstance(exception, TimeLimitExceeded):
        return FailureKind.TIME_LIMIT, "stopped by the hard time limit"
    if isinstance(exception, WorkerLostError):
        return FailureKind.WORKER_LOST, "its worker process died and it was not requeued"
    retryable = tuple(getattr(task, "autoretry_for", ()))
    exhausted = task.max_retries is not None and retries >= task.max_retries
    if isinstance(exception, MaxRetriesExceededError) or (
        retryable and isinstance(exception, retryable) and exhausted
    ):
        return FailureKind.RETRIES_EXHAUSTED, f"{name} after {retries} retries"
    return FailureKind.ERROR, f"{name}, not retryable: failed at once"


@signals.task_failure.connect
def dead_letter_on_failure(
    sender: Task[Any, Any] | None = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: Any = None,
    **_: Any,
) -> None:
    """Record a task that failed for good. Never raises: Celery must go on acking."""
    if sender is None or task_id is None or exception is None:
        return
    kind, summary = _classify(sender, exception)
    try:
        with UnitOfWork() as uow:
            failure = Failure(
                task_id=task_id,
                task_name=sender.name,
                args=recording.ids_only(args),
                kind=kind,
                exception_type=type(exception).__name__,
                summary=summary,
                retries=sender.request.retries or 0,
                deliveries=max(1, repository.deliveries_of(uow.session, task_id)),
                redelivered=_redelivered(sender),
            )
            recording.record_failure(uow, failure)
    except Exception:
        log.exception("could not dead-letter task %s[%s]", sender.name, task_id)


@signals.worker_process_init.connect
def _fresh_pool_in_child(**_: Any) -> None:
    """A forked pool child must not share the parent's database connections.

    The worker process itself writes dead letters for hard time limits, so its pool
    may hold connections when it forks a replacement child.
    """
    if db.get_engine.cache_info().currsize:
        db.get_engine().dispose(close=False)
