"""The compiled fleet phase (optimiser.sisr): when it applies, and that the roster it
leaves is the one it scored and keeps every rule."""

from __future__ import annotations

import random

from optimiser import sisr
from optimiser.budget import Deadline
from optimiser.engine import solve
from optimiser.validator import validate

from .builders import carer, client, problem, random_day, visit
from .test_engine_construct import construction, route_state


def windows_and_loads(visits: int = 60, carers: int = 8, seed: int = 3):
    """A VRPTW-like day: windows, demands, capacities and a fixed cost per carer only."""
    rng = random.Random(seed)
    clients = [client(f"c{i}", rng.uniform(0, 6), rng.uniform(0, 6)) for i in range(visits)]
    vs = []
    for i in range(visits):
        h = rng.randint(8, 16)
        vs.append(visit(f"v{i}", f"c{i}", f"{h:02d}:00", f"{h + rng.randint(0, 2):02d}:30", rng.choice([15, 30]),
                        demand=rng.randint(1, 5)))
    return problem(
        carers=[carer(f"k{i}", 3, 3, (("07:00", "20:00"),), capacity=40, fixed_cost=200.0) for i in range(carers)],
        clients=clients, visits=vs, policy={"break_after_minutes": None, "max_commute_minutes": None},
    )


def test_applies_only_without_the_rules_it_does_not_know():
    assert sisr.applies(construction(windows_and_loads()))
    assert not sisr.applies(construction(random_day(40, 5, seed=2)))  # breaks, doubles, continuity
    limited = windows_and_loads()
    limited.policy.max_commute_minutes = {"car": 45}
    assert not sisr.applies(construction(limited))  # the commute rules


def test_fleet_phase_leaves_the_roster_it_scored_and_keeps_every_rule():
    c = construction(windows_and_loads())
    used = sum(1 for r in c.routes if r.nodes)
    removed = sisr.minimise_fleet(c, Deadline.after(2.0), seed=4)
    assert sum(1 for r in c.routes if r.nodes) == used - removed
    assert len(c.placed) == len(c.data.nodes_of_visit)
    kept = route_state(c)
    for r in c.routes:
        c.times.refresh(r)
    assert route_state(c) == kept
    assert c.schedule()  # every route still has feasible start times


def test_solve_uses_it_and_the_roster_validates():
    p = windows_and_loads(80, 10, seed=5)
    s = solve(p, time_limit=3, seed=1)
    assert s.status == "feasible"
    assert validate(p, s).violations == []
    assert s.statistics.strategy == "GREEDY_INSERTION+SISR"


def test_warm_up_readies_the_fleet_phase_too():
    # else a VRPTW roster's first solve after an install compiles the fleet loops on its own clock
    from optimiser import search_kernel, sisr_kernel
    from optimiser.engine import warm_up

    warm_up()
    assert sisr_kernel.fleet_steps.signatures and search_kernel.steps.signatures
