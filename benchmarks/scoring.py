"""Independent scorers: each family's own objective, recomputed from the routes alone.

Distances come from the ORIGINAL instance data in double precision (never from the
engine), and every hard rule of the family is re-checked. A score carries its
violations; ``feasible`` means there are none.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .readers.hhc import Assignment, HHCInstance
from .readers.solomon import VRPTWInstance

EPS = 1e-6
"""Tolerance of the time checks for double-precision routes (VRPTW)."""
HHC_EPS = 2e-3
"""HHC solutions print times to 3 decimals."""


@dataclass
class Score:
    feasible: bool
    objective: float
    distance: float
    vehicles: int = 0
    total_tardiness: float = 0.0
    max_tardiness: float = 0.0
    violations: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def score_vrptw(inst: VRPTWInstance, routes: list[list[int]], unassigned: list[int] = ()) -> Score:
    """Solomon convention: all customers once, capacity, service starts in [ready, due]
    (waiting allowed), back at the depot by its due date, at most ``fleet`` vehicles.
    The objective is the distance; compare ``vehicles`` first."""
    d = inst.distances()
    n = inst.customers
    bad: list[str] = []
    seen: dict[int, int] = {}
    distance = 0.0
    used = [r for r in routes if r]
    for k, route in enumerate(used):
        t, prev, load = 0.0, 0, 0
        for c in route:
            if not 1 <= c <= n:
                bad.append(f"route {k + 1}: unknown customer {c}")
                continue
            seen[c] = seen.get(c, 0) + 1
            distance += d[prev, c]
            start = max(t + d[prev, c], inst.ready[c])
            if start > inst.due[c] + EPS:
                bad.append(
                    f"route {k + 1}: customer {c} starts at {start:.4f} after its due {inst.due[c]:g}"
                )
            t, prev, load = start + inst.service[c], c, load + int(inst.demand[c])
        distance += d[prev, 0]
        if t + d[prev, 0] > inst.due[0] + EPS:
            bad.append(
                f"route {k + 1}: back at the depot at {t + d[prev, 0]:.4f} after {inst.due[0]:g}"
            )
        if load > inst.capacity:
            bad.append(f"route {k + 1}: load {load} above capacity {inst.capacity}")
    missing = [c for c in range(1, n + 1) if c not in seen]
    if missing:
        bad.append(f"{len(missing)} customer(s) not served, e.g. {missing[:5]}")
    twice = [c for c, k in seen.items() if k > 1]
    if twice:
        bad.append(f"customer(s) served more than once: {twice[:5]}")
    if len(used) > inst.fleet:
        bad.append(f"{len(used)} vehicles above the fleet of {inst.fleet}")
    return Score(
        feasible=not bad, objective=distance, distance=distance, vehicles=len(used), violations=bad
    )


def score_hhc(inst: HHCInstance, routes: Assignment, *, depart_at_zero: bool = True) -> Score:
    """Mankowska convention: objective (distance + total tardiness + max tardiness) / 3,
    distance including the depot legs, tardiness = start after the due time, per service.

    Hard rules re-checked: every required service of every patient exactly once, by a
    caregiver qualified for it; starts not before the window opens; travel and service
    times between consecutive starts (caregivers leave the depot at time 0); the two
    services of a patient by different caregivers, simultaneous or within [min, max]
    lag (second - first); due times are hard where the family says so (Bredström), and
    so is the return to the depot by the staff horizon.
    """
    index = {p: i for i, p in enumerate(inst.patients)}
    need = {(p, s.id): s for p, ss in zip(inst.patients, inst.services, strict=True) for s in ss}
    ability = dict(zip(inst.caregivers, inst.abilities, strict=True))
    bad: list[str] = []
    start: dict[tuple[str, str], float] = {}
    who: dict[tuple[str, str], str] = {}
    distance = total = worst = 0.0
    for carer, stops in routes.items():
        if not stops:
            continue
        if carer not in ability:
            bad.append(f"unknown caregiver {carer!r}")
            continue
        t, prev = 0.0, 0
        for patient, service, begin in stops:
            key = (patient, service)
            if key not in need:
                bad.append(f"{carer}: {patient} does not need service {service}")
                continue
            if key in start:
                bad.append(f"{patient}/{service} served more than once")
            start[key], who[key] = begin, carer
            i = index[patient]
            node = i + 1
            leg = inst.d[prev, node]
            distance += leg
            if service not in ability[carer]:
                bad.append(f"{carer} is not qualified for {service} at {patient}")
            ready = t + leg if (prev or depart_at_zero) else leg
            if begin < ready - HHC_EPS:
                bad.append(
                    f"{carer}: {patient}/{service} starts at {begin:.3f} before arrival at {ready:.3f}"
                )
            if begin < inst.earliest[i] - HHC_EPS:
                bad.append(
                    f"{patient}/{service} starts at {begin:.3f} before its window {inst.earliest[i]:g}"
                )
            late = max(0.0, begin - float(inst.latest[i]))
            if late > HHC_EPS and not inst.soft_due:
                bad.append(
                    f"{patient}/{service} starts at {begin:.3f} after its due time {inst.latest[i]:g}"
                )
            total += late
            worst = max(worst, late)
            t, prev = begin + need[key].duration, node
        distance += inst.d[prev, 0]
        if inst.horizon is not None and t + inst.d[prev, 0] > inst.horizon + HHC_EPS:
            bad.append(
                f"{carer}: back at the depot at {t + inst.d[prev, 0]:.3f} after {inst.horizon:g}"
            )
    missing = [k for k in need if k not in start]
    if missing:
        bad.append(
            f"{len(missing)} service(s) not done, e.g. {[f'{p}/{s}' for p, s in missing[:4]]}"
        )
    for patient, ss, sync in zip(inst.patients, inst.services, inst.sync, strict=True):
        if len(ss) != 2 or sync is None:
            continue
        a, b = (patient, ss[0].id), (patient, ss[1].id)
        if a not in start or b not in start:
            continue
        if who[a] == who[b]:
            bad.append(f"{patient}: both services by the same caregiver {who[a]}")
        gap = start[b] - start[a]
        if sync.kind == "simultaneous" and abs(gap) > HHC_EPS:
            bad.append(f"{patient}: simultaneous services start {abs(gap):.3f} apart")
        if sync.kind == "sequential" and not sync.lo - HHC_EPS <= gap <= sync.hi + HHC_EPS:
            bad.append(
                f"{patient}: lag {gap:.3f} between services outside [{sync.lo:g}, {sync.hi:g}]"
            )
    objective = (distance + total + worst) / 3 if inst.soft_due else distance
    used = sum(1 for s in routes.values() if s)
    return Score(
        feasible=not bad,
        objective=objective,
        distance=distance,
        vehicles=used,
        total_tardiness=total,
        max_tardiness=worst,
        violations=bad,
    )


def gap(value: float, best: float) -> float:
    """Relative gap in percent."""
    return 100.0 * (value - best) / best if best else 0.0
