"""The patient's own export: JSON, or a ZIP of that JSON and their documents."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from intake.deps import PatientTokenDep, StorageDep, UowDep
from intake.intakes.service import authorize_patient
from intake.lifecycle import export
from intake.lifecycle.schemas import IntakeExport

router = APIRouter(prefix="/api/v1/intakes", tags=["export"])


@router.get("/{intake_id}/export")
def export_json(
    intake_id: uuid.UUID, uow: UowDep, token: PatientTokenDep, storage: StorageDep
) -> IntakeExport:
    """Everything held on the intake, for its patient only (staff read it elsewhere)."""
    with uow:
        intake = authorize_patient(uow, token=token, intake_id=intake_id)
        return export.build(uow, intake, storage=storage).data


@router.get(
    "/{intake_id}/export.zip",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def export_zip(
    intake_id: uuid.UUID, uow: UowDep, token: PatientTokenDep, storage: StorageDep
) -> StreamingResponse:
    """export.json plus every document as uploaded, streamed."""
    with uow:
        intake = authorize_patient(uow, token=token, intake_id=intake_id)
        built = export.build(uow, intake, storage=storage)
    # The export is audited and committed before the first byte goes out.
    return StreamingResponse(
        export.stream_zip(built, storage),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="intake-{intake_id}.zip"'},
    )
