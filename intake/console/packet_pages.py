"""The consult packet in the console: a printable page, and its FHIR JSON."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from intake.cases import packet
from intake.console.session import ConsoleRoute, SessionDep, render
from intake.deps import SettingsDep, UowDep
from intake.fhir.router import FhirJSONResponse

router = APIRouter(route_class=ConsoleRoute)


@router.get("/intakes/{intake_id}/packet", response_class=HTMLResponse)
def packet_page(
    request: Request,
    intake_id: uuid.UUID,
    session: SessionDep,
    uow: UowDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """The packet for print (its own print stylesheet); audited as intake.packet."""
    with uow:
        case = packet.read_packet_case(uow, intake_id, staff=session.user, settings=settings)
    return render(request, "packet.html", {"case": case}, session=session)


@router.get("/intakes/{intake_id}/packet.json", response_class=FhirJSONResponse)
def packet_json(
    intake_id: uuid.UUID, session: SessionDep, uow: UowDep, settings: SettingsDep
) -> FhirJSONResponse:
    """The same packet as a FHIR R4 document Bundle, with the console's session."""
    with uow:
        bundle = packet.read_packet_bundle(uow, intake_id, staff=session.user, settings=settings)
    response = FhirJSONResponse(bundle)
    response.headers["Cache-Control"] = "no-store"
    return response
