"""The independent scorers reproduce the published objectives from the published routes."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.readers import kummer, mankowska, solomon
from benchmarks.scoring import score_hhc, score_vrptw


def test_gehring_homberger_bks_routes(bench_data: Path) -> None:
    bks = solomon.best_known()
    files = sorted((bench_data / "gehring_homberger" / "bks_solutions").glob("*.txt"))
    assert len(files) == 12
    for path in files:
        name = path.name.split(".")[0]
        inst = solomon.read(
            bench_data / "gehring_homberger" / f"{name.split('_')[1]}00" / f"{name}.txt"
        )
        score = score_vrptw(inst, solomon.read_sintef_routes(path))
        vehicles, distance = bks[name.upper()]
        assert score.feasible, (name, score.violations[:3])
        assert score.vehicles == vehicles
        assert score.distance == pytest.approx(distance, abs=1e-3)


def test_vrptw_scorer_catches_broken_routes(bench_data: Path) -> None:
    inst = solomon.read(bench_data / "solomon" / "instances" / "C101.txt")
    one_each = [[c] for c in range(1, 101)]
    score = score_vrptw(inst, one_each)
    assert not score.feasible  # 100 vehicles > fleet 25
    assert any("fleet" in v for v in score.violations)
    everything = [list(range(1, 101))]
    score = score_vrptw(inst, everything)
    assert any("capacity" in v for v in score.violations)
    assert any("after its due" in v for v in score.violations)
    missing = score_vrptw(inst, [[1, 2]])
    assert any("not served" in v for v in missing.violations)


@pytest.mark.parametrize("family", ["mankowska", "kummer"])
def test_hhc_best_solutions_reproduce_objective(bench_data: Path, family: str) -> None:
    module = mankowska if family == "mankowska" else kummer
    folder = (
        bench_data
        / "hhc"
        / ("mankowska2014" if family == "mankowska" else "kummer2021_portoalegre")
    )
    bks = module.best_known()
    checked = 0
    for path in module.files():
        inst = module.read(path)
        row = bks.get(inst.name)
        if row is None:
            continue
        routes = mankowska.read_iolab_solution(
            folder / "best_solutions_ceschia2024" / row["solution_file"]
        )
        score = score_hhc(inst, routes)
        assert score.feasible, (inst.name, score.violations[:3])
        assert score.objective == pytest.approx(row["objective"], rel=1e-5, abs=1e-3)
        assert score.distance == pytest.approx(row["distance"], rel=1e-5, abs=1e-3)
        assert score.max_tardiness == pytest.approx(row["max_tardiness"], rel=1e-4, abs=1e-3)
        checked += 1
    assert checked == (70 if family == "mankowska" else 100)


def test_hhc_scorer_catches_sync_and_skill_breaks(bench_data: Path) -> None:
    folder = bench_data / "hhc" / "mankowska2014"
    inst = mankowska.read(folder / "instances" / "InstanzCPLEX_HCSRP_10_1.txt.gz")
    row = mankowska.best_known()[inst.name]
    routes = mankowska.read_iolab_solution(
        folder / "best_solutions_ceschia2024" / row["solution_file"]
    )
    # move caregiver c2's simultaneous p8/s6 five units later: synchronisation breaks
    shifted = {c: list(r) for c, r in routes.items()}
    shifted["c2"] = [(p, s, t + 5 if p == "p8" else t) for p, s, t in shifted["c2"]]
    assert any("simultaneous" in v for v in score_hhc(inst, shifted).violations)
    # give c2 (skills s5, s6) a service it cannot do
    swapped = {c: list(r) for c, r in routes.items()}
    swapped["c2"], swapped["c1"] = swapped["c1"], swapped["c2"]
    assert any("not qualified" in v for v in score_hhc(inst, swapped).violations)
    # late starts are priced, not forbidden (soft due times)
    late = {c: list(r) for c, r in routes.items()}
    p, s, t = late["c3"][-1]
    late["c3"][-1] = (p, s, t + 1000)
    score = score_hhc(inst, late)
    assert score.feasible and score.max_tardiness > 900
