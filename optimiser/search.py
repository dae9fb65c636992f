"""The compiled ruin-and-recreate search over the whole home-care model.

SISR (Christiaens & Vanden Berghe 2020, "Slack induction by string removals for vehicle
routing problems") with the home-care rules: each step takes strings of consecutive
stops out of the routes near a visit (a random placed one, or most of the time one left
out), or clears what one carer who may do a visit left out does during its window,
then puts every visit back by priority at its cheapest position (skipping each position
with a small "blink" probability; a double-handed visit into two carers' routes at one
start), and is accepted by simulated annealing on the exact objective. The loops are
compiled by numba (:mod:`optimiser.search_kernel`); this module is the thin Python layer:
it turns a :class:`~optimiser.construct.Construction` into arrays (:func:`arrays`), runs
the loops in chunks until the budget is spent, and hands the best roster back
(:func:`load`), whose objective the construction then prices the same way.

Budget and determinism: the search stops at its :class:`~optimiser.budget.Deadline` or
after ``max_steps`` steps, whichever comes first. With ``max_steps`` the temperature
falls with the steps run, not the time, and the chunks have a fixed size, so the same
seed and step budget give the same roster on any machine (if the deadline is not met first).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from numba import typed

from .budget import Deadline
from .compile import node_kinds
from .construct import PRIORITY_RANK, Construction
from .params import AnnealParams
from .stretches_kernel import kind_codes, limits_of

CHUNK_SECONDS = 0.2  # the compiled loop returns this often so the deadline holds
FIXED_CHUNK = 2000  # steps per chunk under a step budget (any size works; fixed makes runs repeatable)


def arrays(c: Construction, neighbours: int = 100):
    """The immutable arrays the compiled loops read (:class:`optimiser.search_kernel.Arrays`)."""
    from .search_kernel import NONE, Arrays

    data = c.data
    problem, policy = data.problem, data.problem.policy
    n_vehicles = len(data.vehicles)
    n_nodes = data.n_nodes
    visits = sorted(data.nodes_of_visit)  # the visits in the model; kernel visit i = visits[i]
    index = {vi: i for i, vi in enumerate(visits)}

    def classes(matrices: list[np.ndarray]) -> tuple[typed.List, np.ndarray]:
        seen: dict[int, int] = {}
        out = typed.List()
        cls = np.zeros(len(matrices), dtype=np.int64)
        for v, m in enumerate(matrices):
            if id(m) not in seen:
                seen[id(m)] = len(out)
                out.append(np.ascontiguousarray(m, dtype=np.int64))
            cls[v] = seen[id(m)]
        return out, cls

    Ts, t_class = classes(c.vehicle_T)
    Cs, c_class = classes(c.vehicle_C)
    carers = problem.carers
    big = int(data.demand.sum()) + 1
    capacity = np.array([big if c.capacity[veh.carer] is None else c.capacity[veh.carer] for veh in data.vehicles],
                        dtype=np.int64)
    target = np.full(n_vehicles, -1, dtype=np.int64)
    short = np.zeros(n_vehicles, dtype=np.int64)
    over = np.zeros(n_vehicles, dtype=np.int64)
    for v, (t, sh, ov) in c.work_targets.items():
        target[v], short[v], over[v] = t, sh, ov
    opens = np.ones((n_vehicles, n_nodes), dtype=np.bool_)
    closes = np.ones((n_vehicles, n_nodes), dtype=np.bool_)
    for v in range(n_vehicles):
        ends = data.commute_ends(v)
        if ends is not None:
            opens[v], closes[v] = ends
    twin_ids: dict[tuple, int] = {}
    twin = np.array([-1 if k is None else twin_ids.setdefault(k, len(twin_ids)) for k in c.twin], dtype=np.int64)

    # per node
    node_visit = data.node_visit
    kind = kind_codes(node_kinds(data))
    offset = c.offset  # the drop penalties carry the routing model's continuity offset
    penalty = np.zeros(n_nodes, dtype=np.int64)
    for node, value in c.penalty.items():
        penalty[node] = value - offset
    visit = np.array([-1 if vi < 0 else index.get(vi, -1) for vi in node_visit.tolist()], dtype=np.int64)
    client_index = {cl.id: i for i, cl in enumerate(problem.clients)}
    client = np.array([-1 if vi < 0 else client_index[problem.visits[vi].client] for vi in node_visit.tolist()],
                      dtype=np.int64)
    allowed = np.zeros((n_nodes, n_vehicles), dtype=np.bool_)
    for u in range(data.n_homes, n_nodes):
        allowed[u, list(data.allowed[u])] = True
    lw0 = (data.window_end + data.late_limit).astype(np.int64)
    near, depot_distance = _neighbours(c, neighbours)

    # per visit
    vnodes = np.full((len(visits), 2), -1, dtype=np.int64)
    rank = np.zeros(len(visits), dtype=np.int64)
    width = np.zeros(len(visits), dtype=np.int64)
    p_first = np.zeros(len(visits) + 1, dtype=np.int64)
    p_visit, p_lo, p_hi = [], [], []
    for i, vi in enumerate(visits):
        nodes = data.nodes_of_visit[vi]
        vnodes[i, :len(nodes)] = nodes
        rank[i] = PRIORITY_RANK[problem.visits[vi].priority]
        width[i] = int(lw0[nodes[0]] - data.window_start[nodes[0]])
        for oi, lo, hi in c.partners.get(vi, []):
            if oi in index:
                p_visit.append(index[oi])
                p_lo.append(NONE if lo is None else lo)
                p_hi.append(NONE if hi is None else hi)
        p_first[i + 1] = len(p_visit)

    # continuity, exactly (Construction.enable_exact_continuity)
    if not c.exact:
        c.enable_exact_continuity()
    n_clients, n_carers = len(problem.clients), len(carers)
    pair_cost = np.zeros((n_clients, n_carers), dtype=np.int64)
    new_cost = np.zeros((n_clients, n_carers), dtype=np.int64)
    for cl in range(n_clients):
        known = c.known[cl]
        for k in range(n_carers):
            pair_cost[cl, k] = c.language_cost[cl][k] + c.preference_cost[cl][k] - (c.reward if k in known else 0)
            new_cost[cl, k] = 0 if k in known else c.new_cost
    # each client's visits, for the client ruin (CSR)
    of_client = [client[nodes[0]] for nodes in (data.nodes_of_visit[vi] for vi in visits)]
    c_visits = np.argsort(np.array(of_client, dtype=np.int64), kind="stable").astype(np.int64)
    c_first = np.searchsorted(np.array(of_client, dtype=np.int64)[c_visits], np.arange(n_clients + 1)).astype(np.int64)
    breaks = np.array(c.times.needs_breaks, dtype=np.bool_)
    max_work = np.array([-1 if m is None else m for m in c.max_work], dtype=np.int64)
    return Arrays(
        Ts=Ts, Cs=Cs, t_class=t_class, c_class=c_class, home=np.array([veh.carer for veh in data.vehicles],
                                                                      dtype=np.int64),
        group=np.array(data.group_of, dtype=np.int64),
        vstart=np.array([veh.start for veh in data.vehicles], dtype=np.int64),
        vend=np.array([veh.end for veh in data.vehicles], dtype=np.int64),
        fixed=np.array(c.fixed_cost, dtype=np.int64), capacity=capacity, breaks=breaks, twin=twin,
        target=target, short_cost=short, over_cost=over, opens=opens, closes=closes, max_work=max_work,
        ws0=data.window_start.astype(np.int64), lw0=lw0, due=data.due.astype(np.int64),
        late=data.due_cost.astype(np.int64), duration=data.duration.astype(np.int64),
        demand=data.demand.astype(np.int64), unpaid=np.array(c.unpaid, dtype=np.int64), kind=kind,
        penalty=penalty, visit=visit, client=client, allowed=allowed, neighbours=near,
        depot_distance=depot_distance, vnodes=vnodes, rank=rank, width=width, p_first=p_first,
        p_visit=np.array(p_visit, dtype=np.int64), p_lo=np.array(p_lo, dtype=np.int64),
        p_hi=np.array(p_hi, dtype=np.int64), c_first=c_first, c_visits=c_visits, pair_cost=pair_cost,
        new_cost=new_cost,
        # (no start priced: the insertion skips the push)
        late_cost=np.array([1.0 if data.due_cost.any() else 0.0]), limits=limits_of(policy),
    ), visits


def _neighbours(c: Construction, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per node, the ``k`` visit nodes nearest it in space and time (travel minutes plus
    the minutes between their windows: a visit across town at the same hour and one next
    door hours later are both far), and each node's minutes from the first carer's home
    (SISR's "far from the depot" order; on a VRPTW benchmark that home is the depot)."""
    data = c.data
    minutes = next(iter(data.minutes_int.values()))
    nodes = np.arange(data.n_homes, data.n_nodes)
    k = min(k, len(nodes))
    near = np.zeros((data.n_nodes, max(k, 1)), dtype=np.int64)
    depot = np.zeros(data.n_nodes, dtype=np.int64)
    if not len(nodes):
        return near, depot
    points = data.node_point[nodes]
    ws = data.window_start[nodes]
    lw = data.window_end[nodes] + data.late_limit[nodes]
    home = data.node_point[data.vehicles[0].carer] if data.vehicles else points[0]
    depot[nodes] = minutes[home, points]
    for lo in range(0, len(nodes), 512):  # in blocks: a 2,000-visit day's full matrix is 32 MB
        rows = slice(lo, lo + 512)
        gap = np.maximum(0, np.maximum(ws[None, :] - lw[rows, None], ws[rows, None] - lw[None, :]))
        dist = minutes[np.ix_(points[rows], points)] + gap
        part = np.argpartition(dist, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(dist, part, axis=1).argsort(axis=1, kind="stable")
        near[nodes[rows]] = nodes[np.take_along_axis(part, order, axis=1)]
    return near, depot


def _roster(c: Construction, p):
    """The construction's roster as a :class:`optimiser.search_kernel.Roster`."""
    from .search_kernel import Roster, refresh

    data = c.data
    n_vehicles = len(c.routes)
    width = max(1, data.n_nodes - data.n_homes + 1)
    s = Roster(
        nodes=np.zeros((n_vehicles, width), dtype=np.int64), length=np.zeros(n_vehicles, dtype=np.int64),
        est=np.zeros((n_vehicles, width), dtype=np.int64), lst=np.zeros((n_vehicles, width), dtype=np.int64),
        load=np.zeros(n_vehicles, dtype=np.int64), cost=np.zeros(n_vehicles, dtype=np.int64),
        work=np.zeros(n_vehicles, dtype=np.int64), group_work=np.zeros(len(data.group_cap), dtype=np.int64),
        route_of=np.full(data.n_nodes, -1, dtype=np.int64), ws=p.ws0.copy(), lw=p.lw0.copy(),
        pin=np.full(data.n_nodes, -1, dtype=np.int64),
        pairs=np.zeros(p.pair_cost.shape, dtype=np.int64), totals=np.zeros(2, dtype=np.int64),
    )
    s.totals[1] = int(p.penalty.sum())
    for vi, start in _pins(c).items():
        for u in data.nodes_of_visit[vi]:
            s.pin[u] = s.ws[u] = s.lw[u] = start
    starts = np.zeros(width + 1, dtype=np.int64)
    for v, r in enumerate(c.routes):
        s.nodes[v, :len(r.nodes)] = r.nodes
        s.length[v] = len(r.nodes)
        for u in r.nodes:
            cl, k = p.client[u], p.home[v]
            if s.pairs[cl, k] == 0:
                s.totals[0] += p.new_cost[cl, k]
            s.pairs[cl, k] += 1
            s.totals[0] += p.pair_cost[cl, k]
            s.totals[1] -= p.penalty[u]
        refresh(p, s, v, starts)
    return s


def _pins(c: Construction) -> dict[int, int]:
    """Visit -> its fixed start, for every placed visit a rule ties (doubles, `after` pairs).

    The loops hold such a visit at one start while it is placed, and cut a partner's window
    by it. The construction pins a visit only once a partner is placed with it, so a visit
    whose partners are all out (a rolled-forward rota gives one its carer, and the other
    no room) is placed unpinned: it is pinned here where it starts, or a partner put back
    later would be timed against its window instead of its start and break the gap."""
    pins = dict(c.start_of)
    for r in c.routes:
        if not r.nodes:
            continue
        for u, start in zip(r.nodes, c.times.starts(r, r.nodes) or r.est, strict=True):
            vi = int(c.data.node_visit[u])
            if vi not in pins and (vi in c.partners or len(c.data.nodes_of_visit[vi]) > 1):
                pins[vi] = int(start)
    return pins


def load(c: Construction, nodes: np.ndarray, length: np.ndarray, pin: np.ndarray | None = None) -> None:
    """Make ``c``'s roster the one in ``nodes``/``length`` (rows per vehicle), each node
    held at ``pin[node]`` when that is >= 0 (the starts ties fixed)."""
    data = c.data
    for r in c.routes:
        for u in r.nodes:
            c.route_of.pop(u, None)
        r.nodes = []
        r.load = 0
    c.placed.clear()
    c.start_of.clear()
    c.times.ws = data.window_start.copy()
    c.times.lw = data.window_end + data.late_limit
    c.work = [0] * len(c.work)
    for v, r in enumerate(c.routes):
        r.nodes = [int(u) for u in nodes[v, :length[v]]]
        r.load = int(data.demand[r.nodes].sum()) if r.nodes else 0
        for u in r.nodes:
            c.route_of[u] = r
            vi = int(data.node_visit[u])
            c.placed.add(vi)
            if pin is not None and pin[u] >= 0:
                c.times.ws[u] = c.times.lw[u] = int(pin[u])
                c.start_of[vi] = int(pin[u])
        c.times.refresh(r)
        if r.nodes:
            c.work[c.group_of[r.vehicle]] += sum(r.arc_t) - sum(c.unpaid[u] for u in r.nodes)


def improve(c: Construction, deadline: Deadline, params: AnnealParams | None = None, seed: int = 0,
            max_steps: int | None = None, on_improve: Callable[[int, int], None] | None = None) -> int:
    """Run the compiled search on ``c``'s roster until ``deadline`` (or ``max_steps``);
    leave ``c`` at the best roster found (continuity priced exactly) and return its objective.

    Parameters
    ----------
    c
        A construction holding a roster; changed in place. ``c.steps`` counts the steps run.
    deadline
        When the search stops.
    params
        Its settings (default :class:`~optimiser.params.AnnealParams`).
    seed
        Seeds the random choices.
    max_steps
        Stop after this many steps as well (the run is then repeatable: see the module docstring).
    on_improve
        Called with ``(objective, visits left out)`` at every better roster.

    Returns
    -------
    int
        The objective of the roster ``c`` is left at.
    """
    from .search_kernel import objective, steps

    params = AnnealParams() if params is None else params
    p, visits = arrays(c, params.neighbours)
    s = _roster(c, p)
    n_vehicles = len(c.routes)
    acc = (s.nodes.copy(), s.length.copy(), s.pin.copy())
    best = (s.nodes.copy(), s.length.copy(), s.pin.copy())
    start = int(objective(s))
    values = np.array([start, start], dtype=np.int64)
    out = np.zeros(len(visits) + 1, dtype=np.int64)
    missing = [i for i in range(len(visits)) if s.route_of[p.vnodes[i, 0]] < 0]
    out[0] = len(missing)
    out[1:len(missing) + 1] = missing
    usable = np.ones(n_vehicles, dtype=np.bool_)
    rng = np.random.default_rng(seed).integers(1, 2**62, size=1)
    # the client ruin serves continuity across days (strings reach visits near in time);
    # on one day it was mixed (generated 300-visit day 30 s: +5 %; 1,000 visits: -2.7 %)
    across_days = bool(p.new_cost.any() or p.pair_cost.any()) and (
        len({v.window.start.date() for v in c.data.problem.visits}) > 1)
    settings = np.array([params.string_mean, params.string_max, params.blink, params.out_share,
                         params.clear_share, params.client_share if across_days else 0.0], dtype=np.float64)
    since_best = np.zeros(n_vehicles, dtype=np.bool_)
    routed = max(1, int(s.cost.sum() - p.fixed[s.length > 0].sum()))
    t0, t1 = params.start_temperature * routed, params.end_temperature * routed
    counts = np.zeros(2, dtype=np.int64)
    begin = time.monotonic()
    iterations = 64 if max_steps is None else min(FIXED_CHUNK, max_steps)
    while True:
        now = time.monotonic()
        if counts[0] and now >= deadline.at:
            break
        if max_steps is not None:
            if counts[0] >= max_steps:
                break
            frac = counts[0] / max_steps
            iterations = min(FIXED_CHUNK, max_steps - int(counts[0]))
        else:
            frac = (now - begin) / max(1e-3, deadline.at - begin)
        temperature = t0 * (t1 / t0) ** min(1.0, frac) if t0 > 0 else 0.0
        before = values[1]
        steps(p, s, acc, best, values, temperature, usable, iterations, rng, settings, out, counts, since_best)
        if values[1] < before and on_improve is not None:
            on_improve(int(values[1]), int(out[0]))
        if max_steps is None:
            took = time.monotonic() - now
            iterations = max(16, min(1 << 20, int(iterations * CHUNK_SECONDS / max(took, 1e-4))))
    c.steps = int(counts[0])
    load(c, *best)
    return c.objective()

