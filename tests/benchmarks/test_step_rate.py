"""``python -m benchmarks.step_rate``: insertions per second on Solomon, search steps per second on home care."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.step_rate import (
    generated_day,
    home_care_table,
    insertion_rate,
    kummer_problem,
    main,
    mankowska_problem,
    step_rate,
)
from optimiser.construct import Construction


def test_counts_insertions_and_restores_the_method(bench_data: Path) -> None:
    insert, insert_regret = Construction.insert, Construction.insert_regret
    rate, routes, violations = insertion_rate("C101", seconds=1.0)
    assert violations == 0
    assert Construction.insert is insert and Construction.insert_regret is insert_regret
    assert rate > 100  # 100 visits are inserted at least once by the first roster alone
    assert 10 <= routes <= 25  # C101 needs 10 vehicles; the fleet has 25


def test_unknown_instance_is_a_clear_exit(bench_data: Path) -> None:
    with pytest.raises(SystemExit, match="unknown Solomon instance 'X999'"):
        main(["X999", "--seconds", "1"])


# --------------------------------------------------------------------------- home care: search steps per second


def test_step_rate_on_a_generated_day_and_the_search_restored() -> None:
    from optimiser import lns, search

    improve, compiled = lns.improve, search.improve
    r = step_rate(generated_day(40), seconds=1.0, strategy="GREEDY_INSERTION+LNS")
    assert lns.improve is improve and search.improve is compiled
    assert r["ran"] == "GREEDY_INSERTION+LNS" and r["violations"] == 0
    assert r["steps"] > 0 and 0 < r["search_seconds"] < 1.0
    assert r["steps_per_second"] == pytest.approx(r["steps"] / r["search_seconds"])
    assert 0 < r["placed"] <= r["visits"] == 40


def test_a_strategy_without_ruin_and_recreate_has_no_rate() -> None:
    r = step_rate(generated_day(20), seconds=0.5, strategy="GREEDY_INSERTION+GLS")
    assert r["steps"] == 0 and r["steps_per_second"] is None and r["violations"] == 0
    line = home_care_table([("d", r)]).splitlines()[2]
    assert line.startswith("| d | GREEDY_INSERTION+GLS | GREEDY_INSERTION+GLS | 0 |") and "| – |" in line


def test_instances_by_name(bench_data: Path) -> None:
    lit, problem = mankowska_problem("A1", 1.0)
    assert lit == "A1" and problem.id == "InstanzCPLEX_HCSRP_10_1"
    assert mankowska_problem("InstanzCPLEX_HCSRP_10_1", 1.0)[0] == "A1"
    stem, problem = kummer_problem("HHCRSP_10_3_11", 1.0)
    assert stem == "HHCRSP_10_3_11_0.4_R_C" and problem.id == stem
    with pytest.raises(SystemExit, match="matches 2"):
        kummer_problem("HHCRSP_10_3_40", 1.0)
    with pytest.raises(SystemExit, match="unknown Mankowska instance 'Z9'"):
        mankowska_problem("Z9", 1.0)


def test_main_prints_both_strategies_side_by_side(bench_data: Path, capsys) -> None:
    assert main(["--mankowska", "A1", "--kummer", "HHCRSP_10_3_11", "--seconds", "0.5",
                 "--strategy", "GREEDY_INSERTION+LNS,GREEDY_INSERTION"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| instance | strategy | ran | steps | search s | steps/s |")
    assert [line.split(" | ")[:2] for line in lines[2:]] == [
        ["| Mankowska A1", "GREEDY_INSERTION+LNS"], ["| Mankowska A1", "GREEDY_INSERTION"],
        ["| Kummer HHCRSP_10_3_11_0.4_R_C", "GREEDY_INSERTION+LNS"],
        ["| Kummer HHCRSP_10_3_11_0.4_R_C", "GREEDY_INSERTION"],
    ]
    assert all(line.endswith("| 0 |") for line in lines[2:])  # no violations


def test_bad_arguments_are_clear() -> None:
    with pytest.raises(SystemExit):
        main([])
    with pytest.raises(SystemExit):
        main(["--day", "10", "--strategy", "NO_SUCH"])
