"""Short tasks of a request, each in its own process: checking a body, validating a roster,
evaluating a patch design.

The web process only moves bytes. Parsing a 20 MB JSON body and building the models
holds the interpreter for seconds (compiled code that never releases the GIL), so doing
it in a thread of the web process would still stall every other request; validating a
roster on a road network, or rostering a patch design, takes longer still. Each task
therefore runs in a process forked from the same ``forkserver`` as the solver processes,
at most ``settings.sync_workers`` at once, killed when it overruns its limit or when the
client goes away. Results come back as JSON bytes (or a :class:`Refusal`), which the
web process passes on without parsing them again.
"""

from __future__ import annotations

import asyncio
import functools
import json
import multiprocessing as mp
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

from optimiser.errors import InputError, TooLarge, describe_validation_error, field_errors
from optimiser.intake import Limits, Sources, check_osm_file, check_size, check_sources, parse_json
from optimiser.model import Problem, Solution

from .db import pack, unpack


@dataclass(frozen=True)
class Refusal:
    """Why a body was refused: 413 (too large) or 422, with the fields at fault."""

    status: int
    message: str
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CheckedProblem:
    """A problem that passed every check of the boundary, as the job queue stores it."""

    id: str
    visits: int
    carers: int
    time_limit_seconds: float
    blob: bytes
    """The problem as canonical JSON, zlib-compressed (``api.db.pack``)."""
    start: bytes | None = None
    """Rolled forward from an earlier roster: visit id -> the carers who did that call
    (``optimiser.previous.carers_before``, for ``engine.solve(start=...)``) as compressed JSON."""


@dataclass(frozen=True)
class Boundary:
    """What a body is checked against (from the service settings; pickled to the task)."""

    limits: Limits
    sources: Sources


# --------------------------------------------------------------------------- bodies


def refusal(err: InputError) -> Refusal:
    """An ``InputError`` as a refusal; a leading ``field.path:`` becomes the error's location."""
    message = str(err)
    head, sep, rest = message.partition(": ")
    loc: list[Any] = ["body"]
    if sep and " " not in head:
        loc += [int(p) if p.isdigit() else p for p in head.replace("[", ".").replace("]", "").split(".")]
    status = 413 if isinstance(err, TooLarge) else 422
    return Refusal(status, message, [{"loc": loc, "msg": rest if sep and len(loc) > 1 else message,
                                       "type": "too_large" if status == 413 else "value_error"}])


def _build(model: type[BaseModel], doc: Any) -> Any:
    try:
        return model.model_validate(doc)
    except ValidationError as err:
        body = ("body",)
        raise _Refused(Refusal(422, describe_validation_error(err, prefix=body), field_errors(err, body))) from None


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal


def _refusing(task: Callable[..., Any]) -> Callable[..., Any]:
    """A task that answers bad input with a :class:`Refusal` rather than raising."""

    @functools.wraps(task)
    def run(*args: Any) -> Any:
        try:
            return task(*args)
        except _Refused as r:
            return r.refusal
        except InputError as err:
            return refusal(err)

    return run


def _problem(body: bytes, boundary: Boundary) -> Problem:
    """A problem body through every check of the boundary (``optimiser.intake``)."""
    doc = parse_json(body, "body")
    check_size(doc, boundary.limits)
    problem: Problem = _build(Problem, doc)
    check_sources(problem, boundary.sources)
    return problem


@_refusing
def check_problem(body: bytes, boundary: Boundary) -> CheckedProblem | Refusal:
    """Task: a problem body through every check (``optimiser.intake``), ready to queue."""
    return checked(_problem(body, boundary))


@_refusing
def check_problem_after(body: bytes, boundary: Boundary, previous_problem: bytes,
                        previous_roster: bytes) -> CheckedProblem | Refusal:
    """Task: a problem body through every check, then rolled forward from an earlier job
    (its stored problem and roster, as ``api.db.pack`` wrote them) as ``carerota solve
    --previous`` does: last time's visits count in clients' ``known_carers`` (the problem
    queued, stored and solved is that one) and each call goes first to the carers who did
    it (``start``). What the roll forward refuses is a 422 at ``query.previous``."""
    from optimiser.previous import carers_before, carry_forward

    problem = _problem(body, boundary)
    try:
        before = Problem.model_validate_json(unpack(previous_problem) or b"")
        roster = Solution.model_validate_json(unpack(previous_roster) or b"")
    except ValidationError as err:  # stored by an older version whose documents no longer read
        raise _Refused(_previous_refusal(f"the job's stored problem or roster no longer reads: "
                                         f"{describe_validation_error(err, limit=1)}")) from None
    try:
        start = carers_before(problem, before, roster)
        problem = carry_forward(problem, before, roster)
    except InputError as err:
        raise _Refused(_previous_refusal(str(err).removeprefix("--previous: "))) from None
    return checked(problem, start)


def _previous_refusal(msg: str) -> Refusal:
    return Refusal(422, f"query.previous: {msg}", [{"loc": ["query", "previous"], "msg": msg, "type": "value_error"}])


def checked(problem: Problem, start: dict[str, list[str]] | None = None) -> CheckedProblem:
    """A problem that passed the boundary, as the queue stores it (``start``: see
    :attr:`CheckedProblem.start`)."""
    return CheckedProblem(problem.id, len(problem.visits), len(problem.carers),
                          problem.options.time_limit_seconds, pack(problem.model_dump_json()),
                          None if start is None else pack(json.dumps(start)))


@_refusing
def validate_roster(body: bytes, boundary: Boundary) -> bytes | Refusal:
    """Task: a ``{problem, solution}`` body checked, then the roster validated (report JSON)."""
    from optimiser.validator import validate

    from .schemas import ValidateRequest

    doc = parse_json(body, "body")
    check_size(doc.get("problem") if isinstance(doc, dict) else None, boundary.limits, "problem.")
    request: ValidateRequest = _build(ValidateRequest, doc)
    check_sources(request.problem, boundary.sources, "problem.travel.road_network")
    return validate(request.problem, request.solution).model_dump_json().encode()


@_refusing
def evaluate_design(body: bytes, boundary: Boundary, time_cap: float) -> bytes | Refusal:
    """Task: a patch-design body checked, then every patch rostered (``DesignResult`` JSON).
    Each roster solve is capped at ``time_cap`` seconds."""
    from patches.service import EvaluateRequest, evaluate_request

    doc = parse_json(body, "body")
    for part in ("demand", "supply"):  # demand.clients, supply.carers
        check_size(doc.get(part) if isinstance(doc, dict) else None, boundary.limits, f"{part}.")
    request: EvaluateRequest = _build(EvaluateRequest, doc)
    s = request.settings
    check_osm_file(s.osm_file, boundary.sources, "settings.osm_file")
    request.settings = s.model_copy(update={
        "time_limit": min(s.time_limit or time_cap, time_cap),
        "probe_time_limit": min(s.probe_time_limit or time_cap, time_cap),
    })
    return evaluate_request(request).model_dump_json().encode()


# --------------------------------------------------------------------------- the pool


def _task_main(conn: Connection, fn: Callable[..., Any], args: tuple) -> None:
    """Body of a task process: run, send the result (or the error's type) back, exit."""
    try:
        result: tuple = ("ok", fn(*args))
    except Exception as err:  # a bug: the web process answers 500 and logs the type only
        result = ("error", type(err).__name__)
    try:
        conn.send(result)
    finally:
        conn.close()


class TaskPool:
    """At most ``processes`` task processes at once, from the solver's forkserver."""

    def __init__(self, processes: int, context: Any = None) -> None:
        self.processes = processes
        self._ctx = context or mp.get_context("forkserver")
        self._slots: asyncio.Semaphore | None = None

    async def run(self, fn: Callable[..., Any], *args: Any, timeout: float, request: Request | None = None) -> Any:
        """``fn(*args)`` in a fresh process; 504 past ``timeout`` s, 499 if the client left."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.processes)
        async with self._slots:
            parent, child = self._ctx.Pipe(duplex=False)
            process = self._ctx.Process(target=_task_main, args=(child, fn, args), daemon=True,
                                        name=f"carerota-task-{fn.__name__}")
            # start() pickles the body into the new process's pipe: off the event loop
            await asyncio.to_thread(process.start)
            child.close()
            try:
                message = await self._receive(parent, timeout, request)
            finally:
                if process.is_alive():
                    process.kill()
                await asyncio.to_thread(process.join, 5)
                parent.close()
        if message is None:
            raise HTTPException(500, "internal error (the task process ended without an answer)")
        kind, value = message
        if kind == "error":
            raise TaskFailed(value)
        return value

    async def _receive(self, conn: Connection, timeout: float, request: Request | None) -> tuple | None:
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        loop.add_reader(conn.fileno(), lambda: ready.done() or ready.set_result(None))
        try:
            end = loop.time() + timeout
            while not ready.done():
                left = end - loop.time()
                if left <= 0:
                    raise HTTPException(504, f"the request took longer than its limit of {timeout:g} s")
                try:
                    await asyncio.wait_for(asyncio.shield(ready), min(1.0, left))
                except TimeoutError:
                    if request is not None and await request.is_disconnected():
                        raise HTTPException(499, "client closed the request") from None
        finally:
            loop.remove_reader(conn.fileno())
        try:
            return await asyncio.to_thread(conn.recv)
        except (EOFError, OSError):
            return None  # the process died (killed by the OS, e.g. out of memory)


class TaskFailed(Exception):
    """A task raised something other than bad input: a bug (logged by type only)."""

