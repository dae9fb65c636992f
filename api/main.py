"""The FastAPI application: ``create_app(settings)``.

Bad input never becomes a 500: schema and JSON errors are 422 with the field path and
a human message, oversized bodies 413, a full queue 429 with Retry-After. Unexpected
errors are logged by type only (no request data: problems hold health data).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optimiser.io import InputError, describe_validation_error

from .db import Database
from .jobs import JobRunner, QueueFull
from .routers import jobs, meta, solve, validate
from .routers import patches as patch_designs
from .routers.meta import STATIC, _version
from .settings import Settings

log = logging.getLogger("carerota.api")


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413, self._message())
            return message

        await self.app(scope, limited, send)

    def _message(self) -> str:
        return f"request body is larger than the limit of {self.limit / 1_048_576:g} MB"

    async def _refuse(self, send: Send) -> None:
        await JSONResponse({"detail": self._message()}, status_code=413)(
            {"type": "http"}, _nothing, send
        )


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # input and ctx are dropped: echoing a 20 MB body back helps nobody
    errors = [{"loc": e["loc"], "msg": e["msg"].removeprefix("Value error, "), "type": e["type"]} for e in exc.errors()]
    message = describe_validation_error(exc)  # type: ignore[arg-type]
    content_type = request.headers.get("content-type", "")
    if request.method in ("POST", "PUT") and "json" not in content_type:
        message = f"send the body as JSON with 'Content-Type: application/json' (got {content_type or 'none'}); {message}"
    return JSONResponse({"detail": jsonable_encoder(errors), "message": message}, status_code=422)


def _queue_full(request: Request, exc: QueueFull) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after)})


def _input_error(request: Request, exc: InputError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)


class ContainErrors:
    """Answer 500 for an unexpected exception and log only its type and where it was
    raised: the message and a full traceback could quote a client's data, so the
    exception is not passed on to the server's own error logging."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            log.error("unhandled %s at %s:%s on %s %s", type(exc).__name__, Path(frame.filename).name,
                      frame.lineno, scope["method"], scope["path"])
            if not started:
                await JSONResponse({"detail": "internal error"}, status_code=500)(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service, storing in ``settings.db_path`` (migrated on startup)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.db_path)
        applied = db.migrate()
        if applied:
            log.info("database migrated to version %d", applied[-1])
        runner = JobRunner(db, settings)
        app.state.db, app.state.runner = db, runner
        runner.start()
        try:
            yield
        finally:
            runner.stop()

    app = FastAPI(
        title="carerota",
        version=_version(),
        summary="Home-care roster optimiser: solve, queue, validate",
        lifespan=lifespan,
    )
    app.state.settings = settings
    for router in (solve.router, jobs.router, validate.router, meta.router, patch_designs.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    handlers: dict[Any, Any] = {
        RequestValidationError: _validation_error,
        QueueFull: _queue_full,
        InputError: _input_error,
    }
    for exc_type, handler in handlers.items():
        app.add_exception_handler(exc_type, handler)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(ContainErrors)
    return app
