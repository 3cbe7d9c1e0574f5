"""Logging in the worker and beat: our format, and the request id inside every task.

Connecting `setup_logging` tells Celery to leave the root logger alone, so Celery's own
records come out through intake.logs like everything else. Around each task the request
id from the message headers (intake.logs.trace_headers) is bound with the task's id and
name; tasks this one enqueues pick the id up from there. A task no request caused (beat's
sweep) uses its own id, so the work it fans out still shares one id.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery import Task
from celery.signals import setup_logging, task_postrun, task_prerun

from intake.config import get_settings
from intake.http.request_id import incoming_or_new
from intake.logs import REQUEST_ID_HEADER, configure_logging


def connect() -> None:
    """Hook this module's handlers into Celery's signals (once per process)."""
    setup_logging.connect(_configure, dispatch_uid="intake.logs.setup")
    task_prerun.connect(_bind_task, dispatch_uid="intake.logs.bind")
    task_postrun.connect(_unbind_task, dispatch_uid="intake.logs.unbind")


def _configure(**_: Any) -> None:
    configure_logging(get_settings())


def _bind_task(task_id: str, task: Task[Any, Any], **_: Any) -> None:
    header = task.request.get(REQUEST_ID_HEADER)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        # Checked like an HTTP header: anyone who can write to the broker writes this.
        request_id=incoming_or_new(header) if isinstance(header, str) else task_id,
        task_id=task_id,
        task_name=task.name,
    )


def _unbind_task(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()
