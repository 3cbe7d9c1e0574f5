"""Who may scrape /metrics: Prometheus with METRICS_TOKEN, or staff allowed to view them.

A scrape reads aggregates only (counts per queue and status, timings), never a patient's
record, so it is not an audited read; a refused staff caller is audited as usual.
"""

from __future__ import annotations

import hmac

from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.metrics.state import StateSnapshot, read_state
from intake.staff import service as staff
from intake.staff.permissions import Permission, authorize


def _is_scraper(token: str | None, settings: Settings) -> bool:
    if not settings.metrics_token or token is None:
        return False
    # Constant time: the comparison must not tell a guesser how much of it was right.
    return hmac.compare_digest(token.encode(), settings.metrics_token.encode())


def authorize_scrape(uow: UnitOfWork, *, token: str | None, settings: Settings) -> None:
    """Return when the caller may scrape; 401 without a valid token, 403 off-permission."""
    if _is_scraper(token, settings):
        return
    user = staff.authenticate(uow, token=token, settings=settings)
    authorize(uow, user, Permission.VIEW_METRICS)


def current_state(uow: UnitOfWork, *, settings: Settings) -> StateSnapshot:
    return read_state(uow.session, sla_hours=settings.queue_sla_hours, now=utcnow())
