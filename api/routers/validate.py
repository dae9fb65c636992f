"""POST /v1/validate: re-check a roster against every hard rule and compute its KPIs."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from optimiser.validator import ValidationReport

from ..deps import TenantDep, json_body, run_task
from ..tasks import validate_roster
from . import AUTH_ERRORS, INPUT_ERRORS, TIMEOUT

router = APIRouter(prefix="/v1", tags=["validate"])


@router.post("/validate", response_model=ValidationReport, responses={**AUTH_ERRORS, **INPUT_ERRORS, **TIMEOUT},
             openapi_extra=json_body("ValidateRequest"))
async def validate_roster_route(request: Request, tenant: TenantDep) -> Response:
    """Violations (rule, message, carer, visit) and KPIs, from the raw inputs only.

    The body is ``{problem, solution}``; it is checked and validated in a task process,
    under the same limits as a solve (sizes, OSM extracts of this server only)."""
    s = request.app.state.settings
    report = await run_task(request, validate_roster, timeout=s.sync_time_limit + s.job_grace_seconds)
    return Response(report, media_type="application/json")
