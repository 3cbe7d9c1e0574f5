"""Recognise a file by its leading bytes; the filename and Content-Type are never trusted."""

from __future__ import annotations

# DICOM Part 10: a 128-byte preamble, then the "DICM" marker.
DICOM_MARKER_OFFSET = 128
HEAD_BYTES = DICOM_MARKER_OFFSET + 4

ALLOWED_DESCRIPTION = "PDF, JPEG, PNG, DICOM or ZIP"

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),  # an empty archive
)


def sniff(head: bytes) -> str | None:
    """The media type of a file starting with `head`, or None if it is not one we accept."""
    if head[DICOM_MARKER_OFFSET:HEAD_BYTES] == b"DICM":
        return "application/dicom"
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None
