"""The console's Jinja2 environment: its own templates, and times in the clinic's zone."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

from intake.config import get_settings

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def clinic_time(value: datetime | date | None) -> str:
    """Staff read every time in the clinic's own timezone, with its abbreviation."""
    if value is None:
        return "—"
    if not isinstance(value, datetime):
        return value.isoformat()
    local = value.astimezone(ZoneInfo(get_settings().clinic_timezone))
    return local.strftime("%Y-%m-%d %H:%M %Z")


def duration(hours: float | None) -> str:
    """An age in hours, as a person says it: "35 min", "5.2 h", "3 d 4 h"."""
    if hours is None:
        return "—"
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{hours:.1f} h"
    days, rest = divmod(round(hours), 24)
    return f"{days} d {rest} h"


def label(code: str | None) -> str:
    """A code as words: "surgical_revision" -> "Surgical revision"."""
    if not code:
        return "—"
    text = code.replace("_", " ")
    return text[:1].upper() + text[1:]


templates.env.filters["clinic_time"] = clinic_time
templates.env.filters["duration"] = duration
templates.env.filters["label"] = label
