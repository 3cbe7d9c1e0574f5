"""Queries for documents."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.documents.models import Document, DocumentKind


def by_hash(session: Session, intake_id: uuid.UUID, sha256: str) -> Document | None:
    stmt = select(Document).where(Document.intake_id == intake_id, Document.sha256 == sha256)
    return session.scalars(stmt).one_or_none()


def for_intake(session: Session, intake_id: uuid.UUID) -> list[Document]:
    stmt = (
        select(Document)
        .where(Document.intake_id == intake_id)
        .order_by(Document.created_at, Document.id)
    )
    return list(session.scalars(stmt))


def kinds_present(session: Session, intake_id: uuid.UUID) -> set[DocumentKind]:
    stmt = select(Document.kind).where(Document.intake_id == intake_id).distinct()
    return set(session.scalars(stmt))


def get(session: Session, document_id: uuid.UUID) -> Document | None:
    return session.get(Document, document_id)
