"""HTTP routes, one module per concern."""

from __future__ import annotations

from typing import Any

from fastapi import Request

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
