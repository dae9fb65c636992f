"""Solver-process bodies that misbehave on purpose, to test the runner's limits (module-level
so the forkserver can import them by name), and :func:`alive` for tests that wait for one to end.
"""

from __future__ import annotations

import os
import time


def hang(conn, problem_blob, time_limit, seed, interval, start_blob=None) -> None:
    """A solver that reports progress once and then never returns."""
    conn.send(("progress", {"elapsed_seconds": 0.0, "solutions": 0, "objective": None, "unassigned": None}))
    while True:
        time.sleep(1)


def crash(conn, problem_blob, time_limit, seed, interval, start_blob=None) -> None:
    """A solver process that dies without a word (as an out-of-memory kill would)."""
    os._exit(3)


def alive(pid: int) -> bool:
    """The process runs and is not a zombie (it may be reaped between any two psutil calls)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
