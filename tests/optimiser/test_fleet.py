"""Fleet minimisation empties routes without losing a visit or breaking a rule."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.readers.solomon import VRPTWInstance, read, to_problem
from optimiser import fleet, sisr
from optimiser.budget import Deadline
from optimiser.compile import compile_problem
from optimiser.construct import Construction
from optimiser.engine import GREEDY_LNS, GREEDY_LNS_GLS, RoutingModel, solve
from optimiser.model import Problem
from optimiser.validator import validate

from .builders import random_day


def construction(p: Problem) -> Construction:
    model = RoutingModel(compile_problem(p))
    c = Construction(model.data, model.continuity, model.transit_matrices, model.cost_matrices,
                     model.penalty, model.work_targets)
    c.run()
    return c


def routes_used(c: Construction) -> int:
    return sum(1 for r in c.routes if r.nodes)


def vrptw(seed: int, customers: int = 30) -> Problem:
    """A small random Solomon-like instance: 30 customers, windows of 20-60 time units,
    capacity 200; greedy insertion needs one or more routes too many."""
    rng = np.random.default_rng(seed)
    x = np.r_[50.0, rng.uniform(0, 100, customers)]
    y = np.r_[50.0, rng.uniform(0, 100, customers)]
    ready = np.r_[0.0, rng.uniform(0, 150, customers)].round()
    due = ready + np.r_[400.0, rng.uniform(20, 60, customers)].round()
    back = np.hypot(x - 50, y - 50)
    due[1:] = np.minimum(due[1:], (400 - 10 - back[1:] - 1).round())
    demand = np.r_[0, rng.integers(5, 30, customers)]
    service = np.r_[0.0, np.full(customers, 10.0)]
    return to_problem(VRPTWInstance("synthetic", 25, 200, x, y, demand, ready, due, service), time_limit=2)


PHASES = [pytest.param(fleet.minimise_fleet, id="python"), pytest.param(sisr.minimise_fleet, id="compiled")]


@pytest.mark.parametrize("minimise_fleet", PHASES)
@pytest.mark.parametrize("seed", [4, 6])
def test_fleet_minimisation_removes_routes_and_keeps_every_visit(seed, minimise_fleet):
    c = construction(vrptw(seed))
    before, placed = routes_used(c), set(c.placed)
    first = c.objective()
    reported = []
    removed = minimise_fleet(c, Deadline.after(5), seed=1, patience=1000,
                             on_improve=lambda obj, n: reported.append((obj, n)))
    assert removed >= 1
    assert routes_used(c) <= before - removed
    assert placed <= c.placed
    assert c.objective() < first
    assert reported and reported[-1][0] == c.objective() and reported[-1][1] == 0
    # the roster is still one the construction can schedule (every route feasible)
    assert all(c.times.starts(r, r.nodes) is not None for r in c.routes if r.nodes)


@pytest.mark.parametrize("minimise_fleet", PHASES)
def test_without_fixed_cost_the_roster_is_left_alone(minimise_fleet):
    p = vrptw(4)
    p = p.model_copy(update={"carers": [k.model_copy(update={"fixed_cost": 0.0}) for k in p.carers]})
    c = construction(p)
    nodes = [list(r.nodes) for r in c.routes]
    assert minimise_fleet(c, Deadline.after(2), seed=1) == 0
    assert [list(r.nodes) for r in c.routes] == nodes


@pytest.mark.parametrize("strategy", [GREEDY_LNS_GLS, None])  # None: the compiled phases
def test_engine_with_fleet_phase_returns_a_valid_roster_with_fewer_vehicles(strategy):
    p = vrptw(6)
    greedy = routes_used(construction(p))
    solution = solve(p, time_limit=2, seed=1, first_solution=strategy)
    assert validate(p, solution).violations == []
    assert not solution.unassigned
    assert len(solution.routes) < greedy


def test_rules_of_a_home_care_day_hold_with_fixed_costs():
    """Doubles, `after` gaps, breaks, split shifts and work caps: the phase only inserts
    and removes through the construction, so the roster stays valid."""
    p = random_day(60, 10, seed=5)
    p = p.model_copy(update={"carers": [k.model_copy(update={"fixed_cost": 300.0}) for k in p.carers]})
    c = construction(p)
    placed = set(c.placed)
    fleet.minimise_fleet(c, Deadline.after(1.5), seed=2, patience=500)
    assert placed <= c.placed
    solution = solve(p, time_limit=2, seed=2, first_solution=GREEDY_LNS)
    assert validate(p, solution).violations == []


def test_solomon_r102_needs_no_more_vehicles_than_greedy(shared_dir):
    path = shared_dir / "data" / "benchmarks" / "solomon" / "instances" / "R102.txt"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    p = to_problem(read(path), time_limit=3)
    greedy = routes_used(construction(p))
    solution = solve(p, time_limit=3, seed=1)
    assert validate(p, solution).violations == []
    assert not solution.unassigned
    assert len(solution.routes) <= greedy
