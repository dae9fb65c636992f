"""POST /v1/patches/evaluate: roster every patch of a commissioner's design and add it up."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from patches.evaluate import DesignResult

from ..deps import TenantDep, json_body, run_task
from ..tasks import evaluate_design
from . import AUTH_ERRORS, INPUT_ERRORS, TIMEOUT

router = APIRouter(prefix="/v1", tags=["patches"])


@router.post("/patches/evaluate", response_model=DesignResult, responses={**AUTH_ERRORS, **INPUT_ERRORS, **TIMEOUT},
             openapi_extra=json_body("EvaluateRequest"))
async def evaluate_patches(request: Request, tenant: TenantDep) -> Response:
    """Hours demanded/delivered/undeliverable, carers needed, travel share, cost per contact
    hour and rural/urban equity per patch and for the design. Synchronous, in a task
    process: every roster solve is capped by the server's sync time limit and the whole
    evaluation by its job time limit; keep the demand small."""
    s = request.app.state.settings
    result = await run_task(request, evaluate_design, s.sync_time_limit,
                            timeout=s.job_time_limit + s.job_grace_seconds)
    return Response(result, media_type="application/json")
