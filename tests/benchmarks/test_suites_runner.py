"""Suites pick the right cases; the runner scores, reports and plots one small run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from benchmarks.cli import register
from benchmarks.report import plots, render
from benchmarks.runner import run_cases
from benchmarks.suites import VRPTW_PEERS, build_suite
from optimiser.io import InputError


def test_ci_suite_composition(bench_data: Path) -> None:
    cases, notes = build_suite("ci")
    assert notes == []
    by_family: dict[str, list[str]] = {}
    for c in cases:
        by_family.setdefault(c.family, []).append(c.name)
    assert by_family["solomon"] == ["C101", "C201", "R101", "R201", "RC101", "RC201"]
    assert by_family["mankowska"] == ["A1", "A2", "B1", "B2", "C1", "C2"]
    assert by_family["homecare"] == ["day300"]
    assert all(c.peers == VRPTW_PEERS for c in cases if c.family == "solomon")
    # the CI budget: every solver of every case, one at a time, well under 8 minutes
    assert sum(c.budget * (1 + len(c.peers)) for c in cases) <= 6 * 60


def test_only_and_peer_subset(bench_data: Path) -> None:
    cases, _ = build_suite("full", time_limit=5, peers="subset", only="solomon/R1*,mankowska/H1")
    names = {c.name for c in cases}
    assert "R101" in names and "R112" in names and "H1" in names and "C101" not in names
    assert all(c.budget == 5 for c in cases)
    assert {c.name for c in cases if c.peers} == {"R101", "R112"}
    with pytest.raises(InputError, match="--only"):
        build_suite("ci", only="nothing-like-this")


def test_missing_data_is_a_note_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAREROTA_SHARED", str(tmp_path))
    cases, notes = build_suite("ci")
    assert [c.family for c in cases] == ["homecare"]
    assert any("solomon: skipped" in n and "CAREROTA_SHARED" in n for n in notes)


def test_bench_cli_rejects_bad_input(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="carerota")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["bench", "--time-limit", "-1"])
    with pytest.raises(InputError, match="--time-limit"):
        args.func(args)
    args = parser.parse_args(["bench", "--shared", str(tmp_path / "absent")])
    with pytest.raises(InputError, match="--shared"):
        args.func(args)


def test_small_run_scores_reports_and_plots(bench_data: Path, tmp_path: Path) -> None:
    pytest.importorskip("vroom", reason="pyvroom (the bench extra) is not installed")
    cases, _ = build_suite("ci", time_limit=1, only="C201")
    cases = [c.__class__(c.family, c.name, c.source, c.budget, ("vroom",)) for c in cases]
    records = run_cases(cases, tmp_path, log=lambda s: None)
    assert [r["solver"] for r in records] == ["carerota", "vroom"]
    ours, vroom = records
    assert ours["feasible"] and ours["validator_violations"] == 0 and ours["bks_vehicles"] == 3
    assert (
        vroom["feasible"] and vroom["vehicles"] >= 3 and vroom["gap_percent"] > -0.01
    )  # BKS printed to 2 decimals
    saved = json.loads((tmp_path / "results" / "solomon_C201_carerota_1s.json").read_text())
    assert saved["objective"] == ours["objective"]
    text = render(records, {"suite": "ci"}, [], [])
    assert "| C201 | 3/591.56 |" in text and "passed" in text
    made = plots(records, tmp_path / "plots")
    assert made and all(p.stat().st_size > 1000 for p in made)


def test_report_merges_runs_at_two_budgets(bench_data: Path, tmp_path: Path) -> None:
    from benchmarks import report
    from benchmarks.runner import save_run

    folders = []
    for budget in (1.0, 2.0):
        cases, _ = build_suite("ci", time_limit=budget, peers="none", only="C201")
        folder = tmp_path / f"run{budget:g}"
        records = run_cases(cases, folder, with_peers=False, log=lambda s: None)
        assert records[0]["feasible"] and records[0]["validator_violations"] == 0
        save_run(records, {"suite": "full", "commit": "test", "date": "today"}, folder)
        folders.append(str(folder))
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Other\n\nkept\n")
    assert report.main([*folders, "--section", "Merged", "--results", str(results),
                        "--plots", str(tmp_path / "plots")]) == 0
    text = results.read_text()
    assert "## Other\n\nkept" in text and "## Merged" in text
    assert "| solomon | carerota | 1s |" in text and "| solomon | carerota | 2s |" in text
    assert (tmp_path / "plots" / "gap_vs_budget.png").stat().st_size > 1000
