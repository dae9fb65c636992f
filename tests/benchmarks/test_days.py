"""The day benchmark runner on a tiny generated day (engine 2 s)."""

from __future__ import annotations

import json

import pytest

from benchmarks.days import (
    DaySkipped,
    dropped_for_vroom,
    markdown,
    ratios,
    run_day,
    targets_table,
    vroom_solve,
)
from optimiser.generator import GeneratorSettings, generate_day
from optimiser.model import PRIORITIES
from optimiser.sources import travel_times
from optimiser.validator import validate

KPI_KEYS = {
    "visits_scheduled",
    "unassigned_by_priority",
    "travel_minutes",
    "travel_km",
    "travel_share",
    "distinct_carers_per_client",
    "familiar_share",
}


@pytest.fixture(scope="module")
def day() -> dict:
    return run_day(30, 4, seed=2, time_limit=2, peers=True)


def test_run_day_returns_the_documented_keys_and_is_json(day: dict):
    assert {
        "instance", "sizes", "travel", "time_limit", "first_solution_seconds", "violations",
        "peak_memory_mb", "engine", "greedy", "vroom", "ratios",
    } <= set(day)  # fmt: skip
    assert day["sizes"]["visits"] == 30 and day["sizes"]["carers"] == 4
    assert day["travel"] == "haversine"
    for name in ("engine", "greedy"):
        assert KPI_KEYS <= set(day[name]["kpis"])
        assert set(day[name]["kpis"]["unassigned_by_priority"]) == set(PRIORITIES)
    assert day["engine"]["history"] and all(len(h) == 2 for h in day["engine"]["history"])
    assert day["peak_memory_mb"] > 10  # a Python process with OR-Tools loaded
    assert json.loads(json.dumps(day)) == day


def test_engine_and_greedy_rosters_have_no_violations(day: dict):
    assert day["violations"] == 0, day["engine"]["violation_rules"]
    assert day["greedy"]["violations"] == 0, day["greedy"]["violation_rules"]
    assert day["first_solution_seconds"] is not None and day["first_solution_seconds"] <= 2 + 1


def test_ratios_compare_engine_with_greedy(day: dict):
    r = day["ratios"]["engine_vs_greedy"]
    e, g = day["engine"]["kpis"], day["greedy"]["kpis"]
    assert r["travel_minutes"] == pytest.approx(e["travel_minutes"] / g["travel_minutes"], rel=1e-2)
    assert ratios({"travel_km": 5.0}, {"travel_km": 0})["travel_km"] is None


def test_markdown_has_a_row_per_roster(day: dict):
    table = markdown([day])
    assert table.count(day["instance"]) == 1 + 2 + (
        1 if "kpis" in day["vroom"] or "skipped" in day["vroom"] else 0
    )


def test_vroom_subset_keeps_its_own_rules():
    pytest.importorskip("vroom")
    problem = generate_day(GeneratorSettings(visits=40, carers=5, seed=4))
    travel = travel_times(problem)
    solution = vroom_solve(problem, travel, time_limit=2)
    report = validate(problem, solution, travel)
    subset = {
        "window",
        "duration",
        "arrival",
        "shifts",
        "overlap",
        "travel",
        "travel_reported",
        "skills",
        "lost_visit",
    }
    assert [v.message for v in report.violations if v.rule in subset] == []
    doubles = {v.id for v in problem.visits if v.carers_required == 2}
    assert doubles <= {u.visit for u in solution.unassigned}
    dropped = dropped_for_vroom(problem)
    assert dropped.get("double_handed visits (left unassigned)", 0) == len(doubles)


def test_road_day_on_rutland(shared_dir):
    """A tiny day on Rutland's roads (skips without the shared data or geo)."""
    if not (shared_dir / "data" / "osm" / "rutland-2018-02.osm.pbf").is_file():
        pytest.skip("Rutland extract absent from the shared data folder")
    pytest.importorskip("geo.travel")
    try:
        day = run_day(20, 3, seed=5, time_limit=1, osm_file="rutland", peers=False)
    except DaySkipped as err:
        pytest.skip(str(err))
    assert day["travel"].startswith("road (rutland")
    assert day["violations"] == 0, day["engine"]["violation_rules"]
    assert day["greedy"]["violations"] == 0, day["greedy"]["violation_rules"]
    assert day["vroom"] == {"skipped": "peers=False"}


def test_targets_table_judges_the_measured_figures(day: dict):
    fast = json.loads(json.dumps(day))
    fast["sizes"].update(visits=300, carers=40)
    slow = json.loads(json.dumps(fast))
    slow["first_solution_seconds"] = slow["engine"]["first_solution_seconds"] = 2.5
    fast["first_solution_seconds"] = fast["engine"]["first_solution_seconds"] = 0.5
    assert targets_table([fast]).endswith("| 0.50 s | yes |")
    assert targets_table([slow]).endswith("| 2.50 s | no |")
    assert targets_table([day]) == ""  # a 30-visit day has no target
