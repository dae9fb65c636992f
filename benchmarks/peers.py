"""Peer solvers on the VRPTW family, side by side with carerota.

All peers see the same integer model as the SOURCES.md baselines: costs =
round(100 x Euclidean), travel times = ceil(100 x Euclidean) (ceil keeps an
integer-feasible schedule feasible in double precision), a fixed cost of 10,000
distance units per used vehicle (vehicles first), the instance's fleet. Their routes
are scored by :mod:`benchmarks.scoring` like ours. PyVRP and pyvroom are optional
(the ``bench`` extra); a missing one is skipped with a note.
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .readers.solomon import VRPTWInstance

SCALE = 100
FIXED = 10_000 * SCALE


@dataclass
class PeerResult:
    routes: list[list[int]] = field(default_factory=list)
    wall_seconds: float = 0.0
    note: str = ""
    solved: bool = True


def _integer_model(inst: VRPTWInstance) -> tuple[np.ndarray, np.ndarray]:
    d = inst.distances()
    return np.rint(d * SCALE).astype(np.int64), np.ceil(d * SCALE - 1e-9).astype(np.int64)


def available(name: str) -> str | None:
    """``None`` when peer ``name`` can run, else why not."""
    module = {"pyvrp": "pyvrp", "vroom": "vroom", "ortools": "ortools"}[name]
    if importlib.util.find_spec(module) is None:
        extra = "pip install -e '.[bench]'" if name != "ortools" else "pip install ortools"
        return f"{name} is not installed ({extra})"
    return None


def solve_pyvrp(inst: VRPTWInstance, time_limit: float, seed: int = 1) -> PeerResult:
    """PyVRP's default HGS: ``Model.solve(stop=MaxRuntime(t))``."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    cost, dur = _integer_model(inst)
    m = Model()
    locations = [m.add_location(x=float(inst.x[i]), y=float(inst.y[i])) for i in range(len(inst.x))]
    depot = m.add_depot(locations[0], tw_early=0, tw_late=int(round(inst.due[0] * SCALE)))
    m.add_vehicle_type(
        num_available=inst.fleet,
        capacity=[inst.capacity],
        start_depot=depot,
        end_depot=depot,
        fixed_cost=FIXED,
        tw_early=0,
        tw_late=int(round(inst.due[0] * SCALE)),
    )
    for i in range(1, len(inst.x)):
        m.add_client(
            locations[i],
            delivery=[int(inst.demand[i])],
            service_duration=int(round(inst.service[i] * SCALE)),
            tw_early=int(round(inst.ready[i] * SCALE)),
            tw_late=int(round(inst.due[i] * SCALE)),
            name=str(i),
        )
    for a, la in enumerate(locations):
        for b, lb in enumerate(locations):
            if a != b:
                m.add_edge(la, lb, distance=int(cost[a, b]), duration=int(dur[a, b]))
    t0 = time.perf_counter()
    result = m.solve(stop=MaxRuntime(time_limit), seed=seed, display=False)
    wall = time.perf_counter() - t0
    if not result.best.is_feasible():
        return PeerResult(wall_seconds=wall, note="no feasible solution", solved=False)
    names = [c.name for c in m.data().clients()]
    routes = [
        [int(names[a.idx]) for a in r.schedule() if a.is_client()] for r in result.best.routes()
    ]
    return PeerResult(routes=routes, wall_seconds=wall)


def solve_vroom(inst: VRPTWInstance, time_limit: float, seed: int = 1) -> PeerResult:
    """VROOM (pyvroom), single-threaded, exploration level 5; it stops on its own."""
    from datetime import timedelta

    import vroom

    cost, dur = _integer_model(inst)
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=dur)
    problem.set_costs_matrix(profile="car", matrix_input=cost)
    horizon = int(round(inst.due[0] * SCALE))
    for k in range(inst.fleet):
        problem.add_vehicle(
            vroom.Vehicle(
                id=k + 1,
                start=0,
                end=0,
                capacity=[inst.capacity],
                time_window=vroom.TimeWindow(0, horizon),
                costs=vroom.VehicleCosts(fixed=FIXED),
            )
        )
    for i in range(1, len(inst.x)):
        problem.add_job(
            vroom.Job(
                id=i,
                location=i,
                default_service=int(round(inst.service[i] * SCALE)),
                delivery=[int(inst.demand[i])],
                time_windows=[
                    vroom.TimeWindow(
                        int(round(inst.ready[i] * SCALE)), int(round(inst.due[i] * SCALE))
                    )
                ],
            )
        )
    t0 = time.perf_counter()
    solution = problem.solve(
        exploration_level=5, nb_threads=1, timeout=timedelta(seconds=time_limit)
    )
    wall = time.perf_counter() - t0
    df = solution.routes
    jobs = df[df["type"] == "job"]
    routes = [list(map(int, g["id"])) for _, g in jobs.groupby("vehicle_id", sort=True)]
    return PeerResult(routes=routes, wall_seconds=wall)


def solve_ortools(inst: VRPTWInstance, time_limit: float, seed: int = 1) -> PeerResult:
    """Plain OR-Tools routing: PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH, time and capacity dimensions."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    cost, dur = _integer_model(inst)
    n = len(inst.x)
    manager = pywrapcp.RoutingIndexManager(n, inst.fleet, 0)
    routing = pywrapcp.RoutingModel(manager)
    service = [int(round(s * SCALE)) for s in inst.service]

    def arc_cost(i: int, j: int) -> int:
        return int(cost[manager.IndexToNode(i), manager.IndexToNode(j)])

    def arc_time(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return service[a] + int(dur[a, b])

    def demand(i: int) -> int:
        return int(inst.demand[manager.IndexToNode(i)])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc_cost))
    routing.SetFixedCostOfAllVehicles(FIXED)
    horizon = int(round(inst.due[0] * SCALE))
    routing.AddDimension(routing.RegisterTransitCallback(arc_time), horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for i in range(1, n):
        time_dim.CumulVar(manager.NodeToIndex(i)).SetRange(
            int(round(inst.ready[i] * SCALE)), int(round(inst.due[i] * SCALE))
        )
    for k in range(inst.fleet):
        time_dim.CumulVar(routing.Start(k)).SetRange(0, horizon)
        time_dim.CumulVar(routing.End(k)).SetRange(0, horizon)
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitCallback(demand), 0, [inst.capacity] * inst.fleet, True, "load"
    )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.seconds = int(time_limit)
    params.time_limit.nanos = int((time_limit - int(time_limit)) * 1e9)
    t0 = time.perf_counter()
    solution = routing.SolveWithParameters(params)
    wall = time.perf_counter() - t0
    if solution is None:
        return PeerResult(
            wall_seconds=wall, note=f"no solution (status {routing.status()})", solved=False
        )
    routes = []
    for k in range(inst.fleet):
        i, route = solution.Value(routing.NextVar(routing.Start(k))), []
        while not routing.IsEnd(i):
            route.append(manager.IndexToNode(i))
            i = solution.Value(routing.NextVar(i))
        if route:
            routes.append(route)
    return PeerResult(routes=routes, wall_seconds=wall)


PEERS: dict[str, Callable[[VRPTWInstance, float, int], PeerResult]] = {
    "pyvrp": solve_pyvrp,
    "vroom": solve_vroom,
    "ortools": solve_ortools,
}


def ceil_budget(seconds: float) -> int:
    return max(1, math.ceil(seconds))
