"""Each call at its planned time where the route leaves room for it.

The search times a route by starting every visit as early as it can: a carer who arrives
at 07:32 for a call planned at 08:00 (window 07:30-08:30) starts it at 07:32 on Monday and,
after a different previous visit, at 08:00 on Tuesday. Clients notice: NICE asks that calls
come at about the same time each day (DOMAIN.md, Matching). The search prices a start
after the planned time (:func:`optimiser.rules.start_price`); once it has chosen who does
what in which order, :func:`on_time` moves each call towards its planned time -- the middle
of its window, :func:`optimiser.rules.planned_start` -- as far as the calls around it allow:

* the carers and the order stay; a route moves as a chain (the calls after one that moves
  later may move later too), all inside the shift, so the commute legs, the trip home
  between shifts and the working week's rules hold as before;
* paid time does not change: the travel is the same, and waiting only moves;
* no call starts later than its planned time unless the search left it later already (then
  it may only move earlier): the priced starts cost no more than the search's, and no call
  becomes late;
* calls whose start another rule fixes stay put: double-handed visits (two carers start
  together), visits in an ``after`` pair, sleep-ins and waking nights;
* on a shift with the break rule, when the chain would join two stretches into one too long
  (:class:`optimiser.rules.Stretches`), each call moves alone instead, where the rule still
  holds; the breaks the roster lists are those of the new times.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .compile import ProblemData, node_kinds
from .rules import Stretches, has_waking_nights, needs_breaks

Stops = list[tuple[int, int]]  # (node, start minute)
Breaks = list[tuple[int, int]]


def fixed_nodes(data: ProblemData) -> set[int]:
    """Nodes whose start another rule fixes: both carers of a double-handed visit, both
    visits of an ``after`` pair, sleep-ins and waking nights."""
    visits = data.problem.visits
    paired = {v.id for v in visits if v.after is not None} | {v.after.visit for v in visits if v.after is not None}
    fixed = set()
    for vi, nodes in data.nodes_of_visit.items():
        if len(nodes) > 1 or visits[vi].id in paired or visits[vi].kind != "visit":
            fixed.update(nodes)
    return fixed


def on_time(data: ProblemData, transits: list[np.ndarray],
            routes: Iterable[tuple[int, Stops, Breaks]]) -> list[tuple[int, Stops, Breaks]]:
    """The routes with each call moved towards its planned time (see the module docstring).

    Parameters
    ----------
    data
        The compiled problem.
    transits
        Per vehicle, node x node time (the visit's duration + travel), as the search used.
    routes
        ``(vehicle, [(node, start)], [(break start, break end)])`` per used vehicle, stops in
        time order.

    Returns
    -------
    list
        The same routes, re-timed; a route's breaks are recomputed when it has the break rule.
    """
    fixed = fixed_nodes(data)
    nights = has_waking_nights(data.problem.visits)
    kind = node_kinds(data)
    out = []
    for vehicle, stops, breaks in routes:
        veh = data.vehicles[vehicle]
        T = transits[vehicle]
        nodes = [u for u, _ in stops]
        now = [s for _, s in stops]
        starts = _chain(data, veh.start, veh.end, T, nodes, now, fixed)
        with_breaks = needs_breaks(veh.end - veh.start, data.problem.policy, nights)
        if with_breaks and _breaks_broken(data, kind, T, nodes, starts):
            starts = _one_by_one(data, veh.start, veh.end, kind, T, nodes, now, fixed)
        if starts != now:
            stops = list(zip(nodes, starts, strict=True))
            if with_breaks:
                breaks = _listed_breaks(data, kind, T, nodes, starts)
        out.append((vehicle, stops, breaks))
    return out


def _cap(data: ProblemData, u: int, now: int) -> int:
    """The latest start a move may give a call: its planned time, or where it is when that
    is later already. So no call ends further past its planned time (or its window's end)
    than the search left it, and the priced starts (:func:`optimiser.rules.start_price`)
    cost no more after the timing than before."""
    return max(now, int(data.planned[u]))


def _chain(data: ProblemData, shift_start: int, shift_end: int, T: np.ndarray, nodes: list[int],
           now: list[int], fixed: set[int]) -> list[int]:
    """Every free call as near its planned time as the calls around it allow, the route
    moving as a chain: the latest start each call may take (backwards from the shift's
    end), then each start nearest its planned time after the one before (forwards)."""
    n = len(nodes)
    latest = [0] * n
    t = shift_end
    for k in range(n - 1, -1, -1):
        u = nodes[k]
        limit = t - int(data.duration[u]) if k == n - 1 else t - int(T[u, nodes[k + 1]])
        latest[k] = now[k] if u in fixed else min(_cap(data, u, now[k]), limit)
        t = latest[k]
    starts = []
    for k, u in enumerate(nodes):
        if u in fixed:
            starts.append(now[k])
            continue
        lo = max(int(data.window_start[u]), shift_start if k == 0 else starts[-1] + int(T[nodes[k - 1], u]))
        starts.append(min(max(int(data.planned[u]), lo), latest[k]))
    return starts


def _one_by_one(data: ProblemData, shift_start: int, shift_end: int, kind: list[str], T: np.ndarray,
                nodes: list[int], now: list[int], fixed: set[int]) -> list[int]:
    """On a shift where moving the chain would break the break rule: each free call alone,
    the others where they are, where the rule still holds."""
    starts = list(now)
    for k, u in enumerate(nodes):
        if u in fixed:
            continue
        lo = max(int(data.window_start[u]), shift_start if k == 0 else starts[k - 1] + int(T[nodes[k - 1], u]))
        hi = min(_cap(data, u, now[k]), shift_end - int(data.duration[u]) if k == len(nodes) - 1
                 else starts[k + 1] - int(T[u, nodes[k + 1]]))
        new = min(max(int(data.planned[u]), lo), hi)
        if new == starts[k] or lo > hi:
            continue
        old, starts[k] = starts[k], new
        if _breaks_broken(data, kind, T, nodes, starts):
            starts[k] = old
    return starts


def _stretches(data: ProblemData, kind: list[str], T: np.ndarray, nodes: list[int], starts: list[int]) -> Stretches:
    stretches = Stretches(data.problem.policy)
    prev = None
    for u, s in zip(nodes, starts, strict=True):
        travel = 0 if prev is None else int(T[prev, u]) - int(data.duration[prev])
        stretches.add(kind[u], s, s + int(data.duration[u]), travel)
        prev = u
    stretches.finish()
    return stretches


def _breaks_broken(data: ProblemData, kind: list[str], T: np.ndarray, nodes: list[int], starts: list[int]) -> bool:
    stretches = _stretches(data, kind, T, nodes, starts)
    return any(stretches.over(s) is not None for s in stretches.closed)


def _listed_breaks(data: ProblemData, kind: list[str], T: np.ndarray, nodes: list[int], starts: list[int]) -> Breaks:
    return [(int(a), int(b)) for a, b in _stretches(data, kind, T, nodes, starts).listed_breaks()]
