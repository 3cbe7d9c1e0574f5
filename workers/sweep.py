"""intake.sweep: re-find work that a lost message left undone."""

from __future__ import annotations

import logging

from intake import tasknames
from intake.sweep import sweep
from workers.base import task, unit_of_work

log = logging.getLogger(__name__)


@task(tasknames.SWEEP)
def run_sweep() -> None:
    with unit_of_work() as uow:
        report = sweep(uow)
    if report.checklists or report.emails or report.released:
        log.info(
            "sweep: %d checklists, %d emails, %d released",
            report.checklists,
            report.emails,
            report.released,
        )
