"""Request latency by route template: the matched route's path, never the raw URL, so
ids never become label values and the number of series stays fixed."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intake.metrics.events import REQUEST_DURATION

# No route matched (a 404 for an unknown path, or a 405): one series for all of them.
UNMATCHED = "unmatched"
# Any other method a client invents shares one label value too.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app raises before it responds

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            # The router wrote the matched route into this same scope dict.
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"] if scope["method"] in METHODS else "other"
            REQUEST_DURATION.labels(
                method=method, route=route, status_class=f"{status // 100}xx"
            ).observe(time.perf_counter() - started)
