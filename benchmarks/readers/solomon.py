"""Solomon / Gehring-Homberger VRPTW: reader, BKS tables, converter to a Problem.

Convention behind the best-known values (SOURCES.md section 1): Euclidean distance in
double precision, travel time = distance, service must START inside [ready, due],
waiting allowed, return to the depot by the depot's due date, at most ``fleet``
vehicles; fewest vehicles first, then least distance.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optimiser.io import InputError
from optimiser.model import (
    Carer,
    Client,
    Options,
    Policy,
    Problem,
    Shift,
    Solution,
    Travel,
    TravelMatrix,
    Visit,
    Window,
)

from .common import at, benchmark_data, ceil_scaled, floor_scaled, open_text, planar_location

SCALE = 100
"""Problem minutes per instance time unit (km stay in instance distance units)."""
VEHICLE_COST = 10_000.0
"""Fixed cost per used vehicle, in instance distance units: above any distance saving."""
DROP_COST = 1_000_000.0
"""Cost of leaving a customer unserved, in instance distance units."""
KM_PER_MILE = 1.609344


@dataclass(frozen=True)
class VRPTWInstance:
    """One Solomon-format instance; index 0 is the depot."""

    name: str
    fleet: int
    capacity: int
    x: np.ndarray
    y: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray

    @property
    def customers(self) -> int:
        return len(self.x) - 1

    @property
    def horizon(self) -> float:
        return float(self.due[0])

    def distances(self) -> np.ndarray:
        """Double-precision Euclidean distances (= travel times)."""
        dx = self.x[:, None] - self.x[None, :]
        dy = self.y[:, None] - self.y[None, :]
        return np.sqrt(dx * dx + dy * dy)


def read(path: str | Path) -> VRPTWInstance:
    """Parse a Solomon-format file (Solomon 100 or Gehring-Homberger)."""
    path = Path(path)
    lines = [ln.split() for ln in open_text(path).splitlines()]
    lines = [ln for ln in lines if ln]
    name = lines[0][0]
    try:
        vi = next(i for i, ln in enumerate(lines) if ln[0].upper() == "VEHICLE")
        fleet, capacity = int(lines[vi + 2][0]), int(lines[vi + 2][1])
        ci = next(i for i, ln in enumerate(lines) if ln[0].upper() == "CUSTOMER")
        rows = [ln for ln in lines[ci + 1 :] if ln[0].lstrip("-").replace(".", "").isdigit()]
        data = np.array([[float(v) for v in r[:7]] for r in rows])
    except (StopIteration, IndexError, ValueError) as err:
        raise InputError(f"{path}: not a Solomon-format VRPTW file ({err})") from None
    if data.ndim != 2 or data.shape[1] != 7 or data[0, 0] != 0:
        raise InputError(f"{path}: expected 7 columns per customer starting with the depot (id 0)")
    return VRPTWInstance(
        name=name,
        fleet=fleet,
        capacity=capacity,
        x=data[:, 1],
        y=data[:, 2],
        demand=data[:, 3].astype(int),
        ready=data[:, 4],
        due=data[:, 5],
        service=data[:, 6],
    )


# --------------------------------------------------------------------------- files and best-known values


def solomon_files() -> list[Path]:
    return sorted(benchmark_data("solomon", "instances").glob("*.txt"), key=_natural)


def gehring_homberger_files(size: int) -> list[Path]:
    return sorted(benchmark_data("gehring_homberger", str(size)).glob("*.txt"), key=_natural)


def _natural(path: Path) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.stem)]


def best_known() -> dict[str, tuple[int, float]]:
    """Instance name (upper case) -> (vehicles, distance) for Solomon and Gehring-Homberger."""
    table: dict[str, tuple[int, float]] = {}
    with open(benchmark_data("solomon", "bks_solomon.csv"), newline="") as fh:
        for row in csv.DictReader(fh):
            table[row["instance"].upper()] = (int(row["bks_vehicles"]), float(row["bks_distance"]))
    with open(benchmark_data("gehring_homberger", "bks_gehring_homberger.csv"), newline="") as fh:
        for row in csv.DictReader(fh):
            table[row["instance"].upper()] = (int(row["bks_vehicles"]), float(row["bks_distance"]))
    return table


def read_sintef_routes(path: str | Path) -> list[list[int]]:
    """Routes of a SINTEF-format solution file (``Route k : c1 c2 ...``)."""
    routes = []
    for line in open_text(Path(path)).splitlines():
        m = re.match(r"\s*Route\s+\d+\s*:(.*)", line)
        if m:
            routes.append([int(t) for t in m.group(1).split()])
    return routes


# --------------------------------------------------------------------------- converter


def carer_id(k: int) -> str:
    return f"veh{k + 1:03d}"


def visit_id(i: int) -> str:
    return f"v{i}"


def to_problem(inst: VRPTWInstance, *, scale: int = SCALE, time_limit: float = 30.0) -> Problem:
    """The instance as a Problem: one carer per vehicle living at the depot.

    Times are multiplied by ``scale`` (travel minutes rounded up); km are the instance
    distances, and one km costs 1 GBP, so the engine's objective is the distance.
    Because the engine treats home legs as unconstrained commute, the depot legs are
    folded into each visit's window: start >= travel from the depot (vehicles leave at
    time 0) and start <= depot due - service - travel back. That keeps every roster the
    engine returns feasible for the original instance.
    """
    d = inst.distances()
    n = inst.customers
    carers = [carer_id(k) for k in range(inst.fleet)]
    clients = [f"c{i}" for i in range(1, n + 1)]
    order = [0] * inst.fleet + list(range(1, n + 1))
    dd = d[np.ix_(order, order)]
    minutes = np.ceil(dd * scale - 1e-9)
    km = dd  # cost per km = 1 GBP: the objective reads in instance distance units
    horizon = floor_scaled(inst.horizon, scale)
    visits = []
    for i in range(1, n + 1):
        duration = max(1, round(inst.service[i] * scale))
        start = max(ceil_scaled(inst.ready[i], scale), ceil_scaled(d[0, i], scale))
        end = min(
            floor_scaled(inst.due[i], scale), horizon - duration - ceil_scaled(d[i, 0], scale)
        )
        visits.append(
            Visit(
                id=visit_id(i),
                client=clients[i - 1],
                window=Window(start=at(start), end=at(max(start, end))),
                duration_minutes=duration,
                priority="critical",
                demand=int(inst.demand[i]),
            )
        )
    depot = planar_location(inst.x[0], inst.y[0])
    return Problem(
        id=inst.name,
        carers=[
            Carer(
                id=c,
                home=depot,
                shifts=[Shift(start=at(0), end=at(horizon))],
                capacity=inst.capacity,
                fixed_cost=VEHICLE_COST,
            )
            for c in carers
        ],
        clients=[
            Client(id=clients[i - 1], location=planar_location(inst.x[i], inst.y[i]))
            for i in range(1, n + 1)
        ],
        visits=visits,
        travel=Travel(
            matrix=TravelMatrix(
                points=carers + clients, minutes={"car": minutes.tolist()}, km={"car": km.tolist()}
            )
        ),
        policy=distance_policy(drop_cost=DROP_COST),
        options=Options(time_limit_seconds=time_limit),
    )


def distance_policy(*, drop_cost: float, lateness_per_minute: float = 0.0) -> Policy:
    """Prices under which the engine's objective is the travelled km (1 GBP per km).

    Wage and on-costs are set to (almost) nothing so that only mileage counts; the
    care-quality terms, the commute rules and the working week's rules (a benchmark's
    horizon may span days in one route) are switched off; dropping any visit costs
    ``drop_cost``.
    """
    return Policy(
        break_after_minutes=None,
        max_commute_minutes=None,  # the depot legs are part of the route
        max_week_minutes=None,
        daily_rest_minutes=None,
        weekly_rest_minutes=None,
        max_consecutive_days=None,
        commute_weight=0.0,  # they cost their km like any leg
        hourly_wage=1e-6,
        mileage_per_mile={"car": KM_PER_MILE, "bike": KM_PER_MILE, "walk": KM_PER_MILE},
        ni_pension_rate=0.0,
        other_on_cost_rate=0.0,
        travel_weight=1.0,
        new_carer_penalty=0.0,
        familiar_carer_reward=0.0,
        language_preference_penalty=0.0,
        contracted_shortfall_per_minute=0.0,
        overtime_per_minute=0.0,
        lateness_per_minute=lateness_per_minute,
        after_planned_per_minute=0.0,  # a window is the benchmark's whole rule
        drop_penalty={p: drop_cost for p in ("critical", "high", "normal", "flexible")},
    )


def routes_of(solution: Solution) -> tuple[list[list[int]], list[int]]:
    """Customer sequences per used vehicle (by start time) and the unassigned customers."""
    routes = []
    for route in solution.routes:
        stops = sorted(route.stops, key=lambda s: s.start)
        if stops:
            routes.append([int(s.visit[1:]) for s in stops])
    return routes, [int(u.visit[1:]) for u in solution.unassigned]
