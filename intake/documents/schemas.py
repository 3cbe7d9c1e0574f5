"""The API's view of documents."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from intake.documents.models import DocumentKind


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: DocumentKind
    media_type: str
    sha256: str
    size_bytes: int
    original_filename: str | None
    created_at: datetime
