"""The job queue (rows in SQLite) and a bounded pool of solver processes.

Every solve, queued or synchronous, is a row in ``jobs`` and runs in its own process
forked from a ``forkserver`` that has already imported OR-Tools and the engine, so a
start costs milliseconds and cancelling or timing out is a plain ``kill`` that frees
all the memory the solve used. At most ``settings.workers`` processes run at once.

A dispatcher thread in the web process starts queued jobs, receives progress and
results over a pipe, enforces each job's wall-clock limit and stores outcomes. State
changes are conditional updates (``... WHERE state = 'running'``) so a cancel racing a
finishing solve has exactly one winner. At startup, jobs left ``running`` by a crash are
re-queued (up to ``max_attempts`` starts) or failed with a reason; none are dropped.

Logs name job ids, states and counts only: problems hold health data.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import multiprocessing as mp
import os
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from multiprocessing import forkserver
from multiprocessing.connection import Connection, wait
from typing import Any

from .crud import delete_job, purge_expired
from .db import Database, now, pack
from .schemas import JOB_COLUMNS
from .settings import Settings

log = logging.getLogger("carerota.api.jobs")

FINISHED = frozenset({"done", "failed", "cancelled"})
_PRELOAD = ["api.jobs", "api.tasks", "optimiser.model", "optimiser.engine", "optimiser.validator"]


class QueueFull(Exception):
    """No room in the queue; ``retry_after`` is a hint in seconds. The message speaks only
    of the caller's own jobs: other tenants' numbers are none of its business."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(f"{message}; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class _Running:
    job_id: str
    kind: str
    process: Any
    conn: Connection
    started: float
    deadline: float
    time_limit: float
    killed_for: str | None = None
    waiters: list = field(default_factory=list)


# --------------------------------------------------------------------------- the solver process


def _exit_when_server_gone(conn: Connection) -> None:
    """The server never writes to this pipe, so readability means it closed: stop solving."""
    while True:
        if conn.poll(1.0):
            os._exit(70)


def _solve_in_worker(conn: Connection, problem_blob: bytes, time_limit: float, seed: int | None, interval: float,
                     start_blob: bytes | None = None) -> None:
    """Body of a solver process: solve, send progress and the result back, exit
    (``start_blob``: a rolled-forward job's carers per visit, ``api.tasks.CheckedProblem.start``)."""
    try:
        os.nice(5)  # status polls in the web process stay fast while solves run
    except OSError:
        pass
    threading.Thread(target=_exit_when_server_gone, args=(conn,), daemon=True).start()
    from optimiser.io import InputError

    try:
        from optimiser.engine import solve
        from optimiser.model import Problem

        problem = Problem.model_validate_json(zlib.decompress(problem_blob))
        start = None if start_blob is None else json.loads(zlib.decompress(start_blob))
        last = [-math.inf]

        def progress(p: Any) -> None:
            t = time.monotonic()
            if t - last[0] >= interval:
                last[0] = t
                conn.send(("progress", p.model_dump(mode="json")))

        solution = solve(problem, time_limit=time_limit, seed=seed, progress=progress, start=start)
        geojson = _road_geojson(problem, solution)
        conn.send(("done", pack(solution.model_dump_json()), None if geojson is None else pack(geojson)))
    except InputError as err:
        conn.send(("input", str(err)))
    except Exception as err:  # a solver bug: report it on the job rather than lose the process silently
        conn.send(("error", f"solver error ({type(err).__name__}): {err}"))
    conn.close()


def _road_geojson(problem: Any, solution: Any) -> str | None:
    """Road-following route lines when the problem uses a road network and geo is installed."""
    if problem.travel.road_network is None:
        return None
    try:
        from geo import solution_geojson  # type: ignore[attr-defined]
        from optimiser.sources import travel_times

        return json.dumps(solution_geojson(problem, solution, travel_times(problem)))
    except Exception as err:  # geometry is a nicety: the viewer falls back to straight lines
        log.warning("road geometry unavailable (%s)", type(err).__name__)
        return None


# --------------------------------------------------------------------------- the dispatcher

# Jobs waiting: all tenants' and the asking tenant's (for the queue limits).
_QUEUED = "SELECT COUNT(*) AS queued, COALESCE(SUM(tenant_id = ?), 0) AS mine FROM jobs WHERE state = 'queued'"

# Which queued job starts next. A synchronous solve first (a request is waiting on it);
# then tenants take turns: the tenant with the fewest solves running, then the one served
# longest ago (never served first), so a tenant with 8 jobs queued cannot hold back
# another tenant's first one; within a tenant, oldest first.
_NEXT_JOB = """
SELECT j.id, j.kind, j.time_limit, j.seed, j.problem, j.start FROM jobs j
WHERE j.state = 'queued'
ORDER BY j.kind = 'sync' DESC,
    (SELECT COUNT(*) FROM jobs r WHERE r.tenant_id = j.tenant_id AND r.state = 'running'),
    (SELECT MAX(s.started_at) FROM jobs s WHERE s.tenant_id = j.tenant_id),  -- NULL (never served) sorts first
    j.created_at, j.rowid
LIMIT 1
"""


class JobRunner:
    """Owns the queue and the solver processes of one server."""

    def __init__(self, db: Database, settings: Settings, target: Any = None) -> None:
        self.db = db
        self.settings = settings
        # the function a solver process runs (a module-level function: it is pickled by name)
        self.target = target or _solve_in_worker
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(_PRELOAD)
        self._running: dict[str, _Running] = {}
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future]]] = {}
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_purge = 0.0

    # ---- lifecycle

    def start(self) -> None:
        self.recover()
        self._purge()
        forkserver.ensure_running()  # import OR-Tools once now, not on the first job
        self._thread = threading.Thread(target=self._loop, name="carerota-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the dispatcher; running solves are killed and their jobs re-queued."""
        self._stopping.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            running = list(self._running.values())
            self._running.clear()
        for run in running:
            run.process.kill()
            run.process.join(timeout=5)
            run.conn.close()
        with self.db.connect() as c:
            c.execute(
                "UPDATE jobs SET state = 'failed', finished_at = ?, error_kind = 'restart', "
                "error = 'the server shut down during this synchronous solve' "
                "WHERE state = 'running' AND kind = 'sync'",
                (now(),),
            )
            requeued = c.execute(
                "UPDATE jobs SET state = 'queued', started_at = NULL, progress = NULL, "
                "attempts = MAX(attempts - 1, 0) WHERE state = 'running'"
            ).rowcount
        if running:
            log.info("shutdown: stopped %d solve(s), %d job(s) re-queued", len(running), requeued)

    def recover(self) -> dict[str, int]:
        """Account for jobs a crash left ``running``: re-queue or fail, never drop."""
        counts = {"requeued": 0, "failed": 0}
        with self.db.connect() as c:
            rows = c.execute("SELECT id, kind, attempts FROM jobs WHERE state = 'running'").fetchall()
            for row in rows:
                attempt = row["attempts"]
                if row["kind"] == "job" and self.settings.on_restart == "requeue" and attempt < self.settings.max_attempts:
                    c.execute(
                        "UPDATE jobs SET state = 'queued', started_at = NULL, progress = NULL, "
                        "error_kind = 'requeued', error = ? WHERE id = ?",
                        (f"the server stopped during attempt {attempt}; re-queued", row["id"]),
                    )
                    counts["requeued"] += 1
                else:
                    why = (
                        "a synchronous solve cannot outlive its request"
                        if row["kind"] == "sync"
                        else f"{attempt} attempt(s) used"
                        if self.settings.on_restart == "requeue"
                        else "the server is set to fail interrupted jobs"
                    )
                    c.execute(
                        "UPDATE jobs SET state = 'failed', finished_at = ?, error_kind = 'restart', error = ? "
                        "WHERE id = ?",
                        (now(), f"the server stopped while this job was running ({why})", row["id"]),
                    )
                    counts["failed"] += 1
        if rows:
            log.info("recovery: %d interrupted job(s) re-queued, %d failed", counts["requeued"], counts["failed"])
        return counts

    def wake(self) -> None:
        try:
            self._wake_w.send_bytes(b"w")
        except OSError:
            pass

    # ---- requests

    def submit(self, tenant_id: int, problem: Any, *, kind: str, time_limit: float, seed: int | None,
               previous: str | None = None) -> Any:
        """Queue a checked problem (``api.tasks.CheckedProblem``, with its ``start`` when it is
        rolled forward from the job ``previous``) and return its row (``JOB_COLUMNS``) as
        queued, read before a worker can start it; raise :class:`QueueFull` when the tenant's
        or the server's queue is full."""
        job_id = uuid.uuid4().hex
        with self.db.connect() as c:
            self._refuse_when_full(c.execute(_QUEUED, (tenant_id,)).fetchone())
            c.execute(
                "INSERT INTO jobs (id, tenant_id, kind, state, created_at, time_limit, seed, problem_id, "
                "visits, carers, problem, start, previous) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, tenant_id, kind, now(), time_limit, seed, problem.id,
                 problem.visits, problem.carers, problem.blob, problem.start, previous),
            )
            row = c.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        log.info("job %s queued (%s, %d visits, %d carers, limit %.0f s%s)",
                 job_id, kind, problem.visits, problem.carers, time_limit,
                 "" if previous is None else f", rolled forward from job {previous}")
        self.wake()
        return row

    def check_room(self, tenant_id: int) -> None:
        """Raise :class:`QueueFull` now, before a large body is read for nothing."""
        self._refuse_when_full(self.db.read(_QUEUED, (tenant_id,))[0])

    def _refuse_when_full(self, room: Any) -> None:
        """``room`` is the row of :data:`_QUEUED` for the asking tenant."""
        mine, queued = room["mine"], room["queued"]
        if mine >= self.settings.tenant_queue_limit:
            raise QueueFull(
                f"you already have {mine} jobs waiting (at most {self.settings.tenant_queue_limit} per tenant)",
                self.retry_after(),
            )
        if queued >= self.settings.queue_limit:
            raise QueueFull("the service is busy", self.retry_after())

    def cancel(self, tenant_id: int, job_id: str) -> str | None:
        """Cancel a queued or running job of this tenant. Returns its state BEFORE the call
        (None when the tenant has no such job); a finished job is left as it was."""
        with self.db.connect() as c:
            row = c.execute("SELECT state FROM jobs WHERE id = ? AND tenant_id = ?", (job_id, tenant_id)).fetchone()
            if row is None:
                return None
            if row["state"] in FINISHED:
                return row["state"]
            c.execute(
                "UPDATE jobs SET state = 'cancelled', finished_at = ?, error_kind = 'cancelled', "
                "error = 'cancelled by the client' WHERE id = ?",
                (now(), job_id),
            )
        with self._lock:
            run = self._running.get(job_id)
        if run is not None:
            run.killed_for = "cancelled"
            run.process.kill()
        log.info("job %s cancelled (was %s)", job_id, row["state"])
        self._notify(job_id)
        self.wake()
        return row["state"]

    def delete(self, tenant_id: int, job_id: str) -> bool:
        """Erase a job of this tenant (problem, roster, record); False if none. Cancel it
        first: a running solver's process is killed by :meth:`cancel`, not here."""
        return delete_job(self.db, tenant_id, job_id)

    async def wait(self, job_id: str, timeout: float | None = None) -> str:
        """Wait (without blocking the event loop) until the job finishes; return its state."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future = loop.create_future()
        with self._lock:
            self._waiters.setdefault(job_id, []).append((loop, fut))
        try:
            state = self.state(job_id)
            if state in FINISHED:
                return state
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        finally:
            with self._lock:
                waiters = self._waiters.get(job_id, [])
                if (loop, fut) in waiters:
                    waiters.remove((loop, fut))
                if not waiters:
                    self._waiters.pop(job_id, None)

    def state(self, job_id: str) -> str | None:
        rows = self.db.read("SELECT state FROM jobs WHERE id = ?", (job_id,))
        return rows[0]["state"] if rows else None

    def retry_after(self) -> int:
        """Seconds until the earliest running solve should end (at least 1)."""
        t = time.monotonic()
        with self._lock:
            ends = [r.started + r.time_limit - t for r in self._running.values()]
        return max(1, math.ceil(min(ends, default=1)))

    # ---- the dispatcher thread

    def _purge(self) -> None:
        """Delete jobs past the retention period (README "Data protection"); then again
        every ``purge_interval_seconds``, from the dispatcher loop."""
        self._next_purge = time.monotonic() + self.settings.purge_interval_seconds
        purge_expired(self.db, self.settings)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                if time.monotonic() >= self._next_purge:
                    self._purge()
                self._start_queued()
                with self._lock:
                    runs = list(self._running.values())
                objects: list[Any] = [self._wake_r]
                for run in runs:
                    objects += [run.conn, run.process.sentinel]
                ready = wait(objects, timeout=0.5)
                if self._wake_r in ready:
                    while self._wake_r.poll():
                        self._wake_r.recv_bytes()
                for run in runs:
                    self._service(run)
            except Exception:  # the dispatcher must survive anything (e.g. a locked database)
                log.exception("dispatcher error")
                time.sleep(0.5)

    def _start_queued(self) -> None:
        while len(self._running) < self.settings.workers and not self._stopping.is_set():
            with self.db.connect() as c:
                row = c.execute(_NEXT_JOB).fetchone()
                if row is None:
                    return
                c.execute(
                    "UPDATE jobs SET state = 'running', started_at = ?, attempts = attempts + 1, "
                    "progress = NULL WHERE id = ?",
                    (now(), row["id"]),
                )
            parent, child = self._ctx.Pipe()
            process = self._ctx.Process(
                target=self.target,
                args=(child, row["problem"], row["time_limit"], row["seed"], self.settings.progress_interval,
                      row["start"]),
                name=f"carerota-solve-{row['id'][:8]}",
                daemon=True,
            )
            t = time.monotonic()
            run = _Running(
                row["id"], row["kind"], process, parent, t,
                t + row["time_limit"] + self.settings.job_grace_seconds, row["time_limit"],
            )
            process.start()
            child.close()
            with self._lock:  # a cancel arriving before this is caught by the state check in _service
                self._running[row["id"]] = run
            log.info("job %s started (pid %s)", row["id"], process.pid)

    def _service(self, run: _Running) -> None:
        """Read the process's messages, enforce its limit, and reap it when it ends."""
        self._drain(run)
        if run.process.is_alive():
            if time.monotonic() > run.deadline and run.killed_for is None:
                run.killed_for = "timeout"
                run.process.kill()
                self._finish(
                    run.job_id, "failed", "timeout",
                    f"exceeded the wall-clock limit of {run.deadline - run.started:.0f} s",
                )
            elif run.killed_for is None and self.state(run.job_id) != "running":
                run.killed_for = "cancelled"
                run.process.kill()
            return
        self._drain(run)  # a result sent just before the process exited
        run.process.join()
        run.conn.close()
        with self._lock:
            self._running.pop(run.job_id, None)
        code = run.process.exitcode
        if self._finish(run.job_id, "failed", "crash", f"the solver process ended without a result (exit code {code})"):
            log.warning("job %s: solver process exited with code %s", run.job_id, code)

    def _drain(self, run: _Running) -> None:
        try:
            while run.conn.poll():
                self._handle(run, run.conn.recv())
        except (EOFError, OSError):
            pass

    def _handle(self, run: _Running, message: tuple) -> None:
        kind = message[0]
        if kind == "progress":
            with self.db.connect() as c:
                c.execute(
                    "UPDATE jobs SET progress = ? WHERE id = ? AND state = 'running'",
                    (json.dumps(message[1]), run.job_id),
                )
        elif kind == "done":
            self._finish(run.job_id, "done", None, None, solution=message[1], geojson=message[2])
        elif kind == "input":
            self._finish(run.job_id, "failed", "input", message[1])
        elif kind == "error":
            self._finish(run.job_id, "failed", "solver", message[1])

    def _finish(self, job_id: str, state: str, error_kind: str | None, error: str | None,
                solution: bytes | None = None, geojson: bytes | None = None) -> bool:
        """Record the outcome if the job is still running (a cancel may have won)."""
        with self.db.connect() as c:
            changed = c.execute(
                "UPDATE jobs SET state = ?, finished_at = ?, error_kind = ?, error = ?, solution = ?, "
                "geojson = ? WHERE id = ? AND state = 'running'",
                (state, now(), error_kind, error, solution, geojson, job_id),
            ).rowcount
        if changed:
            log.info("job %s %s%s", job_id, state, f" ({error_kind})" if error_kind else "")
            self._notify(job_id)
        return bool(changed)

    def _notify(self, job_id: str) -> None:
        with self._lock:
            waiters = list(self._waiters.get(job_id, []))
        state = self.state(job_id)
        for loop, fut in waiters:
            loop.call_soon_threadsafe(_resolve, fut, state)


def _resolve(fut: asyncio.Future, value: Any) -> None:
    if not fut.done():
        fut.set_result(value)
