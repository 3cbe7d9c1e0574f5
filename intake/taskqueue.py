"""Celery configuration shared by the API (which only sends) and the workers."""

from __future__ import annotations

from typing import Any

from celery import Celery

from intake.config import Settings

# Retries back off exponentially and never wait longer than this.
MAX_RETRY_DELAY_SECONDS = 600
# Redis re-delivers an unacked message after the visibility timeout. It must outlast
# any retry countdown, or a delayed retry is delivered again and again
# (kombu#337, celery#7009). Reminders never sit in the broker: the sweep finds them.
VISIBILITY_TIMEOUT_SECONDS = 2 * 60 * 60


def celery_config(settings: Settings) -> dict[str, Any]:
    """The Celery settings every process uses (see shared/DESIGN.md, conventions)."""
    config: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 3,
        # No result backend: tasks write their outcome to the database.
        "result_backend": None,
        "task_ignore_result": True,
        "task_store_errors_even_if_ignored": False,
        # Ack after the task ran, and re-queue if the worker child dies mid-task.
        # Every task is written to be safe to run twice.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_default_queue": settings.task_queue,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_soft_time_limit": 120,
        "task_time_limit": 180,
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
        "enable_utc": True,
    }
    if settings.uses_redis:
        config["broker_transport_options"] = {"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS}
    return config


def make_celery(settings: Settings, *, main: str = "intake") -> Celery:
    app = Celery(main)
    app.conf.update(celery_config(settings))
    return app
