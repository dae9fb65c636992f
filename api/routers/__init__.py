"""HTTP routes, one module per resource; the errors each may answer, declared once."""

from __future__ import annotations

from typing import Any

from ..schemas import Error, Invalid

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Error, "description": "No API key, or an unknown, expired or revoked one"},
    429: {"model": Error, "description": "Over this key's rate limit (or, when queueing, its queue is full); see Retry-After"},
}
INPUT_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": Error, "description": "Body over the byte limit (20 MB by default), or a problem over a size "
          "limit (visits, carers, clients, matrix points: CAREROTA_MAX_*)"},
    422: {"model": Invalid, "description": "Not JSON, or not a valid document: every field at fault, and one message"},
}
QUERY_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": Invalid, "description": "A query parameter out of range"},
}
TIMEOUT: dict[int | str, dict[str, Any]] = {
    504: {"model": Error, "description": "The request overran its wall-clock limit"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Error, "description": "No such job for this tenant"},
}
