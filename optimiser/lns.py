"""The construction's ruin-and-recreate: a large neighbourhood search over its roster.

:func:`improve` runs it until a deadline. Each step takes some visits out
(:func:`_ruin`: the placed visits nearest a target in space and time; :func:`_ruin_strings`:
strings of consecutive stops, as SISR does, :func:`strings_near`; or, when carers have a
fixed cost, a short route emptied whole) and puts them back through the construction's
own insertion (:meth:`optimiser.construct.Construction.insert` and
:meth:`~optimiser.construct.Construction.insert_regret`), so every rule the construction
keeps still holds; the step is undone with :meth:`~optimiser.construct.Construction.restore`
unless threshold acceptance keeps it. The compiled :mod:`optimiser.search` (the same idea
over the same rules, at several times the steps a second) is the engine's default; this
one runs when a user names ``GREEDY_INSERTION+LNS`` or ``GREEDY_INSERTION+LNS+GLS``
(:mod:`optimiser.engine` has the plan). Its settings are :class:`optimiser.params.LNSParams`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from itertools import groupby

import numpy as np

from .budget import Deadline
from .compile import COST_SCALE
from .construct import PRIORITY_RANK, Construction
from .params import LNSParams

STRING_MAX = 10  # SISR's longest string of stops a ruin step takes out (L_max)


def improve(
    c: Construction,
    deadline: Deadline,
    params: LNSParams | None = None,
    seed: int = 0,
    on_improve: Callable[[int, int], None] | None = None,
) -> int:
    """Ruin and recreate until ``deadline``; return the objective.

    Each step picks a visit (an unassigned one, by priority, most of the time), takes
    out some placed visits near it in space and time, and re-inserts them all by
    priority: visits tied to others (doubles, ``after``) one by one by
    :meth:`~optimiser.construct.Construction.insert`, cheapest first, as in construction;
    then the others of that priority by regret
    (:meth:`~optimiser.construct.Construction.insert_regret`). A step is kept when the
    objective drops, stays equal, or rises by less than a threshold that shrinks linearly
    to zero by the deadline; the best roster seen is returned.

    Parameters
    ----------
    c
        A construction holding a roster (after :meth:`~optimiser.construct.Construction.run`);
        changed in place, left at the best roster found. ``c.steps`` counts the steps run.
    deadline
        When the search stops.
    params
        Its settings (default :class:`~optimiser.params.LNSParams`).
    seed
        Seeds the random choices.
    on_improve
        Called with ``(objective, unassigned visits)`` at every better roster.

    Returns
    -------
    int
        The objective of the roster ``c`` is left at.
    """
    params = LNSParams() if params is None else params
    rng = random.Random(seed)
    data, problem = c.data, c.data.problem
    in_model = list(data.nodes_of_visit)
    if not in_model:
        return c.objective()
    first = np.array([data.nodes_of_visit[vi][0] for vi in in_model])
    point = data.node_point[first]
    minutes = next(iter(data.minutes_int.values()))
    ws, lw = data.window_start[first], data.window_end[first] + data.late_limit[first]
    # how far past an hour each sleep-in or waking night reaches (0 for other visits)
    stay = np.array([problem.visits[vi].kind != "visit" for vi in in_model], dtype=bool)
    overrun = np.where(stay, np.maximum(0, data.duration[first] - 60), 0)
    rank = {vi: PRIORITY_RANK[problem.visits[vi].priority] for vi in in_model}
    position = {vi: i for i, vi in enumerate(in_model)}
    fixed_costs = any(c.fixed_cost)
    exact = c.exact
    costs = {id(r): c.route_cost(r, not exact) for r in c.routes}
    clients = {client: c.client_cost(client) for client in range(len(c.client_nodes))} if exact else {}
    dropped = c.dropped_cost()
    current = best = sum(costs.values()) + dropped + sum(clients.values())
    best_snap = None
    steps = 0
    begin = time.monotonic()
    span = max(1e-3, deadline.at - begin)
    # fixed costs and drop penalties are steps of their own, not the scale of a step
    routed = current - dropped - sum(c.fixed_cost[r.vehicle] for r in c.routes if r.nodes)
    start_threshold = max(params.threshold * COST_SCALE, params.threshold_share * routed)
    while (now := time.monotonic()) < deadline.at:
        steps += 1
        # threshold acceptance: a step may cost up to `threshold`, shrinking to zero
        threshold = start_threshold * (1 - (now - begin) / span)
        used = [r for r in c.routes if r.nodes] if fixed_costs else []
        if used and rng.random() < params.route_share:
            # route removal: empty one of the three shortest routes to save its fixed cost
            used.sort(key=lambda r: (len(r.nodes), rng.random()))
            route = rng.choice(used[:3])
            out = sorted({int(data.node_visit[u]) for u in route.nodes})
            target, focus = out[0], None
        elif rng.random() < params.string_share:
            target, out, focus = _ruin_strings(c, params, rng, in_model, rank, position, point, minutes)
        else:
            target, out, focus = _ruin(c, params, rng, in_model, rank, position, point, minutes, ws, lw, overrun)
        # an `after` pair leaves and comes back together, so it can move as one
        out = sorted(set(out) | c.placed_partners([*out, target]))
        snap = c.snapshot()
        touched = {id(c.route_of[u]): c.route_of[u] for vi in out for u in data.nodes_of_visit[vi]}
        c.trimmed = []
        for vi in list(out):
            if vi in c.placed:
                out += c.remove(vi)
        touched.update((id(r), r) for r in c.trimmed)
        # an `after` pair needs either order now and then: only lone targets go first
        first = params.target_first and target not in c.partners
        again = sorted(set(out) | ({target} if target not in c.placed else set()),
                       key=lambda vi: (rank[vi], not (first and vi == target), rng.random()))
        c.focus = focus
        # by priority: visits tied to others one by one, then the rest by regret
        for _, group in groupby(again, key=rank.__getitem__):
            simple = []
            for vi in group:
                if len(data.nodes_of_visit[vi]) == 1 and vi not in c.partners:
                    simple.append(vi)
                elif vi not in c.placed:
                    c.insert(vi)
            c.insert_regret(simple)
        for vi in again:
            for wi in (vi, *(oi for oi, _, _ in c.partners.get(vi, []))):
                for u in data.nodes_of_visit.get(wi, ()):
                    if u in c.route_of:
                        touched[id(c.route_of[u])] = c.route_of[u]
        c.focus = None
        new_costs = {key: c.route_cost(r, not exact) for key, r in touched.items()}
        new_dropped = c.dropped_cost()
        value = current - sum(costs[key] for key in new_costs) + sum(new_costs.values()) - dropped + new_dropped
        if exact:
            seen = {int(c.client_of[u]) for vi in again for u in data.nodes_of_visit[vi]}
            new_clients = {client: c.client_cost(client) for client in seen}
            value += sum(new_clients.values()) - sum(clients[client] for client in seen)
        if value < current or (value > current and value < current + threshold) or (
                value == current and params.plateau):
            current, dropped = value, new_dropped
            costs.update(new_costs)
            if exact:
                clients.update(new_clients)
            if current < best:
                best = current
                if params.threshold:
                    best_snap = c.snapshot()
                if on_improve is not None:
                    on_improve(current, len(in_model) - len(c.placed))
        else:
            c.restore(snap)
    if best_snap is not None and best < current:
        c.restore(best_snap)
    c.steps = steps
    return best


def _target(c: Construction, rng, in_model, rank) -> int:
    """The visit a ruin step centres on: an unassigned one of the highest priority
    left out, most of the time, else any."""
    missing = [vi for vi in in_model if vi not in c.placed]
    if missing and rng.random() < 0.8:
        top = min(rank[vi] for vi in missing)
        return rng.choice([vi for vi in missing if rank[vi] == top])
    return rng.choice(in_model)


def _focus(c: Construction, params: LNSParams, rng, in_model, ranked, dist) -> set[int] | None:
    """Routes a step re-inserts into: those serving visits near the target, a few
    random ones and the empty ones (the far routes rarely win and cost most of the time)."""
    if not params.focus_size:
        return None
    nodes = c.data.nodes_of_visit
    focus = {c.route_of[u].vehicle for i in ranked[: params.focus_size] if dist[i] < 1e9
             for u in nodes[in_model[i]] if u in c.route_of}
    focus.update(rng.sample(range(len(c.routes)), min(5, len(c.routes))))
    focus.update(r.vehicle for r in c.routes if not r.nodes)
    return focus


def _ruin(c: Construction, params: LNSParams, rng, in_model, rank, position, point, minutes, ws, lw, overrun):
    """Take out the placed visits nearest a target in space among those whose
    windows overlap its own (a sleep-in or waking night reaching ``overrun`` further, as far
    as it lasts, so it meets the night's calls); return ``(target, visits to take out,
    routes to re-insert into)``. For a visit left out, ``params.free_share`` of the time,
    what one of the carers who may do it does during its window instead (the visits near
    it in space may belong to carers who cannot do it: a scarce skill, a language, a
    carer who lives near enough, a night)."""
    target = _target(c, rng, in_model, rank)
    t = position[target]
    if target not in c.placed and rng.random() < params.free_share:
        data = c.data
        u = data.nodes_of_visit[target][0]
        until = lw[t] + int(data.duration[u])
        on_duty = [v for v in data.allowed[u] if c.routes[v].start < until and c.routes[v].end > ws[t]]
        if on_duty:
            r = c.routes[rng.choice(on_duty)]
            out = sorted({int(data.node_visit[w]) for w, a, b in zip(r.nodes, r.est, r.lst, strict=True)
                          if a < until and b + int(data.duration[w]) > ws[t]})
            return target, out, None
    near = (ws <= lw[t] + 60 + overrun[t]) & (lw + overrun >= ws[t] - 60)
    dist = minutes[point[t], point] + rng.random() * 5
    dist[~near] = 1e9
    k = rng.randint(*params.size)
    ranked = np.argsort(dist)
    chosen = [in_model[i] for i in ranked[: k + 1] if dist[i] < 1e9]
    out = [vi for vi in chosen if vi in c.placed]
    return target, out, _focus(c, params, rng, in_model, ranked, dist)


def _ruin_strings(c: Construction, params: LNSParams, rng, in_model, rank, position, point, minutes):
    """String removal around a target (see :meth:`strings_near`); return as :meth:`_ruin`."""
    target = _target(c, rng, in_model, rank)
    dist = minutes[point[position[target]], point]
    ranked = np.argsort(dist, kind="stable")
    out = strings_near(c, rng, (in_model[i] for i in ranked), sum(params.size) / 2)
    return target, sorted(out), _focus(c, params, rng, in_model, ranked, dist)


def strings_near(c: Construction, rng: random.Random, nearest: Iterable[int], mean_out: float) -> set[int]:
    """SISR's string removal (Christiaens & Vanden Berghe 2020): from the routes that
    serve the visits in ``nearest`` (nearest the step's target first), one after
    another, one run of consecutive stops through that visit; the visits of those
    stops (about ``mean_out`` in all). The roster is not changed.

    Parameters
    ----------
    c
        The construction whose roster is read.
    rng
        Draws the number of strings, their lengths and where they start.
    nearest
        Visits, nearest the step's target first (placed ones start strings).
    mean_out
        About how many visits to take out in all.

    Returns
    -------
    set[int]
        The visits of the strings (for the caller to remove).
    """
    data = c.data
    used = [len(r.nodes) for r in c.routes if r.nodes]
    if not used:
        return set()
    longest = min(STRING_MAX, sum(used) / len(used))
    strings = int(rng.uniform(1, max(1.0, 4 * mean_out / (1 + longest) - 1) + 1))
    ruined: set[int] = set()
    taken: set[int] = set()
    for vi in nearest:
        if len(ruined) >= strings:
            break
        if vi not in c.placed:
            continue
        for u in data.nodes_of_visit[vi]:
            r = c.route_of.get(u)
            if r is None or r.vehicle in ruined:
                continue
            ruined.add(r.vehicle)
            n = len(r.nodes)
            size = int(rng.uniform(1, min(n, longest) + 1))
            at = r.nodes.index(u)
            first = rng.randint(max(0, at - size + 1), min(at, n - size))
            taken.update(int(data.node_visit[w]) for w in r.nodes[first:first + size])
            break
    return taken
