"""intake.sweep: re-find lost work and queue due reminders."""

from __future__ import annotations

import logging

from intake import tasknames
from intake.sweep import sweep
from workers.base import task, unit_of_work

log = logging.getLogger(__name__)


@task(tasknames.SWEEP)
def run_sweep() -> None:
    report = sweep(unit_of_work)
    if report.checklists or report.emails or report.released or report.reminders.batches:
        log.info(
            "sweep: %d checklists, %d emails due, %d released, %d reminders queued, %d stale",
            report.checklists,
            report.emails,
            report.released,
            report.reminders.queued,
            report.reminders.stale,
        )
