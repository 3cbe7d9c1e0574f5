"""Security headers on every response, set in one place.

Every response says `X-Content-Type-Options: nosniff` (a JSON error must never be sniffed
into a page) and `Referrer-Policy: no-referrer` (URLs here may carry a link token). HTML
also gets a Content-Security-Policy that allows no inline script and no framing.

A page that set its own CSP keeps it, and ours is sent beside it as a second header:
browsers enforce every policy they receive, so a second one can only narrow what the
first allows, never widen it. The API docs pages are the exception: Swagger UI and ReDoc
are an inline script plus a CDN, and they hold no patient data, so they only get the
framing rule.
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)
DOCS_POLICY: Final = "frame-ancestors 'none'"
_CSP = "content-security-policy"


def _docs_paths(scope: Scope) -> frozenset[str]:
    app = scope.get("app")
    names = ("docs_url", "redoc_url", "swagger_ui_oauth2_redirect_url")
    return frozenset(path for name in names if (path := getattr(app, name, None)))


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] in _docs_paths(scope) else PAGE_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                html = headers.get("content-type", "").startswith("text/html")
                if html and policy not in headers.getlist(_CSP):
                    headers.append("Content-Security-Policy", policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)
