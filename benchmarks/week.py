"""A week's rota solved as one problem, against the same week solved day by day.

    python -m benchmarks.week --days 7 --visits 300 --carers 45 --seeds 1,2,3 --time-limit 300

The day-by-day baseline is what a coordinator does today: each day is rostered on its own
(:func:`day_problem`), in date order, with each client's ``known_carers`` updated from the
days already rostered, each carer's guarantee (``contracted_minutes``) shared over her
days in proportion to her shift minutes, and her weekly cap less what earlier days of the
week paid her. The days share the same total time as the whole-horizon solve. The day
rosters are merged (:func:`merge`) and both rosters are judged by the validator on the
whole problem (weekly rules included) and measured by the same KPIs: visits placed, paid
travel per visit, distinct carers per client over the horizon, the time spread of a
client's recurring calls, the guarantee's shortfall. Each solve runs in its own process
(:func:`benchmarks.days.run_engine`), so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from optimiser.model import Problem, Solution
from optimiser.rules import week_cap, week_of
from optimiser.validator import validate

from .days import run_engine


def days_of(problem: Problem) -> list[date]:
    """The calendar days the problem's visit windows open on, in order."""
    return sorted({v.window.start.date() for v in problem.visits})


def day_problem(problem: Problem, day: date, known: dict[str, Counter], paid_in_week: dict[tuple[str, date], float],
                time_limit: float) -> Problem | None:
    """The part of ``problem`` on ``day`` as a coordinator rosters it alone.

    Parameters
    ----------
    problem
        The whole horizon.
    day
        The day: its visits (by window opening) and the carers' shifts that start on it.
    known
        Client id -> carer id -> visits done on earlier days (added to ``known_carers``).
    paid_in_week
        (carer id, Monday) -> paid minutes earlier days of that week gave her.
    time_limit
        The day's solve time, in the problem's options.

    Returns
    -------
    Problem or None
        None when no carer works that day.
    """
    total_shift = {c.id: sum((s.end - s.start).total_seconds() / 60 for s in c.shifts) for c in problem.carers}
    carers = []
    for c in problem.carers:
        shifts = [s for s in c.shifts if s.start.date() == day]
        if not shifts:
            continue
        mine = sum((s.end - s.start).total_seconds() / 60 for s in shifts)
        update: dict[str, Any] = {"shifts": shifts}
        if c.contracted_minutes is not None:
            update["contracted_minutes"] = round(c.contracted_minutes * mine / total_shift[c.id])
        cap = week_cap(c, problem.policy)
        if cap is not None:
            update["max_work_minutes"] = max(0, round(cap - paid_in_week.get((c.id, week_of(shifts[0].start)), 0.0)))
        carers.append(c.model_copy(update=update))
    if not carers:
        return None
    present = {c.id for c in carers}
    visits = [v for v in problem.visits if v.window.start.date() == day
              and all(p in present for p in v.pinned_carers)]
    ids = {v.id for v in visits}
    visits = [v if v.after is None or v.after.visit in ids else v.model_copy(update={"after": None}) for v in visits]
    clients = []
    for cl in problem.clients:
        counts = Counter({k: n for k, n in cl.known_carers.items() if k in present})
        counts.update({k: n for k, n in known.get(cl.id, Counter()).items() if k in present})
        clients.append(cl.model_copy(update={
            "known_carers": dict(counts),
            "excluded_carers": [k for k in cl.excluded_carers if k in present],
        }))
    options = problem.options.model_copy(update={"time_limit_seconds": time_limit})
    return problem.model_copy(update={"id": f"{problem.id}-{day}", "carers": carers, "clients": clients,
                                      "visits": visits, "options": options})


def merge(problem: Problem, days: list[Solution]) -> Solution:
    """One roster of the whole horizon from the day rosters (a carer's stops in time
    order; every visit no day placed is unassigned)."""
    stops: dict[str, list] = defaultdict(list)
    breaks: dict[str, list] = defaultdict(list)
    unassigned = {}
    for s in days:
        for r in s.routes:
            stops[r.carer].extend(r.stops)
            breaks[r.carer].extend(r.breaks)
        for u in s.unassigned:
            unassigned[u.visit] = u
    placed = {st.visit for ss in stops.values() for st in ss}
    out_of_days = [{"visit": v.id, "reason": "not in any day's problem (a pinned carer off that day)"}
                   for v in problem.visits if v.id not in placed and v.id not in unassigned]
    routes = [{"carer": k, "stops": sorted(ss, key=lambda st: st.start), "breaks": sorted(breaks[k], key=lambda b: b.start)}
              for k, ss in stops.items()]
    return Solution.model_validate({
        "problem_id": problem.id,
        "status": "feasible" if not unassigned and not out_of_days else "partial",
        "routes": [{**r, "stops": [st.model_dump() for st in r["stops"]],
                    "breaks": [b.model_dump() for b in r["breaks"]]} for r in routes],
        "unassigned": [u.model_dump() for u in unassigned.values()] + out_of_days,
    })


def day_by_day(problem: Problem, time_limit: float, seed: int) -> dict[str, Any]:
    """The baseline: each day solved alone in date order (see the module docstring)."""
    known: dict[str, Counter] = defaultdict(Counter)
    paid: dict[tuple[str, date], float] = defaultdict(float)
    days = days_of(problem)
    solutions, peak, wall = [], 0.0, 0.0
    for day in days:
        part = day_problem(problem, day, known, paid, time_limit / len(days))
        if part is None:
            continue
        out = run_engine(part, time_limit / len(days), seed)
        s: Solution = out["solution"]
        peak, wall = max(peak, out["peak_memory_mb"]), wall + out["wall_seconds"]
        solutions.append(s)
        client_of = {v.id: v.client for v in part.visits}
        for r in s.routes:
            for st in r.stops:
                known[client_of[st.visit]][r.carer] += 1
        for carer_id, ck in s.kpis["per_carer"].items():  # the day's paid minutes, as the KPIs count them
            for week, minutes in ck["paid_minutes_by_week"].items():
                paid[(carer_id, date.fromisoformat(week))] += minutes
    return {"solution": merge(problem, solutions), "peak_memory_mb": peak, "wall_seconds": round(wall, 1)}


def measure(problem: Problem, solution: Solution) -> dict[str, Any]:
    """The figures the week is judged by, from the validator's report on the whole horizon."""
    report = validate(problem, solution)
    k = report.kpis
    scheduled = k["visits_scheduled"]
    guaranteed = [c for c in problem.carers if c.contracted_minutes]
    return {
        "violations": len(report.violations),
        "violation_rules": dict(Counter(v.rule for v in report.violations)),
        "visits": k["visits_total"],
        "placed": scheduled,
        "paid_travel_per_visit": round(k["travel_minutes"] / scheduled, 2) if scheduled else None,
        "distinct_carers_per_client": _round(k["distinct_carers_per_client_mean"], 2),
        "time_spread_median_minutes": _round(k["time_spread_median_minutes"], 1),
        "guaranteed_carers": len(guaranteed),
        "guarantee_shortfall_minutes": round(k["contracted_shortfall_minutes"]),
        "carers_short_of_guarantee": sum(
            1 for c in guaranteed
            if k["per_carer"].get(c.id, {}).get("paid_minutes", 0.0) < c.contracted_minutes - 1e-6),
        # why (CarerKpis.shortfall_reason): "shifts", "demand" (no visit left she may do) or "unassigned"
        "short_by_reason": dict(Counter(ck["shortfall_reason"].split(":")[0] for ck in k["per_carer"].values()
                                        if ck.get("shortfall_reason"))),
        "days_worked_mean": _round(k["days_worked_mean"], 2),
    }


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def run(problem: Problem, time_limit: float, seed: int) -> dict[str, Any]:
    """Both ways on one horizon: ``{"week": ..., "day_by_day": ...}`` with their figures,
    wall time and peak memory, and the whole-horizon solve's first complete roster time."""
    whole = run_engine(problem, time_limit, seed)
    s: Solution = whole["solution"]
    week = {**measure(problem, s), "wall_seconds": whole["wall_seconds"], "peak_memory_mb": whole["peak_memory_mb"],
            "first_roster_seconds": s.statistics.first_solution_seconds if s.statistics else None}
    daily = day_by_day(problem, time_limit, seed)
    return {"week": week, "day_by_day": {**measure(problem, daily["solution"]), "wall_seconds": daily["wall_seconds"],
                                         "peak_memory_mb": daily["peak_memory_mb"]}}


COLUMNS = ("placed", "paid_travel_per_visit", "distinct_carers_per_client", "time_spread_median_minutes",
           "guarantee_shortfall_minutes", "carers_short_of_guarantee", "violations", "wall_seconds", "peak_memory_mb")


def markdown(rows: list[tuple[str, dict[str, Any]]]) -> str:
    """A table: one line per horizon and way of solving it."""
    lines = ["| horizon | solved | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    for name, result in rows:
        for way in ("week", "day_by_day"):
            r = result[way]
            lines.append(f"| {name} | {way} | " + " | ".join("–" if r.get(c) is None else str(r[c]) for c in COLUMNS)
                         + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from optimiser.generator import GeneratorSettings
    from optimiser.recurring import generate

    ap = argparse.ArgumentParser(prog="python -m benchmarks.week", description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--visits", type=int, default=300, help="visits a day")
    ap.add_argument("--carers", type=int, default=75, help="carers employed (45 cannot cover 300 visits a day on fixed shifts: RESULTS.md)")
    ap.add_argument("--seeds", default="1", help="generator seeds, comma-separated")
    ap.add_argument("--time-limit", type=float, default=300.0, help="seconds for the horizon (the days share it)")
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    args = ap.parse_args(argv)
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        began = time.monotonic()
        problem = generate(GeneratorSettings(days=args.days, visits=args.visits, carers=args.carers, seed=seed))
        result = run(problem, args.time_limit, seed=0)
        result["generate_and_solve_seconds"] = round(time.monotonic() - began, 1)
        rows.append((f"{args.days}d×{args.visits} seed {seed}", result))
        print(markdown(rows[-1:]), flush=True)
    print(markdown(rows))
    if args.out:
        Path(args.out).write_text(json.dumps([{"horizon": n, **r} for n, r in rows], indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
