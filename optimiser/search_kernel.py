"""The compiled loops of :mod:`optimiser.search` (numba): ruin and recreate over the whole model.

The roster is held as arrays, one row per vehicle (a carer's shift). ``p`` is the
immutable problem (:class:`Arrays`, built by :func:`optimiser.search.arrays`) and ``s``
the roster (:class:`Roster`), changed in place. Every rule the construction keeps is
kept here the same way (:mod:`optimiser.construct` says how): windows and shifts,
per-vehicle travel and cost matrices, allowed vehicles (every eligibility rule, resolved
by :mod:`optimiser.compile`), loads, the weekly cap across a carer's shifts of a week, the
commute rules (which visits may open or close a shift), the break rule (through
:func:`optimiser.stretches_kernel.route_starts`, the compiled form of
:class:`optimiser.rules.Stretches`), double-handed visits (two carers, one start) and
``after`` gaps (visits tied by either rule keep a fixed start once placed). The
objective is the construction's with continuity priced exactly
(:meth:`optimiser.construct.Construction.enable_exact_continuity`): arcs, fixed costs,
lateness, contracted-minutes bounds, drop penalties, and per client each distinct new
carer once plus each visit's language, preference and familiar-carer terms.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .stretches_kernel import route_starts

# numba's on-disk cache is keyed by this file alone: code compiled here inlines
# stretches_kernel.route_starts, and an edit there alone would leave the cached (old) break
# rule in use. The digest of that file, checked by tests/optimiser/test_search.py, makes
# any edit there an edit here too.
STRETCHES_DIGEST = "28810d00b395b515"

BIG = np.int64(1) << np.int64(60)
NONE = -(np.int64(1) << np.int64(40))  # an `after` gap with no bound on that side

Arrays = namedtuple("Arrays", [
    # per vehicle
    "Ts", "Cs", "t_class", "c_class", "home", "group", "vstart", "vend", "fixed", "capacity", "breaks", "twin",
    "target", "short_cost", "over_cost", "opens", "closes",
    # per work group (a carer's calendar week, optimiser.compile.work_groups): cap, -1 for none
    "max_work",
    # per node (homes first); a start past "due" costs "late" a minute (rules.start_price)
    "ws0", "lw0", "due", "late", "duration", "demand", "unpaid", "kind", "penalty", "visit", "client",
    "allowed", "neighbours", "depot_distance",
    # per visit
    "vnodes", "rank", "width", "p_first", "p_visit", "p_lo", "p_hi",
    # per client: her visits (CSR: c_visits[c_first[cl]:c_first[cl + 1]])
    "c_first", "c_visits",
    # per client x carer
    "pair_cost", "new_cost",
    # scalars as arrays: [1.0 when any start is priced, else 0.0], break limits
    "late_cost", "limits",
])

Roster = namedtuple("Roster", [
    "nodes", "length", "est", "lst", "load", "cost", "work", "group_work", "route_of",
    "ws", "lw", "pin", "pairs",
    # [continuity total, dropped total]
    "totals",
])


@njit(cache=True)
def random01(state) -> float:
    """xorshift64* in [0, 1); ``state`` is a one-element int64 array."""
    x = np.uint64(state[0])
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = np.int64(x)
    return float((x * np.uint64(2685821657736338717)) >> np.uint64(11)) / 9007199254740992.0


@njit(cache=True)
def target_cost(p, v, work) -> int:
    """The contracted-minutes soft bounds of vehicle ``v`` at ``work`` paid minutes."""
    t = p.target[v]
    if t < 0:
        return 0
    if work < t:
        return p.short_cost[v] * (t - work)
    return p.over_cost[v] * (work - t)


@njit(cache=True)
def refresh(p, s, v, starts) -> bool:
    """Recompute route ``v``'s start ranges, load, paid minutes and cost from its stops
    (``starts``: scratch). False when the break rule cannot be kept (a removal moved a
    start so that a stretch runs too long): the step that did it is undone."""
    T = p.Ts[p.t_class[v]]
    C = p.Cs[p.c_class[v]]
    n = s.length[v]
    h = p.home[v]
    t = p.vstart[v]
    prev = h
    arcs = 0
    worked = 0
    weight = 0
    for k in range(n):
        u = s.nodes[v, k]
        t = max(s.ws[u], t + T[prev, u])
        s.est[v, k] = t
        arcs += C[prev, u]
        worked += T[prev, u] - p.unpaid[u]
        weight += p.demand[u]
        s.route_of[u] = v
        prev = u
    worked += T[prev, h]
    t = p.vend[v]
    nxt = h
    for k in range(n - 1, -1, -1):
        u = s.nodes[v, k]
        t = min(s.lw[u], t - T[u, nxt])
        s.lst[v, k] = t
        nxt = u
    ok = True
    late = 0
    if n > 0 and p.breaks[v]:
        ok = route_starts(s.nodes[v], n, T, p.kind, p.duration, s.ws, s.lw, p.vstart[v], p.vend[v], True,
                          p.limits, starts)
        if ok and p.late_cost[0] > 0:
            for k in range(n):
                u = s.nodes[v, k]
                if p.late[u] and starts[k] > p.due[u]:
                    late += (starts[k] - p.due[u]) * p.late[u]
    elif p.late_cost[0] > 0:
        for k in range(n):
            u = s.nodes[v, k]
            if p.late[u] and s.est[v, k] > p.due[u]:
                late += (s.est[v, k] - p.due[u]) * p.late[u]
    s.load[v] = weight
    s.group_work[p.group[v]] += (worked if n > 0 else 0) - s.work[v]
    s.work[v] = worked if n > 0 else 0
    if n > 0:
        s.cost[v] = arcs + C[prev, h] + p.fixed[v] + late + target_cost(p, v, worked)
    else:
        s.cost[v] = 0
    return ok


@njit(cache=True)
def _assign(p, s, u, v):
    """Bookkeeping of node ``u`` going into a route of vehicle ``v``: continuity and drops."""
    cl = p.client[u]
    c = p.home[v]
    if s.pairs[cl, c] == 0:
        s.totals[0] += p.new_cost[cl, c]
    s.pairs[cl, c] += 1
    s.totals[0] += p.pair_cost[cl, c]
    s.totals[1] -= p.penalty[u]


@njit(cache=True)
def _unassign(p, s, u, v):
    cl = p.client[u]
    c = p.home[v]
    s.pairs[cl, c] -= 1
    if s.pairs[cl, c] == 0:
        s.totals[0] -= p.new_cost[cl, c]
    s.totals[0] -= p.pair_cost[cl, c]
    s.totals[1] += p.penalty[u]


@njit(cache=True)
def _set_pin(p, s, u, start):
    s.pin[u] = start
    if start >= 0:
        s.ws[u] = start
        s.lw[u] = start
    else:
        s.ws[u] = p.ws0[u]
        s.lw[u] = p.lw0[u]


@njit(cache=True)
def objective(s) -> int:
    return s.cost.sum() + s.totals[0] + s.totals[1]


# ---------------------------------------------------------------------------- inserting


@njit(cache=True)
def _pushed_late(p, s, v, k, arrive, T) -> int:
    """Cost of the extra minutes past their priced start (``p.due``, at ``p.late`` a minute)
    of stops ``k..`` when stop ``k`` can start no earlier than ``arrive``."""
    extra = 0
    n = s.length[v]
    for j in range(k, n):
        if arrive <= s.est[v, j]:
            break
        u = s.nodes[v, j]
        if p.late[u] and arrive > p.due[u]:
            extra += (arrive - max(p.due[u], s.est[v, j])) * p.late[u]
        if j + 1 < n:
            arrive = max(arrive + T[u, s.nodes[v, j + 1]], s.ws[s.nodes[v, j + 1]])
    return extra


@njit(cache=True)
def _fits_breaks(p, s, v, u, k, start, seq, starts) -> bool:
    """Whether route ``v`` with ``u`` at position ``k`` (pinned at ``start`` unless < 0)
    keeps the break rule (and its windows, with break-delayed starts)."""
    n = s.length[v]
    for j in range(k):
        seq[j] = s.nodes[v, j]
    seq[k] = u
    for j in range(k, n):
        seq[j + 1] = s.nodes[v, j]
    saved_ws, saved_lw = s.ws[u], s.lw[u]
    if start >= 0:
        s.ws[u] = start
        s.lw[u] = start
    ok = route_starts(seq, n + 1, p.Ts[p.t_class[v]], p.kind, p.duration, s.ws, s.lw, p.vstart[v], p.vend[v],
                      True, p.limits, starts)
    s.ws[u] = saved_ws
    s.lw[u] = saved_lw
    return ok


@njit(cache=True)
def _options(p, s, u, ws, lw, v, out, n_out, blink, rng, only_best, seq, starts, tied):
    """Append ``(cost, vehicle, position, earliest, latest, work delta)`` rows to ``out``
    for the feasible positions of node ``u`` (start in ``[ws, lw]``) in route ``v``; with
    ``only_best``, only positions cheaper than every earlier one, each checked against the
    break rule (what a single insertion needs; a double checks the pair's common start
    itself). Returns the new row count."""
    n = s.length[v]
    h = p.home[v]
    if s.load[v] + p.demand[u] > p.capacity[v]:
        return n_out
    T = p.Ts[p.t_class[v]]
    C = p.Cs[p.c_class[v]]
    c = h
    cl = p.client[u]
    extra = p.pair_cost[cl, c]
    if s.pairs[cl, c] == 0:
        extra += p.new_cost[cl, c]
    if n == 0:
        extra += p.fixed[v]
    g = p.group[v]
    room = BIG if p.max_work[g] < 0 else p.max_work[g] - s.group_work[g]
    late_cost = p.late_cost[0]
    best = BIG
    # no position before the first stop whose latest start is >= ws can take u (starts only grow)
    first, last = 0, n
    while first < last:
        mid = (first + last) // 2
        if s.lst[v, mid] < ws:
            first = mid + 1
        else:
            last = mid
    for k in range(first, n + 1):
        if k == 0:
            prev = h
            lo = p.vstart[v]
            if not p.opens[v, u]:
                continue
        else:
            if s.est[v, k - 1] > lw:
                break  # u would start after its window here and at every later position
            prev = s.nodes[v, k - 1]
            lo = s.est[v, k - 1] + T[prev, u]
        if lo < ws:
            lo = ws
        if lo > lw:
            continue
        if k == n:
            q = h
            if not p.closes[v, u]:
                continue
            hi = p.vend[v] - T[u, q]
        else:
            q = s.nodes[v, k]
            hi = s.lst[v, k] - T[u, q]
        if hi > lw:
            hi = lw
        if lo > hi:
            continue
        dwork = T[prev, u] + T[u, q] - T[prev, q]
        if dwork - p.unpaid[u] > room:
            continue
        cost = C[prev, u] + C[u, q] - C[prev, q] + extra
        if p.target[v] >= 0:
            cost += target_cost(p, v, s.work[v] + dwork - p.unpaid[u]) - target_cost(p, v, s.work[v])
        if only_best and cost >= best:
            continue  # lateness only adds to it
        if late_cost > 0:
            late = 0
            if p.late[u] and lo > p.due[u]:
                late += (lo - p.due[u]) * p.late[u]
            if k < n:
                late += _pushed_late(p, s, v, k, lo + T[u, q], T)
            cost += late
        if only_best and (cost >= best or random01(rng) < blink):
            continue
        if only_best and p.breaks[v] and not _fits_breaks(p, s, v, u, k, lo if tied else -1, seq, starts):
            continue
        best = cost
        out[n_out, 0] = cost
        out[n_out, 1] = v
        out[n_out, 2] = k
        out[n_out, 3] = lo
        out[n_out, 4] = hi
        out[n_out, 5] = dwork
        n_out += 1
    return n_out


@njit(cache=True)
def _insert_at(p, s, u, v, k, start, starts):
    n = s.length[v]
    for j in range(n, k, -1):
        s.nodes[v, j] = s.nodes[v, j - 1]
    s.nodes[v, k] = u
    s.length[v] = n + 1
    _set_pin(p, s, u, start)
    _assign(p, s, u, v)
    refresh(p, s, v, starts)


@njit(cache=True)
def _window(p, s, vi):
    """Start range of visit ``vi``: its window cut by the `after` gaps to partners placed
    (hard) and, when that leaves room, to the windows of partners still out. (ws > lw: none)."""
    u = p.vnodes[vi, 0]
    ws, lw = p.ws0[u], p.lw0[u]
    soft_ws, soft_lw = ws, lw
    for j in range(p.p_first[vi], p.p_first[vi + 1]):
        o = p.vnodes[p.p_visit[j], 0]
        lo, hi = p.p_lo[j], p.p_hi[j]
        if s.route_of[o] >= 0:
            a = s.pin[o] if s.pin[o] >= 0 else p.ws0[o]
            b = s.pin[o] if s.pin[o] >= 0 else p.lw0[o]
            if lo != NONE:
                ws = max(ws, a + lo)
                soft_ws = max(soft_ws, a + lo)
            if hi != NONE:
                lw = min(lw, b + hi)
                soft_lw = min(soft_lw, b + hi)
        else:
            if lo != NONE:
                soft_ws = max(soft_ws, p.ws0[o] + lo)
            if hi != NONE:
                soft_lw = min(soft_lw, p.lw0[o] + hi)
    if soft_ws <= soft_lw:
        return soft_ws, soft_lw
    return ws, lw


@njit(cache=True)
def insert_visit(p, s, vi, usable, dirty, blink, rng, opts_a, opts_b, seq, starts) -> bool:
    """Place visit ``vi`` at its cheapest feasible position(s) (with its lone `after`
    partner when both are out); False if none."""
    if s.route_of[p.vnodes[vi, 0]] >= 0:
        return True  # went in with its partner
    oi = _lone_partner(p, s, vi)
    if oi >= 0 and _insert_pair(p, s, vi, oi, usable, dirty, blink, rng, opts_a, opts_b, seq, starts):
        return True
    ws, lw = _window(p, s, vi)
    if ws > lw:
        return False
    a = p.vnodes[vi, 0]
    b = p.vnodes[vi, 1]
    tied = b >= 0 or p.p_first[vi + 1] > p.p_first[vi]
    n_vehicles = s.length.shape[0]
    if b < 0:
        n_a = 0
        best_v, best_k, best_lo, best_c = -1, -1, 0, BIG
        tried = np.zeros(n_vehicles, dtype=np.bool_)  # twin keys of empty routes tried
        for v in range(n_vehicles):
            if not usable[v] or not p.allowed[a, v] or p.vstart[v] > lw or p.vend[v] < ws:
                continue
            if s.length[v] == 0 and p.twin[v] >= 0:  # identical empty routes: one is enough
                if tried[p.twin[v]]:
                    continue
                tried[p.twin[v]] = True
            n_a = _options(p, s, a, ws, lw, v, opts_a, 0, blink, rng, True, seq, starts, tied)
            if n_a > 0 and opts_a[n_a - 1, 0] < best_c:
                best_c = opts_a[n_a - 1, 0]
                best_v, best_k, best_lo = v, opts_a[n_a - 1, 2], opts_a[n_a - 1, 3]
        if best_v < 0:
            return False
        dirty[best_v] = True
        _insert_at(p, s, a, best_v, best_k, best_lo if tied else -1, starts)
        return True
    return _insert_two(p, s, a, b, ws, lw, ws, lw, 0, 0, True, usable, dirty, blink, rng, opts_a, opts_b, seq,
                       starts)


@njit(cache=True)
def _lone_partner(p, s, vi) -> int:
    """The `after` partner of ``vi`` when the two are single-handed, tied to nothing else
    and both out (they then go in together), else -1."""
    if p.p_first[vi + 1] - p.p_first[vi] != 1 or p.vnodes[vi, 1] >= 0:
        return -1
    oi = p.p_visit[p.p_first[vi]]
    if p.p_first[oi + 1] - p.p_first[oi] != 1 or p.vnodes[oi, 1] >= 0 or s.route_of[p.vnodes[oi, 0]] >= 0:
        return -1
    return oi


@njit(cache=True)
def _insert_pair(p, s, vi, oi, usable, dirty, blink, rng, opts_a, opts_b, seq, starts) -> bool:
    """Insert ``vi`` and its lone `after` partner ``oi`` at once: the first of a pair
    placed alone may leave the second no room (a simultaneous pair: none at all)."""
    j = p.p_first[vi]
    lo, hi = p.p_lo[j], p.p_hi[j]  # start(vi) - start(oi) in [lo, hi]
    a, b = p.vnodes[vi, 0], p.vnodes[oi, 0]
    wa0, wa1, wb0, wb1 = p.ws0[a], p.lw0[a], p.ws0[b], p.lw0[b]
    # cut each window to what the other can reach
    if lo != NONE:
        wa0 = max(wa0, p.ws0[b] + lo)
        wb1 = min(wb1, p.lw0[a] - lo)
    if hi != NONE:
        wa1 = min(wa1, p.lw0[b] + hi)
        wb0 = max(wb0, p.ws0[a] - hi)
    if wa0 > wa1 or wb0 > wb1:
        return False
    return _insert_two(p, s, a, b, wa0, wa1, wb0, wb1, -BIG if lo == NONE else lo, BIG if hi == NONE else hi,
                       False, usable, dirty, blink, rng, opts_a, opts_b, seq, starts)


@njit(cache=True)
def _insert_two(p, s, a, b, wa0, wa1, wb0, wb1, gap_lo, gap_hi, distinct, usable, dirty, blink, rng, opts_a,
                opts_b, seq, starts) -> bool:
    """The cheapest joint placement of nodes ``a`` and ``b`` in two different routes with
    ``gap_lo <= start(a) - start(b) <= gap_hi``, both pinned at the earliest starts the
    gap and the routes allow (``distinct``: different carers, as a double-handed visit
    needs). False if there is none."""
    n_vehicles = s.length.shape[0]
    n_a = 0
    n_b = 0
    for v in range(n_vehicles):
        if not usable[v]:
            continue
        if p.allowed[a, v] and p.vstart[v] <= wa1 and p.vend[v] >= wa0:
            n_a = _options(p, s, a, wa0, wa1, v, opts_a, n_a, 0.0, rng, False, seq, starts, False)
        if p.allowed[b, v] and p.vstart[v] <= wb1 and p.vend[v] >= wb0:
            n_b = _options(p, s, b, wb0, wb1, v, opts_b, n_b, 0.0, rng, False, seq, starts, False)
    if n_a == 0 or n_b == 0:
        return False
    order_a = np.argsort(opts_a[:n_a, 0])
    order_b = np.argsort(opts_b[:n_b, 0])
    best_total = BIG
    pick_a, pick_b, pick_sa, pick_sb = -1, -1, 0, 0
    for ia in order_a:
        if opts_a[ia, 0] >= best_total:
            break
        va = opts_a[ia, 1]
        for ib in order_b:
            total = opts_a[ia, 0] + opts_b[ib, 0]
            if total >= best_total:
                break
            vb = opts_b[ib, 1]
            if va == vb or (distinct and p.home[va] == p.home[vb]):
                continue
            start_a = max(opts_a[ia, 3], opts_b[ib, 3] + gap_lo)
            if start_a > min(opts_a[ia, 4], opts_b[ib, 4] + gap_hi):
                continue
            start_b = max(opts_b[ib, 3], start_a - gap_hi)
            g = p.group[va]
            if g == p.group[vb] and p.max_work[g] >= 0 and \
                    s.group_work[g] + opts_a[ia, 5] - p.unpaid[a] + opts_b[ib, 5] - p.unpaid[b] > p.max_work[g]:
                continue  # two shifts of one carer's week share her working time
            if p.breaks[va] and not _fits_breaks(p, s, va, a, opts_a[ia, 2], start_a, seq, starts):
                continue
            if p.breaks[vb] and not _fits_breaks(p, s, vb, b, opts_b[ib, 2], start_b, seq, starts):
                continue
            if blink > 0 and random01(rng) < blink:
                continue
            best_total, pick_a, pick_b, pick_sa, pick_sb = total, ia, ib, start_a, start_b
    if pick_a < 0:
        return False
    va, vb = opts_a[pick_a, 1], opts_b[pick_b, 1]
    dirty[va] = True
    dirty[vb] = True
    _insert_at(p, s, a, va, opts_a[pick_a, 2], pick_sa, starts)
    _insert_at(p, s, b, vb, opts_b[pick_b, 2], pick_sb, starts)
    return True


# ---------------------------------------------------------------------------- removing


@njit(cache=True)
def _remove_node(p, s, u, starts) -> bool:
    v = s.route_of[u]
    n = s.length[v]
    k = 0
    while s.nodes[v, k] != u:
        k += 1
    for j in range(k, n - 1):
        s.nodes[v, j] = s.nodes[v, j + 1]
    s.length[v] = n - 1
    s.route_of[u] = -1
    _unassign(p, s, u, v)
    _set_pin(p, s, u, -1)
    return refresh(p, s, v, starts)


@njit(cache=True)
def stack_size(p) -> int:
    """Scratch :func:`remove_visit` needs."""
    return p.p_visit.shape[0] + 2 * p.vnodes.shape[0] + 2


@njit(cache=True)
def remove_visit(p, s, vi, removed, n_removed, dirty, starts, ok, stack):
    """Take visit ``vi`` out (both nodes of a double) with its placed `after` partners,
    and, when a route's new first or last visit breaks the commute rules, that visit too;
    append them to ``removed``. ``ok[0]`` becomes False if a route then breaks the break rule.
    ``stack`` is scratch of :func:`stack_size` (each visit taken out pushes at most its
    partners and the two ends of its route, so it never overflows)."""
    top = 0
    stack[top] = vi
    top += 1
    while top > 0:
        top -= 1
        wi = stack[top]
        if s.route_of[p.vnodes[wi, 0]] < 0:
            continue
        removed[n_removed] = wi
        n_removed += 1
        for j in range(2):
            u = p.vnodes[wi, j]
            if u < 0:
                continue
            v = s.route_of[u]
            dirty[v] = True
            if not _remove_node(p, s, u, starts):
                ok[0] = False
            # the commute rules: a route's ends must be near enough her home
            if s.length[v] > 0 and not (p.opens[v, s.nodes[v, 0]] and p.closes[v, s.nodes[v, s.length[v] - 1]]):
                w = s.nodes[v, 0] if not p.opens[v, s.nodes[v, 0]] else s.nodes[v, s.length[v] - 1]
                stack[top] = p.visit[w]
                top += 1
        for j in range(p.p_first[wi], p.p_first[wi + 1]):
            oi = p.p_visit[j]
            if s.route_of[p.vnodes[oi, 0]] >= 0:
                stack[top] = oi
                top += 1
    return n_removed


# ---------------------------------------------------------------------------- one step


@njit(cache=True)
def _ruin_strings(p, s, seed_node, string_mean, string_max, usable, dirty, removed, n_removed, rng, starts, ok,
                  stack):
    """SISR's string removal around ``seed_node``: a run of consecutive stops through
    each of the routes of the visits nearest it (nearest first)."""
    used = 0
    stops = 0
    for v in range(s.length.shape[0]):
        if s.length[v] > 0 and usable[v]:
            used += 1
            stops += s.length[v]
    if used == 0:
        return n_removed
    l_max = min(float(string_max), stops / used)
    k_max = 4.0 * string_mean / (1.0 + l_max) - 1.0
    strings = max(1, int(1.0 + random01(rng) * k_max))
    ruined = np.zeros(s.length.shape[0], dtype=np.bool_)
    done = 0
    for j in range(p.neighbours.shape[1]):
        if done >= strings:
            break
        w = p.neighbours[seed_node, j]
        v = s.route_of[w]
        if v < 0 or ruined[v] or not usable[v]:
            continue
        ruined[v] = True
        done += 1
        n = s.length[v]
        size = min(n, int(1.0 + random01(rng) * min(float(n), l_max)))
        at = 0
        for k in range(n):
            if s.nodes[v, k] == w:
                at = k
        lo_first = max(0, at - size + 1)
        hi_first = min(at, n - size)
        first = lo_first + int(random01(rng) * (hi_first - lo_first + 1))
        # the visits of the string (the route shifts as they leave)
        picked = s.nodes[v, first:first + size].copy()
        for u in picked:
            if s.route_of[u] >= 0:
                n_removed = remove_visit(p, s, p.visit[u], removed, n_removed, dirty, starts, ok, stack)
    return n_removed


@njit(cache=True)
def _ruin_client(p, s, cl, usable, dirty, removed, n_removed, starts, ok, stack):
    """Take out every placed visit of client ``cl`` (on every day of the horizon)."""
    for j in range(p.c_first[cl], p.c_first[cl + 1]):
        wi = p.c_visits[j]
        v = s.route_of[p.vnodes[wi, 0]]
        if v >= 0 and usable[v]:
            n_removed = remove_visit(p, s, wi, removed, n_removed, dirty, starts, ok, stack)
    return n_removed


@njit(cache=True)
def _ruin_carer(p, s, vi, usable, dirty, removed, n_removed, rng, starts, ok, stack):
    """For a visit left out: clear what one vehicle it may use does during its window."""
    u = p.vnodes[vi, 0]
    until = p.lw0[u] + p.duration[u]
    count = 0
    for v in range(s.length.shape[0]):
        if usable[v] and p.allowed[u, v] and p.vstart[v] < until and p.vend[v] > p.ws0[u]:
            count += 1
    if count == 0:
        return n_removed
    pick = int(random01(rng) * count)
    for v in range(s.length.shape[0]):
        if usable[v] and p.allowed[u, v] and p.vstart[v] < until and p.vend[v] > p.ws0[u]:
            if pick == 0:
                n = s.length[v]
                picked = np.empty(n, dtype=np.int64)
                m = 0
                for k in range(n):
                    w = s.nodes[v, k]
                    if s.est[v, k] < until and s.lst[v, k] + p.duration[w] > p.ws0[u]:
                        picked[m] = w
                        m += 1
                for k in range(m):
                    if s.route_of[picked[k]] >= 0:
                        n_removed = remove_visit(p, s, p.visit[picked[k]], removed, n_removed, dirty, starts, ok,
                                                   stack)
                break
            pick -= 1
    return n_removed


@njit(cache=True)
def _restore(p, s, acc, dirty, starts):
    """Undo a step: the routes in ``dirty`` go back to ``acc``. Every node a step inserts
    or takes out is in a dirty route before or after it (a lone `after` partner inserted
    with a ruined visit included), so the bookkeeping is undone route by route."""
    acc_nodes, acc_length, acc_pin = acc
    for v in range(s.length.shape[0]):
        if dirty[v]:
            for k in range(s.length[v]):
                u = s.nodes[v, k]
                _unassign(p, s, u, v)
                s.route_of[u] = -1
                _set_pin(p, s, u, -1)
    for v in range(s.length.shape[0]):
        if dirty[v]:
            s.length[v] = acc_length[v]
            s.nodes[v, :acc_length[v]] = acc_nodes[v, :acc_length[v]]
            for k in range(acc_length[v]):
                _set_pin(p, s, s.nodes[v, k], acc_pin[s.nodes[v, k]])
            refresh(p, s, v, starts)
            for k in range(acc_length[v]):
                _assign(p, s, s.nodes[v, k], v)


@njit(cache=True)
def _keep(s, acc, dirty):
    """Accept a step: ``acc`` takes the routes in ``dirty`` and the pins of every node that
    was or is in them."""
    acc_nodes, acc_length, acc_pin = acc
    for v in range(s.length.shape[0]):
        if dirty[v]:
            for k in range(acc_length[v]):
                acc_pin[acc_nodes[v, k]] = s.pin[acc_nodes[v, k]]
            acc_length[v] = s.length[v]
            acc_nodes[v, :s.length[v]] = s.nodes[v, :s.length[v]]
            for k in range(s.length[v]):
                acc_pin[s.nodes[v, k]] = s.pin[s.nodes[v, k]]


@njit(cache=True)
def _note_out(p, s, vi, out_visits):
    """Keep ``out_visits`` = [count, visits left out...] right about visit ``vi``."""
    k = -1
    for j in range(out_visits[0]):
        if out_visits[1 + j] == vi:
            k = j
    placed = s.route_of[p.vnodes[vi, 0]] >= 0
    if placed and k >= 0:
        out_visits[1 + k] = out_visits[out_visits[0]]
        out_visits[0] -= 1
    elif not placed and k < 0:
        out_visits[0] += 1
        out_visits[out_visits[0]] = vi


@njit(cache=True)
def steps(p, s, acc, best, values, temperature, usable, iterations, rng, settings, out_visits, counts, since_best):
    """Run ``iterations`` ruin-and-recreate steps at ``temperature``.

    ``values`` = [current objective, best objective]; ``best`` = (nodes, length, pin) of
    the best roster; ``settings`` = [string mean, string max, blink, share of steps
    centred on a visit left out, share of those that clear a carer, share of the others
    that take out the client's visits first]; ``out_visits`` =
    [count, visits left out...] (kept up to date); ``counts`` = [steps run, accepted];
    ``since_best`` marks the routes changed since the best roster was copied."""
    n_vehicles, width = s.nodes.shape
    n_visits = p.vnodes.shape[0]
    removed = np.empty(n_visits + 1, dtype=np.int64)
    keys = np.empty(n_visits + 1, dtype=np.float64)
    dirty = np.zeros(n_vehicles, dtype=np.bool_)
    opts_a = np.empty((n_vehicles * (width + 1) + 1, 6), dtype=np.int64)
    opts_b = np.empty_like(opts_a)
    seq = np.empty(width + 1, dtype=np.int64)
    starts = np.empty(width + 1, dtype=np.int64)
    ok = np.ones(1, dtype=np.bool_)
    stack = np.empty(stack_size(p), dtype=np.int64)
    string_mean, string_max, blink, out_share, clear_share = settings[0], settings[1], settings[2], settings[3], \
        settings[4]
    client_share = settings[5]

    for _ in range(iterations):
        counts[0] += 1
        dirty[:] = False
        ok[0] = True
        n_removed = 0
        target = -1
        if out_visits[0] > 0 and random01(rng) < out_share:
            target = out_visits[1 + int(random01(rng) * out_visits[0])]
            removed[0] = target
            n_removed = 1
            if random01(rng) < clear_share:
                n_removed = _ruin_carer(p, s, target, usable, dirty, removed, n_removed, rng, starts, ok, stack)
            else:
                n_removed = _ruin_strings(p, s, p.vnodes[target, 0], string_mean, string_max, usable, dirty,
                                          removed, n_removed, rng, starts, ok, stack)
        elif out_visits[0] < n_visits:
            while True:
                u = int(random01(rng) * s.route_of.shape[0])
                if s.route_of[u] >= 0:
                    break
            n_removed = 0
            if client_share > 0 and random01(rng) < client_share:
                n_removed = _ruin_client(p, s, p.client[u], usable, dirty, removed, 0, starts, ok, stack)
            n_removed = _ruin_strings(p, s, u, string_mean, string_max, usable, dirty, removed, n_removed, rng,
                                      starts, ok, stack)
        if n_removed == 0:
            continue
        if ok[0]:
            # by priority; within it one of SISR's orders (random, demand, far, close) or narrowest window first
            how = random01(rng) * 13.0
            for i in range(n_removed):
                vi = removed[i]
                u = p.vnodes[vi, 0]
                noise = random01(rng)
                if how < 4.0:
                    key = noise
                elif how < 8.0:
                    key = -p.demand[u] + noise * 0.5
                elif how < 10.0:
                    key = -p.depot_distance[u] + noise * 0.5
                elif how < 11.0:
                    key = p.depot_distance[u] + noise * 0.5
                else:
                    key = p.width[vi] + noise * 0.5
                if vi == target:
                    key = -1e15
                keys[i] = p.rank[vi] * 1e16 + key
            for i in np.argsort(keys[:n_removed]):
                vi = removed[i]
                insert_visit(p, s, vi, usable, dirty, blink, rng, opts_a, opts_b, seq, starts)
        value = objective(s)
        accept = ok[0] and (value < values[0] or (
            temperature > 0 and value < values[0] - temperature * np.log(max(random01(rng), 1e-300))))
        if accept:
            _keep(s, acc, dirty)
            for v in range(n_vehicles):
                if dirty[v]:
                    since_best[v] = True
            values[0] = value
            counts[1] += 1
            # the visits left out now: those taken out, and their `after` partners (a lone
            # pair goes in together)
            for i in range(n_removed):
                vi = removed[i]
                _note_out(p, s, vi, out_visits)
                for j in range(p.p_first[vi], p.p_first[vi + 1]):
                    _note_out(p, s, p.p_visit[j], out_visits)
            if value < values[1]:
                values[1] = value
                for v in range(n_vehicles):
                    if since_best[v]:
                        best[1][v] = acc[1][v]
                        best[0][v, :acc[1][v]] = acc[0][v, :acc[1][v]]
                        since_best[v] = False
                best[2][:] = acc[2]
        else:
            _restore(p, s, acc, dirty, starts)
