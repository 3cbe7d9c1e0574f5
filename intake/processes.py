"""The long-running processes, defined once.

`intake run` starts these for a developer, and docker-compose.yml runs the same
commands as separate services; a test holds the two together.
"""

from __future__ import annotations

from pathlib import Path

CELERY_APP = "workers.celery_app"


def api_command(host: str, port: int) -> list[str]:
    return ["intake", "api", "--host", host, "--port", str(port)]


def worker_command() -> list[str]:
    return ["celery", "-A", CELERY_APP, "worker", "--loglevel=INFO"]


def beat_command(schedule_file: Path) -> list[str]:
    return ["celery", "-A", CELERY_APP, "beat", "--loglevel=INFO", "--schedule", str(schedule_file)]


def migrate_command() -> list[str]:
    return ["intake", "migrate"]
