"""What beat sends, and how often. Only the sweep: every other job is found by it."""

from __future__ import annotations

from typing import Any

from intake import tasknames
from intake.config import Settings


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    return {
        "sweep": {
            "task": tasknames.SWEEP,
            "schedule": settings.sweep_interval_seconds,
            # A sweep that waited longer than one interval is superseded by the next.
            "options": {"expires": settings.sweep_interval_seconds},
        }
    }
