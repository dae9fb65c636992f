"""The commute rules, side by side: this checkout's engine against another commit's.

    python -m benchmarks.commute --before f999613

The days are the embedded example and generated 300- and 1,000-visit days with walkers
and cyclists (``--walk-share``/``--bike-share``, 15 % each by default) for each
``--seeds``. Each day is written by the *other* commit's generator (so both engines read
the same document), then solved by both engines at once, each in its own process (one
core each: the machine has two), at the standard time limits. Both rosters are measured
by this checkout's validator and KPIs: commute minutes per carer who worked (median and
max) by travel mode, the longest commute leg, paid travel per visit, visits placed,
distinct carers per client, and the violations of the commute rules
(``commute``, ``between_shifts``) and of any other rule.

The other commit is checked out with ``git worktree`` beside this one (under the
system's temporary folder) and run from its own source tree; nothing is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from optimiser.io import read_problem, read_solution
from optimiser.validator import validate

ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT = {"example": 30.0, 300: 30.0, 1000: 60.0}
CARERS = {300: 40, 1000: 80}
COMMUTE_RULES = ("commute", "between_shifts")
MODES = ("walk", "bike", "car")

_GENERATE = """
import json, sys
from optimiser.generator import GeneratorSettings, example_problem, generate_day
size, seed, walk, bike, out = sys.argv[1:]
if size == "example":
    problem = example_problem()
else:
    problem = generate_day(GeneratorSettings(visits=int(size), carers={carers}[int(size)], seed=int(seed),
                                             walk_share=float(walk), bike_share=float(bike)))
open(out, "w").write(problem.model_dump_json(exclude_defaults=True))
"""

_SOLVE = """
import sys, optimiser
from optimiser.engine import solve
from optimiser.io import read_problem, write_json
problem, out, limit = sys.argv[1:]
assert optimiser.__file__.startswith(sys.path[0]), optimiser.__file__
write_json(solve(read_problem(problem), time_limit=float(limit), seed=0), out)
"""


def checkout(rev: str) -> Path:
    """A worktree of ``rev`` beside this one (made once, reused)."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True,
                         capture_output=True, text=True).stdout.strip()
    where = Path(tempfile.gettempdir()) / f"carerota-{sha}"
    if not where.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), sha],
                       check=True, capture_output=True)
    return where


def _python(tree: Path, code: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=tree, env=env)


def measure(problem_file: Path, solution_file: Path) -> dict[str, Any]:
    """The figures of one roster, by this checkout's validator and KPIs."""
    report = validate(read_problem(problem_file), read_solution(solution_file))  # the roster read once
    broken = Counter(v.rule for v in report.violations)
    k = report.kpis
    return {
        "placed": k["visits_scheduled"],
        "visits": k["visits_total"],
        "paid_travel_per_visit": k["travel_minutes"] / max(1, k["visits_scheduled"]),
        "distinct_carers": k["distinct_carers_per_client_mean"],
        "commute": k["commute_by_mode"],
        "commute_violations": sum(broken[r] for r in COMMUTE_RULES),
        "other_violations": sum(n for r, n in broken.items() if r not in COMMUTE_RULES),
    }


def run(before: str, sizes: list[str], seeds: list[int], walk: float, bike: float, scale: float,
        folder: Path) -> list[dict[str, Any]]:
    """Generate, solve with both engines, measure; one row per day."""
    old = checkout(before)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    days = [("example", 0)] if "example" in sizes else []
    days += [(int(s), seed) for s in sizes if s != "example" for seed in seeds]
    generate = _GENERATE.replace("{carers}", repr(CARERS))
    for size, seed in days:
        name = "example" if size == "example" else f"day{size}-seed{seed}"
        problem = folder / f"{name}.json"
        if _python(old, generate, str(size), str(seed), str(walk), str(bike), str(problem)).wait():
            raise SystemExit(f"{name}: generating with {before} failed")
        limit = TIME_LIMIT[size] * scale
        outputs = {"before": folder / f"{name}.before.json", "now": folder / f"{name}.now.json"}
        solvers = [_python(old, _SOLVE, str(problem), str(outputs["before"]), str(limit)),
                   _python(ROOT, _SOLVE, str(problem), str(outputs["now"]), str(limit))]
        if any(p.wait() for p in solvers):
            raise SystemExit(f"{name}: a solve failed")
        row = {"day": name, "time_limit": limit}
        row.update({which: measure(problem, out) for which, out in outputs.items()})
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def _fmt(x: float | None, spec: str = ".0f") -> str:
    return "-" if x is None else format(x, spec)


def table(rows: list[dict[str, Any]], before: str) -> str:
    """Markdown: one line per day and engine."""
    head = ("| day | engine | placed | paid travel min/visit | distinct carers/client | "
            "commute min per carer, median / max (walk; bike; car) | "
            "commute leg min, median / longest (walk; bike; car) | commute-rule violations | other violations |")
    lines = [head, "|" + "---|" * 9]
    for row in rows:
        for which in ("before", "now"):
            m = row[which]
            per_carer = "; ".join(_pair(m["commute"].get(mode), "median_minutes", "max_minutes") for mode in MODES)
            per_leg = "; ".join(_pair(m["commute"].get(mode), "median_leg_minutes", "longest_leg_minutes")
                                for mode in MODES)
            lines.append(
                f"| {row['day']} | {before if which == 'before' else 'this commit'} | {m['placed']}/{m['visits']} | "
                f"{m['paid_travel_per_visit']:.2f} | {_fmt(m['distinct_carers'], '.2f')} | {per_carer} | {per_leg} | "
                f"{m['commute_violations']} | {m['other_violations']} |"
            )
    return "\n".join(lines)


def _pair(commute: dict[str, Any] | None, a: str, b: str) -> str:
    return "-" if commute is None else f"{_fmt(commute[a])} / {_fmt(commute[b])}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="the commit to compare with (e.g. the one before a change)")
    ap.add_argument("--sizes", default="example,300,1000", help="example and/or visit counts (300, 1000)")
    ap.add_argument("--seeds", default="1,2", help="generator seeds for the generated days")
    ap.add_argument("--walk-share", type=float, default=0.15)
    ap.add_argument("--bike-share", type=float, default=0.15)
    ap.add_argument("--time-scale", type=float, default=1.0, help="multiply the standard time limits")
    ap.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "carerota-commute"))
    args = ap.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for s in sizes:
        if s != "example" and (not s.isdigit() or int(s) not in CARERS):
            ap.error(f"--sizes: {s!r} is not 'example' or one of {sorted(CARERS)}")
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = run(args.before, sizes, seeds, args.walk_share, args.bike_share, args.time_scale, Path(args.out))
    print(table(rows, args.before))


if __name__ == "__main__":
    main()
