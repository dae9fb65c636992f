"""Compile a :class:`~optimiser.model.Problem` into immutable integer arrays for the engine.

Times become whole minutes since midnight of the problem's earliest day. Every visit
becomes one *node* (two nodes when two carers are needed); every carer shift becomes
one *vehicle* (split shifts of one carer are different vehicles). Nodes ``0..C-1`` are
the carers' homes (the start and end of each of her shift vehicles); visit nodes
follow. Money is scaled to integer milli-pounds (:data:`COST_SCALE`), so benchmark
distances keep three decimals of precision.

Hard matching (skills, gender, required language, excluded carers, pinned carers,
capacity, max work, shift cover) is resolved here into the vehicles each node may use;
the engine hands that to OR-Tools and :mod:`optimiser.explain` reuses the same
predicates to say why a visit stayed unassigned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from .model import Problem, TravelMode
from .rules import (
    commute_limit,
    ineligible,
    paid_minutes,
    planned_start,
    start_price,
    week_cap,
    week_of,
)
from .rules import horizon as whole_days
from .sources import travel_times
from .travel import TravelTimes

COST_SCALE = 1000  # objective units per GBP
KM_PER_MILE = 1.609344


@dataclass(frozen=True)
class Vehicle:
    """One shift of one carer."""

    carer: int  # index into problem.carers
    start: int  # minutes since t0
    end: int
    # longest commute legs (minutes; None: no limit): home -> first visit, last visit -> home
    out_limit: int | None = None
    back_limit: int | None = None

    @property
    def commute_limited(self) -> bool:
        return self.out_limit is not None or self.back_limit is not None

    def opens(self, minutes_out: float | np.ndarray) -> bool | np.ndarray:
        """Whether a client ``minutes_out`` from her home may be the shift's first visit
        (a number, or element-wise on an array)."""
        return minutes_out <= (math.inf if self.out_limit is None else self.out_limit)

    def closes(self, minutes_back: float | np.ndarray) -> bool | np.ndarray:
        """Whether a client ``minutes_back`` from her home may be the shift's last visit."""
        return minutes_back <= (math.inf if self.back_limit is None else self.back_limit)


@dataclass(frozen=True)
class ProblemData:
    """The integer form of a problem. Built by :func:`compile_problem`; never mutated."""

    problem: Problem
    travel: TravelTimes
    t0: datetime
    horizon: int
    vehicles: tuple[Vehicle, ...]
    vehicles_of: tuple[tuple[int, ...], ...]  # carer index -> her vehicle indices
    # the weekly cap on paid minutes (rules.MAX_WORK): a carer's shifts of one calendar week
    # share it. vehicle -> its work group; group -> cap (None where it cannot bind)
    group_of: tuple[int, ...]
    group_cap: tuple[int | None, ...]
    # nodes: carer homes first, then visit nodes
    n_homes: int
    node_visit: np.ndarray  # node -> visit index (-1 for homes)
    node_point: np.ndarray  # node -> index into travel.points
    duration: np.ndarray  # node -> service minutes (0 for homes)
    window_start: np.ndarray  # node -> earliest start
    window_end: np.ndarray  # node -> end of window (soft when late_limit > 0)
    late_limit: np.ndarray  # node -> minutes allowed after window_end
    # the priced start (rules.start_price): node -> minute after which a start costs
    # due_cost (COST_SCALE units per minute; 0: not priced), and its planned start
    due: np.ndarray
    due_cost: np.ndarray
    planned: np.ndarray
    demand: np.ndarray
    allowed: tuple[tuple[int, ...], ...]  # node -> allowed vehicles (empty for homes)
    nodes_of_visit: dict[int, tuple[int, ...]]  # visit index -> its nodes (only visits in the model)
    excluded: tuple[int, ...]  # visit indices that cannot be placed at all (no eligible vehicle)
    eligible: tuple[tuple[int, ...], ...]  # visit index -> carer indices passing hard matching
    minutes_int: dict[TravelMode, np.ndarray] = field(repr=False)  # point x point, ceil minutes

    @property
    def n_nodes(self) -> int:
        return len(self.node_visit)

    def commute_ends(self, v: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Which nodes may be vehicle ``v``'s first and its last visit under the commute
        rules (two boolean arrays over nodes), or None when every node may."""
        veh = self.vehicles[v]
        if not veh.commute_limited:
            return None
        minutes = self.minutes_int[self.problem.carers[veh.carer].travel_mode]
        home = self.node_point[veh.carer]
        return veh.opens(minutes[home, self.node_point]), veh.closes(minutes[self.node_point, home])

    def minute(self, t: datetime) -> int:
        return minutes_between(self.t0, t)

    def time(self, minute: int | float) -> datetime:
        return self.t0 + timedelta(minutes=minute)


def minutes_between(t0: datetime, t: datetime) -> int:
    return int(math.floor((t - t0).total_seconds() / 60 + 1e-9))


def fits(vehicle: Vehicle, start: int, latest: int, duration: int) -> bool:
    """Can a visit starting in ``[start, latest]`` and lasting ``duration`` lie in the shift?"""
    return max(start, vehicle.start) <= min(latest, vehicle.end - duration)


def commute_legs(spans: list[tuple[int, int]], limit: int | None) -> list[tuple[int | None, int | None]]:
    """``(out, back)`` leg limits per shift of one carer (``spans`` in time order).

    Each leg is within her commute limit (:data:`~optimiser.rules.COMMUTE`). Between two
    shifts she goes home (:data:`~optimiser.rules.BETWEEN_SHIFTS`): the solver keeps each
    of the two legs within half the gap between the shifts, which is enough for the trip
    home and back to fit (visits lie inside shifts) and can be checked on one shift at a
    time. It binds only for shifts closer together than two commutes."""
    out: list[tuple[int | None, int | None]] = []
    for k, (start, end) in enumerate(spans):
        before = (start - spans[k - 1][1]) // 2 if k > 0 else None
        after = (spans[k + 1][0] - end) // 2 if k + 1 < len(spans) else None
        out.append((_tighter(limit, before), _tighter(limit, after)))
    return out


def _tighter(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def work_groups(problem: Problem, vehicles: list[Vehicle], t0: datetime
                ) -> tuple[tuple[int, ...], tuple[int | None, ...]]:
    """``(vehicle -> work group, group -> cap)``: one group per carer and calendar week (a
    shift counts in the week it starts, :func:`optimiser.rules.week_of`), capped at her
    :func:`optimiser.rules.week_cap`. A cap no smaller than the group's shift minutes cannot
    bind (paid time lies inside shifts) and is left out, so a day's roster carries a cap
    only where a carer's own ``max_work_minutes`` is short."""
    index: dict[tuple[int, object], int] = {}
    group_of = []
    for veh in vehicles:
        key = (veh.carer, week_of(t0 + timedelta(minutes=veh.start)))
        group_of.append(index.setdefault(key, len(index)))
    shift_minutes = [0] * len(index)
    for g, veh in zip(group_of, vehicles, strict=True):
        shift_minutes[g] += veh.end - veh.start
    caps: list[int | None] = []
    for (ci, _), g in index.items():
        cap = week_cap(problem.carers[ci], problem.policy)
        caps.append(cap if cap is not None and cap < shift_minutes[g] else None)
    return tuple(group_of), tuple(caps)


def compile_problem(problem: Problem, travel: TravelTimes | None = None) -> ProblemData:
    """Build the :class:`ProblemData` of ``problem`` (travel defaults to the problem's source)."""
    travel = travel or travel_times(problem)
    t0 = whole_days(problem)[0]

    vehicles: list[Vehicle] = []
    vehicles_of: list[tuple[int, ...]] = []
    for ci, carer in enumerate(problem.carers):
        mine = []
        spans = [(minutes_between(t0, s.start), minutes_between(t0, s.end))
                 for s in sorted(carer.shifts, key=lambda s: s.start)]
        for (start, end), (out, back) in zip(spans, commute_legs(spans, commute_limit(carer, problem.policy)),
                                             strict=True):
            mine.append(len(vehicles))
            vehicles.append(Vehicle(ci, start, end, out, back))
        vehicles_of.append(tuple(mine))
    horizon = max((v.end for v in vehicles), default=0)
    group_of, group_cap = work_groups(problem, vehicles, t0)

    clients = {c.id: c for c in problem.clients}
    carer_index = {c.id: i for i, c in enumerate(problem.carers)}
    n_homes = len(problem.carers)
    node_visit = [-1] * n_homes
    node_point = [travel.index[c.id] for c in problem.carers]
    allowed: list[tuple[int, ...]] = [()] * n_homes
    nodes_of_visit: dict[int, tuple[int, ...]] = {}
    excluded: list[int] = []
    eligible: list[tuple[int, ...]] = []

    for vi, visit in enumerate(problem.visits):
        client = clients[visit.client]
        ok = tuple(ci for ci, carer in enumerate(problem.carers) if ineligible(visit, client, carer) is None)
        eligible.append(ok)
        ws = minutes_between(t0, visit.window.start)
        latest = minutes_between(t0, visit.window.end) + visit.late_limit_minutes

        def cover(carers: tuple[int, ...] | list[int], ws=ws, latest=latest, d=visit.duration_minutes):
            return tuple(v for ci in carers for v in vehicles_of[ci] if fits(vehicles[v], ws, latest, d))

        pinned = [carer_index[c] for c in visit.pinned_carers]
        if any(p not in ok for p in pinned):
            excluded.append(vi)
            continue
        slots: list[tuple[int, ...]] = [cover([p]) for p in pinned]
        rest = cover([c for c in ok if c not in pinned])
        while len(slots) < visit.carers_required:
            slots.append(rest)
        carers_available = {vehicles[v].carer for s in slots for v in s}
        if any(not s for s in slots) or len(carers_available) < visit.carers_required:
            excluded.append(vi)
            continue
        nodes = []
        for s in slots:
            nodes.append(len(node_visit))
            node_visit.append(vi)
            node_point.append(travel.index[visit.client])
            allowed.append(s)
        nodes_of_visit[vi] = tuple(nodes)

    node_visit_a = np.array(node_visit, dtype=np.int64)
    is_visit = node_visit_a >= 0
    vis = problem.visits

    def per_node(values: list[int]) -> np.ndarray:
        out = np.zeros(len(node_visit), dtype=np.int64)
        out[is_visit] = np.array(values, dtype=np.int64)[node_visit_a[is_visit]] if values else 0
        return out

    duration = per_node([v.duration_minutes for v in vis])
    window_start = per_node([minutes_between(t0, v.window.start) for v in vis])
    window_end = per_node([minutes_between(t0, v.window.end) for v in vis])
    late_limit = per_node([v.late_limit_minutes for v in vis])
    prices = [start_price(v, problem.policy) for v in vis]
    due = per_node([minutes_between(t0, at) for at, _ in prices])
    due_cost = per_node([round(rate * COST_SCALE) for _, rate in prices])
    planned = per_node([minutes_between(t0, planned_start(v)) for v in vis])
    demand = per_node([v.demand for v in vis])
    modes = sorted({c.travel_mode for c in problem.carers})
    minutes_int = {m: np.ceil(travel.minutes(m) - 1e-6).astype(np.int64) for m in modes}
    return ProblemData(
        problem=problem,
        travel=travel,
        t0=t0,
        horizon=horizon,
        vehicles=tuple(vehicles),
        vehicles_of=tuple(vehicles_of),
        group_of=group_of,
        group_cap=group_cap,
        n_homes=n_homes,
        node_visit=node_visit_a,
        node_point=np.array(node_point, dtype=np.int64),
        duration=duration,
        window_start=window_start,
        window_end=window_end,
        late_limit=late_limit,
        due=due,
        due_cost=due_cost,
        planned=planned,
        demand=demand,
        allowed=tuple(allowed),
        nodes_of_visit=nodes_of_visit,
        excluded=tuple(excluded),
        eligible=tuple(eligible),
        minutes_int=minutes_int,
    )


def transit_matrix(data: ProblemData, mode: TravelMode) -> np.ndarray:
    """Node x node minutes for the time and work dimensions in ``mode``.

    ``service(i) + travel(i, j)`` between visits; the commute legs (home -> first,
    last -> home) carry no travel, so shift bounds apply to visits, not to commuting.
    """
    p = data.node_point
    m = data.minutes_int[mode][np.ix_(p, p)]
    home = data.node_visit < 0
    m[home, :] = 0
    m[:, home] = 0
    return m + data.duration[:, None]


def node_kinds(data: ProblemData) -> list[str]:
    """Node -> its visit's ``kind`` (``"visit"`` for homes)."""
    kinds = [v.kind for v in data.problem.visits]
    return ["visit" if vi < 0 else kinds[vi] for vi in data.node_visit.tolist()]


def unpaid_minutes(data: ProblemData) -> np.ndarray:
    """Node -> minutes of its service that are not paid work (a sleep-in's: see
    :func:`optimiser.rules.paid_minutes`); the work dimension is the time transit minus these."""
    out = np.zeros(data.n_nodes, dtype=np.int64)
    for node, vi in enumerate(data.node_visit.tolist()):
        if vi >= 0:
            visit = data.problem.visits[vi]
            out[node] = visit.duration_minutes - paid_minutes(visit)
    return out


def wage_classes(wages: list[float], most: int = 3) -> dict[float, float]:
    """The wage each carer's travel cost uses. Up to ``most`` distinct wages are kept
    exactly; beyond that they are rounded to whole pounds, so carers share a few cost
    matrices (memory and model size) at < 4% error on the travel-time part."""
    distinct = set(wages)
    if len(distinct) <= most:
        return {w: w for w in distinct}
    return {w: float(round(w)) if w >= 1 else w for w in distinct}


def cost_matrices(data: ProblemData, keys: set[tuple[TravelMode, float]]) -> dict[tuple[TravelMode, float], np.ndarray]:
    """Node x node arc costs (milli-GBP) per (travel mode, hourly wage): paid travel time
    between visits, the unpaid commute's time at ``policy.commute_weight`` of the wage,
    and mileage on every leg including the commute; all times ``policy.travel_weight``."""
    policy = data.problem.policy
    p = data.node_point
    home = data.node_visit < 0
    out = {}
    for mode in sorted({m for m, _ in keys}):
        minutes, km = data.travel.matrices(mode)
        paid = minutes[np.ix_(p, p)]
        paid[home, :] *= policy.commute_weight
        paid[:, home] *= policy.commute_weight
        per_km = policy.mileage_per_mile.get(mode, 0.0) / KM_PER_MILE
        mileage = km[np.ix_(p, p)] * per_km
        scale = policy.travel_weight * COST_SCALE
        for m, wage in keys:
            if m == mode:
                out[(m, wage)] = np.rint((paid * (wage / 60.0) + mileage) * scale).astype(np.int64)
    return out
