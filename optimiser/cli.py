"""The ``carerota`` command. Thin: parse arguments, call the package, print.

Other packages add their own subcommands through a ``register(subparsers)`` function
in their ``cli`` module (``geo.cli``, ``api.cli``, ``benchmarks.cli``, ``patches.cli``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .io import InputError, read_problem, read_solution, write_json
from .model import Problem, Progress, Solution

EXIT_OK, EXIT_VIOLATIONS, EXIT_BAD_INPUT = 0, 1, 2
PLUGINS = ("geo.cli", "api.cli", "benchmarks.cli", "patches.cli")


def _progress_printer(stream=None):
    """A live one-line progress display on a terminal; silent otherwise."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None

    def show(p: Progress) -> None:
        obj = "-" if p.objective is None else f"{p.objective:,.1f}"
        unassigned = "-" if p.unassigned is None else str(p.unassigned)
        stream.write(
            f"\r{p.elapsed_seconds:6.1f}s  solutions {p.solutions:4d}  objective {obj:>14}  unassigned {unassigned:>4}"
        )
        stream.flush()

    return show


def _what_is_solved(problem: Problem, time_limit: float | None) -> str:
    """One line before the search starts: how big the problem is and over which days."""
    days = sorted({v.window.start.date() for v in problem.visits})
    span = "" if not days else (f" on {days[0]:%a %d %b %Y}" if len(days) == 1 else
                                f" over {len(days)} days, {days[0]:%a %d %b} to {days[-1]:%a %d %b %Y}")
    limit = problem.options.time_limit_seconds if time_limit is None else time_limit
    return (f"solving {len(problem.visits):,} visits for {len(problem.clients):,} clients with "
            f"{len(problem.carers):,} carers{span}; time limit {limit:g} s")


def cmd_solve(args: argparse.Namespace) -> int:
    if args.problem is None:
        from .generator import example_problem

        problem = example_problem()
    else:
        problem = read_problem(args.problem)
    from .engine import solve
    from .report import kpi_summary

    if args.max_steps is not None:
        if args.max_steps <= 0:
            raise InputError(f"--max-steps must be a positive whole number, got {args.max_steps}")
        problem = problem.model_copy(update={"options": problem.options.model_copy(
            update={"max_steps": args.max_steps})})
    start = None
    if args.previous is not None:
        from .previous import carers_before, carry_forward

        before, roster = read_problem(args.previous[0]), read_solution(args.previous[1])
        start = carers_before(problem, before, roster)
        problem = carry_forward(problem, before, roster)
    print(_what_is_solved(problem, args.time_limit), flush=True)
    progress = _progress_printer()
    solution = solve(problem, time_limit=args.time_limit, seed=args.seed, progress=progress, start=start)
    if solution.statistics.compile_seconds >= 5:
        print(f"compiled the search in {solution.statistics.compile_seconds:.0f} s (first run after an install; "
              "not part of the time limit)")
    if progress is not None:
        sys.stderr.write("\n")
    out = Path(args.output or f"{problem.id}.solution.json")
    write_json(solution, out)
    print(kpi_summary(solution))
    print(f"roster written to {out}")
    return EXIT_OK if solution.status != "no_solution" else EXIT_VIOLATIONS


def cmd_validate(args: argparse.Namespace) -> int:
    from .validator import validate

    problem, solution = read_problem(args.problem), read_solution(args.solution)
    report = validate(problem, solution)
    for v in report.violations:
        print(f"VIOLATION [{v.rule}] {v.message}")
    if args.kpis:
        print(json.dumps(report.kpis, indent=2))
    if report.violations:
        print(f"{len(report.violations)} violation(s)")
        return EXIT_VIOLATIONS
    print("valid: 0 violations")
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from .generator import GeneratorSettings
    from .recurring import generate

    settings = GeneratorSettings(
        visits=args.visits, carers=args.carers, seed=args.seed, date=args.date, days=args.days,
        osm_file=args.osm_file, night_clients=args.night_clients, sleep_ins=args.sleep_ins,
        waking_nights=args.waking_nights, night_carers=args.night_carers,
    )
    problem = generate(settings)
    write_json(problem, args.output)
    print(f"{len(problem.visits)} visits, {len(problem.carers)} carers, {len(problem.clients)} clients -> {args.output}")
    if settings.days > 1:
        from .recurring import horizon_stats

        stats = horizon_stats(problem)
        low = stats["lowest_capacity"]
        print(f"{stats['days']} days from Monday {problem.visits[0].window.start:%Y-%m-%d}: "
              f"{stats['calls_per_client_day']:.2f} calls a day per client, "
              f"{stats['double_up_share']:.1%} double-handed; carers on duty for "
              f"{low['ratio']:.2f}x the visit minutes at the least ({low['day']} {low['run']})")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    schema = {"problem": Problem.model_json_schema(), "solution": Solution.model_json_schema()}
    doc = schema if args.document == "both" else schema[args.document]
    print(json.dumps(doc, indent=2))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from .report import render_report

    solution = read_solution(args.solution)
    problem = read_problem(args.problem) if args.problem else None
    print(render_report(solution, problem))
    return EXIT_OK


def cmd_cost(args: argparse.Namespace) -> int:
    from .employment import (
        EMPLOYMENT_ITEMS,
        EMPLOYMENT_MODELS,
        ITEM_LABELS,
        LABELS,
        employment_cost,
        employment_model,
    )
    from .kpis import build_kpis
    from .validator import validate

    names = [n.strip() for n in (args.employment or ",".join(EMPLOYMENT_MODELS)).split(",") if n.strip()]
    if not names:
        raise InputError("--employment: give one or more model names, comma-separated")
    try:
        models = [employment_model(n) for n in names]
    except InputError as err:
        raise InputError(f"--employment: {err}") from None
    problem, solution = read_problem(args.problem), read_solution(args.solution)
    if solution.problem_id != problem.id:
        raise InputError(f"{args.solution} is a roster for problem {solution.problem_id!r}, not {problem.id!r}")
    violations = len(validate(problem, solution).violations)
    kpis = build_kpis(problem, solution)
    costs = [employment_cost(problem, solution, kpis, m) for m in models]
    if args.json:
        print(json.dumps({c.model: c.model_dump(exclude={"per_carer"}) for c in costs}, indent=2))
        return EXIT_OK
    hours = costs[0].contact_hours
    print(f"{problem.id}: {hours:,.1f} contact hours over {costs[0].days} day(s); GBP per contact hour"
          + ("" if not violations else f" (the roster breaks {violations} rule(s): carerota validate)"))
    width = max(len(v) for v in ITEM_LABELS.values())
    print(" " * width + "".join(f"{LABELS[c.model]:>22}" for c in costs))
    for item in EMPLOYMENT_ITEMS:
        values = [c.items.get(item, 0.0) for c in costs]
        if any(values):
            print(f"{ITEM_LABELS[item]:<{width}}" + "".join(f"{v / hours if hours else 0:>22.2f}" for v in values))
    print(f"{'Cost per contact hour':<{width}}" + "".join(f"{c.cost_per_contact_hour or 0:>22.2f}" for c in costs))
    print(f"{'Paid hours':<{width}}" + "".join(f"{c.paid_hours:>22.1f}" for c in costs))
    print(f"{'Total (GBP)':<{width}}" + "".join(f"{c.total:>22,.2f}" for c in costs))
    for c in costs:
        for note in c.notes:
            print(f"{LABELS[c.model]}: {note}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carerota", description="Home-care roster optimiser")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("solve", help="solve a problem (the embedded example when none is given)")
    p.add_argument("problem", nargs="?", help="problem JSON (default: the embedded example day)")
    p.add_argument("-o", "--output", help="solution JSON (default: <problem id>.solution.json)")
    p.add_argument("--time-limit", type=float, default=None, help="seconds (default: problem options)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--max-steps", type=int, default=None,
                   help="stop the search after this many steps too: the same seed and steps give the same roster")
    p.add_argument("--previous", nargs=2, metavar=("PROBLEM", "ROSTER"), default=None,
                   help="last week's problem and roster: the first roster gives each call to the carers who "
                   "did it last time where it still fits, and their visits count in clients' known_carers")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("validate", help="re-check a roster against every hard rule")
    p.add_argument("problem")
    p.add_argument("solution")
    p.add_argument("--kpis", action="store_true", help="also print the KPIs as JSON")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("generate", help="generate a realistic UK home-care day, or several days")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--visits", type=int, default=300, help="visits (over several days: a day)")
    p.add_argument("--carers", type=int, default=40, help="carers (over several days: carers employed)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--date", default="2026-11-23",
                   help="the day (YYYY-MM-DD); over several days they start on this Monday or the next")
    p.add_argument("--days", type=int, default=1,
                   help="days (1-28): more than 1 repeats the care plans over them, with carers' contracts, "
                   "leave and sickness")
    p.add_argument("--osm-file", default=None, help="place clients on this OSM extract's streets")
    p.add_argument("--night-clients", type=int, default=0,
                   help="clients of the out-of-hours night service (1-3 calls, 21:15-07:00)")
    p.add_argument("--sleep-ins", type=int, default=0, help="clients with a sleep-in tonight (22:00-07:00)")
    p.add_argument("--waking-nights", type=int, default=0, help="clients with a waking night tonight (22:00-07:00)")
    p.add_argument("--night-carers", type=int, default=None,
                   help="carers on the night shift besides --carers (default: sized to the night's work)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("schema", help="print the JSON Schema of the documents")
    p.add_argument("document", nargs="?", choices=["problem", "solution", "both"], default="both")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("cost", help="what a roster costs under each employment model, item by item")
    p.add_argument("problem")
    p.add_argument("solution")
    p.add_argument("--employment", default=None, metavar="MODELS",
                   help="models, comma-separated (default: zero_hours,guaranteed_hours,salaried_shifts,"
                   "ethical_care_charter)")
    p.add_argument("--json", action="store_true", help="print the itemised costs as JSON")
    p.set_defaults(func=cmd_cost)

    p = sub.add_parser("report", help="a readable per-carer timeline and KPI table")
    p.add_argument("solution")
    p.add_argument("--problem", help="the problem, for names and context")
    p.set_defaults(func=cmd_report)

    for name in PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name is None or not name.startswith(err.name):  # a missing dependency inside the plugin is a real error
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as err:
        print(f"carerota: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("\ncarerota: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
