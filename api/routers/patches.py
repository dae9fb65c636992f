"""POST /v1/patches/evaluate: roster every patch of a commissioner's design and add it up."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from patches.evaluate import DesignResult
from patches.service import EvaluateRequest, evaluate_request

from ..security import TenantDep
from . import AUTH_ERRORS, check_osm_file

router = APIRouter(prefix="/v1", tags=["patches"])


@router.post("/patches/evaluate", response_model=DesignResult, responses={**AUTH_ERRORS})
async def evaluate_patches(body: EvaluateRequest, request: Request, tenant: TenantDep) -> DesignResult:
    """Hours demanded/delivered/undeliverable, carers needed, travel share, cost per contact
    hour and rural/urban equity per patch and for the design. Synchronous: every roster
    solve is capped by the server's sync time limit; keep the demand small."""
    check_osm_file(body.settings.osm_file, request, "settings.osm_file")
    cap = request.app.state.settings.sync_time_limit
    s = body.settings
    body.settings = s.model_copy(update={
        "time_limit": min(s.time_limit or cap, cap),
        "probe_time_limit": min(s.probe_time_limit or cap, cap),
    })
    return await run_in_threadpool(evaluate_request, body)
