"""Tasks that fail for good land in the dead-letter table; a poison message stops.

A real worker process on Redis and PostgreSQL runs the test-only tasks of
poison_tasks.py under the production task policy (workers/base.py), with two retries
at no delay and at most three starts per message (see conftest.py).
"""

from __future__ import annotations

import redis

from intake.deadletters.models import DeadLetter, DeadLetterStatus, FailureKind
from tests.broker import drain_queue
from tests.deadletters import poison_tasks
from tests.deadletters.conftest import MAX_DELIVERIES, MAX_RETRIES, WorkerStack
from tests.deadletters.support import dead_letter, dead_letters_named, open_deliveries
from tests.support import wait_for


def _landed(task_id: str) -> DeadLetter:
    return wait_for(lambda: dead_letter(task_id), timeout=60, what=f"dead letter {task_id}")


def _healthy_run(stack: WorkerStack, mark: str) -> None:
    """A normal task after the bad one: the worker is still taking work."""
    stack.send(poison_tasks.HEALTHY, mark)
    wait_for(lambda: (stack.marks / f"{mark}.done").exists(), what="the healthy task to run")


def test_a_non_retryable_error_lands_once_with_ids_only(worker_stack: WorkerStack) -> None:
    task_id = worker_stack.send(poison_tasks.BROKEN, "broken-1")

    row = _landed(task_id)
    _healthy_run(worker_stack, "after-broken")

    assert row.kind is FailureKind.ERROR
    assert row.status is DeadLetterStatus.DEAD
    assert row.task_name == poison_tasks.BROKEN
    assert row.args == ["broken-1"]
    assert row.exception_type == "ValueError"
    assert row.retries == 0
    assert worker_stack.starts("broken-1") == 1  # not retried: a bug stays a bug
    assert dead_letters_named(poison_tasks.BROKEN) == 1
    assert row.first_failed_at == row.last_failed_at  # written once
    # The exception's message might quote data; the row keeps the class name only.
    stored = " ".join(str(v) for v in (row.summary, row.exception_type, row.args))
    assert poison_tasks.SECRET_DETAIL not in stored
    assert "cannot handle" not in stored
    assert open_deliveries() == 0


def test_a_retryable_error_lands_only_after_the_last_retry(worker_stack: WorkerStack) -> None:
    task_id = worker_stack.send(poison_tasks.FLAKY_DATABASE, "flaky-1")

    row = _landed(task_id)
    _healthy_run(worker_stack, "after-flaky")

    assert row.kind is FailureKind.RETRIES_EXHAUSTED
    assert row.exception_type == "OperationalError"
    assert row.retries == MAX_RETRIES
    # The first run and every retry ran; the retries in between did not land here
    # (they would have said fewer retries, and only the last one may write the row).
    assert worker_stack.starts("flaky-1") == 1 + MAX_RETRIES
    assert row.first_failed_at == row.last_failed_at  # written once, at the very end
    assert dead_letters_named(poison_tasks.FLAKY_DATABASE) == 1
    assert "missing-dir" not in row.summary  # the driver's message names a path
    assert open_deliveries() == 0


def test_a_poison_message_is_run_at_most_n_times_then_dead_lettered(
    worker_stack: WorkerStack,
) -> None:
    task_id = worker_stack.send(poison_tasks.POISON, "poison-1")

    row = _landed(task_id)
    _healthy_run(worker_stack, "after-poison")

    assert row.kind is FailureKind.POISON
    assert row.deliveries == MAX_DELIVERIES
    assert row.args == ["poison-1"]
    assert row.redelivered is True  # Redis flags a message requeued after a lost worker
    assert worker_stack.worker.poll() is None, "the worker itself must survive"
    # The body ran exactly N times, and the message is gone: the healthy task ran after
    # it on the only pool process, and neither the queue nor Redis's unacked set holds it.
    assert worker_stack.starts("poison-1") == MAX_DELIVERIES
    assert drain_queue(worker_stack.settings) == []
    broker = redis.Redis.from_url(worker_stack.settings.broker_url)
    try:
        unacked = broker.hvals("unacked")
    finally:
        broker.close()
    assert not [payload for payload in unacked if task_id.encode() in payload]
    assert worker_stack.starts("poison-1") == MAX_DELIVERIES
    assert open_deliveries() == 0


def test_a_hard_time_limit_lands_from_the_worker_process(worker_stack: WorkerStack) -> None:
    task_id = worker_stack.send(poison_tasks.HANG, "hang-1")

    row = _landed(task_id)
    # The pool child that replaces the killed one starts with fresh database connections.
    _healthy_run(worker_stack, "after-hang")

    assert (row.kind, row.exception_type) == (FailureKind.TIME_LIMIT, "TimeLimitExceeded")
    assert row.args == ["hang-1"]
    assert worker_stack.starts("hang-1") == 1  # acked as failed, not requeued
    assert open_deliveries() == 0


def test_the_guard_needs_no_redelivered_flag_from_the_broker(
    embedded_worker_stack: WorkerStack,
) -> None:
    stack = embedded_worker_stack
    task_id = stack.send(poison_tasks.POISON, "poison-2")

    row = _landed(task_id)
    _healthy_run(stack, "after-poison-2")

    assert (row.kind, row.deliveries) == (FailureKind.POISON, MAX_DELIVERIES)
    assert stack.starts("poison-2") == MAX_DELIVERIES
    assert stack.worker.poll() is None
    assert drain_queue(stack.settings) == []
    assert open_deliveries() == 0
