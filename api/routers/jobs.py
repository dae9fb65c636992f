"""Queued solves: submit, watch, fetch, cancel, delete, list (a tenant sees only its own jobs)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from geo.export import for_day
from optimiser.model import Problem, Solution

from ..db import unpack
from ..deps import PreviousJob, RolledProblemBody, TenantDep, json_body, queue_room
from ..jobs import FINISHED
from ..schemas import JOB_COLUMNS, Error, Job, JobList, JobState
from ..security import Tenant
from . import AUTH_ERRORS, INPUT_ERRORS, NOT_FOUND, QUERY_ERRORS

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses={**AUTH_ERRORS})
NOT_READY = {409: {"model": Error, "description": "The job has no result (yet)"}}
PREVIOUS_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": Error, "description": "`previous` names no job of this tenant"},
    409: {"model": Error, "description": "`previous` names a job with no roster (queued, running, failed or cancelled)"},
}


def _row(request: Request, tenant: Tenant, job_id: str, columns: str = JOB_COLUMNS) -> Any:
    rows = request.app.state.db.read(
        f"SELECT {columns} FROM jobs WHERE id = ? AND tenant_id = ?", (job_id, tenant.id)
    )
    if not rows:  # another tenant's job is indistinguishable from none
        raise HTTPException(404, f"no job {job_id!r}")
    return rows[0]


@router.post("", status_code=202, response_model=Job, responses={**INPUT_ERRORS, **PREVIOUS_ERRORS},
             dependencies=[Depends(queue_room)], openapi_extra=json_body("Problem"))
def submit_job(
    previous: PreviousJob,
    problem: RolledProblemBody,
    request: Request,
    response: Response,
    tenant: TenantDep,
    time_limit: float | None = Query(
        default=None, gt=0, le=1e6, description="Seconds; default the problem's options; capped by the server."
    ),
    seed: int | None = Query(default=None, ge=0, le=2**31 - 1),
) -> Job:
    """Queue a solve and answer at once with the job (state ``queued``). With ``previous``,
    the solve rolls that job's rota forward (the job records it as ``previous``)."""
    settings = request.app.state.settings
    limit = min(time_limit or problem.time_limit_seconds, settings.job_time_limit)
    row = request.app.state.runner.submit(tenant.id, problem, kind="job", time_limit=limit, seed=seed,
                                          previous=None if previous is None else previous.id)
    response.headers["Location"] = f"/v1/jobs/{row['id']}"
    return Job.from_row(row)


@router.get("", response_model=JobList, responses={**QUERY_ERRORS})
def list_jobs(
    request: Request,
    tenant: TenantDep,
    state: JobState | None = None,
    limit: int = Query(default=50, ge=1, le=1000),
) -> JobList:
    """The caller's jobs, newest first."""
    limit = min(limit, request.app.state.settings.list_limit)
    sql = f"SELECT {JOB_COLUMNS} FROM jobs WHERE tenant_id = ?"
    params: tuple = (tenant.id,)
    if state is not None:
        sql += " AND state = ?"
        params += (state,)
    rows = request.app.state.db.read(sql + " ORDER BY created_at DESC, rowid DESC LIMIT ?", (*params, limit))
    return JobList(jobs=[Job.from_row(r) for r in rows])


@router.get("/{job_id}", response_model=Job, responses={**NOT_FOUND})
def get_job(job_id: str, request: Request, tenant: TenantDep) -> Job:
    """State and progress (elapsed seconds, solutions found, best objective, unassigned)."""
    return Job.from_row(_row(request, tenant, job_id))


@router.get("/{job_id}/solution", response_model=Solution, responses={**NOT_FOUND, **NOT_READY})
def get_solution(job_id: str, request: Request, tenant: TenantDep) -> Response:
    """The roster of a finished job."""
    row = _row(request, tenant, job_id, "state, error, solution")
    if row["solution"] is None:
        raise HTTPException(409, f"job is {row['state']}" + (f": {row['error']}" if row["error"] else ""))
    return Response(unpack(row["solution"]), media_type="application/json")


@router.get("/{job_id}/problem", response_model=Problem, responses={**NOT_FOUND})
def get_problem(job_id: str, request: Request, tenant: TenantDep) -> Response:
    """The problem as submitted (after validation)."""
    row = _row(request, tenant, job_id, "problem")
    return Response(unpack(row["problem"]), media_type="application/json")


@router.get(
    "/{job_id}/geojson",
    response_model=dict[str, Any],
    responses={**NOT_FOUND, **NOT_READY},
)
def get_geojson(
    job_id: str,
    request: Request,
    tenant: TenantDep,
    day: Annotated[date | None, Query(description="Only this calendar day's routes and visits (YYYY-MM-DD; "
                                      "a roster of several days). 404 when the roster has nothing on that day.")] = None,
) -> Any:
    """Road-following route lines (GeoJSON) when the problem used a road network; 409 otherwise."""
    row = _row(request, tenant, job_id, "geojson")
    if row["geojson"] is None:
        raise HTTPException(409, "no road geometry for this job (no road network, or not solved yet)")
    doc = json.loads(unpack(row["geojson"]))
    if day is None:
        return doc
    try:
        return for_day(doc, day)
    except ValueError as e:
        raise HTTPException(404, f"day: {e}") from None


@router.post(
    "/{job_id}/cancel",
    response_model=Job,
    responses={**NOT_FOUND, 409: {"model": Error, "description": "The job had already finished"}},
)
def cancel_job(job_id: str, request: Request, tenant: TenantDep) -> Job:
    """Cancel a queued or running job (a running solver process is killed at once); the
    job stays, ``cancelled``, until it is deleted or the retention period ends."""
    before = request.app.state.runner.cancel(tenant.id, job_id)
    if before is None:
        raise HTTPException(404, f"no job {job_id!r}")
    if before in FINISHED:
        raise HTTPException(409, f"job already finished ({before})")
    return Job.from_row(_row(request, tenant, job_id))


@router.delete("/{job_id}", status_code=204, responses={**NOT_FOUND})
def delete_job(job_id: str, request: Request, tenant: TenantDep) -> Response:
    """Delete a job: its problem, roster and record are erased from the database (a queued
    or running job is cancelled first, its solver process killed)."""
    runner = request.app.state.runner
    if runner.cancel(tenant.id, job_id) is None:
        raise HTTPException(404, f"no job {job_id!r}")
    runner.delete(tenant.id, job_id)
    return Response(status_code=204)
