"""``carerota bench``: run a benchmark suite, write JSON results, a report and plots."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

from optimiser.io import InputError

EXIT_OK, EXIT_FAIL = 0, 1
RUNS = Path(__file__).resolve().parent / "runs"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "bench",
        help="run the benchmark suite (literature sets, peers, a generated day) and report",
        description="Solvers run one at a time on the same instance with the same budget; "
        "results are scored independently from the original instance data.",
    )
    p.add_argument("--suite", choices=["ci", "full"], default="ci")
    p.add_argument(
        "--time-limit", type=float, default=None, help="seconds per run (default: per family)"
    )
    p.add_argument(
        "--only", default=None, help="comma-separated globs on family, instance or family/instance"
    )
    p.add_argument(
        "--shared",
        default=None,
        help="the shared data folder (default: CAREROTA_SHARED or ../shared)",
    )
    p.add_argument(
        "--out", default=None, help="run folder (default: benchmarks/runs/<date>-<suite>)"
    )
    p.add_argument("--no-peers", action="store_true", help="carerota only")
    p.add_argument(
        "--peer-subset", action="store_true", help="peers only on the 8 baseline Solomon instances"
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--baseline", default=None, help="baseline JSON (default: benchmarks/baseline.json)"
    )
    p.add_argument("--write-baseline", action="store_true", help="write the baseline from this run")
    p.add_argument("--no-check", action="store_true", help="do not compare with the baseline")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from . import regression, report
    from .runner import machine, run_cases, save_run
    from .suites import build_suite

    if args.time_limit is not None and args.time_limit <= 0:
        raise InputError(f"--time-limit must be positive, got {args.time_limit}")
    if args.shared:
        if not Path(args.shared).is_dir():
            raise InputError(f"--shared: {args.shared} is not a folder")
        os.environ["CAREROTA_SHARED"] = str(Path(args.shared).resolve())
    peers = "none" if args.no_peers else ("subset" if args.peer_subset else "all")
    cases, notes = build_suite(args.suite, time_limit=args.time_limit, peers=peers, only=args.only)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else RUNS / f"{stamp}-{args.suite}"
    out.mkdir(parents=True, exist_ok=True)
    import optimiser.engine  # noqa: F401  (load the engine once: one version for the whole run)

    argv = sys.argv[1:]
    if "bench" not in argv:
        argv = ["bench", *argv]
    meta = machine() | {"suite": args.suite, "command": "carerota " + shlex.join(argv)}
    for n in notes:
        print(f"note: {n}")
    print(f"{len(cases)} instance(s); results in {out}")
    records = run_cases(
        cases, out, seed=args.seed, with_peers=not args.no_peers, log=lambda s: print(s, flush=True)
    )
    save_run(records, meta, out)
    baseline_path = Path(args.baseline) if args.baseline else regression.BASELINE
    failures = None
    if not args.no_check and not args.write_baseline:
        failures = regression.check(records, regression.load_baseline(baseline_path))
    text = report.render(records, meta, notes, failures)
    (out / "report.md").write_text(text)
    for path in report.plots(records, out / "plots"):
        print(f"plot: {path}")
    print()
    print(report.family_table(records))
    print(f"\nreport: {out / 'report.md'}")
    if args.write_baseline:
        baseline_path.write_text(
            json.dumps(regression.make_baseline(records, meta), indent=1) + "\n"
        )
        print(f"baseline written to {baseline_path}")
    if failures:
        print(f"\nREGRESSION CHECK FAILED ({len(failures)}):")
        for f in failures:
            print(f"  {f}")
        return EXIT_FAIL
    if failures is not None:
        print(
            "regression check passed"
            if regression.load_baseline(baseline_path)
            else "no baseline: only feasibility checked"
        )
    return EXIT_OK
