"""FastAPI dependencies, in the order a request meets them: who is asking (the API key,
then the tenant's rate limit), whether the queue has room for it, the earlier job a rota
is rolled forward from, and only then the body.

No route declares its body as a parameter, because FastAPI reads and parses declared
bodies before any dependency runs: a stranger's 18 MB POST would be read and parsed
before its 401. Here the body is read after authentication and checked in a task
process (``api.tasks``), never in the web process.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request

from optimiser.intake import Limits, Sources

from .crud import job_result
from .security import Tenant, require_tenant
from .tasks import Boundary, CheckedProblem, Refusal, check_problem, check_problem_after


class RateLimited(Exception):
    """A tenant over its requests a minute; ``retry_after`` in seconds."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"rate limit of {limit} requests a minute for this API key; retry in {retry_after} s")
        self.retry_after = retry_after


class Refused(Exception):
    """A body refused by its checks (413 or 422); answered by ``api.main``."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class RateLimiter:
    """A token bucket per tenant: ``per_minute`` requests a minute, bursts up to as many."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[int, tuple[float, float]] = {}  # tenant -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, tenant_id: int) -> None:
        """Spend one request of ``tenant_id``'s allowance, or raise :class:`RateLimited`."""
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(tenant_id, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * rate)
            if tokens < 1.0:
                self._buckets[tenant_id] = (tokens, now)
                raise RateLimited(self.per_minute, max(1, math.ceil((1.0 - tokens) / rate)))
            self._buckets[tenant_id] = (tokens - 1.0, now)


def current_tenant(request: Request, tenant: Annotated[Tenant, Depends(require_tenant)]) -> Tenant:
    """The tenant owning the request's API key (401 otherwise), within its rate limit (429)."""
    request.app.state.rate_limiter.take(tenant.id)
    return tenant


TenantDep = Annotated[Tenant, Depends(current_tenant)]
"""Route parameter type: ``tenant: TenantDep`` authenticates the request and counts it."""


def queue_room(request: Request, tenant: TenantDep) -> None:
    """429 before the body is read when this tenant's queue (or the server's) is already full."""
    request.app.state.runner.check_room(tenant.id)


def boundary(request: Request) -> Boundary:
    """What a body is checked against, from the service settings."""
    s = request.app.state.settings
    return Boundary(Limits.from_settings(s), Sources(tuple(s.osm_dirs), s.allow_online_fetch))


CHECK_SECONDS = 60.0
"""Wall-clock limit on checking one body (a 20 MB body takes a few seconds)."""


async def run_task(request: Request, fn: Any, *args: Any, timeout: float) -> Any:
    """``fn(body, boundary, *args)`` in a task process; a :class:`Refusal` is raised as :class:`Refused`."""
    body = await request.body()
    result = await request.app.state.tasks.run(fn, body, boundary(request), *args, timeout=timeout, request=request)
    if isinstance(result, Refusal):
        raise Refused(result)
    return result


async def checked_problem(request: Request, tenant: TenantDep) -> CheckedProblem:
    """The request's problem, through every check of the input boundary."""
    return await run_task(request, check_problem, timeout=CHECK_SECONDS)


ProblemBody = Annotated[CheckedProblem, Depends(checked_problem)]
"""Route parameter type: the posted problem, checked (read only after authentication)."""


@dataclass(frozen=True)
class Previous:
    """A finished job of the caller's to roll forward: its id, problem and roster (as stored)."""

    id: str
    problem: bytes
    solution: bytes


PREVIOUS = (
    "Roll last week's rota forward, as `carerota solve --previous` does: the id of one of your "
    "jobs that is done (its problem and roster are read from the service). Each call (same client, "
    "weekday and time) goes first to the carers who did it in that roster, where it still fits, and "
    "that roster's visits count in clients' `known_carers` (the problem stored with the new job, "
    "`GET /v1/jobs/{id}/problem`, is the one solved, with those counts). 404 when you have no such "
    "job, 409 when it has no roster (not done), 422 when its roster cannot be read against its problem."
)


def previous_job(
    request: Request,
    tenant: TenantDep,
    previous: Annotated[str | None, Query(description=PREVIOUS)] = None,
) -> Previous | None:
    """The job named by ``?previous=`` (None without one), before the body is read: 404 when
    the caller has no such job (another tenant's is none of its business), 409 when it has
    no roster."""
    if previous is None:
        return None
    row = job_result(request.app.state.db, tenant.id, previous)
    if row is None:
        raise HTTPException(404, f"previous: no job {previous!r}")
    if row["solution"] is None:
        why = f"{row['state']}: {row['error']}" if row["error"] else row["state"]
        raise HTTPException(409, f"previous: job {previous!r} has no roster to roll forward (it is {why})")
    return Previous(previous, row["problem"], row["solution"])


PreviousJob = Annotated[Previous | None, Depends(previous_job)]
"""Route parameter type: the earlier job named by the ``previous`` query parameter, or None."""


async def rolled_problem(request: Request, tenant: TenantDep, previous: PreviousJob) -> CheckedProblem:
    """The request's problem through every check of the input boundary and, with
    ``?previous=``, rolled forward from that job (``api.tasks.check_problem_after``)."""
    if previous is None:
        return await run_task(request, check_problem, timeout=CHECK_SECONDS)
    return await run_task(request, check_problem_after, previous.problem, previous.solution, timeout=CHECK_SECONDS)


RolledProblemBody = Annotated[CheckedProblem, Depends(rolled_problem)]
"""Route parameter type: the posted problem, checked, rolled forward when ``?previous=`` names a job."""


def json_body(schema: str) -> dict[str, Any]:
    """``openapi_extra`` declaring a JSON request body of component ``schema`` (bodies are
    read by the dependencies above, so FastAPI cannot see them)."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}}
