"""GET /metrics: Prometheus' text format, for the scraper's token or permitted staff."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from intake.deps import SettingsDep, UowDep
from intake.metrics import access
from intake.metrics.exposition import render
from intake.metrics.state import StateCollector
from intake.staff.deps import StaffTokenDep

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response)
def metrics(token: StaffTokenDep, uow: UowDep, settings: SettingsDep) -> Response:
    """Request latencies and evaluation timings of this host's processes, and the queue
    and outbox counts from the database. Bearer METRICS_TOKEN, or a staff token."""
    with uow:
        access.authorize_scrape(uow, token=token, settings=settings)
        state = access.current_state(uow, settings=settings)
    body = render(settings.prometheus_multiproc_dir, StateCollector(state))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
