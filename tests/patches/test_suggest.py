from __future__ import annotations

import numpy as np

from patches.demand import ClientPlan, Demand, PlanVisit
from patches.designs import assign_clients
from patches.suggest import hours_by_patch, suggest_design


def _clustered_demand(seed: int = 3) -> Demand:
    """Three villages' worth of clients around three centres, uneven in size."""
    rng = np.random.default_rng(seed)
    centres = [(52.60, -0.70, 14), (52.66, -0.60, 10), (52.58, -0.52, 8)]
    clients = []
    for ci, (lat, lon, n) in enumerate(centres):
        for i in range(n):
            visits = [PlanVisit(days="daily", time=t, duration_minutes=30) for t in ("08:00", "17:00")[: 1 + i % 2]]
            clients.append(ClientPlan(id=f"c{ci}-{i}", lat=lat + rng.normal(0, 0.008), lon=lon + rng.normal(0, 0.012), plan=visits))
    return Demand(clients=clients)


def test_suggest_gives_k_connected_balanced_patches():
    demand = _clustered_demand()
    s = suggest_design(demand, k=3, balance_tolerance=0.15)
    assert s.k == 3 and len(s.design.patches) == 3
    # connected: each patch is one polygon
    assert all(p.geometry.geom_type == "Polygon" for p in s.design.patches)
    assert all(s.connected.values())
    # every client lands in exactly one patch, and the hours match what suggest reports
    a = assign_clients(s.design, demand)
    assert a.outside == []
    hours = hours_by_patch(s.design, demand)
    assert set(hours) == set(s.hours)
    for name, h in s.hours.items():
        assert abs(hours[name] - h) < 1e-6
    # balanced within the tolerance of the mean
    mean = sum(hours.values()) / 3
    assert max(abs(h - mean) for h in hours.values()) <= 0.15 * mean + max(c.carer_minutes() for c in demand.clients) / 60


def test_balance_repair_moves_hours_from_the_heavy_patch():
    demand = _clustered_demand()
    loose = suggest_design(demand, k=2, balance_tolerance=10.0)  # no repair
    tight = suggest_design(demand, k=2, balance_tolerance=0.05)
    assert tight.imbalance <= loose.imbalance
    assert all(tight.connected.values())


def test_k_is_searched_when_not_given():
    demand = _clustered_demand()
    s = suggest_design(demand, k_range=(2, 4))
    assert [t["k"] for t in s.tried] == [2, 3, 4]
    best = max(s.tried, key=lambda t: t["silhouette"])
    assert s.k == best["k"]


def test_a_given_travel_matrix_is_used():
    demand = _clustered_demand()
    n = len(demand.clients)
    # a matrix that says the first village (14 clients) is far from the other two
    m = np.full((n, n), 5.0)
    half = 14
    m[:half, half:] = m[half:, :half] = 500.0
    np.fill_diagonal(m, 0.0)
    s = suggest_design(demand, k=2, minutes=m, balance_tolerance=10.0)
    a = assign_clients(s.design, demand)
    first = {a.patch_of[c.id] for c in demand.clients[:half]}
    second = {a.patch_of[c.id] for c in demand.clients[half:]}
    assert len(first) == 1 and len(second) == 1 and first != second
