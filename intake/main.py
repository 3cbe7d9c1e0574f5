"""The FastAPI application."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from intake import health
from intake.auth.pages import router as auth_pages
from intake.auth.router import router as auth_router
from intake.cases.router import router as cases_router
from intake.checklist.router import router as checklist_router
from intake.config import get_settings
from intake.console.router import router as console_router
from intake.deadletters.router import router as dead_letters_router
from intake.documents.manage_router import router as document_management_router
from intake.documents.router import router as documents_router
from intake.errors import install_error_handlers
from intake.fhir.router import router as fhir_router
from intake.fhir.scheduling_router import router as fhir_scheduling_router
from intake.http.assets import router as assets_router
from intake.http.body_limits import BodyLimitMiddleware
from intake.http.request_id import RequestIdMiddleware
from intake.http.security_headers import SecurityHeadersMiddleware
from intake.intakes.router import router as intakes_router
from intake.lifecycle.router import router as export_router
from intake.logs import configure_logging
from intake.metrics.middleware import RequestMetricsMiddleware
from intake.metrics.router import router as metrics_router
from intake.notifications.router import router as emails_router
from intake.openapi_errors import document_responses
from intake.queues.router import router as queues_router
from intake.reminders.pages import router as reminder_pages
from intake.routing.router import router as routing_router
from intake.scheduling.router import router as scheduling_router
from intake.staff.audit_router import router as audit_router
from intake.staff.router import router as staff_router
from intake.web.router import router as web_router


def create_app() -> FastAPI:
    app = FastAPI(
        title="FBSS consultation intake",
        version="0.1.0",
        description="Intake, document checklist and routing for a spine clinic.",
    )
    install_error_handlers(app)
    document_responses(app)  # errors and links in /openapi.json
    app.include_router(health.router)
    app.include_router(metrics_router)
    app.include_router(intakes_router)
    app.include_router(documents_router)
    app.include_router(document_management_router)
    app.include_router(checklist_router)
    app.include_router(export_router)
    app.include_router(auth_router)
    app.include_router(staff_router)
    app.include_router(fhir_router)
    app.include_router(emails_router)
    app.include_router(queues_router)
    app.include_router(routing_router)
    app.include_router(audit_router)
    app.include_router(web_router)
    app.include_router(auth_pages)
    app.include_router(reminder_pages)
    app.include_router(cases_router)
    app.include_router(scheduling_router)
    app.include_router(fhir_scheduling_router)
    app.include_router(console_router)
    app.include_router(dead_letters_router)
    app.include_router(assets_router)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestMetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)  # outermost: its id covers the others' lines
    return app


def create_served_app() -> FastAPI:
    """The app as `intake api` serves it, with what startup allocated frozen out of the GC.

    A full collection walks every object in the process; with the app's imports that took
    50-110 ms here, all threads and the event loop stopped (bench/loop.py, "GC pauses").
    Frozen objects are never walked again, so later full collections take a few ms. Only
    the served app does this: tests build many apps, and freezing would keep their garbage.
    """
    configure_logging(get_settings())
    app = create_app()
    gc.collect()
    gc.freeze()
    return app
