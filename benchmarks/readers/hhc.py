"""Home health care routing and scheduling (HHCRSP) instances, Mankowska et al. 2014 style.

One neutral :class:`HHCInstance` for Mankowska (original .txt), Kummer et al. 2021
(iolab JSON) and Bredström-Rönnqvist; one converter to a Problem:

* every required service of a patient becomes a visit of that patient (client), with
  the service as its one skill; caregivers become carers living at the depot;
* a double service is two visits linked by ``after`` (simultaneous: 0/0, precedence
  with lag: [min, max]) on the second one;
* due times are soft (Mankowska): ``late_limit_minutes`` is large and
  ``policy.lateness_per_minute`` makes one time unit late cost ``LATENESS_WEIGHT`` distance units.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from optimiser.model import (
    After,
    Carer,
    Client,
    Location,
    Options,
    Problem,
    Shift,
    Solution,
    Travel,
    TravelMatrix,
    Visit,
    Window,
)

from .common import at, ceil_scaled, floor_scaled, minutes_of, planar_location
from .solomon import distance_policy

LATENESS_WEIGHT = 2.0
"""Cost of one time unit late, in distance units. The objective weighs total tardiness 1
and adds the maximum tardiness, which routing cannot price: a unit of lateness on the
latest visit costs 2, elsewhere 1. 2.0 measured better than 1.5 at 10 s on A1, A3, A6, B1,
C1, C5, D1, E1 (mean gap 1.75 % vs 2.25 %; A1 reaches the best known only at 2.0)."""


@dataclass(frozen=True)
class Service:
    id: str
    duration: float


@dataclass(frozen=True)
class Sync:
    """Start-to-start link between the two services of a patient: second - first in [lo, hi]."""

    kind: str  # "simultaneous" | "sequential"
    lo: float = 0.0
    hi: float = 0.0


@dataclass
class HHCInstance:
    """Index 0 of ``d`` is the depot, 1..n the patients (``patients[i-1]``)."""

    name: str
    family: str
    patients: list[str]
    earliest: np.ndarray  # per patient (length n)
    latest: np.ndarray
    services: list[list[Service]]  # per patient, in order (first service of a double first)
    sync: list[Sync | None]
    caregivers: list[str]
    abilities: list[set[str]]
    d: np.ndarray  # (n+1) x (n+1) travel distance = time
    coords: list[tuple[float, float]] = field(default_factory=list)  # depot + patients
    latlon: bool = False
    soft_due: bool = True
    horizon: float | None = None  # staff availability end (Bredström), None = open

    @property
    def n(self) -> int:
        return len(self.patients)

    @property
    def double_services(self) -> int:
        return sum(len(s) == 2 for s in self.services)


# --------------------------------------------------------------------------- converter


def visit_id(patient: str, service: str) -> str:
    return f"{patient}-{service}"


def _location(inst: HHCInstance, k: int) -> Location:
    if not inst.coords:
        return planar_location(0.0, float(k))
    a, b = inst.coords[k]
    return Location(lat=a, lon=b) if inst.latlon else planar_location(a, b)


def to_problem(
    inst: HHCInstance,
    *,
    scale: int = 100,
    time_limit: float = 30.0,
    lateness_weight: float = LATENESS_WEIGHT,
) -> Problem:
    """The instance as a Problem (see the module docstring); times x ``scale``, km as given."""
    n = inst.n
    order = [0] * len(inst.caregivers) + list(range(1, n + 1))
    dd = inst.d[np.ix_(order, order)]
    minutes = np.ceil(dd * scale - 1e-9)
    km = dd
    longest = max(s.duration for ss in inst.services for s in ss)
    if inst.horizon is not None:
        horizon = floor_scaled(inst.horizon, scale)
    else:  # lateness is unbounded in the instance: leave ample room after the last due time
        horizon = ceil_scaled(
            2 * float(inst.latest.max()) + float(inst.d.max()) * 4 + longest * 4 + 500, scale
        )
    visits: list[Visit] = []
    for i, patient in enumerate(inst.patients, start=1):
        first = None
        for k, svc in enumerate(inst.services[i - 1]):
            duration = max(1, round(svc.duration * scale))
            start = max(ceil_scaled(inst.earliest[i - 1], scale), ceil_scaled(inst.d[0, i], scale))
            end = max(start, floor_scaled(inst.latest[i - 1], scale))
            if inst.horizon is not None:  # hard return-to-depot bound folded into the window
                end = max(start, min(end, horizon - duration - ceil_scaled(inst.d[i, 0], scale)))
            late = max(0, horizon - end - duration) if inst.soft_due else 0
            vid = visit_id(patient, svc.id)
            after = None
            sync = inst.sync[i - 1]
            if k == 1 and sync is not None:
                lo, hi = ceil_scaled(sync.lo, scale), floor_scaled(sync.hi, scale)
                after = After(visit=first, min_minutes=lo, max_minutes=max(lo, hi))
            visits.append(
                Visit(
                    id=vid,
                    client=patient,
                    window=Window(start=at(start), end=at(end)),
                    duration_minutes=duration,
                    skills=[svc.id],
                    priority="critical",
                    after=after,
                    late_limit_minutes=late,
                )
            )
            first = vid
    home = _location(inst, 0)
    return Problem(
        id=inst.name,
        carers=[
            Carer(id=c, home=home, shifts=[Shift(start=at(0), end=at(horizon))], skills=sorted(a))
            for c, a in zip(inst.caregivers, inst.abilities, strict=True)
        ],
        clients=[
            Client(id=p, location=_location(inst, i)) for i, p in enumerate(inst.patients, start=1)
        ],
        visits=visits,
        travel=Travel(
            matrix=TravelMatrix(
                points=list(inst.caregivers) + list(inst.patients),
                minutes={"car": minutes.tolist()},
                km={"car": km.tolist()},
            )
        ),
        policy=distance_policy(
            drop_cost=1e6, lateness_per_minute=lateness_weight / scale if inst.soft_due else 0.0
        ),
        options=Options(time_limit_seconds=time_limit),
    )


Assignment = dict[str, list[tuple[str, str, float]]]
"""caregiver -> [(patient, service, start time in instance units), ...] in visiting order."""


def assignment_of(
    inst: HHCInstance, solution: Solution, *, scale: int = 100
) -> tuple[Assignment, list[str]]:
    """Routes of a carerota Solution in instance terms, and the unassigned visit ids."""
    routes: Assignment = {c: [] for c in inst.caregivers}
    for route in solution.routes:
        for stop in sorted(route.stops, key=lambda s: s.start):
            patient, service = stop.visit.rsplit("-", 1)
            routes.setdefault(route.carer, []).append(
                (patient, service, minutes_of(stop.start) / scale)
            )
    return routes, [u.visit for u in solution.unassigned]


def read_best_known(path: Path) -> dict[str, dict]:
    """A Ceschia et al. ``best_known_ceschia2024.csv``: instance -> objective and its parts."""
    table = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            table[row["instance"]] = {
                "objective": float(row["total_cost"]),
                "distance": float(row["distance_traveled"]),
                "total_tardiness": float(row["total_tardiness"]),
                "max_tardiness": float(row["max_tardiness"]),
                "solution_file": row["solution_file"],
                "id": row.get("literature_id") or row["instance"],
            }
    return table
