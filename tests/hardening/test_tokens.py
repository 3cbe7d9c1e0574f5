"""Every kind of token, forged, tampered with, expired, replayed or for something else.

Each is refused with a clean 4xx (or the page that says the link does not work), never a
500, and nothing changes. The genuine token is tried too, so each refusal is shown to be
about the token and not about something else in the request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from intake.auth.models import MagicLink
from intake.config import Settings
from intake.console.session import STAFF_COOKIE
from intake.db import UnitOfWork, utcnow
from intake.deps import PATIENT_COOKIE
from intake.intakes.models import Intake, PatientAccessToken
from intake.reminders import optout
from intake.scheduling import links
from intake.scheduling.models import SlotOffer
from intake.staff.models import StaffToken
from tests.conftest import StartedIntake, start_intake
from tests.console.support import console_as
from tests.hardening.support import magic_link, snapshot
from tests.scheduling.support import Clinic, routed_intake
from tests.staff.support import bearer, make_staff
from tests.support import form_token

NON_ASCII = "\u00e9\u2603"  # what a mangled link or a fuzzer sends


def _tampered(token: str) -> str:
    """The same token with its last character changed: a signature or hash that is off by one."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


def _refused(status: int) -> bool:
    return 400 <= status < 500


# --- bearer tokens --------------------------------------------------------------------------


def test_patient_bearer_tokens(client: TestClient) -> None:
    started = start_intake(client)
    url = f"/api/v1/intakes/{started.id}"
    staff = bearer(client, make_staff().email)
    assert client.get(url, headers=started.auth).status_code == 200

    for token in ("x" * 43, _tampered(started.token), "", NON_ASCII, "a.b.c"):
        headers = {b"Authorization": f"Bearer {token}".encode()}
        assert client.get(url, headers=headers).status_code == 401, token
    # A staff member's token does not open a patient's record as the patient.
    assert client.patch(url, headers=staff, json={"answers": {}}).status_code in (401, 403)
    with UnitOfWork() as uow:
        uow.session.execute(update(PatientAccessToken).values(expires_at=utcnow()))
    assert client.get(url, headers=started.auth).status_code == 401


def test_raw_bytes_in_the_authorization_header_are_a_401(client: TestClient) -> None:
    started = start_intake(client)

    response = client.get(
        f"/api/v1/intakes/{started.id}", headers={b"Authorization": b"Bearer \xff\xfe\x00"}
    )

    assert response.status_code == 401


def test_staff_bearer_tokens(client: TestClient, settings: Settings) -> None:
    staff = bearer(client, make_staff().email)
    token = staff["Authorization"].removeprefix("Bearer ")
    assert client.get("/api/v1/staff/me", headers=staff).status_code == 200
    started = start_intake(client)

    for forged in (_tampered(token), "x" * 43, NON_ASCII, started.token):
        headers = {b"Authorization": f"Bearer {forged}".encode()}
        assert client.get("/api/v1/staff/me", headers=headers).status_code == 401, forged
    idle = timedelta(minutes=settings.staff_token_idle_minutes, seconds=1)
    with UnitOfWork() as uow:
        uow.session.execute(update(StaffToken).values(last_used_at=utcnow() - idle))
    assert client.get("/api/v1/staff/me", headers=staff).status_code == 401


def test_staff_tokens_past_their_absolute_expiry(client: TestClient, settings: Settings) -> None:
    staff = bearer(client, make_staff().email)
    absolute = timedelta(hours=settings.staff_token_absolute_hours, seconds=1)
    with UnitOfWork() as uow:
        uow.session.execute(update(StaffToken).values(created_at=utcnow() - absolute))

    assert client.get("/api/v1/staff/me", headers=staff).status_code == 401


# --- magic links ----------------------------------------------------------------------------


def test_magic_links_forged_expired_and_replayed(client: TestClient) -> None:
    start_intake(client)
    token = magic_link(client, "ada@example.com")
    consume = "/api/v1/auth/magic-links/consume"

    for forged in (_tampered(token), "x" * 43, NON_ASCII, ""):
        assert _refused(client.post(consume, json={"token": forged}).status_code), forged
        assert client.get("/auth/magic", params={"token": forged}).status_code == 400, forged

    first = client.post(consume, json={"token": token})
    replay_api = client.post(consume, json={"token": token})
    csrf = form_token(client, "/resume")
    replay_page = client.post("/auth/magic", data={"token": token, "csrf_token": csrf})

    assert first.status_code == 200
    assert replay_api.status_code == 401
    assert replay_page.status_code == 400
    assert PATIENT_COOKIE not in replay_page.headers.get("set-cookie", "")

    expired = magic_link(client, "ada@example.com")
    with UnitOfWork() as uow:
        uow.session.execute(update(MagicLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.post(consume, json={"token": expired}).status_code == 401


# --- signed links: reminder opt-out, appointment management, slot offers -----------------------


def test_reminder_opt_out_tokens(client: TestClient, settings: Settings) -> None:
    started = start_intake(client)
    with UnitOfWork() as uow:
        patient_id = uow.session.get_one(Intake, uuid.UUID(started.id)).patient_id
    genuine = optout.token_for(patient_id, settings.secret_key)
    someone_else = optout.token_for(uuid.uuid4(), settings.secret_key)
    graft = f"{uuid.uuid4().hex}.{genuine.partition('.')[2]}"  # our signature, their id
    other_secret = optout.token_for(patient_id, "another-secret-" + "x" * 32)
    # The resume form's own CSRF token is good, so only the link's token decides.
    form = {"csrf_token": form_token(client, "/")}
    before = snapshot()

    for forged in (
        _tampered(genuine),
        graft,
        other_secret,
        someone_else,
        f"{patient_id.hex}.{NON_ASCII}",
        NON_ASCII,
        "nodot",
    ):
        page = client.get(f"/unsubscribe/{forged}")
        post = client.post(f"/unsubscribe/{forged}")
        again = client.post(f"/unsubscribe/{forged}/resume", data=form)
        assert (page.status_code, post.status_code, again.status_code) == (404, 404, 404), forged
    assert snapshot() == before
    assert client.post(f"/unsubscribe/{genuine}").status_code == 200


@dataclass(frozen=True)
class Booked:
    appointment_id: uuid.UUID
    offer_id: uuid.UUID


@pytest.fixture
def booked(client: TestClient, settings: Settings) -> Booked:
    """One routed intake with an appointment, and another with an open offer of slots."""
    clinic = Clinic(client)
    clinic.clinician()
    slots = clinic.slots("regenerative")
    first = routed_intake(client, settings)
    appointment = clinic.booked(first, slots[0]["id"])
    second = routed_intake(client, settings)
    offered = client.post(
        f"/api/v1/intakes/{second}/offers",
        headers=clinic.staff,
        json={"slot_ids": [slots[1]["id"], slots[2]["id"]]},
    )
    assert offered.status_code == 201, offered.text
    with UnitOfWork() as uow:
        offer = uow.session.get_one(SlotOffer, uuid.UUID(offered.json()["id"]))
        return Booked(appointment_id=uuid.UUID(appointment["id"]), offer_id=offer.id)


def _forgeries(settings: Settings, purpose: str, wrong: str, record: uuid.UUID) -> list[str]:
    key = settings.secret_key
    later = utcnow() + timedelta(days=3)
    genuine = links.sign(key, purpose, record, later)
    return [
        _tampered(genuine),
        links.sign(key, purpose, record, utcnow() - timedelta(seconds=1)),  # expired
        links.sign(key, wrong, record, later),  # a link for the other purpose
        links.sign("another-secret-" + "x" * 32, purpose, record, later),
        links.sign(key, purpose, uuid.uuid4(), later),  # a record that is not there
        genuine.replace(str(int(later.timestamp())), str(int(later.timestamp()) + 86400)),
        f"{genuine.rsplit('.', 1)[0]}.{NON_ASCII}",
        NON_ASCII,
        "a.b.c.d",
    ]


def test_appointment_manage_links(client: TestClient, settings: Settings, booked: Booked) -> None:
    genuine = links.sign(
        settings.secret_key, links.MANAGE, booked.appointment_id, utcnow() + timedelta(days=3)
    )
    assert client.get(f"/appointment/{genuine}").status_code == 200
    before = snapshot()

    for forged in _forgeries(settings, links.MANAGE, links.PICK, booked.appointment_id):
        assert client.get(f"/appointment/{forged}").status_code == 404, forged
        for change in ("confirm", "cancel", "reschedule"):
            response = client.post(f"/appointment/{forged}/{change}", data={"csrf_token": "x"})
            assert response.status_code == 404, (forged, change)
    assert snapshot() == before


def test_slot_offer_links(client: TestClient, settings: Settings, booked: Booked) -> None:
    genuine = links.sign(settings.secret_key, links.PICK, booked.offer_id, utcnow() + timedelta(1))
    assert client.get(f"/appointment/offer/{genuine}").status_code == 200
    before = snapshot()

    for forged in _forgeries(settings, links.PICK, links.MANAGE, booked.offer_id):
        page = client.get(f"/appointment/offer/{forged}")
        assert _refused(page.status_code), forged
        form = client.post(f"/appointment/offer/{forged}", data={"csrf_token": "x", "choice": "0"})
        assert _refused(form.status_code), forged
        api = client.post(f"/api/v1/offers/{forged}/pick", json={"slot_id": "x"})
        assert _refused(api.status_code), forged
    assert snapshot() == before


# --- session cookies ------------------------------------------------------------------------


def test_web_session_cookies(client: TestClient) -> None:
    started: StartedIntake = start_intake(client)
    client.cookies.set(PATIENT_COOKIE, started.token)
    assert client.get("/intake/about", follow_redirects=False).status_code == 200

    for forged in (_tampered(started.token), "x" * 43, NON_ASCII.encode().hex(), ""):
        client.cookies.clear()
        client.cookies.set(PATIENT_COOKIE, forged)
        response = client.get("/intake/about", follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/resume"), forged
    client.cookies.set(PATIENT_COOKIE, started.token)
    with UnitOfWork() as uow:
        uow.session.execute(update(PatientAccessToken).values(expires_at=utcnow()))
    response = client.get("/intake/about", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/resume")


def test_console_session_cookies(client: TestClient, settings: Settings) -> None:
    console = console_as(client)
    token = client.cookies.get(STAFF_COOKIE, path="/staff")
    assert token
    patient = start_intake(client)

    for forged in (_tampered(token), "x" * 43, patient.token):
        client.cookies.clear()
        client.cookies.set(STAFF_COOKIE, forged, path="/staff")
        response = client.get("/staff", follow_redirects=False)
        assert response.status_code == 303, forged
        assert response.headers["location"].startswith("/staff/login"), forged
    client.cookies.clear()
    client.cookies.set(STAFF_COOKIE, token, path="/staff")
    assert console.client.get("/staff", follow_redirects=False).status_code == 200
    idle = timedelta(minutes=settings.staff_token_idle_minutes, seconds=1)
    with UnitOfWork() as uow:
        uow.session.execute(update(StaffToken).values(last_used_at=utcnow() - idle))
    assert client.get("/staff", follow_redirects=False).status_code == 303


# --- CSRF tokens of one kind on a form of another -----------------------------------------


def test_a_csrf_token_only_passes_on_its_own_kind_of_form(client: TestClient) -> None:
    """The patient pages, the console and the pre-session forms sign with their own purposes."""
    console = console_as(client)
    console_token = console.csrf
    presession = form_token(client, "/")
    started = start_intake(client)
    client.cookies.set(PATIENT_COOKIE, started.token)
    patient_token = form_token(client, "/intake/about")

    for token in (console_token, presession):
        response = client.post("/intake/about", data={"csrf_token": token})
        assert response.status_code == 403, token
    for token in (patient_token, presession):
        response = console.client.post("/staff/logout", data={"csrf_token": token})
        assert response.status_code == 403, token
    for token in (patient_token, console_token):
        response = client.post("/resume", data={"email": "ada@example.com", "csrf_token": token})
        assert response.status_code == 403, token
