"""Suggest a patch design: cluster demand by road travel time into k balanced, connected patches.

Method (stated in the report):

1. Clients at the same address form one unit; units are weighted by weekly care hours.
2. Weighted k-medoids on the symmetrised road travel-time matrix (k-medoids++ start,
   then alternate assignment / medoid update until stable).
3. Contiguity: units are neighbours when their Voronoi cells (clipped to the study
   area) share a border.
   A patch's units not connected to its medoid join the neighbouring patch they
   touch most.
4. Balance repair: while moving a boundary unit to a touching, lighter patch lowers
   the spread of patch hours, make the move that helps balance most per extra minute
   of travel to the new medoid, never disconnecting the patch it leaves.
5. Polygons: each unit's Voronoi cell, clipped to the study area, dissolved per patch,
   so patches tile the area without overlap.

``k`` is given, or searched over a range by the weighted silhouette on travel times.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field

import numpy as np
from shapely.geometry.base import BaseGeometry

from optimiser.io import InputError
from optimiser.model import Location

from .demand import Demand
from .designs import Design, Patch, area_polygon, dissolve, touching_cells, voronoi_cells
from .evaluate import make_travel


@dataclass
class Suggestion:
    design: Design
    k: int
    hours: dict[str, float]  # weekly carer-hours per patch
    connected: dict[str, bool]
    tried: list[dict] = field(default_factory=list)  # per k: silhouette, imbalance
    method: str = " ".join(__doc__.split("Method (stated in the report):")[1].split("``k`` is given")[0].split())  # type: ignore[union-attr]
    travel_source: str = ""

    @property
    def imbalance(self) -> float:
        """(heaviest - lightest) / mean patch hours."""
        h = np.array(list(self.hours.values()))
        return float((h.max() - h.min()) / h.mean()) if len(h) and h.mean() > 0 else 0.0


def suggest_design(
    demand: Demand,
    *,
    k: int | None = None,
    k_range: tuple[int, int] = (2, 6),
    osm_file: str | None = None,
    area: BaseGeometry | None = None,
    balance_tolerance: float = 0.10,
    seed: int = 1,
    name: str | None = None,
    minutes: np.ndarray | None = None,
) -> Suggestion:
    """Propose ``k`` patches (or search ``k`` in ``k_range``) for ``demand``.

    ``minutes`` may give the client-to-client travel matrix directly (rows in
    ``demand.clients`` order); otherwise road times on ``osm_file`` (haversine when None).
    """
    if not demand.clients:
        raise InputError("demand has no clients")
    units, members = _units(demand)
    n = len(units)
    if k is not None and not 1 <= k <= n:
        raise InputError(f"k must be between 1 and the number of client addresses ({n}), got {k}")
    source = "given matrix"
    if minutes is None:
        locations = {demand.clients[m[0]].id: Location(lat=units[i][0], lon=units[i][1]) for i, m in enumerate(members)}
        travel, source = make_travel(locations, osm_file, ["car"])
        minutes = travel.minutes("car")
    else:
        minutes = np.asarray(minutes, dtype=float)[np.ix_([m[0] for m in members], [m[0] for m in members])]
    sym = (minutes + minutes.T) / 2
    finite = np.isfinite(sym)
    if not finite.all():  # an unreachable pair: treat as far apart, not as a crash
        sym = np.where(finite, sym, np.nanmax(np.where(finite, sym, np.nan)) * 10)
    weight = np.array([sum(demand.clients[i].carer_minutes() for i in m) / 60 for m in members], dtype=float)
    pts = list(units)
    area = area if area is not None else area_polygon(pts)
    cells = voronoi_cells(pts, area)
    neighbours = touching_cells(cells)
    rng = np.random.default_rng(seed)

    ks = [k] if k is not None else list(range(max(2, k_range[0]), min(n, k_range[1]) + 1)) or [1]
    tried, best = [], None
    for kk in ks:
        labels, medoids = _kmedoids(sym, weight, kk, rng)
        labels = _connect(labels, medoids, neighbours, sym)
        labels = _balance(labels, medoids, neighbours, sym, weight, balance_tolerance)
        sil = _silhouette(sym, weight, labels) if kk > 1 else 0.0
        hours = np.bincount(labels, weights=weight, minlength=kk)
        entry = {"k": kk, "silhouette": round(sil, 4), "imbalance": round(float((hours.max() - hours.min()) / hours.mean()), 4)}
        tried.append(entry)
        if best is None or sil > best[0]:
            best = (sil, kk, labels, medoids)
    assert best is not None
    _, kk, labels, medoids = best

    names = _patch_names(demand, members, medoids)
    cells = dissolve(cells, [names[c] for c in labels])
    design = Design(name or f"suggested-k{kk}", [Patch(names[c], cells[names[c]]) for c in range(kk) if names[c] in cells], source="patches.suggest")
    hours = {names[c]: float(weight[labels == c].sum()) for c in range(kk)}
    connected = {p.name: p.geometry.geom_type == "Polygon" for p in design.patches}
    return Suggestion(design=design, k=kk, hours=hours, connected=connected, tried=tried, travel_source=source)


# --------------------------------------------------------------------------- steps


def _units(demand: Demand) -> tuple[list[tuple[float, float]], list[list[int]]]:
    where: dict[tuple[float, float], int] = {}
    units: list[tuple[float, float]] = []
    members: list[list[int]] = []
    for i, c in enumerate(demand.clients):
        key = (round(c.lat, 7), round(c.lon, 7))
        if key not in where:
            where[key] = len(units)
            units.append((c.lat, c.lon))
            members.append([])
        members[where[key]].append(i)
    return units, members


def _kmedoids(d: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, iters: int = 50) -> tuple[np.ndarray, list[int]]:
    n = len(w)
    medoids = [int(np.argmax(w))]
    while len(medoids) < k:  # k-medoids++: far, heavy units are likely seeds
        dist = d[:, medoids].min(axis=1) ** 2 * (w + 1e-9)
        if dist.sum() <= 0:
            rest = [i for i in range(n) if i not in medoids]
            medoids.append(int(rng.choice(rest)))
        else:
            medoids.append(int(rng.choice(n, p=dist / dist.sum())))
    labels = np.argmin(d[:, medoids], axis=1)
    for _ in range(iters):
        new = []
        for c in range(k):
            idx = np.flatnonzero(labels == c)
            if len(idx) == 0:
                new.append(medoids[c])
                continue
            cost = (d[np.ix_(idx, idx)] * w[idx][None, :]).sum(axis=1)
            new.append(int(idx[np.argmin(cost)]))
        new_labels = np.argmin(d[:, new], axis=1)
        if new == medoids and (new_labels == labels).all():
            break
        medoids, labels = new, new_labels
    for c, m in enumerate(medoids):  # a medoid always belongs to its own patch
        labels[m] = c
    return labels, medoids


def _component(members: set[int], start: int, nb: list[set[int]]) -> set[int]:
    seen, todo = {start}, deque([start])
    while todo:
        u = todo.popleft()
        for v in nb[u]:
            if v in members and v not in seen:
                seen.add(v)
                todo.append(v)
    return seen


def _connect(labels: np.ndarray, medoids: list[int], nb: list[set[int]], d: np.ndarray) -> np.ndarray:
    labels = labels.copy()
    for _ in range(len(labels)):
        moved = False
        for c, m in enumerate(medoids):
            members = set(np.flatnonzero(labels == c).tolist())
            stray = members - _component(members, m, nb)
            for u in sorted(stray, key=lambda u: d[u, m]):
                touching = Counter(labels[v] for v in nb[u] if labels[v] != c)
                if touching:
                    labels[u] = max(touching, key=lambda q: (touching[q], -d[u, medoids[q]]))
                    moved = True
        if not moved:
            break
    return labels


def _balance(
    labels: np.ndarray, medoids: list[int], nb: list[set[int]], d: np.ndarray, w: np.ndarray, tol: float,
    max_moves: int | None = None,
) -> np.ndarray:
    labels = labels.copy()
    k = len(medoids)
    if k < 2:
        return labels
    target = w.sum() / k
    hours = np.bincount(labels, weights=w, minlength=k)
    medoid_set = set(medoids)
    for _ in range(max_moves or 4 * len(labels)):
        if np.abs(hours - target).max() <= tol * target:
            break
        moves = []
        for u in range(len(labels)):
            p = labels[u]
            if u in medoid_set:
                continue
            for q in {labels[v] for v in nb[u]} - {p}:
                before = (hours[p] - target) ** 2 + (hours[q] - target) ** 2
                after = (hours[p] - w[u] - target) ** 2 + (hours[q] + w[u] - target) ** 2
                gain = before - after
                if gain > 1e-9:
                    extra = max(0.0, d[u, medoids[q]] - d[u, medoids[p]])
                    moves.append((gain / (1.0 + extra), u, p, q))
        moved = False
        for _, u, p, q in sorted(moves, reverse=True):
            members = set(np.flatnonzero(labels == p).tolist()) - {u}
            if _component(members, medoids[p], nb) == members:
                labels[u] = q
                hours[p] -= w[u]
                hours[q] += w[u]
                moved = True
                break
        if not moved:
            break
    return labels


def _silhouette(d: np.ndarray, w: np.ndarray, labels: np.ndarray) -> float:
    """Weighted mean silhouette on the travel-time matrix."""
    ks = np.unique(labels)
    if len(ks) < 2:
        return 0.0
    mean_to = np.zeros((len(labels), len(ks)))
    for j, c in enumerate(ks):
        idx = labels == c
        mean_to[:, j] = (d[:, idx] * w[idx][None, :]).sum(axis=1) / max(w[idx].sum(), 1e-9)
    own = np.searchsorted(ks, labels)
    a = mean_to[np.arange(len(labels)), own]
    other = mean_to.copy()
    other[np.arange(len(labels)), own] = np.inf
    b = other.min(axis=1)
    s = np.where(np.maximum(a, b) > 0, (b - a) / np.maximum(a, b), 0.0)
    return float((s * w).sum() / max(w.sum(), 1e-9))


def _patch_names(demand: Demand, members: list[list[int]], medoids: list[int]) -> list[str]:
    """Name each patch after the settlement its clients live in most (else 'Patch n')."""
    names: list[str] = []
    used: Counter[str] = Counter()
    for c, m in enumerate(medoids):
        base = demand.clients[members[m][0]].settlement or f"Patch {c + 1}"
        used[base] += 1
        names.append(base if used[base] == 1 else f"{base} {used[base]}")
    return names


def hours_by_patch(design: Design, demand: Demand) -> dict[str, float]:
    """Weekly carer-hours of the clients inside each patch (for balance checks)."""
    from .designs import assign_clients

    a = assign_clients(design, demand)
    out: dict[str, float] = defaultdict(float)
    by_id = {c.id: c for c in demand.clients}
    for cid, p in a.patch_of.items():
        out[p] += by_id[cid].carer_minutes() / 60
    return dict(out)
