"""The staff console under /staff: every page and action, mounted by intake/main.py."""

from __future__ import annotations

from fastapi import APIRouter

from intake.console import (
    auth_pages,
    booking_pages,
    calendar_pages,
    intake_pages,
    packet_pages,
    queue_pages,
)

PREFIX = "/staff"

router = APIRouter(include_in_schema=False)
for pages in (auth_pages, queue_pages, intake_pages, packet_pages, calendar_pages, booking_pages):
    router.include_router(pages.router, prefix=PREFIX)
