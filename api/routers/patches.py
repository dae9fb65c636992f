"""POST /v1/patches/evaluate: roster every patch of a commissioner's design and add it up."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from patches.evaluate import DesignResult
from patches.service import EvaluateRequest, evaluate_request

from ..security import TenantDep
from . import AUTH_ERRORS

router = APIRouter(prefix="/v1", tags=["patches"])


@router.post("/patches/evaluate", response_model=DesignResult, responses={**AUTH_ERRORS})
async def evaluate_patches(body: EvaluateRequest, tenant: TenantDep) -> DesignResult:
    """Hours demanded/delivered/undeliverable, carers needed, travel share, cost per contact
    hour and rural/urban equity per patch and for the design (synchronous: keep the
    demand small or the time limits short)."""
    return await run_in_threadpool(evaluate_request, body)
