"""Event metrics, counted in the process where the event happens.

Under PROMETHEUS_MULTIPROC_DIR every process writes its samples to its own file there and
a scrape sums the files, so uvicorn's workers and Celery's prefork children all count.
Every metric has a label: a labelled metric opens its file on first use, not at import,
so importing this module never touches the directory.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from prometheus_client import Counter, Histogram

# From a fast read to a slow upload; Prometheus' default buckets stop at 10 s.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Checklist and routing passes are a few queries and pure rules: milliseconds to seconds.
EVALUATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

REQUEST_DURATION = Histogram(
    "intake_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template (never the raw path).",
    ["method", "route", "status_class"],
    buckets=REQUEST_BUCKETS,
)
EVALUATION_DURATION = Histogram(
    "intake_evaluation_duration_seconds",
    "Time of one checklist evaluation or one routing decision, inside its transaction.",
    ["kind"],
    buckets=EVALUATION_BUCKETS,
)
TASK_FAILURES = Counter(
    "intake_task_failures",
    "Celery tasks that failed (raised, or ran out of retries), by task name.",
    ["task"],
)
TASK_RETRIES = Counter(
    "intake_task_retries",
    "Celery task retries scheduled, by task name.",
    ["task"],
)

Evaluation = Literal["checklist", "routing"]


@contextmanager
def observe(kind: Evaluation) -> Iterator[None]:
    """Time the block into the evaluation histogram, whether it returns or raises."""
    started = time.perf_counter()
    try:
        yield
    finally:
        EVALUATION_DURATION.labels(kind=kind).observe(time.perf_counter() - started)
