"""intake.outbox.dispatch: deliver whatever outbox email is due."""

from __future__ import annotations

import logging

from emails.transport import transport_from_settings
from intake import tasknames
from intake.config import get_settings
from intake.notifications.service import Dispatcher
from workers.base import task, unit_of_work

log = logging.getLogger(__name__)


@task(tasknames.DISPATCH_EMAIL)
def dispatch_email() -> None:
    """Claim due rows and send them. Retries are due times on the rows, found by the
    sweep, so nothing waits in the broker (a long countdown would outlive the
    visibility timeout and run again and again)."""
    settings = get_settings()
    report = Dispatcher(
        transport=transport_from_settings(settings.smtp_url, settings.mailbox_path),
        settings=settings,
        uow_factory=unit_of_work,
    ).run()
    if report.claimed:
        log.info(
            "outbox: %d sent, %d retrying, %d failed, %d held, %d returned",
            report.sent,
            report.retrying,
            report.failed,
            report.held,
            report.returned,
        )
