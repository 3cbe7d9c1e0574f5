"""Every state-changing HTML form refuses a post without its CSRF token, and changes nothing.

The routes come from the app itself: every POST outside the JSON API (/api, /fhir) is a
browser form, and each must be listed in FORMS with the kind of token it checks, so a new
form fails here until someone decides. Each is posted without a token, with a forged one,
and with a token rendered for another session (another patient, another staff member,
another browser, another link): each is the 403 "out of date" refusal, and the database
is as it was. The genuine token then gets past the check, so the refusals were the token's.

The exceptions carry no cookie authority, so there is nothing for another site to borrow:
- POST /unsubscribe/{token} is RFC 8058's one-click unsubscribe. Mail clients send it with
  no cookie and no form token; the signed token in the URL is its whole authority, and it
  can only turn reminders off.
Turning reminders back on (POST /unsubscribe/{token}/resume) is a form on those pages,
and carries a pre-session token like the other forms before a session.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import BaseRoute

from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.deps import PATIENT_COOKIE
from intake.documents.models import Document
from intake.intakes.models import Intake
from intake.reminders import optout
from intake.scheduling import links
from intake.web import csrf as web_csrf
from intake.web.appointment_pages import link_csrf
from tests.conftest import PATIENT
from tests.console.support import Console, console_as, csrf_in
from tests.hardening.support import magic_link, snapshot
from tests.queues.support import run_worker, submitted_by_patient
from tests.scheduling.support import Clinic
from tests.support import form_token

PATIENT_SESSION = "patient session"  # the patient cookie; token from web/csrf.py
BOOKED_PATIENT = "booked patient session"  # the same, for a patient with an appointment
CONSOLE = "console session"  # the staff cookie; token from console/csrf.py
BEFORE_SESSION = "before any session"  # a nonce cookie (http/presession_csrf.py, console login)
MANAGE_LINK = "appointment link"  # the token is bound to the signed link in the URL
OFFER_LINK = "offer link"
EXEMPT = "no cookie authority"  # see the module docstring

FORMS: dict[str, str] = {
    "/start": BEFORE_SESSION,
    "/resume": BEFORE_SESSION,
    "/auth/magic": BEFORE_SESSION,
    "/staff/login": BEFORE_SESSION,
    **{
        f"/intake{step}": PATIENT_SESSION
        for step in ("/about", "/surgeries", "/symptoms", "/care", "/red-flags", "/documents")
    },
    **{f"/intake/appointment/{change}": BOOKED_PATIENT for change in ("confirm", "reschedule")},
    **{f"/appointment/{{token}}/{change}": MANAGE_LINK for change in ("confirm", "reschedule")},
    "/appointment/offer/{token}": OFFER_LINK,
    "/staff/queues/{queue}/claim": CONSOLE,
    "/staff/intakes/{intake_id}/release": CONSOLE,
    "/staff/intakes/{intake_id}/override": CONSOLE,
    "/staff/intakes/{intake_id}/findings": CONSOLE,
    "/staff/intakes/{intake_id}/documents/{document_id}/review": CONSOLE,
    "/staff/intakes/{intake_id}/book": CONSOLE,
    "/staff/intakes/{intake_id}/offer": CONSOLE,
    "/staff/calendar/cancel": CONSOLE,
    "/staff/calendar/close": CONSOLE,
    "/unsubscribe/{token}": EXEMPT,
    "/unsubscribe/{token}/resume": BEFORE_SESSION,
    # Last: each of these ends what the forms after it would need.
    "/appointment/{token}/cancel": MANAGE_LINK,
    "/intake/appointment/cancel": BOOKED_PATIENT,
    "/intake/submit": PATIENT_SESSION,
    "/staff/logout": CONSOLE,
}
REFUSAL = "out of date"  # every CSRF refusal page says the form was out of date


def _routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
            continue
        yield prefix + getattr(route, "path", ""), route


def html_form_routes(app: FastAPI) -> set[str]:
    """Every POST the browser pages can make: all POSTs outside the JSON API."""
    return {
        path
        for path, route in _routes(app.routes)
        if "POST" in (getattr(route, "methods", None) or ())
        and not path.startswith(("/api/", "/fhir/"))
    }


def test_every_html_form_is_listed_with_its_token(client: TestClient) -> None:
    assert isinstance(client.app, FastAPI)

    assert html_form_routes(client.app) == set(FORMS)


@dataclass
class World:
    """Browsers with sessions of each kind, and the records the forms act on."""

    app: Any
    settings: Settings
    patient: TestClient
    other_patient: TestClient
    booked: TestClient
    console: Console
    other_console: Console
    anonymous: TestClient
    other_anonymous: TestClient
    intake_id: str
    document_id: str
    appointment_id: uuid.UUID
    manage_token: str
    offer_token: str
    slot_id: str
    magic_token: str
    optout_token: str
    clients: list[TestClient] = field(default_factory=list)

    def path(self, template: str) -> str:
        if template.startswith("/unsubscribe/"):
            return template.format(token=self.optout_token)
        return template.format(
            token=self.offer_token
            if template.startswith("/appointment/offer")
            else self.manage_token,
            queue="urgent",
            intake_id=self.intake_id,
            document_id=self.document_id,
        )

    def browser(self, kind: str) -> TestClient:
        return {
            PATIENT_SESSION: self.patient,
            BOOKED_PATIENT: self.booked,
            CONSOLE: self.console.client,
        }.get(kind, self.anonymous)

    def genuine_token(self, kind: str, template: str) -> str:
        if kind == PATIENT_SESSION:
            return form_token(self.patient, "/intake/about")
        if kind == BOOKED_PATIENT:
            # What the appointment page renders for this cookie (web/csrf.py).
            cookie = self.booked.cookies[PATIENT_COOKIE]
            return web_csrf.token_for(cookie, secret_key=self.settings.secret_key)
        if kind == CONSOLE:
            return self.console.csrf
        if kind == BEFORE_SESSION:
            return csrf_in(self.anonymous.get(_page_of(template, self)).text)
        token = self.offer_token if kind == OFFER_LINK else self.manage_token
        return link_csrf(token, self.settings)

    def other_sessions_token(self, kind: str, template: str) -> str:
        if kind == PATIENT_SESSION:
            return form_token(self.other_patient, "/intake/about")
        if kind == BOOKED_PATIENT:
            return form_token(self.patient, "/intake/about")
        if kind == CONSOLE:
            return self.other_console.csrf
        if kind == BEFORE_SESSION:
            return csrf_in(self.other_anonymous.get(_page_of(template, self)).text)
        expires = utcnow() + timedelta(days=3)
        another_link = links.sign(self.settings.secret_key, links.MANAGE, uuid.uuid4(), expires)
        return link_csrf(another_link, self.settings)


def _page_of(form: str, world: World) -> str:
    """The page a pre-session form is on (which sets the nonce cookie)."""
    return {
        "/start": "/",
        "/resume": "/resume",
        "/auth/magic": f"/auth/magic?token={world.magic_token}",
        "/staff/login": "/staff/login",
        # The opted-out page, which shows the form (the fixture opted the patient out).
        "/unsubscribe/{token}/resume": f"/unsubscribe/{world.optout_token}",
    }[form]


def _fields(template: str, world: World) -> dict[str, str]:
    """A well-formed form, so that only the token decides."""
    return {
        "/start": PATIENT,
        "/resume": {"email": PATIENT["email"]},
        "/auth/magic": {"token": world.magic_token},
        "/staff/login": {"email": world.console.user.email, "password": "wrong", "next": "/staff"},
        "/appointment/{token}/reschedule": {"slot_id": world.slot_id},
        "/intake/appointment/reschedule": {"slot_id": world.slot_id},
        "/appointment/offer/{token}": {"choice": "0"},
        "/staff/intakes/{intake_id}/override": {"route": "clinician_triage", "reason": "test"},
        "/staff/intakes/{intake_id}/documents/{document_id}/review": {"status": "reviewed"},
        "/staff/calendar/cancel": {"appointment_id": str(world.appointment_id)},
        "/staff/calendar/close": {"appointment_id": str(world.appointment_id)},
    }.get(template, {})


def _post(browser: TestClient, template: str, world: World, token: str | None) -> httpx2.Response:
    data = {**_fields(template, world), **({"csrf_token": token} if token is not None else {})}
    url = world.path(template)
    if template == "/intake/documents":  # multipart, the file after the fields
        files = {"file": ("note.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
        data = {"kind": "operative_note", **data}
        return browser.post(url, data=data, files=files, follow_redirects=False)
    return browser.post(url, data=data, follow_redirects=False)


def _patient_of(intake_id: str) -> uuid.UUID:
    with UnitOfWork() as uow:
        return uow.session.get_one(Intake, uuid.UUID(intake_id)).patient_id


def _new_browser(app: Any) -> TestClient:
    return TestClient(app)


def _started_on_the_web(browser: TestClient, email: str) -> None:
    token = form_token(browser, "/")
    response = browser.post("/start", data={**PATIENT, "email": email, "csrf_token": token})
    assert response.status_code == 201, response.text


@pytest.fixture
def world(client: TestClient, settings: Settings) -> Iterator[World]:
    app = client.app
    patient, other_patient, booked, anonymous, other_anonymous = (
        _new_browser(app) for _ in range(5)
    )
    _started_on_the_web(patient, "ada@example.com")
    _started_on_the_web(other_patient, "grace@example.com")
    clinic = Clinic(client)
    clinic.clinician()
    slots = clinic.slots("regenerative")
    routed = submitted_by_patient(client, email="mary@example.com")
    run_worker(routed.id, settings)
    appointment = clinic.booked(routed.id, slots[0]["id"])
    booked.cookies.set(PATIENT_COOKIE, routed.token)
    second = submitted_by_patient(client, email="emmy@example.com")
    run_worker(second.id, settings)
    offered = client.post(
        f"/api/v1/intakes/{second.id}/offers",
        headers=clinic.staff,
        json={"slot_ids": [slots[1]["id"], slots[2]["id"]]},
    )
    assert offered.status_code == 201, offered.text
    expires = utcnow() + timedelta(days=3)
    key = settings.secret_key
    with UnitOfWork() as uow:
        stmt = select(Document.id).where(Document.intake_id == uuid.UUID(routed.id))
        document_id = str(uow.session.scalars(stmt).first())
    appointment_id = uuid.UUID(appointment["id"])
    built = World(
        app=app,
        settings=settings,
        patient=patient,
        other_patient=other_patient,
        booked=booked,
        console=console_as(_new_browser(app)),
        other_console=console_as(_new_browser(app)),
        anonymous=anonymous,
        other_anonymous=other_anonymous,
        intake_id=routed.id,
        document_id=document_id,
        appointment_id=appointment_id,
        manage_token=links.sign(key, links.MANAGE, appointment_id, expires),
        offer_token=links.sign(key, links.PICK, uuid.UUID(offered.json()["id"]), expires),
        slot_id=slots[3]["id"],
        magic_token=magic_link(client, "ada@example.com"),
        optout_token=optout.token_for(_patient_of(routed.id), key),
    )
    off = anonymous.post(f"/unsubscribe/{built.optout_token}")
    assert off.status_code == 200, off.text
    yield built
    for browser in (patient, other_patient, booked, anonymous, other_anonymous):
        browser.close()
    built.console.client.close()
    built.other_console.client.close()


def _is_refusal(response: httpx2.Response) -> bool:
    return response.status_code == 403 and REFUSAL in response.text


def test_every_form_refuses_a_missing_forged_or_borrowed_token(world: World) -> None:
    wrong = []
    for template, kind in FORMS.items():
        if kind == EXEMPT:
            continue
        browser = world.browser(kind)
        world.genuine_token(kind, template)  # load the page first, as a browser would
        before = snapshot()
        attempts = {
            "no token": None,
            "empty": "",
            "forged": "0" * 64,
            "non-ASCII": "\u00e9" * 64,
            "another session's": world.other_sessions_token(kind, template),
        }
        for name, token in attempts.items():
            response = _post(browser, template, world, token)
            if not _is_refusal(response):
                wrong.append(f"{template} with {name} token: {response.status_code}")
        if snapshot() != before:
            wrong.append(f"{template}: a refused post changed the database")
    assert wrong == []

    # The genuine token gets past the check, in an order where no form undoes the next.
    for template, kind in FORMS.items():
        if kind == EXEMPT:
            continue
        token = world.genuine_token(kind, template)
        response = _post(world.browser(kind), template, world, token)
        if _is_refusal(response):
            wrong.append(f"{template} refused its genuine token")
    assert wrong == []


def test_the_one_click_unsubscribe_needs_no_cookie_and_no_form_token(
    world: World, settings: Settings
) -> None:
    """RFC 8058: the mail client posts `List-Unsubscribe=One-Click` with nothing else."""
    stranger = _new_browser(world.app)

    off = stranger.post(
        f"/unsubscribe/{world.optout_token}", data={"List-Unsubscribe": "One-Click"}
    )

    assert off.status_code == 200
    assert 'id="opted-out"' in off.text
    # Only the nonce the page's own "send reminders again" form needs; no session.
    assert PATIENT_COOKIE not in off.headers.get("set-cookie", "")
