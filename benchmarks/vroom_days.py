"""carerota against VROOM on generated home-care days reduced to what VROOM models.

    python -m benchmarks.vroom_days --visits 300,1000 --seconds 30 --seeds 1,2

Each day is generated (:func:`optimiser.generator.generate_day`; carers in the CI day's
ratio, 40 per 300 visits: 133 for 1,000) and then *reduced* by :func:`reduce_day` to the
rules VROOM has: skills, visit windows, carers' shifts and single-handed visits. The
reduced day is a carerota :class:`~optimiser.model.Problem`, so carerota solves exactly
it; everything else is gone:

* a double-handed visit becomes single-handed (same window, duration and skills);
* no ``after`` gaps, no pinned carers, no soft lateness (``late_limit_minutes`` 0);
* clients lose languages, gender wishes, requirements, preferences, exclusions and
  known carers; carers lose languages, gender, attributes, ``max_work_minutes``,
  ``contracted_minutes``, their own commute limits and their own wages (all are paid
  ``policy.hourly_wage``, so one cost matrix per travel mode prices every carer);
* the policy switches off breaks (``break_after_minutes``,
  ``waking_night_break_after_minutes``: None) and the commute limits
  (``max_commute_minutes``: None), and zeroes the soft continuity and language terms
  (``new_carer_penalty``, ``familiar_carer_reward``, ``language_preference_penalty``),
  which VROOM cannot price;
* every visit is ``normal`` priority, so "placed" counts the same thing for both
  solvers (VROOM is given no priorities either); night work is off (the generator's
  default) and refused if present.

Both solvers get the same time limit, one core each (VROOM ``nb_threads=1``; carerota's
search is single-threaded), and run one after the other. carerota runs its default
strategy (``optimiser.engine.solve``); the strategy it chose is in the JSON lines.
VROOM runs at exploration level 5, its own default (as in :mod:`benchmarks.peers` and
:mod:`benchmarks.days`), or at each level of ``--exploration 1,5``, one line each. The
level matters under a time limit. On the 300-visit day (seed 1, 30 s) every level ends
by itself within the limit (level 5 in 26-28 s) and the higher levels do better (travel
cost GBP 274.75 at level 1, 264.21 at 2 and 3, 261.33 at 4, 262.6-263.6 at 5). On the
1,000-visit day every level runs into the timeout and returns what it has, and level 1
is VROOM's best by far (paid travel 1.06 min/visit at level 1, 1.12 at 2, 1.54 at 3, 1.88
at 4, 1.96-2.46 at 5). Compare with VROOM's best level for the size, not only its default.

How VROOM sees the day (:func:`vroom_solve`)
--------------------------------------------
* **Vehicles.** One VROOM vehicle per shift of a carer (a split-shift carer is two
  vehicles), starting and ending at her home, time window = the shift, her skills, her
  travel mode as the vehicle's profile. Two vehicles of one carer can never put her in
  two places at once only because a carer's shifts never overlap (the model refuses
  overlapping shifts and joins touching ones). VROOM has no rule that the carer gets
  home and back *between* two shifts (carerota's ``between_shifts``; its engine keeps
  each leg within half the gap): a VROOM roster that breaks it is counted as a violation.
* **Travel times.** One profile per travel mode with carerota's own integer travel
  minutes (``ProblemData.minutes_int``: the matrix minutes rounded up, which is what
  carerota's engine schedules with) times 60, in seconds. So both solvers plan on the
  same integer-minute travel, and VROOM's schedules pass carerota's validator.
* **The commute.** carerota lets the trip from home to a shift's first visit and back
  home from its last lie *outside* the shift (the shift bounds the visits; the commute
  is unpaid). VROOM counts the travel from and to the vehicle's start and end inside its
  time window. To give VROOM exactly carerota's model, the *durations* of every leg from
  or to a carer's home are 0 (so the shift window bounds the first visit's start and the
  last visit's end, as in carerota) while their *costs* stay (below). The two options
  that keep VROOM's own semantics both change the problem: without start/end locations
  VROOM would not know where each carer lives (the commute would be free, and carers
  would be sent across town), and widening each shift window by a commute allowance
  would let visits run outside the shift whenever the commute is shorter than the
  allowance. With zero-duration home legs the two solvers face the same time windows.
* **Costs.** A custom cost matrix per profile equal to carerota's own arc costs
  (:func:`optimiser.compile.cost_matrices` at ``policy.hourly_wage``; milli-pounds):
  paid travel time between visits at the wage, the unpaid commute's time at
  ``policy.commute_weight`` of it, and mileage on every leg (``policy.mileage_per_mile``
  by mode), times ``policy.travel_weight``. VROOM's default duration cost would price
  the commute as paid travel (or, with zero-duration home legs, not at all) and ignore
  mileage; per-vehicle ``per_hour`` costs cannot be combined with a cost matrix and
  cannot express mileage. VROOM maximises placed visits first and then minimises this
  cost; carerota's drop penalty (GBP 1,000 per ``normal`` visit) makes its objective
  the same order of things.

Scoring
-------
VROOM's routes become a carerota :class:`~optimiser.model.Solution` (one route per
carer, stops with start times; travel on each stop from carerota's matrix), and both
rosters are checked by the same code: :func:`optimiser.validator.validate` (every hard
rule; a carerota roster with a violation stops the run, VROOM's are counted and
listed by rule) and its KPIs: visits placed, **paid travel minutes per placed visit**
(travel between visits within a shift; the commute is not paid and not counted),
carers used; and, as a check that both minimised the same thing, the travel cost both
objectives price (:func:`travel_cost`: paid travel, the commute at ``commute_weight``,
mileage). The table has one line per solver and day, and a line of ratios
carerota / VROOM (below 1 is less travel, cost or carers; above 1 is more placed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from optimiser.compile import COST_SCALE, KM_PER_MILE, ProblemData, compile_problem
from optimiser.generator import GeneratorSettings, generate_day
from optimiser.model import (
    Carer,
    Client,
    Options,
    Problem,
    Route,
    Solution,
    Statistics,
    Stop,
    Unassigned,
    Visit,
)
from optimiser.sources import travel_times
from optimiser.travel import TravelTimes
from optimiser.validator import validate

#: The CI day: 300 visits, 40 carers (``benchmarks.suites``); other sizes keep the ratio.
CI_VISITS, CI_CARERS = 300, 40
EXPLORATION_LEVEL = 5
THREADS = 1


def carers_for(visits: int) -> int:
    """Carers for a day of ``visits`` visits, in the CI day's ratio (40 per 300)."""
    return max(1, round(visits * CI_CARERS / CI_VISITS))


def vroom_missing() -> str | None:
    """Why VROOM cannot run here, or None when ``pyvroom`` imports."""
    try:
        import vroom  # noqa: F401
    except ImportError:
        return "pyvroom is not installed (pip install -c constraints.txt -e '.[bench]')"
    return None


# --------------------------------------------------------------------------- the reduced day


def reduce_day(problem: Problem, time_limit: float | None = None) -> Problem:
    """``problem`` with only the rules VROOM models: skills, windows, shifts, one carer a visit.

    Parameters
    ----------
    problem
        A generated day (no sleep-ins or waking nights).
    time_limit
        ``options.time_limit_seconds`` of the reduced problem (kept when None).

    Returns
    -------
    Problem
        A new problem (``<id>-vroom-subset``) built with carerota's own model; see the
        module docstring for what is removed.

    Raises
    ------
    ValueError
        When the day holds night work (sleep-ins, waking nights), which VROOM cannot model.
    """
    nights = [v.id for v in problem.visits if v.kind != "visit"]
    if nights:
        raise ValueError(f"the day holds night work VROOM cannot model: {nights[:3]}")
    carers = [
        Carer(id=c.id, home=c.home, travel_mode=c.travel_mode, shifts=c.shifts, skills=c.skills)
        for c in problem.carers
    ]
    clients = [Client(id=c.id, location=c.location) for c in problem.clients]
    visits = [
        Visit(id=v.id, client=v.client, window=v.window, duration_minutes=v.duration_minutes,
              skills=v.skills, priority="normal")
        for v in problem.visits
    ]
    policy = problem.policy.model_copy(update={
        "break_after_minutes": None,
        "waking_night_break_after_minutes": None,
        "max_commute_minutes": None,
        "new_carer_penalty": 0.0,
        "familiar_carer_reward": 0.0,
        "language_preference_penalty": 0.0,
    })
    options = Options(
        time_limit_seconds=problem.options.time_limit_seconds if time_limit is None else time_limit,
        seed=problem.options.seed,
    )
    return Problem(
        id=f"{problem.id}-vroom-subset", carers=carers, clients=clients, visits=visits,
        travel=problem.travel.model_copy(deep=True), policy=policy, options=options,
    )


def generated_day(visits: int, seed: int, time_limit: float) -> Problem:
    """The reduced (:func:`reduce_day`) generated day of ``visits`` visits."""
    day = generate_day(GeneratorSettings(visits=visits, carers=carers_for(visits), seed=seed))
    return reduce_day(day, time_limit)


# --------------------------------------------------------------------------- VROOM


def _arc_costs(data: ProblemData, homes: np.ndarray) -> dict[str, np.ndarray]:
    """carerota's arc costs (milli-GBP) over the travel points, per travel mode, at the policy wage."""
    policy = data.problem.policy
    out = {}
    for mode in data.minutes_int:
        minutes, km = data.travel.matrices(mode)
        time_cost = minutes * (policy.hourly_wage / 60.0)
        time_cost[homes, :] *= policy.commute_weight
        time_cost[:, homes] *= policy.commute_weight
        mileage = km * (policy.mileage_per_mile.get(mode, 0.0) / KM_PER_MILE)
        out[mode] = np.rint((time_cost + mileage) * policy.travel_weight * COST_SCALE).astype(np.int64)
    return out


def vroom_solve(problem: Problem, time_limit: float, travel: TravelTimes | None = None,
                exploration: int = EXPLORATION_LEVEL) -> Solution:
    """Roster a reduced day (:func:`reduce_day`) with VROOM; its routes as a carerota Solution.

    Parameters
    ----------
    problem
        The reduced day (every visit single-handed; carers without their own wages).
    time_limit
        VROOM's timeout (seconds); it may stop earlier on its own.
    travel
        The travel source (default :func:`optimiser.sources.travel_times`).
    exploration
        VROOM's exploration level (1-5; 5, its own default, unless asked otherwise).

    Returns
    -------
    Solution
        One route per carer who works (the stops of all her shifts in time order, each
        with carerota's travel from the previous stop of the shift or from home), VROOM's
        left-out visits in ``unassigned``, ``statistics.runtime_seconds`` the wall
        time of VROOM's solve and ``statistics.objective`` VROOM's cost in GBP.
    """
    import vroom

    if any(v.carers_required != 1 for v in problem.visits):
        raise ValueError("VROOM is given single-handed visits only: reduce the day first (reduce_day)")
    if any(c.hourly_wage is not None for c in problem.carers):
        raise ValueError("VROOM prices every carer at policy.hourly_wage: reduce the day first (reduce_day)")
    data = compile_problem(problem, travel)
    travel = data.travel
    index = travel.index
    homes = np.array([index[c.id] for c in problem.carers], dtype=np.int64)

    def sec(t: datetime) -> int:
        return int((t - data.t0).total_seconds())

    inp = vroom.Input()
    costs = _arc_costs(data, homes)
    for mode, minutes in data.minutes_int.items():
        seconds = minutes * 60
        seconds[homes, :] = 0  # the commute lies outside the shift, as in carerota
        seconds[:, homes] = 0
        inp.set_durations_matrix(mode, seconds)
        inp.set_costs_matrix(mode, costs[mode])
    skill_id: dict[str, int] = {}

    def skills(names: list[str]) -> set[int]:
        return {skill_id.setdefault(s, len(skill_id) + 1) for s in names}

    vehicles: list[str] = []  # vehicle id -> carer id
    for carer in problem.carers:
        for shift in carer.shifts:
            inp.add_vehicle(vroom.Vehicle(
                len(vehicles), start=index[carer.id], end=index[carer.id], profile=carer.travel_mode,
                time_window=vroom.TimeWindow(sec(shift.start), sec(shift.end)), skills=skills(carer.skills),
            ))
            vehicles.append(carer.id)
    for j, v in enumerate(problem.visits):
        inp.add_job(vroom.Job(
            j, location=index[v.client], default_service=v.duration_minutes * 60,
            time_windows=[vroom.TimeWindow(sec(v.window.start), sec(v.window.end))], skills=skills(v.skills),
        ))
    started = time.perf_counter()
    result = inp.solve(exploration_level=exploration, nb_threads=THREADS,
                       timeout=timedelta(seconds=time_limit)).to_dict()
    wall = time.perf_counter() - started
    return _solution(problem, travel, data.t0, vehicles, result, wall, exploration)


def _solution(problem: Problem, travel: TravelTimes, t0: datetime, vehicles: list[str],
              result: dict[str, Any], wall: float, exploration: int) -> Solution:
    """VROOM's result as a carerota Solution (see :func:`vroom_solve`)."""
    carers = {c.id: c for c in problem.carers}
    stops: dict[str, list[Stop]] = {}
    for route in result["routes"]:
        carer = carers[vehicles[route["vehicle"]]]
        origin, first = carer.id, True
        for step in route["steps"]:
            if step["type"] != "job":
                continue
            v = problem.visits[step["id"]]
            start = t0 + timedelta(seconds=step["arrival"] + step["waiting_time"] + step.get("setup", 0))
            arrival = start if first else t0 + timedelta(seconds=step["arrival"])
            minutes, km = travel.leg(carer.travel_mode, origin, v.client)
            stops.setdefault(carer.id, []).append(Stop(
                visit=v.id, arrival=arrival, start=start, end=start + timedelta(minutes=v.duration_minutes),
                travel_minutes=round(minutes, 3), travel_km=round(km, 3),
            ))
            origin, first = v.client, False
    unassigned = [
        Unassigned(visit=problem.visits[u["id"]].id, reason="VROOM left it out", rule=None)
        for u in result["unassigned"]
    ]
    return Solution(
        problem_id=problem.id,
        status="partial" if unassigned else "feasible",
        routes=[Route(carer=c.id, stops=sorted(stops[c.id], key=lambda s: s.start))
                for c in problem.carers if c.id in stops],
        unassigned=unassigned,
        statistics=Statistics(runtime_seconds=round(wall, 3), solutions=1,
                              objective=result["summary"]["cost"] / COST_SCALE,
                              strategy=f"vroom exploration_level={exploration}, {THREADS} thread"),
    )


# --------------------------------------------------------------------------- scoring


def travel_cost(problem: Problem, per_carer: dict[str, dict[str, float]]) -> float:
    """GBP of the travel both solvers minimise (the VROOM cost matrix; carerota's arc costs):
    paid travel at the policy wage, the commute at ``commute_weight`` of it, mileage on
    every leg, times ``travel_weight``; from the validator's per-carer KPIs."""
    policy, carers = problem.policy, {c.id: c for c in problem.carers}
    total = 0.0
    for carer_id, ck in per_carer.items():
        per_km = policy.mileage_per_mile.get(carers[carer_id].travel_mode, 0.0) / KM_PER_MILE
        minutes = ck["travel_minutes"] + policy.commute_weight * ck["commute_minutes"]
        total += minutes * policy.hourly_wage / 60 + (ck["travel_km"] + ck["commute_km"]) * per_km
    return total * policy.travel_weight


def measure(problem: Problem, solution: Solution, travel: TravelTimes | None = None) -> dict[str, Any]:
    """The compared figures of one roster, by carerota's validator and KPIs.

    Returns
    -------
    dict
        ``placed``, ``visits``, ``paid_travel_per_visit`` (paid travel minutes per placed
        visit; None when nothing is placed), ``carers_used``, ``travel_cost``
        (:func:`travel_cost`), ``commute_minutes`` (unpaid, all carers), ``violations``
        (count), ``violation_rules`` (rule -> count) and the first violations' messages.
    """
    report = validate(problem, solution, travel)
    k = report.kpis
    placed = k["visits_scheduled"]
    return {
        "placed": placed,
        "visits": k["visits_total"],
        "paid_travel_per_visit": k["travel_minutes"] / placed if placed else None,
        "carers_used": k["carers_used"],
        "travel_cost": travel_cost(problem, k["per_carer"]),
        "commute_minutes": k["commute_minutes"],
        "violations": len(report.violations),
        "violation_rules": dict(Counter(v.rule for v in report.violations)),
        "first_violations": [v.message for v in report.violations[:5]],
    }


def run_day(visits: int, seed: int, seconds: float, out: Path | None = None,
            explorations: tuple[int, ...] = (EXPLORATION_LEVEL,)) -> dict[str, Any]:
    """Generate, reduce, solve with both, measure both: one day's row.

    Parameters
    ----------
    visits, seed
        The generated day (carers: :func:`carers_for`); ``seed`` is carerota's seed too.
    seconds
        Each solver's time limit.
    out
        Write the reduced day and both rosters to this folder (not when None).
    explorations
        VROOM's exploration levels: VROOM solves the day once at each.

    Returns
    -------
    dict
        ``day``, ``seed``, ``time_limit``; under ``carerota`` :func:`measure`'s figures
        with ``seconds`` (wall time of the solve) and ``strategy`` (the one its default
        ran); under ``vroom`` a list of the same figures, one per exploration level
        (``exploration``).

    Raises
    ------
    SystemExit
        When carerota's roster breaks a rule of the reduced day.
    """
    from optimiser.engine import solve

    problem = generated_day(visits, seed, seconds)
    travel = travel_times(problem)
    for mode in {c.travel_mode for c in problem.carers}:
        travel.matrices(mode)  # computed once, before either clock starts
    begin = time.perf_counter()
    ours = solve(problem, time_limit=seconds, seed=seed, travel=travel)
    ours_seconds = time.perf_counter() - begin
    theirs = [vroom_solve(problem, seconds, travel, level) for level in explorations]
    row = {
        "day": f"day{visits}x{len(problem.carers)}",
        "seed": seed,
        "time_limit": seconds,
        "carerota": {**measure(problem, ours, travel), "seconds": ours_seconds,
                     "strategy": ours.statistics.strategy},
        "vroom": [{**measure(problem, s, travel), "seconds": s.statistics.runtime_seconds, "exploration": level}
                  for level, s in zip(explorations, theirs, strict=True)],
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        name = f"{row['day']}-seed{seed}"
        (out / f"{name}.json").write_text(problem.model_dump_json(exclude_defaults=True))
        (out / f"{name}.carerota.json").write_text(ours.model_dump_json())
        for level, s in zip(explorations, theirs, strict=True):
            (out / f"{name}.vroom-x{level}.json").write_text(s.model_dump_json())
    if row["carerota"]["violations"]:
        raise SystemExit(
            f"{row['day']} seed {seed}: carerota's roster breaks {row['carerota']['violation_rules']}: "
            + "; ".join(row["carerota"]["first_violations"])
        )
    return row


# --------------------------------------------------------------------------- the table


def _ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or not b else f"{a / b:.3f}"


def _num(x: float | None, spec: str) -> str:
    return "–" if x is None else format(x, spec)


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: per day and seed, carerota's line, then per VROOM exploration level VROOM's
    line and the ratio carerota / VROOM."""
    lines = ["| day | seed | solver | placed | paid travel min/visit | carers used | violations | seconds "
             "| travel cost £ (the objective's travel part) |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        for name, m in (("carerota", row["carerota"]), *((f"VROOM x{v['exploration']}", v) for v in row["vroom"])):
            broken = ", ".join(f"{r} {n}" for r, n in sorted(m["violation_rules"].items()))
            lines.append(
                f"| {row['day']} | {row['seed']} | {name} | {m['placed']}/{m['visits']} | "
                f"{_num(m['paid_travel_per_visit'], '.2f')} | {m['carers_used']} | "
                f"{m['violations']}{f' ({broken})' if broken else ''} | {m['seconds']:.1f} | "
                f"{m['travel_cost']:,.2f} |"
            )
        a = row["carerota"]
        for b in row["vroom"]:
            lines.append(
                f"| {row['day']} | {row['seed']} | carerota/VROOM x{b['exploration']} | "
                f"{_ratio(a['placed'], b['placed'])} | "
                f"{_ratio(a['paid_travel_per_visit'], b['paid_travel_per_visit'])} | "
                f"{_ratio(a['carers_used'], b['carers_used'])} | | {_ratio(a['seconds'], b['seconds'])} | "
                f"{_ratio(a['travel_cost'], b['travel_cost'])} |"
            )
    return "\n".join(lines)


def _ints(text: str, what: str, ap: argparse.ArgumentParser) -> list[int]:
    try:
        values = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        ap.error(f"{what}: {text!r} is not a comma-separated list of whole numbers")
    if not values or any(v < 1 for v in values):
        ap.error(f"{what}: give positive whole numbers, e.g. 300,1000")
    return values


def main(argv: list[str] | None = None) -> int:
    """Run the days and print the table (the rows as JSON lines first, as they finish)."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.vroom_days", description=__doc__.splitlines()[0])
    ap.add_argument("--visits", default="300,1000", help="comma-separated day sizes (visits)")
    ap.add_argument("--seconds", type=float, default=30.0, help="time limit of each solver, per day")
    ap.add_argument("--seeds", default="1", help="comma-separated generator seeds (also carerota's seed)")
    ap.add_argument("--exploration", default=str(EXPLORATION_LEVEL),
                    help=f"comma-separated VROOM exploration levels 1-5, one VROOM run each "
                         f"(default {EXPLORATION_LEVEL}, VROOM's own default)")
    ap.add_argument("--out", type=Path, default=None, help="write each reduced day and both rosters here")
    args = ap.parse_args(argv)
    sizes, seeds = _ints(args.visits, "--visits", ap), _ints(args.seeds, "--seeds", ap)
    levels = tuple(_ints(args.exploration, "--exploration", ap))
    if any(level > 5 for level in levels):
        ap.error("--exploration: VROOM's levels are 1 to 5")
    if args.seconds <= 0:
        ap.error("--seconds must be positive")
    missing = vroom_missing()
    if missing:
        print(f"vroom_days: {missing}", file=sys.stderr)
        return 2
    rows = []
    for visits in sizes:
        for seed in seeds:
            rows.append(run_day(visits, seed, args.seconds, args.out, levels))
            print(json.dumps(rows[-1], default=str), flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
