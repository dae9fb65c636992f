"""Compiled ruin-and-recreate for rosters whose only rules are windows, loads and fixed costs.

The construction's own search (:meth:`optimiser.construct.Construction.improve`) knows
every rule of the model but runs in Python: a few hundred steps a second on 100 visits.
When a roster has none of the rules that need it -- breaks, lateness, double-handed
visits, ``after`` gaps, work caps or targets, continuity values, carers with different
travel matrices -- this module runs SISR (Christiaens & Vanden Berghe 2020, "Slack
induction by string removals for vehicle routing problems") compiled by numba instead:
tens of thousands of steps a second. That is the case of the VRPTW benchmarks
(Solomon, Gehring-Homberger), where long routes need many steps to leave the basin the
fleet phase leaves them in.

One step takes strings of consecutive stops out of routes near a random visit, puts
every visit back at its cheapest position (skipping each position with a small
"blink" probability) in one of SISR's orders, and is accepted by simulated annealing.
Times follow the construction's conventions exactly (commute legs take no time,
``T`` holds service + travel), so :func:`load` hands the best roster back to the
construction, whose objective then equals the one found here.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit

from .construct import Construction

STRING_MEAN = 10.0  # visits taken out per step on average (SISR's c-bar)
STRING_MAX = 10  # longest string (L_max)
BLINK = 0.01  # chance of skipping a position while inserting
NEIGHBOURS = 100  # nearest visits kept per visit for the ruin
# temperatures as shares of the routes' cost (fixed costs aside) at the start; the
# temperature falls geometrically from the first to the second over the run
START_TEMPERATURE, END_TEMPERATURE = 0.05, 0.0005
CHUNK_SECONDS = 0.2  # the compiled loop returns this often so the deadline holds
BIG = np.int64(1) << np.int64(60)


def applies(c: Construction) -> bool:
    """Whether ``c``'s roster may be improved here: every visit placed, single-handed
    and untied, and no rule beyond windows, loads, allowed carers and fixed costs."""
    data = c.data
    return bool(
        c.placed
        and len(c.placed) == len(data.nodes_of_visit)
        and all(len(n) == 1 for n in data.nodes_of_visit.values())
        and not c.partners
        and not data.late_limit.any()
        and not any(c.needs_breaks)
        and c.continuity is None
        and not c.work_targets
        and all(m is None for m in c.max_work)
        and len({id(T) for T in c.vehicle_T}) == 1
        and len({id(C) for C in c.vehicle_C}) == 1
        and not c.exact
    )


def improve(c: Construction, deadline: float, seed: int = 0, on_improve=None) -> int:
    """Run SISR on ``c``'s roster until ``deadline`` (``time.monotonic()``), leave ``c``
    at the best roster found and return its objective (requires :func:`applies`)."""
    s = _State(c)
    rng_state = np.random.default_rng(seed).integers(1, 2**62, size=1)
    begin = time.monotonic()
    routed = int(s.cost.sum() - s.fixed[s.length > 0].sum())
    t0, t1 = START_TEMPERATURE * routed, END_TEMPERATURE * routed
    best = current = int(s.cost.sum())
    steps = 0
    iterations = 64
    while (now := time.monotonic()) < deadline:
        frac = (now - begin) / max(1e-3, deadline - begin)
        temperature = t0 * (t1 / t0) ** frac if t0 > 0 else 0.0
        done_at = time.monotonic()
        current, best, improved = _run(
            s.T, s.C, s.ws, s.lw, s.demand, s.capacity, s.vstart, s.vend, s.home, s.fixed, s.allowed,
            s.neighbours, s.depot_distance, s.nodes, s.length, s.est, s.lst, s.load, s.cost, s.route_of,
            s.acc_nodes, s.acc_length, s.best_nodes, s.best_length, current, best, temperature,
            iterations, rng_state, STRING_MEAN, STRING_MAX, BLINK)
        steps += iterations
        took = time.monotonic() - done_at
        iterations = max(16, min(1 << 20, int(iterations * CHUNK_SECONDS / max(took, 1e-4))))
        if improved and on_improve is not None:
            on_improve(best, 0)
    load(c, s.best_nodes, s.best_length)
    c.steps = steps
    return best


class _State:
    """The roster as arrays (one row per vehicle) plus the problem data the kernel reads."""

    def __init__(self, c: Construction):
        data = c.data
        n_vehicles = len(c.routes)
        self.T = np.ascontiguousarray(c.vehicle_T[0], dtype=np.int64)
        self.C = np.ascontiguousarray(c.vehicle_C[0], dtype=np.int64)
        self.ws = np.asarray(c.ws, dtype=np.int64).copy()
        self.lw = np.asarray(c.lw, dtype=np.int64).copy()
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
        # distance from the carer's home, for SISR's "far first" order
        homes = data.node_point[np.array([r.home for r in c.routes[:1]] or [0])]
        self.depot_distance = np.zeros(data.n_nodes, dtype=np.int64)
        self.depot_distance[visits] = minutes[homes[0], points]
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
        for v in range(n_vehicles):
            _refresh(v, self.T, self.C, self.ws, self.lw, self.demand, self.vstart, self.vend, self.home,
                     self.fixed, self.nodes, self.length, self.est, self.lst, self.load, self.cost, self.route_of)
        self.acc_nodes, self.acc_length = self.nodes.copy(), self.length.copy()
        self.best_nodes, self.best_length = self.nodes.copy(), self.length.copy()


def load(c: Construction, nodes: np.ndarray, length: np.ndarray) -> None:
    """Make ``c``'s roster the one in ``nodes``/``length`` (rows per vehicle)."""
    for vi in sorted(c.placed):
        c.remove(vi)
    demand = c.data.demand
    for v, r in enumerate(c.routes):
        r.nodes = [int(u) for u in nodes[v, :length[v]]]
        r.load = int(demand[r.nodes].sum()) if r.nodes else 0
        for u in r.nodes:
            c.route_of[u] = r
            c.placed.add(int(c.data.node_visit[u]))
        c._refresh(r)
    c.work = [0] * len(c.work)
    for r in c.routes:
        if r.nodes:
            c.work[r.home] += sum(r.arc_t)


# --------------------------------------------------------------------------- compiled


@njit(cache=True)
def _random(state) -> float:
    """xorshift64* in [0, 1); ``state`` is a one-element int64 array."""
    x = np.uint64(state[0])
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = np.int64(x)
    return float((x * np.uint64(2685821657736338717)) >> np.uint64(11)) / 9007199254740992.0


@njit(cache=True)
def _refresh(v, T, C, ws, lw, demand, vstart, vend, home, fixed, nodes, length, est, lst, load, cost, route_of):
    n = length[v]
    h = home[v]
    t = vstart[v]
    prev = h
    total = 0
    weight = 0
    for k in range(n):
        u = nodes[v, k]
        t = max(ws[u], t + T[prev, u])
        est[v, k] = t
        total += C[prev, u]
        weight += demand[u]
        route_of[u] = v
        prev = u
    t = vend[v]
    nxt = h
    for k in range(n - 1, -1, -1):
        u = nodes[v, k]
        t = min(lw[u], t - T[u, nxt])
        lst[v, k] = t
        nxt = u
    if n > 0:
        total += C[prev, h] + fixed[v]
    cost[v] = total
    load[v] = weight


@njit(cache=True)
def _remove_at(v, k, nodes, length, route_of):
    u = nodes[v, k]
    for j in range(k, length[v] - 1):
        nodes[v, j] = nodes[v, j + 1]
    length[v] -= 1
    route_of[u] = -1


@njit(cache=True)
def _best_position(u, T, C, ws, lw, demand, capacity, vstart, vend, home, fixed, allowed, nodes, length,
                   est, lst, load, blink, rng):
    """(vehicle, position, cost delta) of the cheapest feasible insertion of ``u``; -1 if none.
    Only the first empty vehicle allowed is tried (empty ones differ only by fixed cost)."""
    best_v, best_k, best_d = -1, -1, BIG
    tried_empty = False
    for v in range(nodes.shape[0]):
        if not allowed[u, v] or load[v] + demand[u] > capacity[v]:
            continue
        n = length[v]
        if n == 0:
            if tried_empty:
                continue
            tried_empty = True
        h = home[v]
        for k in range(n + 1):
            p = h if k == 0 else nodes[v, k - 1]
            q = h if k == n else nodes[v, k]
            if k == 0:
                lo = vstart[v]
            else:
                if est[v, k - 1] > lw[u]:
                    break  # u would start after its window here and at every later position
                lo = est[v, k - 1] + T[p, u]
            if lo < ws[u]:
                lo = ws[u]
            if lo > lw[u]:
                continue
            hi = vend[v] if k == n else lst[v, k]
            if lo + T[u, q] > hi:
                continue
            d = C[p, u] + C[u, q] - C[p, q] if n > 0 else C[h, u] + C[u, h] + fixed[v]
            if d < best_d and _random(rng) >= blink:
                best_v, best_k, best_d = v, k, d
    return best_v, best_k, best_d


@njit(cache=True)
def _run(T, C, ws, lw, demand, capacity, vstart, vend, home, fixed, allowed, neighbours, depot_distance,
         nodes, length, est, lst, load, cost, route_of, acc_nodes, acc_length, best_nodes, best_length,
         current, best, temperature, iterations, rng, string_mean, string_max, blink):
    n_vehicles = nodes.shape[0]
    removed = np.empty(nodes.shape[0] * nodes.shape[1], dtype=np.int64)
    ruined = np.zeros(n_vehicles, dtype=np.bool_)
    dirty = np.zeros(n_vehicles, dtype=np.bool_)
    keys = np.empty(removed.shape[0], dtype=np.float64)
    improved = False
    for _ in range(iterations):
        # ---- ruin: strings through the routes of visits near a random one
        used = 0
        stops = 0
        for v in range(n_vehicles):
            ruined[v] = False
            dirty[v] = False
            if length[v] > 0:
                used += 1
                stops += length[v]
        if used == 0:
            break
        l_max = min(float(string_max), stops / used)
        k_max = 4.0 * string_mean / (1.0 + l_max) - 1.0
        strings = int(1.0 + _random(rng) * k_max)
        if strings < 1:
            strings = 1
        seed = -1
        total_visits = neighbours.shape[0]
        while seed < 0:
            cand = int(_random(rng) * total_visits)
            if route_of[cand] >= 0:
                seed = cand
        n_removed = 0
        done = 0
        for j in range(neighbours.shape[1]):
            if done >= strings:
                break
            w = neighbours[seed, j]
            v = route_of[w]
            if v < 0 or ruined[v]:
                continue
            ruined[v] = True
            dirty[v] = True
            done += 1
            n = length[v]
            size = int(1.0 + _random(rng) * min(float(n), l_max))
            if size > n:
                size = n
            at = 0
            for k in range(n):
                if nodes[v, k] == w:
                    at = k
            lo_first = max(0, at - size + 1)
            hi_first = min(at, n - size)
            first = lo_first + int(_random(rng) * (hi_first - lo_first + 1))
            for _ in range(size):
                removed[n_removed] = nodes[v, first]
                n_removed += 1
                _remove_at(v, first, nodes, length, route_of)
            _refresh(v, T, C, ws, lw, demand, vstart, vend, home, fixed, nodes, length, est, lst, load,
                     cost, route_of)
        # ---- recreate in one of SISR's orders: random, demand, far, close (4:4:2:1)
        how = _random(rng) * 11.0
        for i in range(n_removed):
            u = removed[i]
            if how < 4.0:
                keys[i] = _random(rng)
            elif how < 8.0:
                keys[i] = -demand[u] + _random(rng) * 0.5
            elif how < 10.0:
                keys[i] = -depot_distance[u] + _random(rng) * 0.5
            else:
                keys[i] = depot_distance[u] + _random(rng) * 0.5
        order = np.argsort(keys[:n_removed])
        missing = 0
        for i in order:
            u = removed[i]
            v, k, d = _best_position(u, T, C, ws, lw, demand, capacity, vstart, vend, home, fixed, allowed,
                                     nodes, length, est, lst, load, blink, rng)
            if v < 0:
                missing += 1
                continue
            for j in range(length[v], k, -1):
                nodes[v, j] = nodes[v, j - 1]
            nodes[v, k] = u
            length[v] += 1
            dirty[v] = True
            _refresh(v, T, C, ws, lw, demand, vstart, vend, home, fixed, nodes, length, est, lst, load,
                     cost, route_of)
        value = 0
        for v in range(n_vehicles):
            value += cost[v]
        accept = missing == 0 and (value < current or (
            temperature > 0 and value < current - temperature * np.log(max(_random(rng), 1e-300))))
        if accept:
            current = value
            for v in range(n_vehicles):
                if dirty[v]:
                    acc_length[v] = length[v]
                    acc_nodes[v, :length[v]] = nodes[v, :length[v]]
            if current < best:
                best = current
                improved = True
                best_nodes[:, :] = acc_nodes
                best_length[:] = acc_length
        else:
            for v in range(n_vehicles):
                if dirty[v]:
                    length[v] = acc_length[v]
                    nodes[v, :length[v]] = acc_nodes[v, :length[v]]
            for i in range(n_removed):
                route_of[removed[i]] = -1
            for v in range(n_vehicles):
                if dirty[v]:
                    _refresh(v, T, C, ws, lw, demand, vstart, vend, home, fixed, nodes, length, est, lst,
                             load, cost, route_of)
    return current, best, improved
