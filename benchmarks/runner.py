"""Run benchmark cases: same instance, same budget, one solver at a time.

Every run becomes one JSON record (written under the run folder as it finishes) with
the family's own score from :mod:`benchmarks.scoring`, the gap to the best known
value, wall time and, for carerota, the validator's verdict on the roster.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import subprocess
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from optimiser.model import Problem, Solution

from . import peers as peer_solvers
from .readers import bredstrom, hhc, kummer, mankowska, solomon
from .scoring import Score, gap, score_hhc, score_vrptw
from .suites import Case

VRPTW = ("solomon", "gehring_homberger")
HHC = ("mankowska", "kummer", "bredstrom")
HHC_SCALE = {"mankowska": 100, "kummer": 10, "bredstrom": 10}


@functools.cache
def _bks_vrptw() -> dict[str, tuple[int, float]]:
    return solomon.best_known()


@functools.cache
def _bks_hhc(family: str) -> dict[str, dict]:
    return mankowska.best_known() if family == "mankowska" else kummer.best_known()


def read_instance(case: Case):
    """The family's instance object for ``case`` (VRPTWInstance or HHCInstance)."""
    if case.family in VRPTW:
        return solomon.read(case.source)
    reader = {"mankowska": mankowska.read, "kummer": kummer.read, "bredstrom": bredstrom.read}[
        case.family
    ]
    return reader(case.source)


def build_problem(case: Case, instance, budget: float) -> Problem:
    """The Problem carerota solves for ``case``."""
    if case.family in VRPTW:
        return solomon.to_problem(instance, time_limit=budget)
    if case.family in HHC:
        return hhc.to_problem(instance, scale=HHC_SCALE[case.family], time_limit=budget)
    from optimiser.generator import GeneratorSettings, generate_day

    _, visits, carers, seed = case.source.split(":")
    return generate_day(GeneratorSettings(visits=int(visits), carers=int(carers), seed=int(seed)))


def best_known(case: Case) -> dict:
    """``{"vehicles", "objective"}`` of the best known solution, or ``{}``."""
    try:
        if case.family in VRPTW:
            veh, dist = _bks_vrptw()[case.name.upper()]
            return {"vehicles": veh, "objective": dist}
        if case.family in ("mankowska", "kummer"):
            key = case.labels[0] if case.labels else case.name
            row = _bks_hhc(case.family).get(key)
            return {"objective": row["objective"]} if row else {}
    except (KeyError, OSError):
        pass
    return {}


def _record(case: Case, solver: str, budget: float, seed: int) -> dict:
    return {
        "family": case.family,
        "instance": case.name,
        "solver": solver,
        "budget": budget,
        "seed": seed,
        "status": "ok",
        "feasible": False,
        "note": "",
    }


def _apply_score(rec: dict, score: Score, bks: dict) -> None:
    rec.update(
        feasible=score.feasible,
        objective=round(float(score.objective), 6),
        distance=round(float(score.distance), 6),
        vehicles=score.vehicles,
        total_tardiness=round(float(score.total_tardiness), 6),
        max_tardiness=round(float(score.max_tardiness), 6),
        violations=score.violations[:10],
        n_violations=len(score.violations),
    )
    if bks:
        rec["bks_objective"] = bks["objective"]
        rec["gap_percent"] = round(float(gap(score.objective, bks["objective"])), 4)
        if "vehicles" in bks:
            rec["bks_vehicles"] = bks["vehicles"]
            rec["vehicles_above_bks"] = score.vehicles - bks["vehicles"]


def _score_solution(case: Case, instance, problem: Problem, solution: Solution) -> Score | None:
    if case.family in VRPTW:
        routes, _ = solomon.routes_of(solution)
        return score_vrptw(instance, routes)
    if case.family in HHC:
        routes, _ = hhc.assignment_of(instance, solution, scale=HHC_SCALE[case.family])
        return score_hhc(instance, routes)
    return None


def _day_kpis(kpis: dict) -> dict:
    keep = (
        "visits_total",
        "visits_unassigned",
        "minutes_unassigned",
        "carers_used",
        "travel_km",
        "travel_minutes",
        "travel_share",
        "distinct_carers_per_client_mean",
        "familiar_share",
        "late_visits",
    )
    out = {k: kpis.get(k) for k in keep}
    out["critical_unassigned"] = (
        kpis.get("by_priority", {}).get("critical", {}).get("unassigned", 0)
    )
    out["cost_total"] = kpis.get("cost", {}).get("total")
    return out


def run_carerota(case: Case, seed: int = 1, solver: str = "carerota") -> dict:
    """Solve ``case`` with the engine (or the greedy baseline), validate and score it."""
    from optimiser.validator import validate

    rec = _record(case, solver, case.budget, seed)
    instance = None if case.family == "homecare" else read_instance(case)
    problem = build_problem(case, instance, case.budget)
    t0 = time.perf_counter()
    if solver == "greedy":
        from .greedy import greedy_solve

        solution = greedy_solve(problem)
    else:
        from optimiser.engine import solve

        solution = solve(problem, time_limit=case.budget, seed=seed)
    rec["wall_seconds"] = round(time.perf_counter() - t0, 3)
    stats = solution.statistics
    rec.update(
        solution_status=solution.status,
        unassigned=len(solution.unassigned),
        engine_objective=stats.objective,
        first_solution_seconds=stats.first_solution_seconds,
        history=[list(h) for h in stats.history][-200:],
    )
    report = validate(problem, solution)
    rec["validator_violations"] = len(report.violations)
    rec["validator_messages"] = [f"[{v.rule}] {v.message}" for v in report.violations[:5]]
    critical = {v.id for v in problem.visits if v.priority == "critical"}
    rec["critical_unassigned"] = sum(u.visit in critical for u in solution.unassigned)
    score = _score_solution(case, instance, problem, solution)
    if score is not None:
        _apply_score(rec, score, best_known(case))
        rec["feasible"] = score.feasible and not report.violations
    else:
        rec["kpis"] = _day_kpis(report.kpis)
        rec["objective"] = stats.objective
        rec["feasible"] = not report.violations and rec["critical_unassigned"] == 0
        rec["violations"] = [f"solution status {solution.status}"] * (
            solution.status == "no_solution"
        ) + [f"{rec['critical_unassigned']} critical visit(s) unassigned"] * (
            rec["critical_unassigned"] > 0
        )
    return rec


def run_peer(case: Case, peer: str, seed: int = 1) -> dict:
    """Run a peer solver on a VRPTW ``case`` (or the greedy baseline on a home-care day)."""
    if peer == "greedy":
        return run_carerota(case, seed, solver="greedy")
    rec = _record(case, peer, case.budget, seed)
    why = peer_solvers.available(peer)
    if why:
        rec.update(status="skipped", note=why)
        return rec
    instance = read_instance(case)
    result = peer_solvers.PEERS[peer](instance, case.budget, seed)
    rec["wall_seconds"] = round(result.wall_seconds, 3)
    rec["note"] = result.note
    if not result.solved:
        rec["status"] = "no_solution"
        return rec
    _apply_score(rec, score_vrptw(instance, result.routes), best_known(case))
    return rec


def run_cases(
    cases: list[Case],
    out_dir: Path,
    *,
    seed: int = 1,
    with_peers: bool = True,
    log: Callable[[str], None] = print,
) -> list[dict]:
    """Run every case (carerota first, then its peers), one solver at a time."""
    (out_dir / "results").mkdir(parents=True, exist_ok=True)
    records = []
    for case in cases:
        solvers = ["carerota"] + (list(case.peers) if with_peers else [])
        for solver in solvers:
            try:
                rec = (
                    run_carerota(case, seed)
                    if solver == "carerota"
                    else run_peer(case, solver, seed)
                )
            except Exception as err:  # one broken run must not lose the others
                rec = _record(case, solver, case.budget, seed)
                rec.update(
                    status="error",
                    note=f"{type(err).__name__}: {err}",
                    traceback=traceback.format_exc(),
                )
            records.append(rec)
            name = f"{case.family}_{case.name}_{solver}_{case.budget:g}s.json"
            (out_dir / "results" / name).write_text(json.dumps(rec, indent=1))
            log(one_line(rec))
    return records


def one_line(rec: dict) -> str:
    """A progress line for one record."""
    head = f"{rec['family']:>17} {rec['instance']:<14} {rec['solver']:<9} {rec['budget']:>5g}s"
    if rec["status"] != "ok":
        return f"{head}  {rec['status']}: {rec.get('note', '')[:90]}"
    wall = rec.get("wall_seconds", 0.0)
    if rec["family"] == "homecare":
        k = rec.get("kpis", {})
        return (
            f"{head}  {'feasible' if rec['feasible'] else 'INFEASIBLE'}  unassigned {k.get('visits_unassigned')}"
            f"  travel {k.get('travel_km') or 0:.1f} km  [{wall:.1f}s]"
        )
    cell = (
        f"{rec.get('vehicles', 0)}/{rec.get('objective', 0):.2f}"
        if rec["family"] in VRPTW
        else f"{rec.get('objective', 0):.3f}"
    )
    g = rec.get("gap_percent")
    gtxt = "" if g is None else f" ({g:+.2f}%)"
    return f"{head}  {'ok ' if rec['feasible'] else 'INFEASIBLE'} {cell}{gtxt} [{wall:.1f}s]"


def machine() -> dict:
    """Where and when: for the report header."""
    import os

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha1()
    for path in sorted((root / "optimiser").glob("*.py")):
        digest.update(path.read_bytes())
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "optimiser"],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": (commit or "unknown") + (" + uncommitted optimiser changes" if dirty else ""),
        "optimiser_sha1": digest.hexdigest()[:12],
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }


def save_run(records: list[dict], meta: dict, out_dir: Path) -> Path:
    """Write ``results.json`` (meta + every record) into ``out_dir``."""
    path = out_dir / "results.json"
    path.write_text(json.dumps({"meta": meta, "results": records}, indent=1))
    return path
