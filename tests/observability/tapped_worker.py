"""The worker's Celery app, plus a tap: every task message the worker itself publishes
(a checklist pass enqueuing routing, say) is appended to a file as it leaves.

`celery -A tests.observability.tapped_worker worker` runs it; TASK_TAP_FILE names the file.
"""

from __future__ import annotations

import json
import os
from typing import Any

from celery.signals import before_task_publish

from workers.celery_app import app

TAP_ENV = "TASK_TAP_FILE"


@before_task_publish.connect
def _tap(body: Any = None, headers: dict[str, Any] | None = None, **_: Any) -> None:
    with open(os.environ[TAP_ENV], "a", encoding="utf-8") as tap:
        tap.write(json.dumps({"headers": headers or {}, "body": body}, default=str) + "\n")


__all__ = ["app"]
