"""The roster optimiser: OR-Tools vehicle routing over the compiled problem.

Model (see :mod:`optimiser.compile` for nodes and vehicles)
---------------------------------------------------------
* ``time`` dimension, one transit matrix per travel mode: service + travel between
  visits, nothing on the commute legs, so a vehicle's start/end cumuls are bounded by
  its shift and every visit lies inside it. Visit windows are cumul ranges (to
  ``end + late_limit``); the priced start (:func:`optimiser.rules.start_price`: lateness
  past ``window.end``, or minutes past the planned time) is a soft upper bound.
* Arc costs, one matrix per (travel mode, hourly wage rounded to whole pounds) shared by
  carers: paid travel time between visits, the unpaid commute's time at
  ``policy.commute_weight`` of the wage, and mileage on every leg (commute included),
  times ``policy.travel_weight``; both keep carers near home.
* The commute rules (:func:`optimiser.compile.commute_legs`) as forbidden arcs: a visit
  beyond a shift's leg limit is never its first or last.
* ``work`` dimension (the same transits less sleep-ins' minutes, no slack): paid minutes per shift. A carer's
  weekly cap (:func:`optimiser.rules.week_cap`) is exact across her shifts of a week (a
  solver constraint on the sum of their work). ``contracted_minutes`` is split over her shifts in proportion to
  their length and priced by soft bounds (shortfall / overtime) per shift.
* Continuity, an approximation: routing cannot price distinct client-carer pairs, so a
  per-vehicle ``continuity`` dimension with span cost (one evaluator per class of carers
  with equal values; the construction's insertion uses the same values) charges every visit done by
  a carer outside ``client.known_carers`` ``new_carer_penalty / visits of the client``
  and credits a known carer ``familiar_carer_reward``; a carer without a *preferred*
  language adds ``language_preference_penalty``, and one lacking tags the client
  prefers adds their weights (``client.preferences``). A client whose visits all go to one
  new carer therefore costs exactly one ``new_carer_penalty``; splitting them between
  several new carers is not charged extra in OR-Tools. The LNS-only path (below)
  accepts moves on the exact rule instead: ``new_carer_penalty`` once per distinct new
  carer of a client (:meth:`optimiser.construct.Construction.enable_exact_continuity`).
* Double-handed visits: two nodes, both active or neither, equal start cumuls,
  different vehicles (different shifts of one carer never overlap, so different
  vehicles means different carers). ``after``: big-M start-to-start constraints active
  only when both visits are placed. Drop penalties by priority via one disjunction
  per node.
* Breaks: when a shift can hold a stretch longer than a break limit
  (:func:`optimiser.rules.needs_breaks`), optional break intervals plus
  ``SetBreakDistanceDurationOfVehicle`` keep every working stretch within the limit, with
  breaks that never overlap a visit but may fall in a sleep-in. OR-Tools counts only
  declared breaks, which is stricter than the validator's rule
  (:class:`optimiser.rules.Stretches`: any idle gap >= break_minutes and every sleep-in
  counts), and a break in a sleep-in needs its length in slack besides; a waking night
  longer than the limit cannot take its on-site break here. The construction and its
  ruin-and-recreate (what runs by default whenever breaks apply) use the rule itself.
* Load (``demand``/``capacity``) dimension when any visit has demand; ``fixed_cost`` is
  charged per used shift vehicle (equal to per carer for single-shift carers).

Search (measured; figures in the engine's report and benchmarks/RESULTS.md)
----------------------------------------------------------------------------
The default, ``GREEDY_INSERTION``, builds the first roster with
:class:`optimiser.construct.Construction` (cheapest insertion that knows doubles,
``after`` gaps, breaks, work caps and loads natively: a 1,000-visit day in well under a
second), then improves it until the time limit:

* when carers have a fixed cost, :func:`optimiser.fleet.minimise_fleet` first tries to
  empty routes (up to ``SearchParams.fleet_share`` of the time; it stops early at a lower
  bound or when it stalls): fewer carers before less travel. On rosters with no rule
  beyond windows, loads and fixed costs (the VRPTW benchmarks) it runs compiled
  (:func:`optimiser.sisr.minimise_fleet`);
* then the compiled ruin-and-recreate over the whole model (:func:`optimiser.search.improve`,
  reported as ``GREEDY_INSERTION+SISR``): every rule of the construction, continuity
  priced exactly, until the time limit or ``options.max_steps`` (the same seed and step
  budget then give the same roster). Its loops are compiled before the clock starts
  (:func:`warm_up`);
* ``GREEDY_INSERTION+SISR+GLS`` when OR-Tools' moves are cheap (no breaks or other
  CP-checked rules: ``RoutingModel.cp_heavy``) and its objective is the search's (no
  continuity, language or preference terms), and no step budget is set: the compiled
  search for ``SearchParams.lns_share`` of the time, then OR-Tools guided local search
  from its roster, kept only if better. Measured side by side (benchmarks/RESULTS.md,
  issue 15): Mankowska A-F at 60 s 1.49 % mean gap vs 2.01 % without GLS; Solomon at 10 s
  1.59 % vs 1.99 %.

The construction's Python ruin-and-recreate (``GREEDY_INSERTION+LNS``, :func:`optimiser.lns.improve`)
and OR-Tools guided local search after it (``GREEDY_INSERTION+LNS+GLS``) or after the
construction alone (``GREEDY_INSERTION+GLS``) remain selectable by name; the OR-Tools
model prices continuity by an approximation (above), so those paths price it that way.

Any OR-Tools first-solution strategy name (``first_solution``) runs plain OR-Tools
routing instead; PATH_CHEAPEST_ARC and SAVINGS find no first roster on tight days, and
the insertion strategies take seconds per hundred visits once CP-checked rules exist.

Modules of the search
---------------------
This module holds the plan and the OR-Tools model. The roster being built is
:class:`optimiser.construct.Construction` (insertion, removal, the objective), over
:mod:`optimiser.route_times` (each route's start times and breaks); the searches that
improve it are :mod:`optimiser.fleet` (fewer routes; compiled in :mod:`optimiser.sisr`),
:mod:`optimiser.search` with :mod:`optimiser.search_kernel` and
:mod:`optimiser.stretches_kernel` (the compiled ruin-and-recreate) and :mod:`optimiser.lns`
(the same idea in Python, by name only). Their settings are
:class:`optimiser.params.SearchParams`, :class:`optimiser.params.AnnealParams` and
:class:`optimiser.params.LNSParams`; each phase stops at an
:class:`optimiser.budget.Deadline`, a share of the time left when it starts.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from functools import partial

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from . import lns, search, sisr
from .budget import Deadline
from .compile import (
    COST_SCALE,
    ProblemData,
    compile_problem,
    cost_matrices,
    node_kinds,
    transit_matrix,
    unpaid_minutes,
    wage_classes,
)
from .construct import Construction
from .fleet import minimise_fleet
from .model import Break, Problem, Progress, Route, Solution, Statistics, Stop, Unassigned
from .params import SearchParams
from .rules import (
    SLEEP_IN,
    has_waking_nights,
    misses_preferred_language,
    needs_breaks,
    preference_cost,
)
from .timing import on_time
from .travel import TravelTimes

# first solution by optimiser.construct, then a search named here (the module docstring has the plan)
GREEDY = "GREEDY_INSERTION"  # the compiled search, OR-Tools GLS after it when RoutingModel.polish
GREEDY_LNS = "GREEDY_INSERTION+LNS"
GREEDY_GLS = "GREEDY_INSERTION+GLS"
GREEDY_LNS_GLS = "GREEDY_INSERTION+LNS+GLS"
SISR = "GREEDY_INSERTION+SISR"  # the compiled search (optimiser.search): the default's search
SISR_GLS = "GREEDY_INSERTION+SISR+GLS"  # ... then OR-Tools GLS, chosen by the default only (RoutingModel.polish)
DEFAULT_FIRST_SOLUTION = GREEDY
# the strategies that may run compiled loops (the search, or the fleet phase of optimiser.sisr)
_COMPILED = (GREEDY, SISR, GREEDY_LNS, GREEDY_LNS_GLS)
FALLBACK_FIRST_SOLUTION = "PARALLEL_CHEAPEST_INSERTION"
DEFAULT_METAHEURISTIC = "GUIDED_LOCAL_SEARCH"


def solve(
    problem: Problem,
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    travel: TravelTimes | None = None,
    first_solution: str | None = None,
    params: SearchParams | None = None,
    start: Mapping[str, Sequence[str]] | None = None,
) -> Solution:
    """Build a roster for ``problem``.

    Parameters
    ----------
    time_limit
        Seconds of search (default ``problem.options.time_limit_seconds``).
    seed
        Seeds the ruin-and-recreate's random choices (default ``problem.options.seed``);
        runs are time-bounded, so equal seeds give equal rosters only for equal step counts.
    progress
        Called with a :class:`Progress` at every improving solution.
    travel
        Travel source (default :func:`optimiser.sources.travel_times`).
    first_solution
        ``GREEDY_INSERTION`` (default, see the module docstring), ``GREEDY_INSERTION+LNS``,
        ``GREEDY_INSERTION+GLS``, ``GREEDY_INSERTION+LNS+GLS``, or an OR-Tools
        first-solution strategy name such as ``PARALLEL_CHEAPEST_INSERTION`` (plain
        OR-Tools routing). Default ``problem.options.first_solution``.
    params
        The search's parameters (default :class:`optimiser.params.SearchParams`, the
        measured values).
    start
        Visit id -> carer ids who should keep it where it still fits (a rota rolled
        forward, :func:`optimiser.previous.carers_before`): the first roster places those
        visits with those carers first (:meth:`Construction.follow`), the search then goes
        on from it. Greedy strategies only; unknown ids are ignored.
    """
    from .explain import explain_unassigned
    from .kpis import compute_kpis

    strategy = first_solution or problem.options.first_solution or DEFAULT_FIRST_SOLUTION
    if strategy not in strategies():
        from .io import InputError

        raise InputError(
            f"options.first_solution: unknown strategy {strategy!r}; use one of {', '.join(strategies())}"
        )
    # the compiled search's loops, compiled (first run of an install) or loaded from numba's
    # cache before the clock starts: the time limit is the search's
    compiled = warm_up() if strategy in _COMPILED else 0.0
    started = _time.monotonic()
    time_limit = problem.options.time_limit_seconds if time_limit is None else time_limit
    seed = problem.options.seed if seed is None else seed
    data = compile_problem(problem, travel)
    travel = data.travel

    stats = Statistics(strategy=strategy if strategy.startswith(GREEDY) else f"{strategy}+{DEFAULT_METAHEURISTIC}",
                       compile_seconds=round(compiled, 3))
    placed: dict[int, list[tuple[int, int]]] = {}  # visit -> [(vehicle, start)]
    routes: list[Route] = []
    found = True
    if data.nodes_of_visit:
        model = RoutingModel(data, params)
        deadline = Deadline.after(max(0.05, time_limit - (_time.monotonic() - started)))
        carers_of = None
        if start:
            visit_index = {v.id: i for i, v in enumerate(problem.visits)}
            carer_index = {c.id: i for i, c in enumerate(problem.carers)}
            carers_of = {visit_index[v]: tuple(carer_index[k] for k in ks if k in carer_index)
                         for v, ks in start.items() if v in visit_index and visit_index[v] in data.nodes_of_visit}
        plan = model.search(strategy, deadline, started, stats, progress, seed, problem.options.max_steps,
                            carers_of)
        if plan is None:
            found = False
        else:
            # calls towards their planned times where the routes leave room (nothing else moves)
            routes, placed = _routes(data, on_time(data, model.transit_matrices, plan.vehicle_routes()))
    stats.runtime_seconds = round(_time.monotonic() - started, 3)

    missing = [vi for vi in range(len(problem.visits)) if vi not in placed]
    reasons = explain_unassigned(data, missing, placed)
    if not found:  # only visits no carer could ever do keep their own reason
        lost = (f"the solver found no roster within {time_limit:g} s ({stats.strategy})", "no_solution")
        reasons = [r if vi in data.excluded else lost for vi, r in zip(missing, reasons, strict=True)]
    unassigned = [
        Unassigned(visit=problem.visits[vi].id, reason=reason, rule=rule)
        for vi, (reason, rule) in zip(missing, reasons, strict=True)
    ]
    if not found and problem.visits:
        status = "no_solution"
    else:
        status = "partial" if unassigned else "feasible"
    solution = Solution(problem_id=problem.id, status=status, routes=routes, unassigned=unassigned, statistics=stats)
    solution.kpis = compute_kpis(problem, solution, travel)
    return solution


def strategies() -> list[str]:
    """Every accepted ``first_solution`` name: the construction variants, then OR-Tools'."""
    ortools = [
        name for name in routing_enums_pb2.FirstSolutionStrategy.Value.keys()
        if name not in ("UNSET", "AUTOMATIC", "EVALUATOR_STRATEGY")
    ]
    return [GREEDY, SISR, GREEDY_LNS, GREEDY_GLS, GREEDY_LNS_GLS, *ortools]


_warm = False  # whether this process has the compiled search's loops ready (see warm_up)


def warm_up() -> float:
    """Make the compiled loops ready in this process and return the seconds it took:
    numba compiles them on the first run of an install (about a minute; the result is
    cached on disk next to the module, or under ``NUMBA_CACHE_DIR``) and loads them from
    that cache afterwards (about a second). The engine calls this before its clock starts,
    so the time limit is the search's own; ``Statistics.compile_seconds`` reports it."""
    global _warm
    if _warm:
        return 0.0
    began = _time.monotonic()
    # the smallest day that reaches every loop's types: a double-handed visit, an `after`
    # gap, a break rule, lateness
    day = "2026-01-05T"
    problem = Problem.model_validate({
        "id": "warm-up",
        "carers": [{"id": f"k{i}", "home": {"lat": 52.63, "lon": -1.13}, "skills": [],
                    "shifts": [{"start": day + "07:00", "end": day + "15:00"}]} for i in range(2)],
        "clients": [{"id": "c0", "location": {"lat": 52.64, "lon": -1.12}}],
        "visits": [{"id": "v0", "client": "c0", "window": {"start": day + "08:00", "end": day + "09:00"},
                    "duration_minutes": 30, "carers_required": 2},
                   {"id": "v1", "client": "c0", "window": {"start": day + "11:00", "end": day + "12:00"},
                    "duration_minutes": 30, "late_limit_minutes": 30,
                    "after": {"visit": "v0", "min_minutes": 120}}],
    })
    data = compile_problem(problem)
    model = RoutingModel(data)
    c = Construction(data, model.continuity, model.transit_matrices, model.cost_matrices, model.penalty,
                     model.work_targets)
    c.run()
    search.improve(c, Deadline.after(3600), seed=0, max_steps=20)
    sisr.warm_up(c)
    _warm = True
    return _time.monotonic() - began


# --------------------------------------------------------------------------- the routing model


class RoutingModel:
    """The model of a compiled problem: numpy ingredients shared by the construction and
    OR-Tools, and the OR-Tools routing model itself (built by :meth:`build` only when
    OR-Tools searches)."""

    def __init__(self, data: ProblemData, params: SearchParams | None = None):
        self.data = data
        self.params = SearchParams() if params is None else params
        problem, policy = data.problem, data.problem.policy
        carers = problem.carers
        self.modes = sorted({c.travel_mode for c in carers})
        self.transits = {mode: transit_matrix(data, mode) for mode in self.modes}
        self.transit_matrices = [self.transits[carers[veh.carer].travel_mode] for veh in data.vehicles]
        wages = [carers[veh.carer].hourly_wage or policy.hourly_wage for veh in data.vehicles]
        wage_of = wage_classes(wages)
        self.cost_keys = [(carers[veh.carer].travel_mode, wage_of[w]) for veh, w in zip(data.vehicles, wages, strict=True)]
        self.costs = cost_matrices(data, set(self.cost_keys))
        self.cost_matrices = [self.costs[key] for key in self.cost_keys]
        self.continuity = self._continuity_vectors()  # per carer, node space; None if uniform
        # every placed visit pays the constant offset of the continuity values; dropping
        # must cost the same offset more, or the offset would nudge the solver to drop
        offset = int(round(policy.familiar_carer_reward * COST_SCALE)) if self.continuity is not None else 0
        self.penalty: dict[int, int] = {}
        for vi, nodes in data.nodes_of_visit.items():
            penalty = int(round(policy.drop_penalty.get(problem.visits[vi].priority, 1000.0) * COST_SCALE))
            for node in nodes:
                self.penalty[node] = penalty + offset
        self.work_targets = self._work_targets()
        nights = has_waking_nights(problem.visits)
        self.break_vehicles = [v for v, veh in enumerate(data.vehicles)
                               if needs_breaks(veh.end - veh.start, policy, nights)]
        self.has_doubles = any(len(n) == 2 for n in data.nodes_of_visit.values())
        self.after_pairs = self._after_pairs()
        # work groups (a carer's week) whose cap several shifts share
        members: dict[int, list[int]] = {}
        for v, g in enumerate(data.group_of):
            if data.group_cap[g] is not None:
                members.setdefault(g, []).append(v)
        self.shared_max_work = {g: vs for g, vs in members.items() if len(vs) > 1}
        # rules OR-Tools checks by a CP search on every local-search move (not by filters);
        # double-handed and `after` ties only slow it down enough to matter on large days
        linked = (self.has_doubles or bool(self.after_pairs)) and data.n_nodes - data.n_homes > self.params.linked_gls_limit
        self.cp_heavy = bool(self.break_vehicles or self.shared_max_work or linked)
        # OR-Tools GLS may polish the compiled search's roster when its moves are cheap and
        # its objective is the search's: no continuity, language or preference terms, which
        # it prices by an approximation (see the module docstring)
        self.polish = not self.cp_heavy and not (
            policy.new_carer_penalty or policy.familiar_carer_reward or policy.language_preference_penalty
            or any(c.preferences for c in problem.clients))
        self.routing = None

    def _continuity_vectors(self) -> list[np.ndarray] | None:
        data = self.data
        problem, policy = data.problem, data.problem.policy
        clients = {c.id: c for c in problem.clients}
        visits_per_client: dict[str, int] = {}
        for v in problem.visits:
            visits_per_client[v.client] = visits_per_client.get(v.client, 0) + 1
        offset = policy.familiar_carer_reward
        nodes = np.arange(data.n_homes, data.n_nodes)
        vectors = []
        for carer in problem.carers:
            values = np.zeros(data.n_nodes, dtype=np.int64)
            for node in nodes:
                visit = problem.visits[data.node_visit[node]]
                client = clients[visit.client]
                if carer.id in client.known_carers:
                    cost = 0.0
                else:
                    cost = offset + policy.new_carer_penalty / visits_per_client[visit.client]
                if misses_preferred_language(client, carer):
                    cost += policy.language_preference_penalty
                cost += preference_cost(client, carer)
                values[node] = int(round(cost * COST_SCALE))
            vectors.append(values)
        if all(np.array_equal(vectors[0], x) for x in vectors[1:]):
            return None  # the same for every carer: nothing to choose between
        return vectors

    def _work_targets(self) -> dict[int, tuple[int, int, int]]:
        """vehicle -> (contracted minutes share of the shift, shortfall, overtime cost/min)."""
        data, policy = self.data, self.data.problem.policy
        short = int(round(policy.contracted_shortfall_per_minute * COST_SCALE))
        over = int(round(policy.overtime_per_minute * COST_SCALE))
        out = {}
        for ci, carer in enumerate(data.problem.carers):
            if carer.contracted_minutes is None:
                continue
            mine = data.vehicles_of[ci]
            total = sum(data.vehicles[v].end - data.vehicles[v].start for v in mine)
            for v in mine:
                veh = data.vehicles[v]
                out[v] = (int(round(carer.contracted_minutes * (veh.end - veh.start) / total)), short, over)
        return out

    def _after_pairs(self) -> list[tuple[int, int, int, int | None]]:
        """``(visit, other, min, max)`` for `after` rules between two visits in the model."""
        data = self.data
        index = {v.id: i for i, v in enumerate(data.problem.visits)}
        out = []
        for vi, visit in enumerate(data.problem.visits):
            if visit.after is not None:
                oi = index[visit.after.visit]
                if vi in data.nodes_of_visit and oi in data.nodes_of_visit:
                    out.append((vi, oi, visit.after.min_minutes, visit.after.max_minutes))
        return out

    # ----------------------------------------------------------------------- OR-Tools

    def build(self) -> None:
        """Build the OR-Tools routing model (see the module docstring)."""
        data = self.data
        problem = data.problem
        carers = problem.carers
        n_vehicles = len(data.vehicles)
        homes = [int(v.carer) for v in data.vehicles]
        self.manager = pywrapcp.RoutingIndexManager(data.n_nodes, n_vehicles, homes, homes)
        self.routing = pywrapcp.RoutingModel(self.manager)
        manager, routing = self.manager, self.routing
        # registered matrices and vectors are in node space; variables are in index space
        # (a home shared by a carer's shift vehicles gets one start/end index per vehicle)
        self.index_of_node = np.array([manager.NodeToIndex(n) for n in range(data.n_nodes)], dtype=np.int64)
        self.node_of_index = np.array([manager.IndexToNode(i) for i in range(routing.Size() + n_vehicles)])

        transit_ids = {mode: routing.RegisterTransitMatrix(m.tolist()) for mode, m in self.transits.items()}
        cost_ids = {key: routing.RegisterTransitMatrix(m.tolist()) for key, m in self.costs.items()}
        for v, veh in enumerate(data.vehicles):
            routing.SetArcCostEvaluatorOfVehicle(cost_ids[self.cost_keys[v]], v)
            if carers[veh.carer].fixed_cost:
                routing.SetFixedCostOfVehicle(int(round(carers[veh.carer].fixed_cost * COST_SCALE)), v)
        vehicle_transits = [transit_ids[carers[veh.carer].travel_mode] for veh in data.vehicles]

        routing.AddDimensionWithVehicleTransits(vehicle_transits, data.horizon, data.horizon, False, "time")
        self.time = time = routing.GetDimensionOrDie("time")
        for v, veh in enumerate(data.vehicles):
            for idx in (routing.Start(v), routing.End(v)):
                time.CumulVar(idx).SetRange(veh.start, veh.end)
        for node in range(data.n_homes, data.n_nodes):
            idx = int(self.index_of_node[node])
            ws, we, late = int(data.window_start[node]), int(data.window_end[node]), int(data.late_limit[node])
            time.CumulVar(idx).SetRange(ws, we + late)
            if data.due_cost[node]:  # the priced start (rules.start_price)
                time.SetCumulVarSoftUpperBound(idx, int(data.due[node]), int(data.due_cost[node]))
            # SetAllowedVehiclesForIndex's SWIG binding rejects every list in OR-Tools 9.15;
            # restricting the vehicle variable is the documented equivalent (-1 = dropped)
            routing.VehicleVar(idx).SetValues([-1, *data.allowed[node]])
            routing.AddDisjunction([idx], self.penalty[node])

        self._commute()
        self._work(vehicle_transits)
        self._load()
        self._continuity()
        self._double_and_after()
        self.breaks = self._breaks()

    def _commute(self) -> None:
        """The commute rules as forbidden arcs: a visit too far from a shift vehicle's
        home may be neither its first (start -> visit) nor its last (visit -> end)."""
        data, routing = self.data, self.routing
        nodes_of: dict[int, list[int]] = {}
        for node in range(data.n_homes, data.n_nodes):
            for v in data.allowed[node]:
                nodes_of.setdefault(v, []).append(node)
        for v, nodes in nodes_of.items():
            ends = data.commute_ends(v)
            if ends is None:
                continue
            first, last = ends
            far = [int(self.index_of_node[n]) for n in nodes if not first[n]]
            if far:
                routing.NextVar(routing.Start(v)).RemoveValues(far)
            end = routing.End(v)
            for n in nodes:
                if not last[n]:
                    routing.NextVar(int(self.index_of_node[n])).RemoveValue(end)

    def _work(self, vehicle_transits: list[int]) -> None:
        data, routing = self.data, self.routing
        carers = data.problem.carers
        if all(cap is None for cap in data.group_cap) and not self.work_targets:
            return
        caps = []
        for veh, g in zip(data.vehicles, data.group_of, strict=True):
            cap = data.group_cap[g]
            caps.append(min(cap, veh.end - veh.start) if cap is not None else veh.end - veh.start)
        unpaid = unpaid_minutes(data)
        if unpaid.any():  # a sleep-in's minutes are not paid work: the work dimension has its own transits
            ids = {mode: routing.RegisterTransitMatrix((m - unpaid[:, None]).tolist()) for mode, m in self.transits.items()}
            vehicle_transits = [ids[carers[veh.carer].travel_mode] for veh in data.vehicles]
        routing.AddDimensionWithVehicleTransitAndCapacity(vehicle_transits, 0, caps, True, "work")
        work = routing.GetDimensionOrDie("work")
        solver = routing.solver()
        for g, shifts in self.shared_max_work.items():
            solver.Add(solver.Sum([work.CumulVar(routing.End(v)) for v in shifts]) <= data.group_cap[g])
        for v, (target, short, over) in self.work_targets.items():
            if short:
                work.SetCumulVarSoftLowerBound(routing.End(v), target, short)
            if over:
                work.SetCumulVarSoftUpperBound(routing.End(v), target, over)

    def _load(self) -> None:
        data, routing = self.data, self.routing
        if not data.demand.any():
            return
        cb = routing.RegisterUnaryTransitVector(data.demand.tolist())
        big = int(data.demand.sum())
        carers = data.problem.carers
        caps = [carers[veh.carer].capacity if carers[veh.carer].capacity is not None else big for veh in data.vehicles]
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "load")

    def _continuity(self) -> None:
        if self.continuity is None:
            return
        data, routing = self.data, self.routing
        # OR-Tools 9.15 fails (ROUTING_FAIL as soon as a node is unperformed) when a
        # vehicle-dependent dimension uses two or more *unary* evaluators, so each class
        # of carers with the same values gets a binary callback over index space.
        classes: dict[bytes, int] = {}
        evaluators = []
        self._callbacks = []  # the Python callbacks must outlive the search
        for x in self.continuity:
            key = x.tobytes()
            if key not in classes:
                by_index = x[self.node_of_index].tolist()
                self._callbacks.append(lambda i, j, v=by_index: v[i])
                classes[key] = routing.RegisterTransitCallback(self._callbacks[-1])
            evaluators.append(classes[key])
        big = int(max(x.sum() for x in self.continuity)) + 1
        routing.AddDimensionWithVehicleTransits(
            [evaluators[veh.carer] for veh in data.vehicles], 0, big, True, "continuity"
        )
        routing.GetDimensionOrDie("continuity").SetSpanCostCoefficientForAllVehicles(1)

    def _double_and_after(self) -> None:
        data, routing, time = self.data, self.routing, self.time
        solver = routing.solver()
        for nodes in data.nodes_of_visit.values():
            if len(nodes) == 2:
                a, b = (int(self.index_of_node[n]) for n in nodes)
                solver.Add(routing.ActiveVar(a) == routing.ActiveVar(b))
                solver.Add(time.CumulVar(a) == time.CumulVar(b))
                # different vehicles when performed (both are -1 when unperformed)
                solver.Add(routing.VehicleVar(a) + (1 - routing.ActiveVar(a)) * (len(data.vehicles) + 2)
                           != routing.VehicleVar(b))
        big = 2 * data.horizon + 1
        for vi, oi, low, high in self.after_pairs:
            x = int(self.index_of_node[data.nodes_of_visit[vi][0]])
            y = int(self.index_of_node[data.nodes_of_visit[oi][0]])
            gap = time.CumulVar(x) - time.CumulVar(y)
            off = 2 - routing.ActiveVar(x) - routing.ActiveVar(y)
            solver.Add(gap + off * (big + abs(low)) >= low)
            if high is not None:
                solver.Add(gap - off * (big + abs(high)) <= high)

    def _breaks(self) -> dict[int, list]:
        data, routing, time = self.data, self.routing, self.time
        if not self.break_vehicles:
            return {}
        policy = data.problem.policy
        # declared breaks as long as the longer break, at most the shorter limit apart: stricter
        # than optimiser.rules.Stretches (no on-site break inside a waking night here)
        rules = [(policy.break_after_minutes, policy.break_minutes)]
        if has_waking_nights(data.problem.visits):
            rules.append((policy.waking_night_break_after_minutes, policy.waking_night_break_minutes))
        limit = min(a for a, _ in rules if a is not None)
        length = max(b for a, b in rules if a is not None)
        solver = routing.solver()
        # a declared break may fall in a sleep-in (rest), never in another visit
        resting = np.array([kind == SLEEP_IN for kind in node_kinds(data)])
        service = np.where(resting, 0, data.duration)[self.node_of_index].tolist()
        out: dict[int, list] = {}
        for v in self.break_vehicles:
            veh = data.vehicles[v]
            count = -(-(veh.end - veh.start - limit) // (limit + length))  # enough for blocks of `limit`
            breaks = [
                solver.FixedDurationIntervalVar(veh.start, veh.end - length, length, True, f"break {v}.{k}")
                for k in range(count)
            ]
            time.SetBreakIntervalsOfVehicle(breaks, v, service)
            time.SetBreakDistanceDurationOfVehicle(limit, length, v)
            for interval in breaks:  # else local search started from a given roster fails
                routing.AddIntervalToAssignment(interval)
            out[v] = breaks
        return out

    # ----------------------------------------------------------------------- search

    def search(
        self,
        strategy: str,
        deadline: Deadline,
        started: float,
        stats: Statistics,
        progress: Callable[[Progress], None] | None,
        seed: int = 0,
        max_steps: int | None = None,
        carers_of: dict[int, tuple[int, ...]] | None = None,
    ):
        """Search until ``deadline``; return the best plan or None (``started``: the
        ``time.monotonic()`` the solve began, for the reported times; ``carers_of``: visits
        to place with given carers first, see :func:`solve`'s ``start``)."""
        # leave time to read the roster back and explain what stayed out
        finish = deadline.earlier(min(0.5, 0.05 * deadline.remaining()))
        best: list[float | None] = [None]

        def improved(objective: float, unassigned: Callable[[], int]) -> None:
            stats.solutions += 1
            if best[0] is not None and objective >= best[0]:
                return
            best[0] = objective
            elapsed = round(_time.monotonic() - started, 3)
            if stats.first_solution_seconds is None:
                stats.first_solution_seconds = elapsed
            stats.history.append((elapsed, objective / COST_SCALE))
            if progress is not None:
                progress(Progress(elapsed_seconds=elapsed, solutions=stats.solutions,
                                  objective=objective / COST_SCALE, unassigned=unassigned()))

        construction = None
        if strategy.startswith(GREEDY):
            construction = Construction(self.data, self.continuity, self.transit_matrices, self.cost_matrices,
                                        self.penalty, self.work_targets)
            if carers_of:
                construction.follow(carers_of)
            sequences = construction.run()
            if strategy == GREEDY:
                strategy = SISR_GLS if self.polish and not max_steps else SISR
            stats.strategy = strategy
            simple = sisr.applies(construction)  # before exact continuity, which it does not price
            if strategy in (SISR, SISR_GLS, GREEDY_LNS):  # (SISR_GLS: no continuity terms to disagree on)
                construction.enable_exact_continuity()
            objective = construction.objective()
            improved(objective, lambda: len(self.data.nodes_of_visit) - len(construction.placed))
            if strategy in (SISR, SISR_GLS, GREEDY_LNS, GREEDY_LNS_GLS):
                fleet_phase = sisr.minimise_fleet if simple else minimise_fleet
                if strategy in (SISR, SISR_GLS):
                    improve = partial(search.improve, params=self.params.anneal, max_steps=max_steps)
                else:
                    improve = partial(lns.improve, params=self.params.lns)
                on_improve = lambda obj, n: improved(obj, lambda: n)  # noqa: E731
                # under a step budget the fleet phase ends by its own patience, not by the clock
                fleet_phase(construction, finish if max_steps else finish.share(self.params.fleet_share), seed,
                            on_improve=on_improve)
                polish = strategy in (GREEDY_LNS_GLS, SISR_GLS)
                until = finish.share(self.params.lns_share) if polish else finish
                objective = improve(construction, until, seed=seed, on_improve=on_improve)
                stats.objective = objective / COST_SCALE
                stats.steps = construction.steps
                if not polish:  # no OR-Tools phase follows
                    return GreedyPlan(construction)
                sequences = [list(r.nodes) for r in construction.routes]

        self.build()
        routing = self.routing
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.local_search_metaheuristic = getattr(
            routing_enums_pb2.LocalSearchMetaheuristic, DEFAULT_METAHEURISTIC
        )
        remaining = finish.remaining()
        params.time_limit.FromMilliseconds(max(1, int(remaining * 1000)))
        visit_indices = self.index_of_node[self.data.n_homes:]

        def dropped_now() -> int:
            return len({
                int(self.data.node_visit[self.node_of_index[i]])
                for i in visit_indices
                if routing.NextVar(int(i)).Value() == int(i)
            })

        routing.AddAtSolutionCallback(lambda: improved(routing.CostVar().Value(), dropped_now))
        if construction is None:
            params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
            plan = routing.SolveWithParameters(params)
        else:
            routing.CloseModelWithParameters(params)
            plan = None
            if remaining > 0.05:
                if self.break_vehicles:  # restoring a roster with breaks runs a CP search bounded by this
                    params.lns_time_limit.FromMilliseconds(int(remaining * 1000))
                routes = [[int(self.index_of_node[n]) for n in seq] for seq in sequences]
                initial = routing.solver().Assignment()
                if routing.RoutesToAssignment(routes, True, True, initial):
                    plan = routing.SolveFromAssignmentWithParameters(initial, params)
            if plan is None or plan.ObjectiveValue() >= objective:
                stats.objective = objective / COST_SCALE
                return GreedyPlan(construction)
        if plan is None:
            return None
        stats.objective = plan.ObjectiveValue() / COST_SCALE
        return Plan(self, plan)


class GreedyPlan:
    """The construction's roster, read like a :class:`Plan`."""

    def __init__(self, construction: Construction):
        self.routes = construction.schedule()

    def vehicle_routes(self):
        yield from self.routes


class Plan:
    """A solved assignment read back in node terms."""

    def __init__(self, model: RoutingModel, assignment):
        self.model, self.assignment = model, assignment

    def vehicle_routes(self):
        """Yield ``(vehicle, [(node, start)], [(break start, end)])`` for used vehicles."""
        m, a = self.model, self.assignment
        routing = m.routing
        for v in range(len(m.data.vehicles)):
            idx = a.Value(routing.NextVar(routing.Start(v)))
            stops = []
            while not routing.IsEnd(idx):
                stops.append((int(m.node_of_index[idx]), a.Value(m.time.CumulVar(idx))))
                idx = a.Value(routing.NextVar(idx))
            if not stops:
                continue
            breaks = []
            for interval in m.breaks.get(v, []):
                if a.PerformedValue(interval):
                    breaks.append((a.StartValue(interval), a.StartValue(interval) + interval.DurationMin()))
            yield v, stops, breaks


def _routes(data: ProblemData, vehicle_routes: Iterable[tuple[int, list[tuple[int, int]], list[tuple[int, int]]]],
            ) -> tuple[list[Route], dict[int, list[tuple[int, int]]]]:
    problem, travel = data.problem, data.travel
    by_carer: dict[int, tuple[list[Stop], list[Break]]] = {}
    placed: dict[int, list[tuple[int, int]]] = {}
    for v, stops, breaks in vehicle_routes:
        ci = data.vehicles[v].carer
        carer = problem.carers[ci]
        out_stops, out_breaks = by_carer.setdefault(ci, ([], []))
        previous = carer.id
        prev_end = None
        for node, start in stops:
            vi = int(data.node_visit[node])
            visit = problem.visits[vi]
            minutes, km = travel.leg(carer.travel_mode, previous, visit.client)
            begin = data.time(start)
            arrival = begin if prev_end is None else min(begin, prev_end + timedelta(minutes=minutes))
            end = begin + timedelta(minutes=visit.duration_minutes)
            out_stops.append(Stop(visit=visit.id, arrival=arrival, start=begin, end=end,
                                  travel_minutes=round(minutes, 3), travel_km=round(km, 3)))
            placed.setdefault(vi, []).append((v, start))
            previous, prev_end = visit.client, end
        first, last = stops[0][1], stops[-1][1] + int(data.duration[stops[-1][0]])
        for b0, b1 in breaks:
            if first <= b0 and b1 <= last:
                out_breaks.append(Break(start=data.time(b0), end=data.time(b1)))
    routes = []
    for ci in sorted(by_carer):
        stops, breaks = by_carer[ci]
        stops.sort(key=lambda s: s.start)
        breaks.sort(key=lambda b: b.start)
        routes.append(Route(carer=problem.carers[ci].id, stops=stops, breaks=breaks))
    return routes, placed
