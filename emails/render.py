"""Jinja2 rendering: autoescaped HTML, StrictUndefined, one shared layout."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@dataclass(frozen=True)
class ClinicContact:
    """What every email may say about the sender; the layout shows it on each message.

    `email` is the clinic's own address, used as the ORGANIZER of calendar invitations;
    without it an invitation goes out with no organizer.
    """

    name: str
    phone: str
    email: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email. `content_type` may carry parameters, which are kept
    on the MIME part (a calendar invitation needs `method=REQUEST` there)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


@lru_cache
def environment() -> Environment:
    # StrictUndefined: a template that names a missing field fails loudly instead of
    # sending an email with a hole in it.
    return Environment(
        loader=PackageLoader("emails", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render(
    template: str,
    subject: str,
    data: Any,
    clinic: ClinicContact,
    *,
    derived: Mapping[str, Any] | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> RenderedEmail:
    """Render `template`.html and `template`.txt with the fields of dataclass `data`,
    plus `derived` values computed from them (formatted times, say)."""
    context: dict[str, Any] = {
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
        **(derived or {}),
        **asdict(data),
    }
    env = environment()
    return RenderedEmail(
        subject=subject,
        text=env.get_template(f"{template}.txt").render(context),
        html=env.get_template(f"{template}.html").render(context),
        attachments=attachments,
    )
