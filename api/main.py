"""The FastAPI application: ``create_app(settings)``.

Bad input never becomes a 500: schema and JSON errors are 422 with the field path and
a human message, oversized bodies 413, a full queue 429 with Retry-After. Unexpected
errors are logged by type only (no request data: problems hold health data).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optimiser.errors import InputError, describe_validation_error, field_errors
from patches.service import EvaluateRequest

from .db import Database
from .deps import RateLimited, RateLimiter, Refused
from .jobs import JobRunner, QueueFull
from .routers import jobs, meta, solve, validate
from .routers import patches as patch_designs
from .routers.meta import STATIC, _version
from .schemas import Invalid, ValidateRequest
from .settings import Settings, service_settings
from .tasks import TaskFailed, TaskPool, refusal

log = logging.getLogger("carerota.api")


class _HttpMiddleware:
    """A pure ASGI middleware that acts on HTTP requests only (lifespan passes through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class BodyLimit(_HttpMiddleware):
    """Refuse request bodies over ``limit`` bytes with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        super().__init__(app)
        self.limit = limit

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
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


def _invalid(message: str, errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"detail": jsonable_encoder(errors), "message": message}, status_code=422)


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # bodies are checked in task processes (api.deps); what FastAPI validates is the query
    return _invalid(describe_validation_error(exc), field_errors(exc))  # type: ignore[arg-type]


def _refused(request: Request, exc: Refused) -> JSONResponse:
    if exc.refusal.status == 413:
        return JSONResponse({"detail": exc.refusal.message}, status_code=413)
    return _invalid(exc.refusal.message, exc.refusal.errors)


def _input_error(request: Request, exc: InputError) -> JSONResponse:
    return _refused(request, Refused(refusal(exc)))


def _too_many(request: Request, exc: QueueFull | RateLimited) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after)})


def _task_failed(request: Request, exc: TaskFailed) -> JSONResponse:
    log.error("task failed with %s on %s %s", exc, request.method, request.url.path)
    return JSONResponse({"detail": "internal error"}, status_code=500)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Any:
    """As FastAPI answers, but a 405 names every method the path has (Starlette names only
    those of the first route whose path matched)."""
    if exc.status_code != 405:
        return await http_exception_handler(request, exc)
    methods: set[str] = set()
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute | Route) and route.methods:
                match, _ = route.matches(request.scope)
                if match != Match.NONE:
                    methods |= route.methods
    return JSONResponse({"detail": "Method Not Allowed"}, status_code=405,
                        headers={"Allow": ", ".join(sorted(methods))})


# The viewer talks only to this server; map tiles are the one optional outside source.
VIEWER_CSP = (
    "default-src 'self'; img-src 'self' data: https://tile.openstreetmap.org; "
    "connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
# Swagger UI sets style attributes from script: inline styles, and nothing else, allowed.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class SecurityHeaders(_HttpMiddleware):
    """Headers on every response: a Content-Security-Policy, no MIME sniffing, no referrer,
    no framing; ``Cache-Control: no-store`` on everything but the static assets, since API
    answers carry personal data (names of carers, clients' homes, care needs)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        extra = [
            (b"content-security-policy", (DOCS_CSP if path == "/docs" else VIEWER_CSP).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        if not path.startswith("/static/"):
            extra.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []),
                                                  *((k, v) for k, v in extra if k not in names)]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_SECRET_QUERY = re.compile(r"(?i)([?&][^=&]*(?:key|token|secret|passw|auth)[^=&]*=)[^&\s]*")
_KEY = re.compile(r"crk_[A-Za-z0-9_\-]+")


class RedactSecrets(logging.Filter):
    """Blank API keys out of access-log lines: a key sent in the query string is refused
    (401), but uvicorn would still log the URL it came in."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = _redact(record.msg)
        return True


def _redact(text: str) -> str:
    return _KEY.sub("crk_[redacted]", _SECRET_QUERY.sub(r"\1[redacted]", text))


class ContainErrors(_HttpMiddleware):
    """Answer 500 for an unexpected exception and log only its type and where it was
    raised: the message and a full traceback could quote a client's data, so the
    exception is not passed on to the server's own error logging."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
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


ROUTERS = (solve.router, jobs.router, validate.router, meta.router, patch_designs.router)

# Swagger UI's files, from a package that ships them (the docs page must work offline)
SWAGGER_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus what it cannot see: the request bodies the dependencies read
    (``api.deps.json_body``), and one 422 model (:class:`Invalid`) for every operation."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        _, defs = models_json_schema(
            [(m, "validation") for m in (ValidateRequest, EvaluateRequest, Invalid)],
            ref_template="#/components/schemas/{model}",
        )
        for name, schema in defs.get("$defs", {}).items():
            schemas.setdefault(name, schema)
        default_422 = {"$ref": "#/components/schemas/HTTPValidationError"}
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                answer = operation.get("responses", {}).get("422")
                if answer and answer["content"]["application/json"]["schema"] == default_422:
                    answer["content"]["application/json"]["schema"] = {"$ref": "#/components/schemas/Invalid"}
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        app.openapi_schema = doc
    return app.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service, storing in ``settings.db_path`` (migrated on startup)."""
    settings = settings or service_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.db_path)
        applied = db.migrate()
        if applied:
            log.info("database migrated to version %d", applied[-1])
        runner = JobRunner(db, settings)
        app.state.db, app.state.runner = db, runner
        app.state.tasks = TaskPool(settings.sync_workers)
        app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
        access = logging.getLogger("uvicorn.access")
        if not any(isinstance(f, RedactSecrets) for f in access.filters):
            access.addFilter(RedactSecrets())
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
        docs_url=None,  # served by api.routers.meta from local files, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_ASSETS), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    handlers: dict[Any, Any] = {
        RequestValidationError: _validation_error,
        Refused: _refused,
        QueueFull: _too_many,
        RateLimited: _too_many,
        InputError: _input_error,
        TaskFailed: _task_failed,
        StarletteHTTPException: _http_error,
    }
    for exc_type, handler in handlers.items():
        app.add_exception_handler(exc_type, handler)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(ContainErrors)
    app.add_middleware(SecurityHeaders)
    return app
