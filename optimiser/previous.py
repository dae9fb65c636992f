"""Last week's rota carried into the next: the continuity a new rota keeps.

A coordinator building next week's rota starts from this week's: clients keep the carers
they know unless there is a reason to change. Two things carry it:

* :func:`carry_forward` adds the visits each carer did for each client in the previous
  roster to the client's ``known_carers`` (which counts visits in the last four weeks), so
  the objective's continuity terms -- the reward per visit by a known carer and the price
  of each new carer a client sees -- hold the new rota to the old one wherever it costs less
  than what changing would save;
* :func:`carers_before` names, for each visit, the carers who did the same call before
  (same client, weekday and time), for the solver's ``start``: the first roster gives them
  their calls again where they still fit, and the search goes on from there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime

from .errors import InputError
from .model import MAX_COUNT, Problem, Solution, Visit


def _done_before(problem: Problem, previous_problem: Problem, previous: Solution) -> Iterator[tuple[str, Visit]]:
    """``(carer id, visit)`` for every stop of ``previous`` by a carer still in ``problem``;
    :class:`InputError` when the roster is not of ``previous_problem``."""
    if previous.problem_id != previous_problem.id:
        raise InputError(f"--previous: the roster is of problem {previous.problem_id!r}, "
                         f"not of {previous_problem.id!r}")
    before = {v.id: v for v in previous_problem.visits}
    carers = {c.id for c in problem.carers}
    for route in previous.routes:
        if route.carer not in carers:
            continue
        for stop in route.stops:
            visit = before.get(stop.visit)
            if visit is None:
                raise InputError(f"--previous: the roster's visit {stop.visit!r} is not in problem "
                                 f"{previous_problem.id!r}")
            yield route.carer, visit


def carry_forward(problem: Problem, previous_problem: Problem, previous: Solution) -> Problem:
    """``problem`` with each client's ``known_carers`` counting her visits in ``previous``.

    Parameters
    ----------
    problem
        The horizon to roster.
    previous_problem, previous
        The last horizon's problem and its roster (``previous.problem_id`` must be
        ``previous_problem.id``: the roster names visits by id, the problem says whose they are).

    Returns
    -------
    Problem
        A copy; carers and clients no longer in ``problem`` are left out of the counts.

    Raises
    ------
    InputError
        When the roster is not of ``previous_problem``.
    """
    done: dict[str, Counter] = {}
    for carer, visit in _done_before(problem, previous_problem, previous):
        done.setdefault(visit.client, Counter())[carer] += 1
    clients = []
    for c in problem.clients:
        if c.id not in done:
            clients.append(c)
            continue
        known = Counter(c.known_carers)
        known.update(done[c.id])
        clients.append(c.model_copy(update={"known_carers": {k: min(n, MAX_COUNT) for k, n in known.items()}}))
    return problem.model_copy(update={"clients": clients})


def _call(client: str, window_start: datetime) -> tuple[str, int, int, int]:
    """A recurring call: the client, weekday and time of day its window opens."""
    return client, window_start.weekday(), window_start.hour, window_start.minute


def carers_before(problem: Problem, previous_problem: Problem, previous: Solution) -> dict[str, list[str]]:
    """Visit id of ``problem`` -> the carers who did the same call in ``previous`` (the same
    client, weekday and window opening time; a visit of the same id first), for
    :func:`optimiser.engine.solve`'s ``start``. Calls nobody did, and carers who have left, are
    left out. Raises :class:`InputError` as :func:`carry_forward` does."""
    by_visit: dict[str, list[str]] = {}
    by_call: dict[tuple[str, int, int, int], list[str]] = {}
    for carer, visit in _done_before(problem, previous_problem, previous):
        by_visit.setdefault(visit.id, []).append(carer)
        by_call.setdefault(_call(visit.client, visit.window.start), []).append(carer)
    out = {}
    for v in problem.visits:
        named = by_visit.get(v.id) if previous_problem.id == problem.id else None
        named = named or by_call.get(_call(v.client, v.window.start))
        if named:
            out[v.id] = named[:v.carers_required]
    return out
