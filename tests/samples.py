"""Small files of each accepted type, made here rather than shipped."""

from __future__ import annotations

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
# Real DICOM files come from tests/documents/dicom_factory.py.
EXECUTABLE = b"MZ\x90\x00" + b"\x00" * 60


def pdf(label: str) -> bytes:
    """A distinct PDF per label, so uploads are not de-duplicated by accident."""
    return PDF + f"% {label}\n".encode()
