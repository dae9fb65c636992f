"""Generated home-care days: the core engine against a greedy baseline and VROOM.

:func:`run_day` generates a day (:func:`optimiser.generator.generate_day`), solves it
with the engine in a fresh subprocess (so its peak memory is its own), re-checks the
roster with the independent validator, and rosters the same day with
:mod:`benchmarks.greedy` and, when ``pyvroom`` is installed, with VROOM on the subset
of rules VROOM models (skills, windows, shifts, single-handed visits). Every roster's
KPIs come from :func:`optimiser.kpis.compute_kpis`, so the three are measured alike.

Run ``python -m benchmarks.days --sizes 300,1000,2000`` for a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from optimiser.generator import GeneratorSettings, generate_day
from optimiser.io import InputError
from optimiser.model import (
    PRIORITIES,
    Problem,
    Route,
    Solution,
    Statistics,
    Stop,
    TravelMode,
    Unassigned,
)
from optimiser.sources import travel_times
from optimiser.travel import TravelTimes
from optimiser.validator import validate

from .greedy import greedy_solve

#: Carers for the standard sizes (issue 2); other sizes get one carer per 12 visits.
STANDARD_CARERS = {300: 40, 1000: 80, 2000: 150}
#: Time limits (s) for the standard sizes; others get 30 s.
STANDARD_TIME_LIMIT = {300: 30.0, 1000: 60.0, 2000: 120.0}
#: Rules of the validator that VROOM's model covers; violations of any other rule by
#: the VROOM roster are the price of what was dropped.
VROOM_RULES = {
    "window", "duration", "arrival", "shifts", "overlap", "travel", "travel_reported", "skills",
    "carers_required", "visit_repeated", "lost_visit", "unknown_visit", "unknown_carer", "problem_id",
}  # fmt: skip
VROOM_PRIORITY = {"critical": 100, "high": 30, "normal": 10, "flexible": 1}
#: Real areas in the shared data folder (``$CAREROTA_SHARED/data/osm``), by short name.
OSM_AREAS = {"rutland": "rutland-2018-02.osm.pbf", "isle-of-man": "isle-of-man-2020-03-14.osm.pbf"}


class DaySkipped(RuntimeError):
    """The day cannot be run here (e.g. road travel without ``geo.RoadTravelTimes``)."""


def resolve_osm(name_or_path: str) -> str:
    """An OSM extract path from a short name (``rutland``, ``isle-of-man``) or a path.

    Raises :class:`DaySkipped` when the file is absent (the shared data folder is optional).
    """
    from optimiser.settings import shared_path

    path = (
        shared_path("data", "osm", OSM_AREAS[name_or_path])
        if name_or_path in OSM_AREAS
        else Path(name_or_path)
    )
    if not path.is_file():
        raise DaySkipped(
            f"OSM extract {path} is absent (set CAREROTA_SHARED to the shared data folder)"
        )
    return str(path.resolve())


def machine() -> dict[str, Any]:
    """Where and on what the figures were measured (the machine is shared and noisy)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, cwd=Path(__file__).parent, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "commit": commit,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def carers_for(visits: int) -> int:
    """The carer count benchmarked with ``visits`` visits."""
    return STANDARD_CARERS.get(visits, max(1, round(visits / 12)))


# --------------------------------------------------------------------------- KPIs


def kpi_summary(kpis: dict) -> dict[str, Any]:
    """The KPIs the day table compares, from :func:`optimiser.kpis.compute_kpis` output."""
    scheduled = kpis["visits_scheduled"]
    return {
        "visits_scheduled": scheduled,
        "visits_unassigned": kpis["visits_unassigned"],
        "unassigned_by_priority": {p: kpis["by_priority"][p]["unassigned"] for p in PRIORITIES},
        "travel_minutes": round(kpis["travel_minutes"], 1),
        "travel_minutes_per_visit": round(kpis["travel_minutes"] / scheduled, 2)
        if scheduled
        else None,
        "travel_km": round(kpis["travel_km"], 1),
        "travel_share": _round(kpis["travel_share"], 4),
        "distinct_carers_per_client": _round(kpis["distinct_carers_per_client_mean"], 3),
        "new_carers_per_client": _round(kpis["new_carers_per_client_mean"], 3),
        "familiar_share": _round(kpis["familiar_share"], 4),
        "carers_used": kpis["carers_used"],
        "cost_per_contact_hour": _round(kpis["cost"]["cost_per_contact_hour"], 2),
    }


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


RATIO_KEYS = (
    "visits_scheduled",
    "travel_minutes",
    "travel_minutes_per_visit",
    "travel_km",
    "travel_share",
    "distinct_carers_per_client",
    "familiar_share",
)


def ratios(ours: dict, theirs: dict) -> dict[str, float | None]:
    """``ours / theirs`` for each compared KPI (below 1 is better for travel and
    distinct carers; above 1 is better for visits scheduled and familiar share)."""
    out: dict[str, float | None] = {}
    for key in RATIO_KEYS:
        a, b = ours.get(key), theirs.get(key)
        out[key] = round(a / b, 3) if a is not None and b else None
    return out


def _checked(problem: Problem, solution: Solution, travel: TravelTimes) -> dict[str, Any]:
    report = validate(problem, solution, travel)
    return {
        "status": solution.status,
        "violations": len(report.violations),
        "violation_rules": dict(Counter(v.rule for v in report.violations)),
        "kpis": kpi_summary(report.kpis),
    }


# --------------------------------------------------------------------------- the engine, isolated


def peak_memory_mb() -> float:
    """This process's peak resident memory (MB).

    Linux's ``VmHWM`` first: ``ru_maxrss`` of a spawned child also counts the parent's
    resident memory from before the child's ``exec``, which would charge the engine
    for the benchmark's own matrices and road network.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _engine_child(
    problem_json: str,
    time_limit: float,
    seed: int,
    matrices: dict[str, tuple[list[str], Any, Any]] | None,
) -> dict[str, Any]:
    """Runs in a spawned process: solve, and report the process's own peak memory."""
    from optimiser.engine import solve

    problem = Problem.model_validate_json(problem_json)
    travel = None if matrices is None else PrecomputedTravel(matrices)
    rss_before = peak_memory_mb()
    started = time.perf_counter()
    solution = solve(problem, time_limit=time_limit, seed=seed, travel=travel)
    wall = time.perf_counter() - started
    return {
        "solution": solution.model_dump_json(),
        "wall_seconds": round(wall, 3),
        "peak_memory_mb": round(peak_memory_mb(), 1),
        "memory_before_solve_mb": round(rss_before, 1),
    }


class PrecomputedTravel(TravelTimes):
    """Matrices computed elsewhere (a road network built once, shipped to the engine)."""

    def __init__(self, matrices: dict[str, tuple[list[str], Any, Any]]):
        points = next(iter(matrices.values()))[0]
        super().__init__(points)
        self._given = {mode: (np.asarray(m), np.asarray(k)) for mode, (_, m, k) in matrices.items()}

    def _compute(self, mode: TravelMode) -> tuple[np.ndarray, np.ndarray]:
        return self._given[mode]


def run_engine(
    problem: Problem, time_limit: float, seed: int, travel: TravelTimes | None = None
) -> dict[str, Any]:
    """Solve ``problem`` in a fresh process; the solution plus wall time and peak memory.

    With ``travel`` (e.g. a road network) its matrices are shipped to the child, so the
    network is not rebuilt; without it the engine computes haversine travel itself,
    as ``carerota solve`` does.
    """
    matrices = None
    if travel is not None:
        modes = sorted({c.travel_mode for c in problem.carers})
        matrices = {m: (travel.points, *travel.matrices(m)) for m in modes}
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        out = pool.submit(
            _engine_child, problem.model_dump_json(), time_limit, seed, matrices
        ).result()
    out["solution"] = Solution.model_validate_json(out["solution"])
    return out


# --------------------------------------------------------------------------- VROOM on its subset


def dropped_for_vroom(problem: Problem) -> dict[str, int]:
    """What the VROOM model leaves out, with how often it occurs in this day."""
    clients = {c.id: c for c in problem.clients}
    policy = problem.policy
    counts = {
        "double_handed visits (left unassigned)": sum(
            v.carers_required == 2 for v in problem.visits
        ),
        "after gaps": sum(v.after is not None for v in problem.visits),
        "gender preferences (clients)": sum(c.carer_gender is not None for c in problem.clients),
        "required language (clients)": sum(c.language_match == "required" for c in problem.clients),
        "excluded carers (pairs)": sum(len(c.excluded_carers) for c in problem.clients),
        "pinned carers (visits)": sum(bool(v.pinned_carers) for v in problem.visits),
        "max_work_minutes (carers)": sum(c.max_work_minutes is not None for c in problem.carers),
        "break rule (carers)": len(problem.carers) if policy.break_after_minutes is not None else 0,
        "continuity / contracted hours (soft)": sum(
            bool(clients[v.client].known_carers) for v in problem.visits
        ),
    }
    return {k: n for k, n in counts.items() if n}


def vroom_solve(problem: Problem, travel: TravelTimes, time_limit: float) -> Solution:
    """Roster ``problem`` with VROOM on skills, windows, shifts and single-handed visits.

    Each shift of a carer is a VROOM vehicle starting and ending at her home; the
    commute takes no time (it is outside the shift, as in the engine) but costs its
    travel seconds, so VROOM, like the engine, keeps carers near home.
    """
    import vroom

    started = time.perf_counter()
    epoch = datetime.combine(
        min(s.start for c in problem.carers for s in c.shifts).date(), datetime.min.time()
    )

    def sec(t: datetime) -> int:
        return int((t - epoch).total_seconds())

    index = travel.index
    homes = [index[c.id] for c in problem.carers]
    inp = vroom.Input()
    for mode in sorted({c.travel_mode for c in problem.carers}):
        seconds = np.ceil(travel.minutes(mode) * 60 - 1e-6).astype(np.int64)
        inp.set_costs_matrix(mode, seconds.copy())
        seconds[homes, :] = 0
        seconds[:, homes] = 0
        inp.set_durations_matrix(mode, seconds)
    skill_id: dict[str, int] = {}

    def skills(names: list[str]) -> set[int]:
        return {skill_id.setdefault(s, len(skill_id) + 1) for s in names}

    vehicles: list[tuple[str, int]] = []  # vehicle id -> (carer, home index)
    for carer in problem.carers:
        for shift in carer.shifts:
            home = index[carer.id]
            inp.add_vehicle(
                vroom.Vehicle(
                    len(vehicles),
                    start=home,
                    end=home,
                    profile=carer.travel_mode,
                    time_window=vroom.TimeWindow(sec(shift.start), sec(shift.end)),
                    skills=skills(carer.skills),
                )
            )
            vehicles.append((carer.id, home))
    jobs = [v for v in problem.visits if v.carers_required == 1]
    for j, v in enumerate(jobs):
        inp.add_job(
            vroom.Job(
                j,
                location=index[v.client],
                default_service=v.duration_minutes * 60,
                time_windows=[vroom.TimeWindow(sec(v.window.start), sec(v.window.end))],
                skills=skills(v.skills),
                priority=VROOM_PRIORITY[v.priority],
            )
        )
    result = inp.solve(
        exploration_level=5, nb_threads=2, timeout=timedelta(seconds=time_limit)
    ).to_dict()
    seconds_taken = time.perf_counter() - started

    carers = {c.id: c for c in problem.carers}
    stops: dict[str, list[Stop]] = {c.id: [] for c in problem.carers}
    for route in result["routes"]:
        carer_id, _ = vehicles[route["vehicle"]]
        mode = carers[carer_id].travel_mode
        origin = carer_id
        for step in route["steps"]:
            if step["type"] != "job":
                continue
            v = jobs[step["id"]]
            start = epoch + timedelta(
                seconds=step["arrival"] + step["waiting_time"] + step.get("setup", 0)
            )
            leg_minutes, leg_km = travel.leg(mode, origin, v.client)
            arrival = start if origin == carer_id else epoch + timedelta(seconds=step["arrival"])
            stops[carer_id].append(
                Stop(
                    visit=v.id,
                    arrival=arrival,
                    start=start,
                    end=start + timedelta(minutes=v.duration_minutes),
                    travel_minutes=leg_minutes,
                    travel_km=leg_km,
                )
            )
            origin = v.client
    unassigned = [
        Unassigned(visit=jobs[u["id"]].id, reason="VROOM left it out", rule="vroom")
        for u in result["unassigned"]
    ]
    unassigned += [
        Unassigned(
            visit=v.id,
            reason="double-handed visits are outside the VROOM model",
            rule="double_handed",
        )
        for v in problem.visits
        if v.carers_required == 2
    ]
    return Solution(
        problem_id=problem.id,
        status="partial" if unassigned else "feasible",
        routes=[Route(carer=c, stops=sorted(s, key=lambda x: x.start)) for c, s in stops.items()],
        unassigned=unassigned,
        statistics=Statistics(
            runtime_seconds=round(seconds_taken, 3),
            solutions=1,
            strategy="vroom exploration_level=5",
        ),
    )


# --------------------------------------------------------------------------- one day


def instance_name(visits: int, carers: int, seed: int, osm_file: str | None) -> str:
    place = f"-{Path(osm_file).name.split('.')[0]}" if osm_file else ""
    return f"day{visits}x{carers}-s{seed}{place}"


def run_day(
    visits: int,
    carers: int,
    *,
    seed: int = 1,
    time_limit: float = 30,
    osm_file: str | None = None,
    peers: bool = True,
    snap_limit_m: float | None = None,
) -> dict:
    """Benchmark one generated day: the engine, the greedy baseline and (with ``peers``)
    VROOM on the same day, every roster re-checked by the validator.

    Parameters
    ----------
    visits, carers:
        Size of the generated day.
    seed:
        Generator seed (and the engine's).
    time_limit:
        Seconds for the engine (and for VROOM).
    osm_file:
        Put homes on this OpenStreetMap extract's streets and use road travel times
        (needs ``geo.RoadTravelTimes``); a path or a name from :data:`OSM_AREAS`;
        haversine travel when None.
    peers:
        Also run VROOM when ``pyvroom`` is importable.
    snap_limit_m:
        Override the road network's snap limit (metres) of the generated day; the
        snap gap is then travelled at geo's off-road speed. None keeps the generator's.

    Returns
    -------
    dict
        JSON-able: ``instance``, ``sizes``, ``travel``, ``time_limit``, ``seed``,
        ``first_solution_seconds``, ``violations`` (engine, must be 0),
        ``peak_memory_mb`` (engine process), ``engine`` (status, runtime, wall time,
        solutions, objective, ``history`` [(s, objective)], ``critical_unassigned_placed_by_peer``,
        ``kpis``), ``greedy`` and ``vroom`` (status, runtime, violations, ``kpis``;
        VROOM also ``dropped`` and ``violations_in_subset``; ``skipped`` with the reason
        when not run), and ``ratios`` (engine / greedy, engine / vroom).

    Raises
    ------
    DaySkipped
        When the OSM extract or the road travel source is unavailable.
    """
    osm_file = resolve_osm(osm_file) if osm_file else None
    generated_at = time.perf_counter()
    problem = generate_day(
        GeneratorSettings(visits=visits, carers=carers, seed=seed, osm_file=osm_file)
    )
    generate_seconds = time.perf_counter() - generated_at
    if snap_limit_m is not None and problem.travel.road_network is not None:
        problem.travel.road_network.snap_limit_m = snap_limit_m
    travel_at = time.perf_counter()
    try:
        travel = travel_times(problem)
        for mode in {c.travel_mode for c in problem.carers}:
            travel.matrices(mode)
    except ImportError as err:
        raise DaySkipped(
            f"road travel needs geo.RoadTravelTimes, which is not available: {err}"
        ) from err
    except InputError as err:  # e.g. generated homes the road network cannot snap to
        raise DaySkipped(f"road travel cannot be built for this day: {err}") from err
    travel_seconds = time.perf_counter() - travel_at
    road = problem.travel.road_network is not None

    out: dict[str, Any] = {
        "instance": instance_name(visits, carers, seed, osm_file),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "travel": f"road ({Path(osm_file).name}, snap {problem.travel.road_network.snap_limit_m:g} m)"
        if road and osm_file and problem.travel.road_network
        else "haversine",
        "time_limit": time_limit,
        "seed": seed,
        "sizes": {
            "visits": len(problem.visits),
            "carers": len(problem.carers),
            "clients": len(problem.clients),
            "shifts": sum(len(c.shifts) for c in problem.carers),
            "double_handed": sum(v.carers_required == 2 for v in problem.visits),
            "after": sum(v.after is not None for v in problem.visits),
            "critical": sum(v.priority == "critical" for v in problem.visits),
        },
        "generate_seconds": round(generate_seconds, 3),
        "travel_seconds": round(travel_seconds, 3),
    }

    run = run_engine(problem, time_limit, seed, travel if road else None)
    solution: Solution = run["solution"]
    stats = solution.statistics
    engine = {
        **_checked(problem, solution, travel),
        "runtime_seconds": stats.runtime_seconds,
        "wall_seconds": run["wall_seconds"],
        "first_solution_seconds": stats.first_solution_seconds,
        "solutions": stats.solutions,
        "objective": stats.objective,
        "strategy": stats.strategy,
        "history": [list(h) for h in stats.history],
        "peak_memory_mb": run["peak_memory_mb"],
        "memory_before_solve_mb": run["memory_before_solve_mb"],
    }
    out["engine"] = engine
    out["first_solution_seconds"] = stats.first_solution_seconds
    out["violations"] = engine["violations"]
    out["peak_memory_mb"] = run["peak_memory_mb"]

    greedy = greedy_solve(problem, travel)
    out["greedy"] = {
        **_checked(problem, greedy, travel),
        "runtime_seconds": round(greedy.statistics.runtime_seconds, 3),
    }
    peer_solutions = [greedy]

    if not peers:
        out["vroom"] = {"skipped": "peers=False"}
    else:
        try:
            import vroom  # noqa: F401
        except ImportError:
            out["vroom"] = {"skipped": "pyvroom is not installed (pip install -e '.[bench]')"}
        else:
            vsol = vroom_solve(problem, travel, time_limit)
            checked = _checked(problem, vsol, travel)
            out["vroom"] = {
                **checked,
                "runtime_seconds": vsol.statistics.runtime_seconds,
                "dropped": dropped_for_vroom(problem),
                "violations_in_subset": sum(
                    n for r, n in checked["violation_rules"].items() if r in VROOM_RULES
                ),
            }
            peer_solutions.append(vsol)

    engine["critical_unassigned_placed_by_peer"] = _critical_placed_elsewhere(
        problem, solution, peer_solutions
    )
    out["machine"]["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    out["ratios"] = {"engine_vs_greedy": ratios(engine["kpis"], out["greedy"]["kpis"])}
    if "kpis" in out["vroom"]:
        out["ratios"]["engine_vs_vroom"] = ratios(engine["kpis"], out["vroom"]["kpis"])
    return out


def _critical_placed_elsewhere(problem: Problem, ours: Solution, others: list[Solution]) -> int:
    """Critical visits the engine left out that a peer placed: proof capacity allowed them."""
    critical = {v.id for v in problem.visits if v.priority == "critical"}
    left_out = {u.visit for u in ours.unassigned} & critical
    placed = {s.visit for sol in others for r in sol.routes for s in r.stops}
    return len(left_out & placed)


# --------------------------------------------------------------------------- the table


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def _unassigned(k: dict) -> str:
    return "/".join(str(k["unassigned_by_priority"][p]) for p in PRIORITIES)


def _objective(history: list) -> str:
    if not history:
        return "–"
    (t0, first), (t1, last) = history[0], history[-1]
    return f"{first:,.0f} @{t0:.1f}s → {last:,.0f} @{t1:.1f}s"


def markdown(results: Sequence[dict]) -> str:
    """Two Markdown tables: the engine per day, then the three rosters side by side.

    The ratio columns are engine ÷ greedy on the engine's row and engine ÷ VROOM on
    VROOM's row (travel and distinct carers: below 1 is better; familiar share: above).
    """
    lines = [
        "| day | travel | limit s | first feasible s | runtime s | solutions | objective first → last "
        "| peak MB | violations | unassigned c/h/n/f |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['instance']} | skipped: {r['skipped']} |" + " |" * 8)
            continue
        e = r["engine"]
        lines.append(
            f"| {r['instance']} | {r['travel']} | {r['time_limit']:g} | {_fmt(e['first_solution_seconds'])} "
            f"| {_fmt(e['runtime_seconds'], 1)} | {e['solutions']} | {_objective(e['history'])} "
            f"| {_fmt(e['peak_memory_mb'], 0)} | {e['violations']} | {_unassigned(e['kpis'])} |"
        )
    lines += [
        "",
        "| day | roster | scheduled | unassigned c/h/n/f | travel min | min/visit | km | travel share "
        "| distinct carers/client | familiar share | violations | ratio min/visit | ratio distinct "
        "| ratio familiar |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {"engine": "engine", "greedy": "greedy", "vroom": "VROOM (subset)"}
    for r in results:
        for name in labels if "skipped" not in r else ():
            s = r[name]
            if "kpis" not in s:
                lines.append(
                    f"| {r['instance']} | {labels[name]} | skipped: {s.get('skipped')} |"
                    + " |" * 11
                )
                continue
            k = s["kpis"]
            ratio = {
                "engine": r["ratios"]["engine_vs_greedy"],
                "vroom": r["ratios"].get("engine_vs_vroom"),
            }
            q = ratio.get(name) or {}
            violations = str(s["violations"])
            if name == "vroom":
                violations = f"{s['violations_in_subset']} in subset, {s['violations']} all rules"
            lines.append(
                f"| {r['instance']} | {labels[name]} | {k['visits_scheduled']} | {_unassigned(k)} "
                f"| {_fmt(k['travel_minutes'], 0)} | {_fmt(k['travel_minutes_per_visit'])} "
                f"| {_fmt(k['travel_km'], 0)} | {_fmt(k['travel_share'], 3)} "
                f"| {_fmt(k['distinct_carers_per_client'])} | {_fmt(k['familiar_share'], 3)} | {violations} "
                f"| {_fmt(q.get('travel_minutes_per_visit'), 3)} | {_fmt(q.get('distinct_carers_per_client'), 3)} "
                f"| {_fmt(q.get('familiar_share'), 3)} |"
            )
    return "\n".join(lines)


def targets_table(results: Sequence[dict]) -> str:
    """Issue 2's performance targets against what was measured (haversine days only)."""
    by_size = {
        (r["sizes"]["visits"], r["sizes"]["carers"]): r
        for r in results
        if "engine" in r and r["travel"] == "haversine"
    }
    rows = []

    def row(target: str, measured: str, met: bool | None) -> None:
        rows.append(
            f"| {target} | {measured} | {'yes' if met else 'no' if met is not None else '–'} |"
        )

    def first(r: dict) -> tuple[str, bool]:
        t = r["engine"]["first_solution_seconds"]
        return ("no roster found" if t is None else f"{t:.2f} s"), t is not None

    if r := by_size.get((300, 40)):
        text, found = first(r)
        row(
            "300 visits / 40 carers: first feasible < 2 s",
            text,
            found and r["first_solution_seconds"] < 2,
        )
    if r := by_size.get((1000, 80)):
        text, found = first(r)
        row("1,000 / 80: first feasible < 10 s", text, found and r["first_solution_seconds"] < 10)
        row(
            "1,000 / 80: 0 hard violations",
            str(r["violations"]) + ("" if found else " (no roster)"),
            found and r["violations"] == 0,
        )
        e = r["engine"]
        crit = e["kpis"]["unassigned_by_priority"]["critical"]
        row(
            "1,000 / 80: all critical visits placed when capacity allows",
            f"{crit} critical unassigned, {e['critical_unassigned_placed_by_peer']} of them placed by a peer",
            found and e["critical_unassigned_placed_by_peer"] == 0,
        )
    if r := by_size.get((2000, 150)):
        e = r["engine"]
        row(f"2,000 / 150: finishes within its {r['time_limit']:g} s limit", f"{e['wall_seconds']:.1f} s",
            e["wall_seconds"] <= r["time_limit"])  # fmt: skip
        row(
            "2,000 / 150: under 2 GB memory",
            f"{e['peak_memory_mb']:,.0f} MB peak",
            e["peak_memory_mb"] < 2048,
        )
    if not rows:
        return ""
    return "\n".join(["| target (issue 2) | measured | met |", "|---|---|---|", *rows])


def plot_history(results: Sequence[dict], path: str | Path) -> None:
    """PNG: the engine's objective over time per day, relative to its final value."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for r in results:
        history = r.get("engine", {}).get("history") or []
        if history:
            final = history[-1][1] or 1.0
            ax.step(
                [t for t, _ in history],
                [o / final for _, o in history],
                where="post",
                label=r["instance"],
            )
    ax.set(
        xlabel="seconds",
        ylabel="objective / final objective",
        yscale="log",
        title="Engine objective over time",
    )
    ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.days``: run days one at a time, print a Markdown table."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.days", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--sizes", default="300,1000,2000", help="visits per day, comma-separated")
    parser.add_argument(
        "--carers",
        default=None,
        help="carers per day, comma-separated (default 40/80/150 or visits/12)",
    )
    parser.add_argument(
        "--time-limit", default=None, help="seconds, one or one per size (default 30/60/120)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--osm-file",
        default=None,
        help="road travel on this OSM extract: a path, rutland or isle-of-man",
    )
    parser.add_argument(
        "--snap-limit-m", type=float, default=None, help="road snap limit override (m)"
    )
    parser.add_argument("--no-peers", action="store_true", help="skip VROOM")
    parser.add_argument("--plot", default=None, help="also write the objective-over-time PNG here")
    parser.add_argument("--json", default=None, help="also write all results to this JSON file")
    args = parser.parse_args(argv)

    sizes = [int(x) for x in _floats(args.sizes)]
    carers = (
        [int(x) for x in _floats(args.carers)] if args.carers else [carers_for(n) for n in sizes]
    )
    limits = (
        _floats(args.time_limit)
        if args.time_limit
        else [STANDARD_TIME_LIMIT.get(n, 30.0) for n in sizes]
    )
    if len(carers) != len(sizes) or len(limits) not in (1, len(sizes)):
        parser.error("--carers needs one value per size; --time-limit one value or one per size")
    limits = limits * len(sizes) if len(limits) == 1 else limits
    results = []
    for n, c, limit in zip(sizes, carers, limits, strict=True):
        print(f"running {n} visits / {c} carers, {limit:g} s ...", file=sys.stderr, flush=True)
        try:
            results.append(
                run_day(
                    n,
                    c,
                    seed=args.seed,
                    time_limit=limit,
                    osm_file=args.osm_file,
                    peers=not args.no_peers,
                    snap_limit_m=args.snap_limit_m,
                )
            )
        except DaySkipped as err:
            print(f"skipped: {err}", file=sys.stderr)
            results.append(
                {"instance": instance_name(n, c, args.seed, args.osm_file), "skipped": str(err)}
            )
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
    if args.plot:
        plot_history(results, args.plot)
    ran = [r for r in results if "machine" in r]
    if ran:
        m = ran[0]["machine"]
        loads = ", ".join(
            f"{r['machine']['load_average_1m']:g}→{r['machine']['load_average_1m_after']:g}"
            for r in ran
        )
        print(
            f"Measured {ran[0]['date']}, commit {m['commit']}, {m['cpus']} CPUs, Python {m['python']}, "
            f"1-min load average before→after each day: {loads}.\n"
        )
    targets = targets_table(results)
    if targets:
        print(targets + "\n")
    print(markdown(results))
    return 0 if all(r.get("violations", 0) == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
