"""The signed one-click opt-out token: `<patient id>.<HMAC>`, with nothing stored.

It only ever turns reminders off (or back on), so it does not expire: RFC 8058 expects
the link in an old email to keep working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

_PURPOSE = b"reminders-opt-out:"


def _signature(patient_id: uuid.UUID, secret: str) -> str:
    digest = hmac.new(secret.encode(), _PURPOSE + patient_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_for(patient_id: uuid.UUID, secret: str) -> str:
    return f"{patient_id.hex}.{_signature(patient_id, secret)}"


def patient_for(token: str, secret: str) -> uuid.UUID | None:
    """The patient a genuine token names; None for anything forged or malformed."""
    raw_id, _, signature = token.partition(".")
    try:
        patient_id = uuid.UUID(hex=raw_id)
    except ValueError:
        return None
    # Bytes: compare_digest raises TypeError on a str with non-ASCII characters.
    if not hmac.compare_digest(signature.encode(), _signature(patient_id, secret).encode()):
        return None
    return patient_id
