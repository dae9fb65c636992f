"""Converter round trip: instance -> Problem -> engine (2 s) -> independent score + validator."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from benchmarks.readers import hhc, mankowska, solomon
from benchmarks.readers.common import BASE
from benchmarks.scoring import score_hhc, score_vrptw
from optimiser.validator import validate


def test_solomon_problem_folds_depot_legs_into_windows(bench_data: Path) -> None:
    inst = solomon.read(bench_data / "solomon" / "instances" / "R101.txt")
    problem = solomon.to_problem(inst)
    d = inst.distances()
    assert len(problem.carers) == 25 and len(problem.visits) == 100
    # a vehicle costs more than several best-known routings: vehicles first, then distance
    assert all(c.capacity == 200 and c.fixed_cost > 5 * 1645.79 for c in problem.carers)
    for i, visit in enumerate(problem.visits, start=1):
        start = (visit.window.start - BASE) / timedelta(minutes=1)
        end = (visit.window.end - BASE) / timedelta(minutes=1)
        assert start >= d[0, i] * solomon.SCALE  # reachable from the depot leaving at 0
        assert (
            end + visit.duration_minutes + d[i, 0] * solomon.SCALE
            <= inst.due[0] * solomon.SCALE + 1
        )
        assert visit.demand == inst.demand[i]
    minutes = problem.travel.matrix.minutes["car"]
    assert all(
        minutes[a][b] >= problem.travel.matrix.km["car"][a][b] * solomon.SCALE - 1e-9
        for a in range(30)
        for b in range(30)
    )


def test_solomon_round_trip(bench_data: Path) -> None:
    from optimiser.engine import solve

    inst = solomon.read(bench_data / "solomon" / "instances" / "C201.txt")
    problem = solomon.to_problem(inst)
    solution = solve(problem, time_limit=2)
    report = validate(problem, solution)
    assert report.violations == []
    routes, unassigned = solomon.routes_of(solution)
    assert unassigned == []
    score = score_vrptw(inst, routes)
    assert score.feasible, score.violations[:3]
    # the engine's objective is vehicles x fixed cost + km: it must agree with the scorer
    assert solution.statistics.objective == pytest.approx(
        score.vehicles * solomon.VEHICLE_COST + score.distance, rel=1e-4
    )


def test_mankowska_round_trip(bench_data: Path) -> None:
    from optimiser.engine import solve

    inst = mankowska.read(
        bench_data / "hhc" / "mankowska2014" / "instances" / "InstanzCPLEX_HCSRP_10_1.txt.gz"
    )
    problem = hhc.to_problem(inst)
    linked = [v for v in problem.visits if v.after is not None]
    assert len(linked) == inst.double_services
    solution = solve(problem, time_limit=2)
    assert validate(problem, solution).violations == []
    routes, unassigned = hhc.assignment_of(inst, solution)
    assert unassigned == []
    score = score_hhc(inst, routes)
    assert score.feasible, score.violations[:3]
    assert score.objective >= mankowska.best_known()[inst.name]["objective"] - 1e-3
