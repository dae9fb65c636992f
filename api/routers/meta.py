"""Health, JSON Schemas, the embedded example, the roster viewer page and the API docs page."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from optimiser.model import Problem, Solution

from ..schemas import Health

router = APIRouter()
STATIC = Path(__file__).resolve().parent.parent / "static"


@cache
def _version() -> str:
    try:
        return version("carerota")
    except PackageNotFoundError:
        return "0"


@router.get("/health", response_model=Health, tags=["meta"])
def health(request: Request) -> Health:
    """Liveness: the database answers. No key needed, so nothing about anyone's jobs."""
    return Health(status="ok", version=_version(), schema_version=request.app.state.db.schema_version())


@router.get("/v1/schema", tags=["meta"])
def schema(document: Literal["problem", "solution", "both"] = "both") -> dict[str, Any]:
    """JSON Schema of the problem and solution documents (as ``carerota schema``)."""
    docs = _schemas()
    return docs if document == "both" else docs[document]


@cache
def _schemas() -> dict[str, Any]:
    return {"problem": Problem.model_json_schema(), "solution": Solution.model_json_schema()}


@router.get("/v1/example", response_model=Problem, tags=["meta"])
def example() -> Response:
    """The embedded example day (synthetic, no real people), for trying the service."""
    from optimiser.generator import example_problem

    return Response(example_problem().model_dump_json(), media_type="application/json")


@router.get("/", include_in_schema=False)
def viewer() -> FileResponse:
    return FileResponse(STATIC / "index.html")


@router.get("/docs", include_in_schema=False)
def docs() -> FileResponse:
    """Swagger UI from this server's own copy (no CDN: the page works offline)."""
    return FileResponse(STATIC / "docs.html")
