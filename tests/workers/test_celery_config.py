"""The Celery settings the reliability notes demand (RELIABILITY.md §1, scenario 8)."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from intake import tasknames
from intake.config import Settings
from intake.taskqueue import MAX_RETRY_DELAY_SECONDS, VISIBILITY_TIMEOUT_SECONDS, celery_config
from workers.base import MAX_TASK_RETRIES
from workers.celery_app import app


def test_tasks_ack_late_and_requeue_when_a_worker_dies() -> None:
    config = celery_config(Settings(broker_url="redis://127.0.0.1:6379/0"))

    assert config["task_acks_late"] is True
    assert config["task_reject_on_worker_lost"] is True
    assert config["worker_prefetch_multiplier"] == 1
    assert config["task_ignore_result"] is True
    assert config["result_backend"] is None


def test_no_retry_outlives_the_redis_visibility_timeout() -> None:
    config = celery_config(Settings(broker_url="redis://127.0.0.1:6379/0"))

    timeout = config["broker_transport_options"]["visibility_timeout"]
    assert timeout == VISIBILITY_TIMEOUT_SECONDS
    # Email retries are due times in the database, never broker countdowns; the only
    # countdowns are the bounded task retries, and they stay inside the timeout.
    assert timeout > MAX_RETRY_DELAY_SECONDS


def test_the_embedded_broker_gets_no_redis_options() -> None:
    config = celery_config(Settings(broker_url="sqla+sqlite:///var/broker.db"))

    assert "broker_transport_options" not in config


def test_every_task_is_registered_under_its_stable_name() -> None:
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if name.startswith("intake.")}

    assert ours == {
        tasknames.EVALUATE_CHECKLIST,
        tasknames.DISPATCH_EMAIL,
        tasknames.ROUTE_INTAKE,
        tasknames.SWEEP,
    }
    for name in ours:
        task = app.tasks[name]
        assert task.max_retries == MAX_TASK_RETRIES
        assert getattr(task, "autoretry_for", ()) == (OperationalError,)


def test_beat_sends_only_the_sweep() -> None:
    assert [entry["task"] for entry in app.conf.beat_schedule.values()] == [tasknames.SWEEP]
