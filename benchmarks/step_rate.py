"""How fast the construction's search runs: insertions per second on Solomon instances.

    python -m benchmarks.step_rate R104,R211,RC105 --seconds 10

Each instance is solved with ``GREEDY_INSERTION+LNS`` (the fleet phase, then the
ruin-and-recreate: only the construction's own code runs) for ``--seconds``, counting
visits handed to :meth:`optimiser.construct.Construction.insert` (one by one) or to
:meth:`~optimiser.construct.Construction.insert_regret` (the LNS's re-insertion since ff24da6;
a checkout before it counts ``insert`` calls only, which then covered every insertion);
every roster is validated (outside the timing). The rate moves with the machine's load, so compare two engines by running this
from both checkouts side by side and reading the ratio. Needs the shared Solomon instances (CAREROTA_SHARED).
"""

from __future__ import annotations

import argparse
import time


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
        elapsed = time.monotonic() - begin
    finally:
        Construction.insert, Construction.insert_regret = insert, insert_regret
    return calls[0] / elapsed, len(solution.routes), len(validate(problem, solution).violations)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.step_rate", description=__doc__.split("\n")[0])
    p.add_argument("instances", help="comma-separated Solomon names, e.g. R104,R211")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    print("| instance | insertions/s | routes | violations |\n|---|---:|---:|---:|")
    for name in args.instances.split(","):
        rate, routes, violations = insertion_rate(name.strip(), args.seconds, args.seed)
        print(f"| {name.upper()} | {rate:,.0f} | {routes} | {violations} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
