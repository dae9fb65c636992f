"""POST /v1/solve: a synchronous solve, run in the worker pool (the event loop stays free)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from optimiser.errors import InputError
from optimiser.model import Solution

from ..db import unpack
from ..deps import ProblemBody, Refused, TenantDep, json_body, queue_room
from ..jobs import FINISHED
from ..schemas import Error
from ..tasks import refusal
from . import AUTH_ERRORS, INPUT_ERRORS, TIMEOUT

router = APIRouter(prefix="/v1", tags=["solve"])


@router.post(
    "/solve",
    response_model=Solution,
    dependencies=[Depends(queue_room)],
    openapi_extra=json_body("Problem"),
    responses={
        **AUTH_ERRORS,
        **INPUT_ERRORS,
        **TIMEOUT,
        409: {"model": Error, "description": "The solve was cancelled"},
        500: {"model": Error, "description": "The solver failed (a bug; the job id is in X-Job-Id)"},
    },
)
async def solve(
    problem: ProblemBody,
    request: Request,
    tenant: TenantDep,
    time_limit: float | None = Query(
        default=None, gt=0, le=1e6, description="Seconds; default the problem's options; capped by the server."
    ),
    seed: int | None = Query(default=None, ge=0, le=2**31 - 1),
) -> Response:
    """Solve and return the roster. For long solves use ``POST /v1/jobs`` instead."""
    settings = request.app.state.settings
    runner = request.app.state.runner
    limit = min(time_limit or problem.time_limit_seconds, settings.sync_time_limit)
    job_id = (await run_in_threadpool(runner.submit, tenant.id, problem, kind="sync", time_limit=limit, seed=seed))["id"]
    headers = {"X-Job-Id": job_id}
    state = None
    while state not in FINISHED:
        try:
            state = await runner.wait(job_id, timeout=1.0)
        except TimeoutError:
            if await request.is_disconnected():  # nobody will read the answer
                runner.cancel(tenant.id, job_id)
                raise HTTPException(499, "client closed the request") from None
    row = request.app.state.db.read("SELECT solution, error, error_kind FROM jobs WHERE id = ?", (job_id,))[0]
    if state == "done":
        return Response(unpack(row["solution"]), media_type="application/json", headers=headers)
    if row["error_kind"] == "input":  # found only while solving, e.g. a home far from every road
        raise Refused(refusal(InputError(row["error"])))
    status = {"timeout": 504, "cancelled": 409}.get(row["error_kind"], 500)
    raise HTTPException(status, row["error"] or f"job {state}", headers=headers)
