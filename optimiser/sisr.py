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

:func:`minimise_fleet` is :func:`optimiser.fleet.minimise_fleet` compiled (same steps and
acceptance); :func:`improve` then lowers the cost: one step takes strings of
consecutive stops out of routes near a random visit, puts every visit back at its
cheapest position (skipping each position with a small "blink" probability) in one of
SISR's orders, and is accepted by simulated annealing.
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
FLEET_STRING_MEAN = 10.0  # the same in the fleet phase (optimiser.fleet.STRING_MEAN)
# fleet steps without a route fewer before giving up (~7 s on 100 visits). Solomon, 12 s at
# most: 20,000 left R104, R110, RC101, RC106 one route above the best known, 300,000 none of them
FLEET_PATIENCE = 300_000
STRING_MAX = 10  # longest string (L_max)
BLINK = 0.01  # chance of skipping a position while inserting
NEIGHBOURS = 100  # nearest visits kept per visit for the ruin
# temperatures as shares of the routes' cost (fixed costs aside) at the start and at the
# deadline, falling geometrically (R202, R206, R207, R211, RC206, RC207 at 10 s: mean gap
# 2.3 % from 0.05, 3.4 % from 0.01; six R1/RC1 instances equal)
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
    rng = np.random.default_rng(seed).integers(1, 2**62, size=1)
    routed = int(s.cost.sum() - s.fixed[s.length > 0].sum())
    t0, t1 = START_TEMPERATURE * routed, END_TEMPERATURE * routed
    values = np.array([s.cost.sum(), s.cost.sum()], dtype=np.int64)  # current, best
    usable = np.ones(len(c.routes), dtype=np.bool_)

    def chunk(iterations: int, frac: float) -> bool:
        temperature = t0 * (t1 / t0) ** frac if t0 > 0 else 0.0
        best = values[1]
        _anneal(s.problem, s.roster, s.acc_nodes, s.acc_length, s.best_nodes, s.best_length, values,
                temperature, usable, iterations, rng, STRING_MEAN, STRING_MAX, BLINK)
        if values[1] < best and on_improve is not None:
            on_improve(int(values[1]), 0)
        return False

    c.steps = _chunks(chunk, deadline)
    load(c, s.best_nodes, s.best_length)
    return int(values[1])


def minimise_fleet(c: Construction, deadline: float, seed: int = 0, patience: int = FLEET_PATIENCE,
                   on_improve=None) -> int:
    """:func:`optimiser.fleet.minimise_fleet` compiled (same steps, same acceptance; requires
    :func:`applies`): empty a short route, then ruin and recreate with the routes still in
    use until no visit is out; repeat down to the lower bound, for ``patience`` steps
    without a route fewer, or until ``deadline``. Leaves ``c`` at the complete roster with
    fewest routes found; returns the routes removed."""
    from .fleet import _FleetSearch

    used = sum(1 for r in c.routes if r.nodes)
    if not any(c.fixed_cost) or used < 2 or time.monotonic() >= deadline:
        return 0
    fewest = _FleetSearch(c, seed).fewest
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
        _fleet(s.problem, s.roster, s.acc_nodes, s.acc_length, s.best_nodes, s.best_length, track, usable,
               out, absence, width, fewest, patience, iterations, rng, FLEET_STRING_MEAN, STRING_MAX)
        if track[0] < routes and on_improve is not None:
            on_improve(int(track[1]), 0)
        return bool(track[3])

    _chunks(chunk, deadline)
    load(c, s.best_nodes, s.best_length)
    return used - int(track[0])


def _chunks(chunk, deadline: float) -> int:
    """Call ``chunk(iterations, share of the time gone)`` until ``deadline`` or until it
    returns True, sizing chunks to about CHUNK_SECONDS; return the iterations run. The
    first chunk (64 steps) runs even when the deadline has passed, e.g. while numba
    compiled the kernel (once per install; the compiled code is cached on disk)."""
    begin = time.monotonic()
    iterations, steps = 64, 0
    while (now := time.monotonic()) < deadline or not steps:
        stop = chunk(iterations, (now - begin) / max(1e-3, deadline - begin))
        steps += iterations
        if stop:
            break
        took = time.monotonic() - now
        iterations = max(16, min(1 << 20, int(iterations * CHUNK_SECONDS / max(took, 1e-4))))
    return steps


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
            _refresh(v, self.problem, self.roster)
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
# ``problem`` = (T, C, ws, lw, demand, capacity, vstart, vend, home, fixed, allowed,
# neighbours, depot_distance); ``roster`` = (nodes, length, est, lst, load, cost, route_of),
# one row per vehicle, updated in place.


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
def _refresh(v, problem, roster):
    """Start ranges, load and cost of route ``v`` from its stops (as Construction._refresh)."""
    T, C, ws, lw, demand, _, vstart, vend, home, fixed = problem[:10]
    nodes, length, est, lst, load, cost, route_of = roster
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
def _best_position(u, problem, roster, usable, blink, rng):
    """(vehicle, position) of the cheapest feasible insertion of ``u`` into a ``usable``
    vehicle, (-1, -1) if none. Only the first empty vehicle is tried (empty ones differ
    only by fixed cost); each position is skipped with probability ``blink``."""
    T, C, ws, lw, demand, capacity, vstart, vend, home, fixed, allowed = problem[:11]
    nodes, length, est, lst, load = roster[:5]
    best_v, best_k, best_d = -1, -1, BIG
    tried_empty = False
    for v in range(nodes.shape[0]):
        if not usable[v] or not allowed[u, v] or load[v] + demand[u] > capacity[v]:
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
    return best_v, best_k


@njit(cache=True)
def _insert_at(u, v, k, problem, roster):
    nodes, length = roster[0], roster[1]
    for j in range(length[v], k, -1):
        nodes[v, j] = nodes[v, j - 1]
    nodes[v, k] = u
    length[v] += 1
    _refresh(v, problem, roster)


@njit(cache=True)
def _remove_string(v, first, size, problem, roster, removed, n_removed):
    """Take stops ``first .. first + size - 1`` out of route ``v`` into ``removed``."""
    nodes, length, route_of = roster[0], roster[1], roster[6]
    n = length[v]
    for k in range(size):
        removed[n_removed + k] = nodes[v, first + k]
        route_of[nodes[v, first + k]] = -1
    for j in range(first, n - size):
        nodes[v, j] = nodes[v, j + size]
    length[v] = n - size
    _refresh(v, problem, roster)
    return n_removed + size


@njit(cache=True)
def _ruin(seed, string_mean, string_max, problem, roster, usable, dirty, removed, n_removed, rng):
    """SISR's string removal: one run of consecutive stops through each of the routes of
    the visits nearest ``seed`` (nearest first), about ``string_mean`` visits in all.
    Marks the routes ruined in ``dirty``; returns the new count in ``removed``."""
    neighbours = problem[11]
    nodes, length, route_of = roster[0], roster[1], roster[6]
    used = 0
    stops = 0
    for v in range(nodes.shape[0]):
        if length[v] > 0 and usable[v]:
            used += 1
            stops += length[v]
    if used == 0:
        return n_removed
    l_max = min(float(string_max), stops / used)
    k_max = 4.0 * string_mean / (1.0 + l_max) - 1.0
    strings = max(1, int(1.0 + _random(rng) * k_max))
    ruined = np.zeros(nodes.shape[0], dtype=np.bool_)
    done = 0
    for j in range(neighbours.shape[1]):
        if done >= strings:
            break
        w = neighbours[seed, j]
        v = route_of[w]
        if v < 0 or ruined[v] or not usable[v]:
            continue
        ruined[v] = True
        dirty[v] = True
        done += 1
        n = length[v]
        size = min(n, int(1.0 + _random(rng) * min(float(n), l_max)))
        at = 0
        for k in range(n):
            if nodes[v, k] == w:
                at = k
        lo_first = max(0, at - size + 1)
        hi_first = min(at, n - size)
        first = lo_first + int(_random(rng) * (hi_first - lo_first + 1))
        n_removed = _remove_string(v, first, size, problem, roster, removed, n_removed)
    return n_removed


@njit(cache=True)
def _recreate(removed, n_removed, keys, problem, roster, usable, dirty, missing, blink, rng):
    """Insert ``removed[:n_removed]`` in increasing ``keys`` order, each at its cheapest
    position; the visits no route takes go to ``missing``; returns how many."""
    n_missing = 0
    for i in np.argsort(keys[:n_removed]):
        u = removed[i]
        v, k = _best_position(u, problem, roster, usable, blink, rng)
        if v < 0:
            missing[n_missing] = u
            n_missing += 1
            continue
        dirty[v] = True
        _insert_at(u, v, k, problem, roster)
    return n_missing


@njit(cache=True)
def _keep(problem, roster, acc_nodes, acc_length, dirty, accept):
    """Accept the changed routes (copy them to ``acc_*``) or put them back from there."""
    nodes, length, route_of = roster[0], roster[1], roster[6]
    for v in range(nodes.shape[0]):
        if not dirty[v]:
            continue
        if accept:
            acc_length[v] = length[v]
            acc_nodes[v, :length[v]] = nodes[v, :length[v]]
        else:
            for k in range(length[v]):
                route_of[nodes[v, k]] = -1
    if accept:
        return
    for v in range(nodes.shape[0]):
        if dirty[v]:
            length[v] = acc_length[v]
            nodes[v, :length[v]] = acc_nodes[v, :length[v]]
            _refresh(v, problem, roster)


@njit(cache=True)
def _random_visit(route_of, rng):
    while True:
        u = int(_random(rng) * route_of.shape[0])
        if route_of[u] >= 0:
            return u


@njit(cache=True)
def _anneal(problem, roster, acc_nodes, acc_length, best_nodes, best_length, values, temperature, usable,
            iterations, rng, string_mean, string_max, blink):
    """``iterations`` SISR steps at ``temperature``; ``values`` = [current, best] objective."""
    demand, depot_distance = problem[4], problem[12]
    nodes, cost = roster[0], roster[5]
    size = nodes.shape[0] * nodes.shape[1]
    removed = np.empty(size, dtype=np.int64)
    missing = np.empty(size, dtype=np.int64)
    keys = np.empty(size, dtype=np.float64)
    dirty = np.zeros(nodes.shape[0], dtype=np.bool_)
    for _ in range(iterations):
        dirty[:] = False
        seed = _random_visit(roster[6], rng)
        n_removed = _ruin(seed, string_mean, string_max, problem, roster, usable, dirty, removed, 0, rng)
        # SISR's orders: random, demand, far from the depot, close (weights 4:4:2:1)
        how = _random(rng) * 11.0
        for i in range(n_removed):
            u = removed[i]
            noise = _random(rng)
            if how < 4.0:
                keys[i] = noise
            elif how < 8.0:
                keys[i] = -demand[u] + noise * 0.5
            elif how < 10.0:
                keys[i] = -depot_distance[u] + noise * 0.5
            else:
                keys[i] = depot_distance[u] + noise * 0.5
        n_missing = _recreate(removed, n_removed, keys, problem, roster, usable, dirty, missing, blink, rng)
        value = cost.sum()
        accept = n_missing == 0 and (value < values[0] or (
            temperature > 0 and value < values[0] - temperature * np.log(max(_random(rng), 1e-300))))
        _keep(problem, roster, acc_nodes, acc_length, dirty, accept)
        if accept:
            values[0] = value
            if value < values[1]:
                values[1] = value
                best_nodes[:, :] = acc_nodes
                best_length[:] = acc_length


@njit(cache=True)
def _fleet(problem, roster, acc_nodes, acc_length, best_nodes, best_length, track, usable, out, absence,
           width, fewest, patience, iterations, rng, string_mean, string_max):
    """``iterations`` steps of the fleet phase (see :func:`minimise_fleet`). ``track`` =
    [routes of the best complete roster, its objective, idle steps, finished]; ``out`` =
    [count, visits out...]; ``usable`` = the routes insertions may use."""
    nodes, length, cost = roster[0], roster[1], roster[5]
    n_vehicles = nodes.shape[0]
    size = n_vehicles * nodes.shape[1]
    removed = np.empty(size, dtype=np.int64)
    missing = np.empty(size, dtype=np.int64)
    keys = np.empty(size, dtype=np.float64)
    dirty = np.zeros(n_vehicles, dtype=np.bool_)
    for _ in range(iterations):
        if track[2] >= patience:
            track[3] = 1
            return
        track[2] += 1
        if out[0] == 0:
            routes = 0
            for v in range(n_vehicles):
                if length[v] > 0:
                    routes += 1
            value = cost.sum()
            if routes < track[0] and value < track[1]:
                track[0], track[1], track[2] = routes, value, 0
                best_nodes[:, :] = acc_nodes
                best_length[:] = acc_length
            if routes <= fewest:
                track[3] = 1
                return
            # empty a short route (the shortest half the time, else one of the three shortest)
            order = np.argsort(length + (length == 0) * size + np.array(
                [_random(rng) * 0.5 for _ in range(n_vehicles)]))
            pick = order[0] if _random(rng) < 0.5 else order[int(_random(rng) * min(3, routes))]
            dirty[:] = False
            dirty[pick] = True
            n = _remove_string(pick, 0, length[pick], problem, roster, removed, 0)
            _keep(problem, roster, acc_nodes, acc_length, dirty, True)
            for v in range(n_vehicles):
                usable[v] = length[v] > 0
            out[0] = n
            out[1:n + 1] = removed[:n]
            continue
        dirty[:] = False
        seed = out[1 + int(_random(rng) * out[0])]
        n_removed = out[0]
        removed[:n_removed] = out[1:n_removed + 1]
        n_removed = _ruin(seed, string_mean, string_max, problem, roster, usable, dirty, removed, n_removed,
                          rng)
        how = _random(rng)
        for i in range(n_removed):
            u = removed[i]
            noise = _random(rng)
            if how < 0.5:
                keys[i] = -absence[u] + noise * 0.5
            elif how < 0.75:
                keys[i] = width[u] + noise * 0.5
            else:
                keys[i] = noise
        n_missing = _recreate(removed, n_removed, keys, problem, roster, usable, dirty, missing, 0.0, rng)
        before = 0
        for i in range(out[0]):
            before += absence[out[1 + i]]
        after = 0
        for i in range(n_missing):
            after += absence[missing[i]]
        accept = n_missing < out[0] or after <= before
        _keep(problem, roster, acc_nodes, acc_length, dirty, accept)
        if accept:
            out[0] = n_missing
            out[1:n_missing + 1] = missing[:n_missing]
        for i in range(out[0]):
            absence[out[1 + i]] += 1
