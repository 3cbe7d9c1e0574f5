"""The few static files the pages load, served by name from intake/web/static.

Only the names listed here are served, so a path parameter can never reach another file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import APIRouter
from fastapi.responses import FileResponse

from intake.errors import NotFound

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "web" / "static"
_MEDIA_TYPES: Final = {"timezone.js": "text/javascript"}

router = APIRouter(include_in_schema=False)


@router.get("/assets/{name}")
def asset(name: str) -> FileResponse:
    media_type = _MEDIA_TYPES.get(name)
    if media_type is None:
        raise NotFound("No such file.")
    # Public, unchanging between releases, and tiny: a day in caches is plenty.
    headers = {"Cache-Control": "public, max-age=86400"}
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=headers)
