"""Bodies that exist only in the API (job records, errors). Problems, solutions and
validation reports are the core's own models, imported, never copied."""

from __future__ import annotations

import json
import sqlite3
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from optimiser.model import Problem, Progress, Solution

JobState = Literal["queued", "running", "done", "failed", "cancelled"]


class Error(BaseModel):
    """Every 4xx/5xx answer but 422: ``detail`` says what is wrong in words a developer can act on."""

    detail: str


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where: 'body' or 'query', then the path to the field.")
    msg: str
    type: str


class Invalid(BaseModel):
    """A 422 answer: every field at fault, and one paragraph naming them (``message``)."""

    detail: list[FieldError]
    message: str


class Job(BaseModel):
    id: str
    kind: Literal["job", "sync"] = Field(description="'sync' for POST /v1/solve, 'job' for POST /v1/jobs")
    state: JobState
    problem_id: str
    visits: int
    carers: int
    time_limit_seconds: float
    seed: int | None
    attempts: int = Field(description="How many times a solver process started on it (restarts re-queue).")
    created_at: str
    started_at: str | None
    finished_at: str | None
    progress: Progress | None = Field(description="Latest solver report while running (and its last one after).")
    error: str | None = Field(description="Why it failed or was cancelled, or why it was re-queued.")
    previous: str | None = Field(
        description="The job whose roster this one rolled forward (POST /v1/jobs?previous=...); null otherwise.",
    )

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        return cls(
            id=row["id"], kind=row["kind"], state=row["state"], problem_id=row["problem_id"],
            visits=row["visits"], carers=row["carers"], time_limit_seconds=row["time_limit"],
            seed=row["seed"], attempts=row["attempts"], created_at=row["created_at"],
            started_at=row["started_at"], finished_at=row["finished_at"],
            progress=None if row["progress"] is None else Progress.model_validate(json.loads(row["progress"])),
            error=row["error"], previous=row["previous"],
        )


class JobList(BaseModel):
    jobs: list[Job]


class ValidateRequest(BaseModel):
    """A problem and a roster for it."""

    model_config = ConfigDict(extra="forbid")

    problem: Problem
    solution: Solution


class Health(BaseModel):
    """Liveness, for anyone: nothing about any tenant's jobs."""

    status: Literal["ok"]
    version: str
    schema_version: int


JOB_COLUMNS = (
    "id, kind, state, problem_id, visits, carers, time_limit, seed, attempts, created_at, "
    "started_at, finished_at, progress, error, previous"
)
