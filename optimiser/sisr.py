"""The fleet phase compiled, for rosters whose only rules are windows, loads and fixed costs.

:func:`minimise_fleet` is :func:`optimiser.fleet.minimise_fleet` (SISR's fleet
minimisation: Christiaens & Vanden Berghe 2020, "Slack induction by string removals for
vehicle routing problems") compiled by numba, with the same steps and acceptance: empty
a short route, then ruin and recreate with the routes still in use until no visit is
out. It serves the rosters :func:`applies` accepts -- every visit placed, single-handed
and untied, no breaks, lateness, work caps or targets, continuity values, commute limits
or per-carer travel matrices: the VRPTW benchmarks (Solomon, Gehring-Homberger), where
the fleet comes first and the Python phase needs too many steps. The search after it is
:func:`optimiser.search.improve` for every roster.

The compiled loops are in :mod:`optimiser.sisr_kernel`. Times follow the construction's
conventions exactly (commute legs take no time, ``T`` holds service + travel), so
:func:`optimiser.search.load` hands the best roster back to the construction, whose objective then equals
the one found here.
"""

from __future__ import annotations

import time

import numpy as np

from .budget import Deadline
from .construct import Construction
from .search import load

FLEET_STRING_MEAN = 10.0  # visits taken out per step on average (optimiser.fleet.STRING_MEAN)
NEIGHBOURS = 100  # nearest visits kept per visit for the ruin
# fleet steps without a route fewer before giving up (~7 s on 100 visits). Solomon, 12 s at
# most: 20,000 left R104, R110, RC101, RC106 one route above the best known, 300,000 none of them
FLEET_PATIENCE = 300_000
STRING_MAX = 10  # longest string (L_max)
CHUNK_SECONDS = 0.2  # the compiled loop returns this often so the deadline holds


def applies(c: Construction) -> bool:
    """Whether ``c``'s roster may have its fleet phase here: every visit placed, single-handed
    and untied, and no rule beyond windows, loads, allowed carers and fixed costs (no
    commute limits either)."""
    data = c.data
    return bool(
        c.placed
        and len(c.placed) == len(data.nodes_of_visit)
        and all(len(n) == 1 for n in data.nodes_of_visit.values())
        and not c.partners
        and not data.late_limit.any()
        and not any(c.times.needs_breaks)
        and c.continuity is None
        and not c.work_targets
        and all(m is None for m in c.max_work)
        and all(e is None for e in c.ends)
        and len({id(T) for T in c.vehicle_T}) == 1
        and len({id(C) for C in c.vehicle_C}) == 1
        and not c.exact
    )


def minimise_fleet(c: Construction, deadline: Deadline, seed: int = 0, patience: int = FLEET_PATIENCE,
                   on_improve=None) -> int:
    """:func:`optimiser.fleet.minimise_fleet` compiled (same steps, same acceptance; requires
    :func:`applies`): empty a short route, then ruin and recreate with the routes still in
    use until no visit is out; repeat down to the lower bound, for ``patience`` steps
    without a route fewer, or until ``deadline``. Leaves ``c`` at the complete roster with
    fewest routes found; returns the routes removed."""
    from .fleet import fewest_routes
    from .sisr_kernel import fleet_steps

    used = sum(1 for r in c.routes if r.nodes)
    if not any(c.fixed_cost) or used < 2 or deadline.expired():
        return 0
    fewest = fewest_routes(c)
    if used <= fewest:
        return 0
    s = _State(c)
    data = c.data
    rng = np.random.default_rng(seed).integers(1, 2**62, size=1)
    width = np.zeros(data.n_nodes, dtype=np.int64)
    width[data.n_homes:] = (s.lw - s.ws)[data.n_homes:]
    absence = np.zeros(data.n_nodes, dtype=np.int64)
    out = np.zeros(data.n_nodes - data.n_homes + 1, dtype=np.int64)  # [count, visits...]
    # best complete roster: routes, objective, idle steps; and whether the phase is over
    track = np.array([used, s.cost.sum(), 0, 0], dtype=np.int64)
    usable = s.length > 0

    def chunk(iterations: int, frac: float) -> bool:
        routes = track[0]
        fleet_steps(s.problem, s.roster, s.acc_nodes, s.acc_length, s.best_nodes, s.best_length, track, usable,
               out, absence, width, fewest, patience, iterations, rng, FLEET_STRING_MEAN, STRING_MAX)
        if track[0] < routes and on_improve is not None:
            on_improve(int(track[1]), 0)
        return bool(track[3])

    _chunks(chunk, deadline)
    load(c, s.best_nodes, s.best_length)  # (optimiser.search.load)
    return used - int(track[0])


def warm_up(c: Construction) -> None:
    """Compile the fleet phase's loops (or load them from numba's cache) by running them for
    no steps on ``c``'s roster (any roster: the loops' types do not depend on its rules)."""
    from .sisr_kernel import fleet_steps

    s = _State(c)
    n = c.data.n_nodes
    fleet_steps(s.problem, s.roster, s.acc_nodes, s.acc_length, s.best_nodes, s.best_length,
                np.zeros(4, dtype=np.int64), s.length > 0, np.zeros(n + 1, dtype=np.int64),
                np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), 0, FLEET_PATIENCE, 0,
                np.ones(1, dtype=np.int64), FLEET_STRING_MEAN, STRING_MAX)


def _chunks(chunk, deadline: Deadline) -> int:
    """Call ``chunk(iterations, share of the time gone)`` until ``deadline`` or until it
    returns True, sizing chunks to about CHUNK_SECONDS; return the iterations run. The
    first chunk (64 steps) runs even when the deadline has passed, e.g. while numba
    compiled the kernel (once per install; the compiled code is cached on disk)."""
    begin = time.monotonic()
    iterations, steps = 64, 0
    while (now := time.monotonic()) < deadline.at or not steps:
        stop = chunk(iterations, (now - begin) / max(1e-3, deadline.at - begin))
        steps += iterations
        if stop:
            break
        took = time.monotonic() - now
        iterations = max(16, min(1 << 20, int(iterations * CHUNK_SECONDS / max(took, 1e-4))))
    return steps


class _State:
    """The roster as arrays (one row per vehicle) plus the problem data the kernel reads."""

    def __init__(self, c: Construction):
        from .sisr_kernel import refresh

        data = c.data
        n_vehicles = len(c.routes)
        self.T = np.ascontiguousarray(c.vehicle_T[0], dtype=np.int64)
        self.C = np.ascontiguousarray(c.vehicle_C[0], dtype=np.int64)
        self.ws = np.asarray(c.times.ws, dtype=np.int64).copy()
        self.lw = np.asarray(c.times.lw, dtype=np.int64).copy()
        self.demand = np.asarray(data.demand, dtype=np.int64)
        big = int(self.demand.sum()) + 1
        self.capacity = np.array([big if c.capacity[r.home] is None else c.capacity[r.home] for r in c.routes],
                                 dtype=np.int64)
        self.vstart = np.array([r.start for r in c.routes], dtype=np.int64)
        self.vend = np.array([r.end for r in c.routes], dtype=np.int64)
        self.home = np.array([r.home for r in c.routes], dtype=np.int64)
        self.fixed = np.array(c.fixed_cost, dtype=np.int64)
        self.allowed = np.zeros((data.n_nodes, n_vehicles), dtype=np.bool_)
        for u in range(data.n_homes, data.n_nodes):
            self.allowed[u, list(data.allowed[u])] = True
        visits = np.arange(data.n_homes, data.n_nodes)
        minutes = next(iter(data.minutes_int.values()))
        points = data.node_point[visits]
        k = min(NEIGHBOURS, len(visits))
        self.neighbours = visits[np.argsort(minutes[np.ix_(points, points)], axis=1, kind="stable")[:, :k]]
        self.neighbours = np.vstack([np.zeros((data.n_homes, k), dtype=np.int64), self.neighbours])
        # for SISR's "far first" order: minutes from the first carer's home (the depot of a
        # VRPTW benchmark; with homes apart it is only an order among others)
        self.depot_distance = np.zeros(data.n_nodes, dtype=np.int64)
        self.depot_distance[visits] = minutes[data.node_point[c.routes[0].home], points]
        width = data.n_nodes - data.n_homes + 1
        self.nodes = np.zeros((n_vehicles, width), dtype=np.int64)
        self.length = np.zeros(n_vehicles, dtype=np.int64)
        for v, r in enumerate(c.routes):
            self.nodes[v, :len(r.nodes)] = r.nodes
            self.length[v] = len(r.nodes)
        self.est = np.zeros_like(self.nodes)
        self.lst = np.zeros_like(self.nodes)
        self.load = np.zeros(n_vehicles, dtype=np.int64)
        self.cost = np.zeros(n_vehicles, dtype=np.int64)
        self.route_of = np.full(data.n_nodes, -1, dtype=np.int64)
        self.problem = (self.T, self.C, self.ws, self.lw, self.demand, self.capacity, self.vstart, self.vend,
                        self.home, self.fixed, self.allowed, self.neighbours, self.depot_distance)
        self.roster = (self.nodes, self.length, self.est, self.lst, self.load, self.cost, self.route_of)
        for v in range(n_vehicles):
            refresh(v, self.problem, self.roster)
        self.acc_nodes, self.acc_length = self.nodes.copy(), self.length.copy()
        self.best_nodes, self.best_length = self.nodes.copy(), self.length.copy()
