"""A bare FastAPI app for bench/api.py: the framework's ceiling on this machine.

bench/api.py serves it with the same uvicorn settings as `intake api` (workers, loop,
HTTP parser, proxy headers, access log) and drives it with the same load generator,
so each real endpoint can be read as a share of what FastAPI alone does here.

- `GET /bare`: an `async def` route returning a fixed JSON body. The ceiling.
- `GET /bare-sync`: the same body from a plain `def` route. Every route of the service
  is a plain `def`, so FastAPI runs it (and each plain `def` dependency) on the AnyIO
  thread pool; this shows what one hop there costs.
- `GET /bare-db`: a plain `def` route that sends `SELECT 1` on a pooled SQLAlchemy
  connection (pre-ping on, as the service's engine has) to DATABASE_URL: the floor of
  any endpoint that touches the database once.

Nothing from `intake` is imported, so no part of the service can leak into the ceiling.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, text

# About the size of a small API answer: a few fields, one nested object.
BODY: dict[str, Any] = {
    "id": "3f1c1a9e-8a52-4bb5-9a55-0d6f1a0c2e11",
    "status": "draft",
    "questionnaire_version": "fbss-intake/1",
    "red_flags": None,
    "scores": {"odi_percent": 32, "band": "moderate"},
}


@lru_cache
def _engine() -> Engine:
    return create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)


def create_app() -> FastAPI:
    app = FastAPI(title="bare")

    @app.get("/bare")
    async def bare() -> dict[str, Any]:
        return BODY

    @app.get("/bare-sync")
    def bare_sync() -> dict[str, Any]:
        return BODY

    @app.get("/bare-db")
    def bare_db() -> dict[str, Any]:
        with _engine().connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
        return BODY

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:  # bench/upload_tools.serving waits on this
        return {"status": "ok"}

    return app
