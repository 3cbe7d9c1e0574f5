"""Signed links in appointment emails: whoever holds one may act on that one record.

A link names its purpose, the record and an expiry, and carries an HMAC-SHA256 of them
under SECRET_KEY, so nothing is stored and nothing can be forged or re-aimed at another
appointment. A purpose keeps an offer link from opening an appointment and vice versa.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from typing import Final

MANAGE: Final = "appointment"  # confirm, cancel or reschedule one appointment
PICK: Final = "offer"  # choose one of the slots a coordinator offered


class BadLink(Exception):
    """Forged, altered, expired or for something else."""


def _mac(key: str, body: str) -> str:
    digest = hmac.new(key.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(key: str, purpose: str, record_id: uuid.UUID, expires_at: datetime) -> str:
    body = f"{purpose}.{record_id.hex}.{int(expires_at.timestamp())}"
    return f"{body}.{_mac(key, body)}"


def verify(key: str, purpose: str, token: str, *, now: datetime) -> uuid.UUID:
    """The record id the token was signed for; BadLink otherwise."""
    parts = token.split(".")
    if len(parts) != 4:
        raise BadLink
    body = ".".join(parts[:3])
    # Bytes: compare_digest raises TypeError on a str with non-ASCII characters.
    if not hmac.compare_digest(parts[3].encode(), _mac(key, body).encode()) or parts[0] != purpose:
        raise BadLink
    try:
        record_id = uuid.UUID(hex=parts[1])
        expires_at = datetime.fromtimestamp(int(parts[2]), tz=UTC)
    except ValueError:
        raise BadLink from None
    if now >= expires_at:
        raise BadLink
    return record_id
