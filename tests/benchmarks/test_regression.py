"""The CI quality gate: worse beyond tolerance fails, infeasible always fails."""

from __future__ import annotations

from benchmarks.regression import DEFAULT_TOLERANCE, check, make_baseline

REL, VEH = DEFAULT_TOLERANCE["relative"], DEFAULT_TOLERANCE["vehicles"]
DAY = DEFAULT_TOLERANCE["day_relative"]


def rec(family: str, instance: str, **kw) -> dict:
    base = {
        "family": family,
        "instance": instance,
        "solver": "carerota",
        "budget": 8.0,
        "status": "ok",
        "feasible": True,
        "critical_unassigned": 0,
    }
    return base | kw


RUN = [
    rec("solomon", "C101", vehicles=10, objective=828.94),
    rec("mankowska", "A1", objective=220.0),
    rec("homecare", "day300", kpis={"visits_unassigned": 3, "travel_km": 800.0}),
    rec("solomon", "C101", solver="pyvrp", vehicles=10, objective=828.94),
]
BASE = make_baseline(RUN, {"suite": "ci", "date": "today", "commit": "abc"})


def test_baseline_keeps_only_carerota() -> None:
    assert set(BASE["results"]) == {"solomon/C101", "mankowska/A1", "homecare/day300"}
    assert BASE["results"]["solomon/C101"] == {
        "budget": 8.0,
        "feasible": True,
        "objective": 828.94,
        "vehicles": 10,
    }


def test_same_results_pass() -> None:
    assert check(RUN, BASE) == []


def test_within_tolerance_passes_and_beyond_fails() -> None:
    assert check([rec("mankowska", "A1", objective=220.0 * (1 + REL - 0.01))], BASE) == []
    failures = check([rec("mankowska", "A1", objective=220.0 * (1 + REL + 0.01))], BASE)
    assert len(failures) == 1 and "above baseline" in failures[0]


def test_vehicles_first() -> None:
    assert check([rec("solomon", "C101", vehicles=10 + VEH + 1, objective=800.0)], BASE)
    assert check([rec("solomon", "C101", vehicles=10 + VEH, objective=800.0)], BASE) == []
    # fewer vehicles passes even with a longer distance
    assert check([rec("solomon", "C101", vehicles=9, objective=900.0)], BASE) == []


def test_infeasible_or_critical_unassigned_always_fail() -> None:
    assert check([rec("mankowska", "A1", objective=1.0, feasible=False)], None)
    assert check([rec("solomon", "R101", vehicles=19, objective=1.0, critical_unassigned=1)], None)
    assert check([rec("solomon", "R101", status="error", note="boom")], None)
    # a peer's infeasible result is not ours to fail on
    assert check([rec("solomon", "R101", solver="ortools", feasible=False)], None) == []


def test_infeasible_baseline_entry_holds_no_objective() -> None:
    base = make_baseline([rec("mankowska", "A2", objective=200.0, feasible=False)], {"suite": "ci"})
    assert base["results"]["mankowska/A2"] == {"budget": 8.0, "feasible": False}
    # once feasible again, a higher objective than the broken run's is not a regression
    assert check([rec("mankowska", "A2", objective=246.6)], base) == []


def test_home_care_day() -> None:
    worse = rec("homecare", "day300", kpis={"visits_unassigned": 6, "travel_km": 800.0})
    assert any("unassigned" in f for f in check([worse], BASE))
    longer = rec("homecare", "day300", kpis={"visits_unassigned": 3, "travel_km": 800.0 * (1 + DAY) + 1})
    assert any("travel" in f for f in check([longer], BASE))
    within = rec("homecare", "day300", kpis={"visits_unassigned": 3, "travel_km": 800.0 * (1 + DAY) - 1})
    assert check([within], BASE) == []


def test_replace_section_touches_only_its_section() -> None:
    from benchmarks.report import replace_section

    doc = "# R\n\n## Other (issue 2)\n\nkeep me\n\n## CI suite\n\nold\n\n## Last\n\nkeep too\n"
    out = replace_section(doc, "CI suite", "new table")
    assert "keep me" in out and "keep too" in out and "new table" in out and "old" not in out
    appended = replace_section(doc, "Literature benchmarks (issue 5)", "x")
    assert appended.startswith(doc.rstrip("\n")) and appended.endswith(
        "## Literature benchmarks (issue 5)\n\nx\n"
    )
