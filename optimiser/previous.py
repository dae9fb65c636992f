"""Last week's rota carried into the next: the continuity a new rota keeps.

A coordinator building next week's rota starts from this week's: clients keep the carers
they know unless there is a reason to change. :func:`carry_forward` adds the visits each
carer did for each client in the previous roster to the client's ``known_carers`` (which
counts visits in the last four weeks), so the objective's continuity terms -- the reward
per visit by a known carer and the price of each new carer a client sees -- hold the new
rota to the old one wherever it costs less than what changing would save.
"""

from __future__ import annotations

from collections import Counter

from .errors import InputError
from .model import MAX_COUNT, Problem, Solution


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
    if previous.problem_id != previous_problem.id:
        raise InputError(f"--previous: the roster is of problem {previous.problem_id!r}, "
                         f"not of {previous_problem.id!r}")
    client_of = {v.id: v.client for v in previous_problem.visits}
    carers = {c.id for c in problem.carers}
    done: dict[str, Counter] = {}
    for route in previous.routes:
        if route.carer not in carers:
            continue
        for stop in route.stops:
            client = client_of.get(stop.visit)
            if client is None:
                raise InputError(f"--previous: the roster's visit {stop.visit!r} is not in problem "
                                 f"{previous_problem.id!r}")
            done.setdefault(client, Counter())[route.carer] += 1
    clients = []
    for c in problem.clients:
        if c.id not in done:
            clients.append(c)
            continue
        known = Counter(c.known_carers)
        known.update(done[c.id])
        clients.append(c.model_copy(update={"known_carers": {k: min(n, MAX_COUNT) for k, n in known.items()}}))
    return problem.model_copy(update={"clients": clients})
