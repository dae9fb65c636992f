"""How fast the search runs: insertions per second on Solomon, search steps per second on home care.

    python -m benchmarks.step_rate R104,R211,RC105 --seconds 10
    python -m benchmarks.step_rate --day 1000 --mankowska F1 --kummer HHCRSP_200_40_7_1.2_R_C \\
        --seconds 20 --strategy GREEDY_INSERTION+LNS,GREEDY_INSERTION

**Solomon** (positional instance names): each instance is solved with
``GREEDY_INSERTION+LNS`` (the fleet phase, then the ruin-and-recreate: only the
construction's own code runs) for ``--seconds``, counting visits handed to
:meth:`optimiser.construct.Construction.insert` (one by one) or to
:meth:`~optimiser.construct.Construction.insert_regret` (the LNS's re-insertion since ff24da6;
a checkout before it counts ``insert`` calls only, which then covered every insertion).

**Home care** (``--day N``, ``--mankowska ID``, ``--kummer NAME``, any of them): a
generated day of N visits with every rule (:func:`optimiser.generator.generate_day`,
seed ``--seed``, the standard carers for its size: :func:`benchmarks.days.carers_for`,
80 for 1,000 visits), a Mankowska instance (literature id such as ``F1``, or the file's
name) and a Kummer instance (the file's name without ``.json.gz``; a unique prefix will
do), both read by :mod:`benchmarks.readers` from the shared data
(``$CAREROTA_SHARED/data/benchmarks/hhc``) and scaled as the benchmark runner scales
them. Each is solved once per ``--strategy`` (comma-separated; default
``GREEDY_INSERTION+LNS,GREEDY_INSERTION``: the Python LNS and the compiled search), one
after the other, and the table puts the strategies of an instance on adjacent lines: the
strategy that actually ran (``GREEDY_INSERTION`` picks one), **search steps per second**
= ``solution.statistics.steps`` (the ruin-and-recreate steps the engine reports) divided
by the search's time, i.e. the wall time spent in that search
(:func:`optimiser.lns.improve` or :func:`optimiser.search.improve`; the construction, the
fleet phase, an OR-Tools phase after it and the compiled loops' compilation, done by
:func:`optimiser.engine.warm_up` before the solve's clock starts, are not counted), visits
placed, and the roster's violations. A strategy without ruin-and-recreate (``GREEDY_INSERTION+GLS``) shows no rate.

Every roster, in either mode, is validated (outside the timing). The rates move with
the machine's load, so compare two engines by running this from both checkouts side by
side and reading the ratio. Needs the shared benchmark data (CAREROTA_SHARED) except
for ``--day``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from optimiser.model import Problem

DEFAULT_STRATEGY = "GREEDY_INSERTION+LNS"


def insertion_rate(name: str, seconds: float, seed: int = 1) -> tuple[float, int, int]:
    """Insertions per second, routes used and validator violations on Solomon instance ``name``."""
    from optimiser.construct import Construction
    from optimiser.engine import solve
    from optimiser.validator import validate

    from .readers import solomon

    files = {p.stem.upper(): p for p in solomon.solomon_files()}
    if name.upper() not in files:
        raise SystemExit(f"unknown Solomon instance {name!r}")
    problem = solomon.to_problem(solomon.read(files[name.upper()]), time_limit=seconds)
    calls = [0]
    insert, insert_regret = Construction.insert, Construction.insert_regret

    def counted(self, vi: int) -> bool:
        calls[0] += 1
        return insert(self, vi)

    def counted_regret(self, visits: list[int]) -> None:
        calls[0] += len(visits)
        insert_regret(self, visits)

    Construction.insert, Construction.insert_regret = counted, counted_regret
    try:
        begin = time.monotonic()
        solution = solve(problem, time_limit=seconds, seed=seed, first_solution="GREEDY_INSERTION+LNS")
        # the compiled loops' first compile (engine.warm_up, before the solve's clock) is not search time
        elapsed = time.monotonic() - begin - solution.statistics.compile_seconds
    finally:
        Construction.insert, Construction.insert_regret = insert, insert_regret
    return calls[0] / elapsed, len(solution.routes), len(validate(problem, solution).violations)


# --------------------------------------------------------------------------- home care


def generated_day(visits: int, seed: int = 1) -> Problem:
    """The generated day of ``visits`` visits with the standard carers for its size."""
    from optimiser.generator import GeneratorSettings, generate_day

    from .days import carers_for

    return generate_day(GeneratorSettings(visits=visits, carers=carers_for(visits), seed=seed))


def mankowska_problem(name: str, seconds: float) -> tuple[str, Problem]:
    """``(literature id, problem)`` of the Mankowska instance ``name`` (``F1`` or its file name)."""
    from .readers import hhc, mankowska
    from .runner import HHC_SCALE

    for path in mankowska.files():
        stem = path.name.split(".")[0]
        lit = mankowska.literature_id(stem)
        if name.upper() == lit.upper() or name.lower() == stem.lower():
            return lit, hhc.to_problem(mankowska.read(path), scale=HHC_SCALE["mankowska"], time_limit=seconds)
    raise SystemExit(f"unknown Mankowska instance {name!r} (use a literature id such as F1, or a file name)")


def kummer_problem(name: str, seconds: float) -> tuple[str, Problem]:
    """``(instance name, problem)`` of the Kummer instance ``name`` (file name or a unique prefix)."""
    from .readers import hhc, kummer
    from .runner import HHC_SCALE

    stems = {p.name.split(".json")[0]: p for p in kummer.files()}
    key = name.split(".json")[0]
    found = [s for s in stems if s.lower() == key.lower()] or [s for s in stems if s.lower().startswith(key.lower())]
    if len(found) != 1:
        why = "matches none" if not found else f"matches {len(found)} ({', '.join(sorted(found)[:3])} ...)"
        raise SystemExit(f"Kummer instance {name!r} {why}; give a name from {kummer.files()[0].parent}")
    stem = found[0]
    return stem, hhc.to_problem(kummer.read(stems[stem]), scale=HHC_SCALE["kummer"], time_limit=seconds)


@contextmanager
def _timed_search() -> Iterator[list[float]]:
    """Within the block, the wall seconds spent in the ruin-and-recreate searches
    (:func:`optimiser.lns.improve`, :func:`optimiser.search.improve`) add up in the yielded list's one item."""
    from optimiser import lns, search

    spent = [0.0]
    originals = {lns: lns.improve, search: search.improve}

    def timed(fn: Callable[..., int]) -> Callable[..., int]:
        def run(*args: Any, **kwargs: Any) -> int:
            begin = time.monotonic()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.monotonic() - begin

        return run

    for module, fn in originals.items():
        module.improve = timed(fn)
    try:
        yield spent
    finally:
        for module, fn in originals.items():
            module.improve = fn


def step_rate(problem: Problem, seconds: float, strategy: str = DEFAULT_STRATEGY, seed: int = 1) -> dict[str, Any]:
    """Search steps per second of one solve of ``problem``, and its roster's figures.

    Parameters
    ----------
    problem
        Any problem (a generated day, a benchmark instance).
    seconds
        The solve's time limit.
    strategy
        ``first_solution`` of :func:`optimiser.engine.solve`.
    seed
        The solve's seed.

    Returns
    -------
    dict
        ``strategy`` (asked), ``ran`` (what the engine reports it ran), ``steps``
        (``statistics.steps``), ``search_seconds`` (wall time in the ruin-and-recreate),
        ``steps_per_second`` (None when no search ran), ``placed``, ``visits``,
        ``violations`` (validator, counted outside the timing), ``seconds`` (the whole solve).
    """
    from optimiser.engine import solve
    from optimiser.validator import check

    with _timed_search() as spent:
        begin = time.monotonic()
        solution = solve(problem, time_limit=seconds, seed=seed, first_solution=strategy)
        wall = time.monotonic() - begin
    steps, search = solution.statistics.steps, spent[0]
    return {
        "strategy": strategy,
        "ran": solution.statistics.strategy,
        "steps": steps,
        "search_seconds": search,
        "steps_per_second": steps / search if steps and search > 0 else None,
        "placed": len(problem.visits) - len(solution.unassigned),
        "visits": len(problem.visits),
        "violations": len(check(problem, solution)),
        "seconds": wall,
    }


def home_care_table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    """Markdown: one line per instance and strategy (the strategies of an instance adjacent)."""
    lines = ["| instance | strategy | ran | steps | search s | steps/s | placed | violations |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for name, r in rows:
        rate = "–" if r["steps_per_second"] is None else f"{r['steps_per_second']:,.0f}"
        lines.append(
            f"| {name} | {r['strategy']} | {r['ran']} | {r['steps']:,} | {r['search_seconds']:.1f} | {rate} | "
            f"{r['placed']}/{r['visits']} | {r['violations']} |"
        )
    return "\n".join(lines)


def _home_care_instances(args: argparse.Namespace) -> Iterator[tuple[str, Problem]]:
    if args.day is not None:
        problem = generated_day(args.day, args.seed)
        yield f"day{args.day}x{len(problem.carers)}-s{args.seed}", problem
    if args.mankowska is not None:
        lit, problem = mankowska_problem(args.mankowska, args.seconds)
        yield f"Mankowska {lit}", problem
    if args.kummer is not None:
        stem, problem = kummer_problem(args.kummer, args.seconds)
        yield f"Kummer {stem}", problem


def main(argv: list[str] | None = None) -> int:
    """Print the Solomon table and/or the home-care table."""
    from optimiser.engine import strategies

    p = argparse.ArgumentParser(prog="python -m benchmarks.step_rate", description=__doc__.split("\n")[0])
    p.add_argument("instances", nargs="?", default=None, help="comma-separated Solomon names, e.g. R104,R211")
    p.add_argument("--day", type=int, default=None, help="a generated home-care day of this many visits")
    p.add_argument("--mankowska", default=None, help="a Mankowska instance: literature id (F1) or file name")
    p.add_argument("--kummer", default=None, help="a Kummer instance: file name without .json.gz, or a unique prefix")
    p.add_argument("--strategy", default=f"{DEFAULT_STRATEGY},GREEDY_INSERTION",
                   help="comma-separated strategies for the home-care instances, side by side (default: the Python "
                        f"LNS, {DEFAULT_STRATEGY}, and the default search, GREEDY_INSERTION)")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    home_care = any(x is not None for x in (args.day, args.mankowska, args.kummer))
    if args.instances is None and not home_care:
        p.error("name Solomon instances, or give --day, --mankowska and/or --kummer")
    if args.day is not None and args.day < 1:
        p.error("--day: give a positive number of visits")
    chosen = [s.strip() for s in args.strategy.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in strategies()]
    if unknown or not chosen:
        p.error(f"--strategy: unknown {unknown or args.strategy!r}; use one of {', '.join(strategies()[:4])} ...")
    if args.instances is not None:
        print("| instance | insertions/s | routes | violations |\n|---|---:|---:|---:|")
        for name in args.instances.split(","):
            rate, routes, violations = insertion_rate(name.strip(), args.seconds, args.seed)
            print(f"| {name.upper()} | {rate:,.0f} | {routes} | {violations} |", flush=True)
    if home_care:
        rows = []
        for name, problem in _home_care_instances(args):
            for strategy in chosen:
                rows.append((name, step_rate(problem, args.seconds, strategy, args.seed)))
        print(home_care_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

