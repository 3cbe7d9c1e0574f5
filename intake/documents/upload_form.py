"""The multipart/form-data state machine behind `upload.receive_upload`.

python-multipart's push parser calls back synchronously from `write()`; the callbacks
here keep the form's state and raise the moment a limit is crossed, so a refused body
is never read further. File bytes are only collected, as views of the chunks they
came in (no copy), for the async caller to write to disk: nothing here blocks on I/O,
and nothing is held beyond what the caller has not yet taken.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from intake.config import Settings
from intake.errors import BadRequest, InvalidInput, PayloadTooLarge, problem

# The field whose value picks the cap (`Settings.upload_limit`).
KIND_FIELD = "kind"
MAX_TEXT_FIELDS = 16
MAX_FIELD_BYTES = 8 * 1024
# All header lines of one part together (the parser also caps each line and their count).
MAX_PART_HEADER_BYTES = 8 * 1024
MAX_HEADER_LINE_BYTES = 2 * 1024
MAX_HEADERS_PER_PART = 8
# Clients send at most a CRLF before the first boundary; anything much longer is the
# CR/LF flood of CVE-2024-53981, refused after the chunk that crosses this.
MAX_PREAMBLE_BYTES = 1024
MAX_EPILOGUE_BYTES = 1024
MAX_BOUNDARY_BYTES = 256  # python-multipart's own ceiling (0.0.28+); RFC 2046 says 70
# The most a body we would accept carries besides the file's own bytes, used to refuse
# an oversized Content-Length before reading anything.
MAX_FORM_OVERHEAD_BYTES = (
    MAX_PREAMBLE_BYTES
    + MAX_EPILOGUE_BYTES
    + (MAX_TEXT_FIELDS + 1) * (MAX_PART_HEADER_BYTES + 2 * MAX_BOUNDARY_BYTES + 16)
    + MAX_TEXT_FIELDS * MAX_FIELD_BYTES
)

FileStartHook = Callable[[Mapping[str, str]], None]


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"File is larger than the {limit} byte limit")


class NoFilePart(InvalidInput):
    """The form was complete and well formed but carried no file; `fields` are its text."""

    def __init__(self, file_field: str, fields: dict[str, str]) -> None:
        self.problems = [problem(["body", file_field], "Field required", "missing")]
        super().__init__(self.problems)
        self.fields = fields


def _shown(name: str) -> str:
    """A client-chosen field name, short enough to echo in an error message."""
    return repr(name if len(name) <= 40 else name[:40] + "…")


class _Part(Enum):
    FIELD = "field"
    FILE = "file"


class FormReader:
    """Feed it the body chunk by chunk; read `fields`, `filename` and the file's bytes."""

    def __init__(
        self,
        boundary: bytes,
        *,
        file_field: str,
        settings: Settings,
        on_file_start: FileStartHook | None,
    ) -> None:
        self._file_field = file_field
        self._settings = settings
        self._on_file_start = on_file_start
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.content_type: str | None = None  # as the client declared the file part
        self.file_started = False
        self._file_views: list[memoryview] = []
        self.pending_bytes = 0  # file bytes collected and not yet taken
        self.file_size = 0
        self.cap = settings.max_upload_bytes
        self.ended = False
        self._fed = 0
        self._begun = False
        self._after_end = 0
        self._part: _Part | None = None
        self._field_name = ""
        self._field_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._header_bytes = 0
        try:
            self._parser = MultipartParser(
                boundary,
                callbacks={
                    "on_part_begin": self._part_begin,
                    "on_header_field": self._header_field,
                    "on_header_value": self._header_value_data,
                    "on_header_end": self._header_end,
                    "on_headers_finished": self._headers_finished,
                    "on_part_data": self._part_data,
                    "on_part_end": self._part_end,
                    "on_end": self._end,
                },
                max_header_count=MAX_HEADERS_PER_PART,
                max_header_size=MAX_HEADER_LINE_BYTES,
            )
        except FormParserError as exc:
            raise BadRequest(f"Malformed multipart request: {exc}") from exc

    def feed(self, chunk: bytes) -> None:
        if self.ended:
            # The parser ignores an epilogue, but reading one without end is still work.
            self._after_end += len(chunk)
            if self._after_end > MAX_EPILOGUE_BYTES:
                raise BadRequest("Too much data after the closing multipart boundary")
            return
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            raise BadRequest(f"Malformed multipart body: {exc}") from exc
        self._fed += len(chunk)
        if not self._begun and self._fed > MAX_PREAMBLE_BYTES:
            raise BadRequest(
                f"No multipart boundary within the first {MAX_PREAMBLE_BYTES} bytes of the body"
            )

    def take_file_data(self) -> list[memoryview]:
        """The file bytes collected since the last call, in order; the caller writes them."""
        views, self._file_views = self._file_views, []
        self.pending_bytes = 0
        return views

    def close(self) -> None:
        """The body has ended: it must have been complete, and within the kind's cap."""
        if not self.ended:
            raise BadRequest("The multipart body ended before its closing boundary")
        if not self.file_started:
            raise NoFilePart(self._file_field, self.fields)
        kind = self.fields.get(KIND_FIELD)
        if kind is not None and self.file_size > self._settings.upload_limit(kind):
            raise too_large(self._settings.upload_limit(kind))

    # --- parser callbacks ---------------------------------------------------------------

    def _part_begin(self) -> None:
        self._begun = True
        self._part = None
        self._headers = {}
        self._header_bytes = 0

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_PART_HEADER_BYTES:
            raise BadRequest(f"A multipart part's headers exceed {MAX_PART_HEADER_BYTES} bytes")

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        disposition = self._headers.get(b"content-disposition")
        if disposition is None:
            raise BadRequest("A multipart part has no Content-Disposition header")
        form_data, options = parse_options_header(disposition.decode("latin-1"))
        raw_name = options.get(b"name")
        if form_data != b"form-data" or raw_name is None:
            raise BadRequest("A multipart part is not a named form-data field")
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest("A form field name is not UTF-8") from exc
        if name == self._file_field:
            self._start_file(options.get(b"filename"))
        elif b"filename" in options:
            raise BadRequest(
                f"Unexpected file in field {_shown(name)}; send it as {_shown(self._file_field)}"
            )
        elif name in self.fields:
            raise BadRequest(f"The form field {_shown(name)} appears more than once")
        elif len(self.fields) >= MAX_TEXT_FIELDS:
            raise BadRequest(f"Too many form fields: at most {MAX_TEXT_FIELDS} are accepted")
        else:
            self._part = _Part.FIELD
            self._field_name = name
            self._field_value = bytearray()

    def _start_file(self, raw_filename: bytes | None) -> None:
        if self.file_started:
            raise BadRequest(f"More than one {_shown(self._file_field)} part: send one file")
        # parse_options_header hands back latin-1; browsers and httpx send UTF-8 names.
        self.filename = None if raw_filename is None else raw_filename.decode("utf-8", "replace")
        declared = self._headers.get(b"content-type")
        self.content_type = declared.decode("latin-1") if declared else None
        kind = self.fields.get(KIND_FIELD)
        # Kind first: its own cap applies while reading. Otherwise the overall cap does,
        # and `close` checks the kind's cap once the kind has arrived.
        self.cap = (
            self._settings.upload_limit(kind)
            if kind is not None
            else self._settings.max_upload_bytes
        )
        if self._on_file_start is not None:
            self._on_file_start(dict(self.fields))
        self.file_started = True
        self._part = _Part.FILE

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part is _Part.FILE:
            self.file_size += end - start
            if self.file_size > self.cap:
                raise too_large(self.cap)
            # A view, not a copy: `data` is an immutable chunk nobody else changes.
            self._file_views.append(memoryview(data)[start:end])
            self.pending_bytes += end - start
        elif self._part is _Part.FIELD:
            self._field_value += memoryview(data)[start:end]
            if len(self._field_value) > MAX_FIELD_BYTES:
                raise BadRequest(
                    f"The form field {_shown(self._field_name)} is longer than "
                    f"{MAX_FIELD_BYTES} bytes"
                )

    def _part_end(self) -> None:
        if self._part is _Part.FIELD:
            try:
                self.fields[self._field_name] = self._field_value.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadRequest(
                    f"The form field {_shown(self._field_name)} is not UTF-8 text"
                ) from exc
        self._part = None

    def _end(self) -> None:
        self.ended = True
