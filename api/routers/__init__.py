"""HTTP routes, one module per concern."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request

from optimiser.io import InputError
from optimiser.model import Problem

from ..schemas import Error
from ..security import TenantDep

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Error, "description": "No API key, or an unknown or revoked one"},
    413: {"model": Error, "description": "Body larger than the limit (20 MB by default)"},
}
QUEUE_ERRORS: dict[int | str, dict[str, Any]] = {
    429: {"model": Error, "description": "The solve queue is full; see Retry-After"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Error, "description": "No such job for this tenant"},
}


def queue_room(request: Request, tenant: TenantDep) -> None:
    """Dependency: 429 before the body is validated when the queue is already full
    (dependencies run before body validation, which costs ~10 ms for a 300-visit day).
    Authentication comes first, so strangers learn nothing about the queue."""
    request.app.state.runner.check_room()


def check_osm_file(osm_file: str | None, request: Request, field: str) -> None:
    """Refuse an OSM path outside the server's allowed folders (a tenant must not make the
    server read arbitrary files). Raises InputError, answered as 422."""
    if osm_file is None:
        return
    path = Path(osm_file).expanduser().resolve()
    if not any(path.is_relative_to(d.expanduser().resolve()) for d in request.app.state.settings.osm_dirs):
        raise InputError(
            f"{field}: {osm_file!r} is not one of this server's OSM extracts "
            "(the operator lists the allowed folders in CAREROTA_OSM_DIRS)"
        )


def check_problem_files(problem: Problem, request: Request) -> None:
    network = problem.travel.road_network
    check_osm_file(network.osm_file if network else None, request, "travel.road_network.osm_file")
