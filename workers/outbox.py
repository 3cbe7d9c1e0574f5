"""intake.outbox.dispatch: deliver one outbox email."""

from __future__ import annotations

import uuid

from emails.transport import transport_from_settings
from intake import tasknames
from intake.config import get_settings
from intake.notifications import service
from intake.taskqueue import MAX_RETRY_DELAY_SECONDS
from workers.base import task, unit_of_work


@task(tasknames.DISPATCH_EMAIL)
def dispatch_email(email_id: str) -> None:
    settings = get_settings()
    result = service.dispatch(
        uuid.UUID(email_id),
        transport=transport_from_settings(settings.smtp_url, settings.mailbox_path),
        settings=settings,
        uow_factory=unit_of_work,
    )
    if result.retry_in is not None:
        # The row already holds its next attempt time, so if this retry message is
        # lost the sweep still finds the row; the retry only makes it prompt.
        raise dispatch_email.retry(
            countdown=min(result.retry_in, MAX_RETRY_DELAY_SECONDS),
            max_retries=service.MAX_ATTEMPTS,
        )
