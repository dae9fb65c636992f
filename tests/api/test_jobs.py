"""Solving through the API: queued jobs, the synchronous endpoint, cancel, limits, validate."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

from api.db import Database
from api.jobs import JobRunner
from api.security import create_key, tenant_for_key
from api.tasks import checked
from optimiser.model import Problem, Solution
from optimiser.validator import validate
from tests.api import helpers


def _check_roster(problem: Problem, solution: dict) -> Solution:
    roster = Solution.model_validate(solution)
    report = validate(problem, roster)
    assert report.violations == [], report.violations[:3]
    assert roster.kpis == json.loads(json.dumps(report.kpis))  # the validator's numbers
    return roster


def test_job_runs_to_a_valid_roster_with_progress(service, small_problem):
    r = service.client.post("/v1/jobs?time_limit=2&seed=7", content=small_problem.model_dump_json(), headers=service.a)
    assert r.status_code == 202
    job = r.json()
    assert job["state"] == "queued" and r.headers["location"] == f"/v1/jobs/{job['id']}"
    assert (job["visits"], job["carers"], job["seed"], job["time_limit_seconds"]) == (20, 4, 7, 2)
    done = service.wait(job["id"], service.a)
    assert done["state"] == "done", done["error"]
    assert done["attempts"] == 1 and done["finished_at"] >= done["started_at"]
    roster = _check_roster(small_problem, service.client.get(f"/v1/jobs/{job['id']}/solution", headers=service.a).json())
    assert roster.problem_id == small_problem.id
    assert sum(len(r.stops) for r in roster.routes) > 0
    if roster.statistics.solutions:  # the solver reported while it searched
        assert done["progress"] is not None and done["progress"]["solutions"] >= 1
    stored = Problem.model_validate(service.client.get(f"/v1/jobs/{job['id']}/problem", headers=service.a).json())
    assert stored == small_problem


def test_time_limit_is_capped(service, small_problem):
    r = service.client.post("/v1/jobs?time_limit=9999", content=small_problem.model_dump_json(), headers=service.a)
    assert r.json()["time_limit_seconds"] == 5  # settings.job_time_limit
    service.client.delete(f"/v1/jobs/{r.json()['id']}", headers=service.a)


def test_sync_solve_returns_a_valid_roster(service, small_problem):
    r = service.client.post("/v1/solve?time_limit=1", content=small_problem.model_dump_json(), headers=service.a)
    assert r.status_code == 200, r.text
    _check_roster(small_problem, r.json())
    job = service.client.get(f"/v1/jobs/{r.headers['x-job-id']}", headers=service.a).json()
    assert job["kind"] == "sync" and job["state"] == "done"


def test_event_loop_stays_free_during_a_solve(service, example):
    job = service.client.post("/v1/jobs?time_limit=5", content=example.model_dump_json(), headers=service.a).json()
    while service.client.get(f"/v1/jobs/{job['id']}", headers=service.a).json()["state"] == "queued":
        time.sleep(0.05)
    t = time.perf_counter()
    for _ in range(10):
        assert service.client.get("/health").status_code == 200
    assert (time.perf_counter() - t) / 10 < 1.0  # a solve in the web process would block for seconds
    service.client.delete(f"/v1/jobs/{job['id']}", headers=service.a)


def test_cancel_running_job_kills_the_solver(service, example):
    job = service.client.post("/v1/jobs?time_limit=5", content=example.model_dump_json(), headers=service.a).json()
    while service.client.get(f"/v1/jobs/{job['id']}", headers=service.a).json()["state"] == "queued":
        time.sleep(0.05)
    runner = service.client.app.state.runner
    while job["id"] not in runner._running:
        time.sleep(0.01)
    pid = runner._running[job["id"]].process.pid
    t = time.monotonic()
    r = service.client.post(f"/v1/jobs/{job['id']}/cancel", headers=service.a)
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert r.json()["error"] == "cancelled by the client"
    while helpers.alive(pid):
        assert time.monotonic() - t < 3, "solver process still alive"
        time.sleep(0.05)
    time.sleep(0.3)
    assert service.client.get(f"/v1/jobs/{job['id']}", headers=service.a).json()["state"] == "cancelled"
    assert service.client.get(f"/v1/jobs/{job['id']}/solution", headers=service.a).status_code == 409
    # a finished job cannot be cancelled; deleting it erases it
    assert service.client.post(f"/v1/jobs/{job['id']}/cancel", headers=service.a).status_code == 409
    assert service.client.delete(f"/v1/jobs/{job['id']}", headers=service.a).status_code == 204
    assert service.client.get(f"/v1/jobs/{job['id']}", headers=service.a).status_code == 404


def test_cancel_queued_job_and_done_job(service, small_problem):
    body = small_problem.model_dump_json()
    first = service.client.post("/v1/jobs?time_limit=1", content=body, headers=service.a).json()
    second = service.client.post("/v1/jobs?time_limit=1", content=body, headers=service.a).json()
    r = service.client.post(f"/v1/jobs/{second['id']}/cancel", headers=service.a)
    assert r.json()["state"] == "cancelled" and r.json()["attempts"] == 0
    assert service.wait(first["id"], service.a)["state"] == "done"
    r = service.client.delete(f"/v1/jobs/{first['id']}", headers=service.a)
    assert r.status_code == 204 and r.content == b""
    for suffix in ("", "/problem", "/solution"):
        assert service.client.get(f"/v1/jobs/{first['id']}{suffix}", headers=service.a).status_code == 404
    assert service.client.delete(f"/v1/jobs/{first['id']}", headers=service.a).status_code == 404


def test_deleting_a_running_job_kills_its_solver_and_erases_it(service, example):
    job = service.client.post("/v1/jobs?time_limit=5", content=example.model_dump_json(), headers=service.a).json()
    runner = service.client.app.state.runner
    while job["id"] not in runner._running:
        time.sleep(0.01)
    pid = runner._running[job["id"]].process.pid
    assert service.client.delete(f"/v1/jobs/{job['id']}", headers=service.a).status_code == 204
    t = time.monotonic()
    while helpers.alive(pid):
        assert time.monotonic() - t < 3, "solver process still alive"
        time.sleep(0.05)
    time.sleep(0.5)  # the dispatcher reaps it and stores nothing for a deleted job
    for suffix in ("", "/problem", "/solution"):
        assert service.client.get(f"/v1/jobs/{job['id']}{suffix}", headers=service.a).status_code == 404
    assert service.client.app.state.db.read("SELECT COUNT(*) AS n FROM jobs")[0]["n"] == 0


def test_list_filters_by_state(service, small_problem):
    body = small_problem.model_dump_json()
    jobs = [service.client.post("/v1/jobs?time_limit=1", content=body, headers=service.a).json() for _ in range(2)]
    service.client.post(f"/v1/jobs/{jobs[1]['id']}/cancel", headers=service.a)
    service.wait(jobs[0]["id"], service.a)
    listed = service.client.get("/v1/jobs", headers=service.a).json()["jobs"]
    assert [j["id"] for j in listed] == [jobs[1]["id"], jobs[0]["id"]]  # newest first
    cancelled = service.client.get("/v1/jobs?state=cancelled", headers=service.a).json()["jobs"]
    assert [j["id"] for j in cancelled] == [jobs[1]["id"]]


def test_validate_endpoint_matches_the_validator(service, small_problem):
    solved = service.client.post("/v1/solve?time_limit=1", content=small_problem.model_dump_json(), headers=service.a).json()
    body = {"problem": json.loads(small_problem.model_dump_json()), "solution": solved}
    report = service.client.post("/v1/validate", json=body, headers=service.a).json()
    assert report["violations"] == []
    assert report["kpis"] == json.loads(json.dumps(validate(small_problem, Solution.model_validate(solved)).kpis))
    # break the roster: stretch the first stop past its window
    broken = json.loads(json.dumps(solved))
    route = next(r for r in broken["routes"] if r["stops"])
    route["stops"][0]["start"] = route["stops"][0]["end"] = "2026-11-23T23:59:00"
    body["solution"] = broken
    report = service.client.post("/v1/validate", json=body, headers=service.a).json()
    assert report["violations"]
    assert {"rule", "message", "carer", "visit"} <= set(report["violations"][0])


# --------------------------------------------------------------------------- the runner's limits


def _runner(tmp_path, target, **overrides) -> tuple[Database, JobRunner, int]:
    from api.settings import Settings

    db = Database(tmp_path / "runner.db")
    db.migrate()
    tenant = tenant_for_key(db, create_key(db, "t"))
    return db, JobRunner(db, Settings(db_path=db.path, workers=1, **overrides), target=target), tenant.id


@contextmanager
def _started(runner: JobRunner) -> Iterator[JobRunner]:
    runner.start()
    try:
        yield runner
    finally:
        runner.stop()


def _wait_state(runner: JobRunner, job_id: str, timeout: float = 20) -> str:
    end = time.monotonic() + timeout
    while (state := runner.state(job_id)) in ("queued", "running") and time.monotonic() < end:
        time.sleep(0.05)
    return state


def test_wall_clock_limit_kills_a_hung_solver(tmp_path, small_problem):
    db, runner, tenant = _runner(tmp_path, helpers.hang, job_grace_seconds=0.5)
    with _started(runner):
        job_id = runner.submit(tenant, checked(small_problem), kind="job", time_limit=0.5, seed=None)["id"]
        assert _wait_state(runner, job_id) == "failed"
        row = db.read("SELECT error, error_kind, progress FROM jobs WHERE id = ?", (job_id,))[0]
        assert row["error_kind"] == "timeout" and "wall-clock limit of 1 s" in row["error"]
        assert json.loads(row["progress"])["solutions"] == 0
        end = time.monotonic() + 5
        while runner._running and time.monotonic() < end:  # reaped
            time.sleep(0.05)
        assert not runner._running


def test_crashed_solver_fails_the_job_with_a_reason(tmp_path, small_problem):
    db, runner, tenant = _runner(tmp_path, helpers.crash)
    with _started(runner):
        job_id = runner.submit(tenant, checked(small_problem), kind="job", time_limit=1, seed=None)["id"]
        assert _wait_state(runner, job_id) == "failed"
        row = db.read("SELECT error, error_kind FROM jobs WHERE id = ?", (job_id,))[0]
        assert row["error_kind"] == "crash" and "exit code 3" in row["error"]
        # the pool starts the next job after a crash (which crashes in turn)
        second = runner.submit(tenant, checked(small_problem), kind="job", time_limit=1, seed=None)["id"]
        assert _wait_state(runner, second) == "failed"
        assert db.read("SELECT attempts FROM jobs WHERE id = ?", (second,))[0]["attempts"] == 1


def test_recovery_requeues_then_fails_interrupted_jobs(tmp_path, small_problem):
    db, runner, tenant = _runner(tmp_path, helpers.hang, max_attempts=2)
    job_id = runner.submit(tenant, checked(small_problem), kind="job", time_limit=1, seed=None)["id"]
    sync_id = runner.submit(tenant, checked(small_problem), kind="sync", time_limit=1, seed=None)["id"]
    with db.connect() as c:  # as a crash leaves them
        c.execute("UPDATE jobs SET state = 'running', attempts = 1")
    assert runner.recover() == {"requeued": 1, "failed": 1}
    rows = {r["id"]: r for r in db.read("SELECT id, state, error FROM jobs")}
    assert rows[job_id]["state"] == "queued" and "re-queued" in rows[job_id]["error"]
    assert rows[sync_id]["state"] == "failed" and "synchronous" in rows[sync_id]["error"]
    with db.connect() as c:
        c.execute("UPDATE jobs SET state = 'running', attempts = 2 WHERE id = ?", (job_id,))
    assert runner.recover() == {"requeued": 0, "failed": 1}
    row = db.read("SELECT state, error FROM jobs WHERE id = ?", (job_id,))[0]
    assert row["state"] == "failed" and "2 attempt(s) used" in row["error"]


def test_graceful_shutdown_requeues_running_jobs(settings, example):
    from fastapi.testclient import TestClient

    from api.main import create_app

    app = create_app(settings)
    with TestClient(app) as client:
        headers = {"X-API-Key": create_key(app.state.db, "t"), "Content-Type": "application/json"}
        job = client.post("/v1/jobs?time_limit=5", content=example.model_dump_json(), headers=headers).json()
        runner = app.state.runner
        while job["id"] not in runner._running:
            time.sleep(0.01)
        process = runner._running[job["id"]].process
    assert not process.is_alive()
    row = app.state.db.read("SELECT state, attempts, started_at FROM jobs WHERE id = ?", (job["id"],))[0]
    assert (row["state"], row["attempts"], row["started_at"]) == ("queued", 0, None)


def test_tenants_take_turns_so_a_flood_does_not_hold_back_another_tenant(tmp_path, small_problem):
    db, runner, a = _runner(tmp_path, helpers.crash, tenant_queue_limit=8)
    b = tenant_for_key(db, create_key(db, "other")).id
    flood = [runner.submit(a, checked(small_problem), kind="job", time_limit=1, seed=None)["id"] for _ in range(4)]
    first_b = runner.submit(b, checked(small_problem), kind="job", time_limit=1, seed=None)["id"]
    with _started(runner):
        for job_id in [*flood, first_b]:
            assert _wait_state(runner, job_id) == "failed"
    started = [r["id"] for r in db.read("SELECT id FROM jobs ORDER BY started_at, rowid")]
    # B's only job goes second, not after A's whole flood
    assert started == [flood[0], first_b, *flood[1:]]
