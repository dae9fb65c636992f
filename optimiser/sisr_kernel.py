"""The compiled part of :mod:`optimiser.sisr` (numba): the fleet phase on a roster held as arrays.

``problem`` = (T, C, ws, lw, demand, capacity, vstart, vend, home, fixed, allowed,
neighbours, depot_distance); ``roster`` = (nodes, length, est, lst, load, cost, route_of),
one row per vehicle, updated in place.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# (the generator is optimiser.search_kernel's; numba's cache would keep an older copy of it
# here if it changed, so it must not)
from .search_kernel import random01

BIG = np.int64(1) << np.int64(60)

@njit(cache=True)
def refresh(v, problem, roster):
    """Start ranges, load and cost of route ``v`` from its stops (as optimiser.route_times.RouteTimes.refresh)."""
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
            if d < best_d and random01(rng) >= blink:
                best_v, best_k, best_d = v, k, d
    return best_v, best_k


@njit(cache=True)
def _insert_at(u, v, k, problem, roster):
    nodes, length = roster[0], roster[1]
    for j in range(length[v], k, -1):
        nodes[v, j] = nodes[v, j - 1]
    nodes[v, k] = u
    length[v] += 1
    refresh(v, problem, roster)


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
    refresh(v, problem, roster)
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
    strings = max(1, int(1.0 + random01(rng) * k_max))
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
        size = min(n, int(1.0 + random01(rng) * min(float(n), l_max)))
        at = 0
        for k in range(n):
            if nodes[v, k] == w:
                at = k
        lo_first = max(0, at - size + 1)
        hi_first = min(at, n - size)
        first = lo_first + int(random01(rng) * (hi_first - lo_first + 1))
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
            refresh(v, problem, roster)


@njit(cache=True)
def fleet_steps(problem, roster, acc_nodes, acc_length, best_nodes, best_length, track, usable, out, absence,
           width, fewest, patience, iterations, rng, string_mean, string_max):
    """``iterations`` steps of the fleet phase (see :func:`optimiser.sisr.minimise_fleet`). ``track`` =
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
                [random01(rng) * 0.5 for _ in range(n_vehicles)]))
            pick = order[0] if random01(rng) < 0.5 else order[int(random01(rng) * min(3, routes))]
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
        seed = out[1 + int(random01(rng) * out[0])]
        n_removed = out[0]
        removed[:n_removed] = out[1:n_removed + 1]
        n_removed = _ruin(seed, string_mean, string_max, problem, roster, usable, dirty, removed, n_removed,
                          rng)
        how = random01(rng)
        for i in range(n_removed):
            u = removed[i]
            noise = random01(rng)
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
