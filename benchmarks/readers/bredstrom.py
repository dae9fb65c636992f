"""Bredström & Rönnqvist (2008) routing with synchronised visits (the ISIMA book's copy).

Sections are read by position (their comment lines vary): processing times, staff
window [0, H], visit windows, demands, the N x N travel-time matrix, depot times and the
synchronised pairs. Each visit is its own patient except that the two visits of a
synchronised pair (same place, same window) share one patient and are linked
simultaneous. Windows and the staff window are hard; the objective scored is total
travel time including the depot legs. The book's route files are initial solutions,
not best-known values.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from optimiser.io import InputError

from .common import benchmark_data, open_text
from .hhc import Assignment, HHCInstance, Service, Sync

FOLDER = ("hhc", "bredstrom_ronnqvist2008")


def _numbers(line: str) -> list[float]:
    return [float(t) for t in line.split("//")[0].split()]


def read(path: str | Path) -> HHCInstance:
    path = Path(path)
    blocks: list[list[list[float]]] = [[]]
    for line in open_text(path).splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            if blocks[-1]:
                blocks.append([])
            continue
        nums = _numbers(stripped)
        if nums:
            blocks[-1].append(nums)
        elif blocks[-1]:
            blocks.append([])
    blocks = [b for b in blocks if b]
    try:
        head, proc, staff, windows, _demand, matrix, depot, pairs = blocks[:8]
        vehicles, visits = int(head[0][0]), int(head[1][0])
        duration = [row[1] for row in proc]
        horizon = staff[0][1]
        tw = np.array(windows)
        d_visits = np.array(matrix)
        to_depot = [row[1] for row in depot]
        count = int(pairs[0][0])
        linked = [(int(r[0]), int(r[1])) for r in pairs[1 : 1 + count]]
    except (ValueError, IndexError) as err:
        raise InputError(f"{path}: not a Bredström-Rönnqvist instance ({err})") from None
    if d_visits.shape != (visits, visits) or len(duration) != visits or tw.shape != (visits, 2):
        raise InputError(f"{path}: section sizes do not match {visits} visits")
    # patients: one per visit, except a synchronised pair shares the first visit's patient
    owner = {j: i for i, j in linked}
    singles = [v for v in range(1, visits + 1) if v not in owner]
    index = {v: k for k, v in enumerate(singles, start=1)}
    d = np.zeros((len(singles) + 1, len(singles) + 1))
    d[0, 1:] = [to_depot[v - 1] for v in singles]
    d[1:, 0] = d[0, 1:]
    for a in singles:
        for b in singles:
            d[index[a], index[b]] = d_visits[a - 1, b - 1]
    services, sync = [], []
    for v in singles:
        svc = [Service(f"s{v}", duration[v - 1])]
        partner = next((j for i, j in linked if i == v), None)
        if partner is not None:
            svc.append(Service(f"s{partner}", duration[partner - 1]))
        services.append(svc)
        sync.append(Sync("simultaneous") if partner is not None else None)
    return HHCInstance(
        name=path.stem,
        family="bredstrom",
        patients=[f"p{v}" for v in singles],
        earliest=np.array([tw[v - 1, 0] for v in singles]),
        latest=np.array([tw[v - 1, 1] for v in singles]),
        services=services,
        sync=sync,
        caregivers=[f"c{k + 1}" for k in range(vehicles)],
        abilities=[{f"s{v}" for v in range(1, visits + 1)} for _ in range(vehicles)],
        d=d,
        soft_due=False,
        horizon=horizon,
    )


def files() -> list[Path]:
    return sorted(benchmark_data(*FOLDER).glob("Bred_*.txt"))


def read_book_routes(inst: HHCInstance, path: str | Path) -> tuple[float, list[list[str]]]:
    """The book's initial solution: (stated cost, [[visit service ids], ...] per route)."""
    lines = [ln.split() for ln in open_text(Path(path)).splitlines() if ln.strip()]
    cost = float(lines[0][1])
    routes = [[f"s{int(t)}" for t in ln[2:]] for ln in lines[1:]]
    return cost, routes


def book_files() -> dict[str, Path]:
    folder = benchmark_data(*FOLDER)
    return {re.sub(r"^tournee_|_GC$", "", p.stem): p for p in folder.glob("tournee_Bred_*_GC.txt")}


def schedule_routes(inst: HHCInstance, routes: list[list[str]]) -> Assignment:
    """Earliest start times for given service sequences (synchronised pairs aligned by iteration)."""
    where = {s.id: (i, k) for i, ss in enumerate(inst.services) for k, s in enumerate(ss)}
    start = {sid: 0.0 for r in routes for sid in r}
    for _ in range(4 * len(start) + 10):
        changed = False
        for r in routes:
            t, prev = 0.0, 0
            for sid in r:
                i, k = where[sid]
                node = i + 1
                s = max(t + inst.d[prev, node], inst.earliest[i], start[sid])
                if inst.sync[i] is not None:
                    other = inst.services[i][1 - k].id
                    s = max(s, start.get(other, s))
                if s > start[sid] + 1e-9:
                    start[sid], changed = s, True
                t, prev = start[sid] + inst.services[i][k].duration, node
        if not changed:
            break
    out: Assignment = {}
    for c, r in zip(inst.caregivers, routes, strict=False):
        out[c] = [(inst.patients[where[s][0]], s, start[s]) for s in r]
    return out
