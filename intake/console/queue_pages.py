"""The queue overview, one queue's list with its filters, and claiming the next item."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from intake.config import Settings
from intake.console.session import ConsoleRoute, FormDep, SessionDep, error_messages, render
from intake.db import UnitOfWork
from intake.deps import SettingsDep, UowDep
from intake.errors import IntakeError
from intake.queues import placement
from intake.queues import service as queues
from intake.queues.repository import QueueFilter

router = APIRouter(route_class=ConsoleRoute)
PAGE_SIZE = 25
TriState = Literal["any", "yes", "no"]
Claimed = Literal["any", "unclaimed", "mine"]


def _tri(value: TriState) -> bool | None:
    return None if value == "any" else value == "yes"


@dataclass(frozen=True)
class ListFilters:
    """The filters as the page's form sends them (and as the next-page link keeps them)."""

    claimed: Claimed = "any"
    provisional: TriState = "any"
    overdue: TriState = "any"
    limit: int = PAGE_SIZE

    def for_service(self) -> QueueFilter:
        return QueueFilter(
            claimed=self.claimed, provisional=_tri(self.provisional), overdue=_tri(self.overdue)
        )

    def next_page_query(self, cursor: str) -> str:
        return urlencode({**asdict(self), "cursor": cursor})


@router.get("", response_class=HTMLResponse)
def overview(
    request: Request, session: SessionDep, uow: UowDep, settings: SettingsDep
) -> HTMLResponse:
    """Every queue with its item count and SLA."""
    with uow:
        summaries = queues.summary(uow, staff=session.user, settings=settings)
    return render(request, "overview.html", {"summaries": summaries}, session=session)


def _queue_page(
    request: Request,
    session: SessionDep,
    settings: Settings,
    queue: str,
    filters: ListFilters,
    cursor: str | None = None,
    *,
    error: IntakeError | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    # A unit of work of its own: after a failed claim, the request's one has rolled back.
    with UnitOfWork() as uow:
        page = queues.list_items(
            uow,
            queue,
            staff=session.user,
            settings=settings,
            filters=filters.for_service(),
            cursor=cursor,
            limit=filters.limit,
        )
    context = {
        "queue": queue,
        "queues": placement.QUEUES,
        "page": page,
        "filters": filters,
        "problems": error_messages(error.detail) if error else [],
        "notice": notice,
    }
    status_code = error.status_code if error else status.HTTP_200_OK
    return render(request, "queue.html", context, session=session, status_code=status_code)


@router.get("/queues/{queue}", response_class=HTMLResponse)
def queue_list(
    request: Request,
    queue: str,
    session: SessionDep,
    settings: SettingsDep,
    claimed: Claimed = "any",
    provisional: TriState = "any",
    overdue: TriState = "any",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=queues.MAX_PAGE)] = PAGE_SIZE,
    done: str | None = None,
) -> HTMLResponse:
    """One queue (or all of them), urgent first, then oldest; a keyset next-page link."""
    filters = ListFilters(claimed=claimed, provisional=provisional, overdue=overdue, limit=limit)
    notice = "Nothing left to claim in this queue." if done == "empty" else None
    return _queue_page(request, session, settings, queue, filters, cursor, notice=notice)


@router.post("/queues/{queue}/claim", response_model=None)
def claim_next(
    request: Request,
    queue: str,
    session: SessionDep,
    _form: FormDep,
    uow: UowDep,
    settings: SettingsDep,
) -> Response:
    """Take the next unclaimed item and open it."""
    try:
        with uow:
            item = queues.claim_next(uow, queue, staff=session.user, settings=settings)
    except IntakeError as error:
        return _queue_page(request, session, settings, queue, ListFilters(), error=error)
    if item is None:
        return RedirectResponse(f"/staff/queues/{queue}?done=empty", status_code=303)
    return RedirectResponse(f"/staff/intakes/{item.intake_id}?done=claimed", status_code=303)
