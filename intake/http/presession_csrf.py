"""CSRF tokens for the patient forms that come before any session: start, resume, sign in.

These forms set the patient cookie (or ask for a sign-in link), so a forged post could
sign a browser in to an intake the attacker started and have the patient type their
history into it ("login CSRF"). With no session yet to derive a token from, the page sets
a random nonce cookie and the form carries an HMAC of it under the server secret, as the
console's login form does (console/csrf.py): another site can neither read the HttpOnly
cookie nor compute the HMAC. The purpose string keeps these tokens from passing anywhere
else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from intake.config import Settings
from intake.http.cookies import SAME_SITE, secure_cookies

FIELD: Final = "csrf_token"
NONCE_COOKIE: Final = "form_nonce"
_PURPOSE: Final = b"intake-presession-form-csrf\x00"
# Long enough for a patient to fill in the start page slowly; a fresh page renews it.
_NONCE_MAX_AGE: Final = 12 * 3600


def _token_for(nonce: str, settings: Settings) -> str:
    key = settings.secret_key.encode()
    return hmac.new(key, _PURPOSE + nonce.encode(), hashlib.sha256).hexdigest()


def render_form(
    templates: Jinja2Templates,
    request: Request,
    name: str,
    context: Mapping[str, Any],
    settings: Settings,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The page with a form token in `csrf_token`, and the nonce cookie it belongs to.

    An existing nonce is kept, so two open tabs both keep working.
    """
    nonce = request.cookies.get(NONCE_COOKIE) or secrets.token_urlsafe(32)
    page = {**context, "csrf_token": _token_for(nonce, settings)}
    response = templates.TemplateResponse(
        request, name, page, status_code=status_code, headers=dict(headers or {})
    )
    response.set_cookie(
        NONCE_COOKIE,
        nonce,
        max_age=_NONCE_MAX_AGE,
        httponly=True,
        samesite=SAME_SITE,
        secure=secure_cookies(settings),
    )
    return response


def is_valid(request: Request, submitted: str | None, settings: Settings) -> bool:
    nonce = request.cookies.get(NONCE_COOKIE)
    if not nonce or not submitted:
        return False
    # Bytes, not str: compare_digest refuses non-ASCII str with a TypeError (a 500).
    return hmac.compare_digest(submitted.encode(), _token_for(nonce, settings).encode())
