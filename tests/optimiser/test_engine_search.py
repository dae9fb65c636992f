"""Search paths of the engine (construction + LNS, construction + OR-Tools GLS, plain
OR-Tools strategies) and the benchmark features: explicit matrices, fixed cost,
demand/capacity, long horizons. Every roster is validated."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimiser.engine import solve
from optimiser.validator import validate

from .builders import carer, client, problem, random_day, visit
from .test_engine import carer_of, solved, stop


def plain_vrptw(n: int = 12, known: bool = False):
    """Single shifts, no breaks, no doubles: the compiled search's path, or with
    ``known`` carers (continuity values) the OR-Tools GLS path."""
    return problem(
        carers=[carer(f"k{i}", i * 2, 0) for i in range(3)],
        clients=[client(f"c{j}", (j % 6) * 1.0, (j // 6) * 1.5, **({"known_carers": {"k0": 4}} if known else {}))
                 for j in range(n)],
        visits=[visit(f"v{j}", f"c{j}", f"{8 + j // 3:02d}:00", f"{9 + j // 3:02d}:00", 30) for j in range(n)],
        policy={"break_after_minutes": None, "max_commute_minutes": None},
    )


def test_plain_routing_runs_the_compiled_search():
    s = solved(plain_vrptw())
    assert s.statistics.strategy == "GREEDY_INSERTION+SISR"
    assert s.status == "feasible"


def test_routing_with_continuity_ends_with_or_tools_local_search():
    s = solved(plain_vrptw(known=True), first_solution="GREEDY_INSERTION+LNS+GLS")
    assert s.statistics.strategy == "GREEDY_INSERTION+LNS+GLS"
    assert s.status == "feasible"


@pytest.mark.parametrize("day", [lambda: random_day(30, 5, seed=4), lambda: plain_vrptw(known=True)])
def test_the_default_runs_the_compiled_search(day):
    s = solved(day())
    assert s.statistics.strategy == "GREEDY_INSERTION+SISR"
    assert s.statistics.steps > 0


def test_or_tools_polishes_when_its_objective_is_the_searchs():
    """No continuity, language or preference terms and no CP-checked rules: GLS follows the
    compiled search (not under a step budget, which must repeat)."""
    p = plain_vrptw()
    p.policy.new_carer_penalty = p.policy.familiar_carer_reward = p.policy.language_preference_penalty = 0.0
    assert solved(p, time_limit=2.0).statistics.strategy == "GREEDY_INSERTION+SISR+GLS"
    p.options.max_steps = 200
    assert solved(p, time_limit=30.0).statistics.strategy == "GREEDY_INSERTION+SISR"


def test_the_python_lns_still_runs_when_named():
    s = solved(random_day(30, 5, seed=4), first_solution="GREEDY_INSERTION+LNS")
    assert s.statistics.strategy == "GREEDY_INSERTION+LNS"


def test_objective_history_only_improves():
    s = solved(random_day(60, 6, seed=5), time_limit=2.0)
    objectives = [obj for _, obj in s.statistics.history]
    assert objectives == sorted(objectives, reverse=True)
    assert s.statistics.objective == pytest.approx(objectives[-1])


@pytest.mark.parametrize("strategy", ["PARALLEL_CHEAPEST_INSERTION", "GREEDY_INSERTION+GLS"])
def test_first_solution_override(strategy):
    s = solved(plain_vrptw(9), first_solution=strategy)
    assert s.statistics.strategy.startswith(strategy.split("+")[0])
    assert s.status == "feasible"


def test_explicit_matrix_travel_and_km():
    points = ["k0", "c0", "c1"]
    minutes = [[0, 10, 50], [10, 0, 45], [50, 45, 0]]
    km = [[0, 5, 25], [5, 0, 22], [25, 22, 0]]
    p = problem(
        carers=[carer("k0", 0, 0, max_commute_minutes=60)],  # c1 is 50 min from home
        clients=[client("c0", 0, 0), client("c1", 0, 0)],  # same place: only the matrix tells them apart
        visits=[visit("v0", "c0", "08:00", "08:00", 30), visit("v1", "c1", "08:30", "10:00", 30)],
        travel={"matrix": {"points": points, "minutes": {"car": minutes}, "km": {"car": km}}},
    )
    s = solved(p)
    v1 = stop(s, "v1")
    assert v1.travel_minutes == 45 and v1.travel_km == 22
    assert (v1.start - stop(s, "v0").end).total_seconds() >= 45 * 60


def test_fixed_cost_keeps_a_carer_unused():
    p = problem(
        carers=[carer("dear", 0, 0, fixed_cost=500.0), carer("cheap", 0.1, 0)],
        clients=[client("c0", 0, 0), client("c1", 0.2, 0)],
        visits=[visit("v0", "c0", "08:00", "09:00", 30), visit("v1", "c1", "08:00", "10:00", 30)],
        policy={"break_after_minutes": None},
    )
    s = solved(p)
    assert [r.carer for r in s.routes] == ["cheap"]


def test_demand_and_capacity_in_the_lns_path():
    p = problem(
        carers=[carer("a", 0, 0, capacity=10), carer("b", 0.5, 0, capacity=10)],
        clients=[client(f"c{i}", 0.1 * i, 0) for i in range(4)],
        visits=[visit(f"v{i}", f"c{i}", "08:00", "12:00", 30, demand=4) for i in range(4)]
        + [visit("d", "c0", "13:00", "13:30", 30, carers_required=2)],
    )
    s = solved(p)
    for r in s.routes:
        load = sum(p.visit(x.visit).demand for x in r.stops)
        assert load <= 10
    assert s.status == "feasible"


def test_long_horizon_over_several_days():
    p = problem(
        carers=[carer("a", 0, 0, shifts=[("2026-11-23T08:00", "2026-11-23T12:00"),
                                         ("2026-11-25T08:00", "2026-11-25T12:00")])],
        clients=[client("c0", 0.2, 0)],
        visits=[visit("mon", "c0", "2026-11-23T09:00", "2026-11-23T10:00", 30),
                visit("wed", "c0", "2026-11-25T09:00", "2026-11-25T10:00", 30),
                visit("tue", "c0", "2026-11-24T09:00", "2026-11-24T10:00", 30)],
    )
    s = solved(p)
    assert carer_of(s, "mon") == ["a"] and carer_of(s, "wed") == ["a"]
    [u] = s.unassigned
    assert u.visit == "tue" and u.rule == "shifts" and "Tue 24 Nov" in u.reason


def test_split_shift_max_work_in_lns_and_gls_agree():
    p = problem(
        carers=[carer("a", 0, 0, shifts=[("07:00", "10:00"), ("16:00", "19:00")], max_work_minutes=90)],
        clients=[client("c0", 0.1, 0)],
        visits=[visit(f"v{i}", "c0", f"{h:02d}:00", f"{h:02d}:00", 30) for i, h in enumerate((7, 8, 9, 16, 17))],
        policy={"break_after_minutes": None},
    )
    s = solved(p)
    assert len([x for r in s.routes for x in r.stops]) == 3


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), visits=st.integers(5, 40), carers=st.integers(1, 6))
def test_any_random_day_validates(seed, visits, carers):
    p = random_day(visits, carers, seed=seed)
    s = solve(p, time_limit=0.5)
    report = validate(p, s)
    assert report.violations == [], [v.message for v in report.violations]
    placed = [x.visit for r in s.routes for x in r.stops]
    doubles = {v.id for v in p.visits if v.carers_required == 2}
    assert len(placed) == len(set(placed)) + len(doubles & set(placed))
    assert {u.visit for u in s.unassigned} | set(placed) == {v.id for v in p.visits}


def test_unknown_strategy_is_an_input_error_naming_the_field():
    from optimiser.io import InputError

    with pytest.raises(InputError, match="options.first_solution.*'FASTEST'"):
        solve(plain_vrptw(3), time_limit=0.5, first_solution="FASTEST")


@pytest.mark.parametrize("strategy", ["PARALLEL_CHEAPEST_INSERTION", "GREEDY_INSERTION+GLS"])
def test_or_tools_model_keeps_every_rule(strategy):
    """The OR-Tools model itself (not just the construction) respects doubles, `after`,
    breaks, split-shift work caps, skills and windows."""
    p = problem(
        carers=[
            carer("a", 0, 0, shifts=[("07:00", "15:00")], skills=["hoist"]),
            carer("b", 0.5, 0, shifts=[("07:00", "11:00"), ("16:00", "20:00")], max_work_minutes=150),
            carer("c", 1.0, 0, shifts=[("07:00", "15:00")], skills=["hoist"]),
        ],
        clients=[client("c1", 0.2, 0), client("c2", 0.7, 0), client("c3", 1.2, 0)],
        visits=[
            visit("d", "c1", "08:00", "08:30", 45, carers_required=2),
            visit("meal", "c2", "09:00", "10:00", 30),
            visit("ins", "c2", "07:00", "12:00", 15, after={"visit": "meal", "min_minutes": 15, "max_minutes": 45}),
            *[visit(f"h{i}", "c3", "07:00", "14:30", 60, skills=["hoist"]) for i in range(6)],
            visit("pm", "c2", "17:00", "18:00", 30),
        ],
    )
    s = solved(p, time_limit=3.0, first_solution=strategy)
    assert len({st.start for r in s.routes for st in r.stops if st.visit == "d"}) <= 1
    assert len(carer_of(s, "d")) in (0, 2)
    if carer_of(s, "ins") and carer_of(s, "meal"):
        gap = stop(s, "ins").start - stop(s, "meal").start
        assert 15 * 60 <= gap.total_seconds() <= 45 * 60
    assert all(carer_of(s, f"h{i}")[0] in ("a", "c") for i in range(6) if carer_of(s, f"h{i}"))
