"""The Celery application: `celery -A workers.celery_app worker|beat`."""

from __future__ import annotations

from celery import Celery

from intake.config import get_settings
from intake.taskqueue import make_celery
from workers import metrics  # noqa: F401  (importing it connects its signal handlers)
from workers.beat import beat_schedule
from workers.logs import connect as connect_logging

settings = get_settings()

app: Celery = make_celery(settings)
app.conf.beat_schedule = beat_schedule(settings)
app.conf.include = ["workers.checklist", "workers.outbox", "workers.routing", "workers.sweep"]
connect_logging()
