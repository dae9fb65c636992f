"""Road-network benchmark (issue 3): loading, 2,000 x 2,000 matrices, engine vs networkx,
a 300-visit day on Rutland end to end.

    python benchmarks/geo_bench.py                # all parts, Markdown on stdout
    python benchmarks/geo_bench.py --json out.json

Each measurement runs in a fresh child process (so peak RSS is that step's own) with a
cold, private matrix cache. Needs the shared OSM extracts (CAREROTA_SHARED).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

AREAS = {"isle-of-man": "isle-of-man-2020-03-14.osm.pbf", "rutland": "rutland-2018-02.osm.pbf"}


def osm_path(area: str) -> Path:
    from optimiser.settings import shared_path

    path = shared_path("data", "osm", AREAS[area])
    if not path.is_file():
        sys.exit(f"{path} is absent: set CAREROTA_SHARED to the shared data folder")
    return path


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- parts (run in a child)


def part_load(area: str) -> dict:
    import pyrosm  # noqa: F401  (imports timed apart: a long-running service pays them once)

    from geo import load_network
    from geo.matrix import CompiledNetwork

    path = osm_path(area)
    out: dict = {"area": area}
    for mode in ("car", "walk", "bike"):
        started = time.perf_counter()
        graph = load_network(path, mode)
        loaded = time.perf_counter() - started
        net = CompiledNetwork.from_graph(graph)
        out[mode] = {
            "load_and_speeds_s": round(loaded, 3),
            "compile_s": round(time.perf_counter() - started - loaded, 3),
            "nodes": graph.number_of_nodes(),
            "edges": graph.number_of_edges(),
            "scc_nodes": len(net),
        }
    return out


def part_matrix(area: str, n: int = 2000) -> dict:
    import numpy as np

    from geo import GeoSettings, RoadTravelTimes, sample_street_points
    from optimiser.model import Location

    path = osm_path(area)
    rng = np.random.default_rng(2026)
    # homes near (not on) streets: up to ~40 m off, so snapping does real work
    points = {
        f"h{i}": Location(lat=p.lat + rng.normal(0, 2e-4), lon=p.lon + rng.normal(0, 3e-4))
        for i, p in enumerate(sample_street_points(path, n, rng))
    }
    settings = GeoSettings(cache_dir=tempfile.mkdtemp(prefix="geo-bench-"))  # cold, whoever runs it
    started = time.perf_counter()
    travel = RoadTravelTimes(points, source=path, modes=["car"], settings=settings)
    travel.compiled("car")  # load + speeds + compile, timed apart from the matrix
    loaded = time.perf_counter() - started
    rss_before = _rss_mb()
    tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    minutes, km = travel.matrices("car")
    matrix_s, matrix_cpu = time.perf_counter() - started, time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    started = time.perf_counter()
    again = RoadTravelTimes(points, source=path, modes=["car"], settings=settings)
    again.matrices("car")
    warm = time.perf_counter() - started
    gaps = travel.snap("car").meters
    return {
        "area": area,
        "points": n,
        "network_s": round(loaded, 3),
        "matrix_s": round(matrix_s, 3),
        "matrix_cpu_s": round(matrix_cpu, 3),
        "matrix_peak_alloc_mb": round(peak / 2**20, 1),
        "process_peak_rss_mb": round(_rss_mb(), 1),
        "rss_before_matrix_mb": round(rss_before, 1),
        "warm_cache_s": round(warm, 3),
        "asymmetric_pairs_share": round(float((np.abs(minutes - minutes.T) > 0.5).mean()), 3),
        "median_minutes": round(float(np.median(minutes)), 1),
        "median_km": round(float(np.median(km)), 2),
        "snap_gap_m_p50_p99_max": [round(float(x), 1) for x in np.percentile(gaps, [50, 99, 100])],
        "cache_hit_second_run": again.cache_hits.get("car"),
    }


def part_versus_networkx(area: str, n: int = 2000, sources: int = 200) -> dict:
    import networkx as nx
    import numpy as np

    from geo import load_network
    from geo.matrix import CompiledNetwork

    graph = load_network(osm_path(area), "car")
    net = CompiledNetwork.from_graph(graph)
    rng = np.random.default_rng(7)
    rows = rng.choice(len(net), size=min(n, len(net)), replace=False)
    src = rows[:sources]
    started = time.perf_counter()
    ours_s, _ = net.many_to_many(src, rows)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    theirs = np.empty_like(ours_s)
    ids = net.node_ids
    for a, s in enumerate(src):
        lengths = nx.single_source_dijkstra_path_length(graph, ids[s], weight="travel_time")
        theirs[a] = [lengths[ids[t]] for t in rows]
    nx_s = time.perf_counter() - started
    started = time.perf_counter()
    net.many_to_many(rows, rows)
    full = time.perf_counter() - started
    return {
        "area": area,
        "sources": len(src),
        "targets": len(rows),
        "ours_s": round(ours, 3),
        "networkx_s": round(nx_s, 3),
        "speedup": round(nx_s / ours, 1),
        "max_abs_diff_s": float(np.abs(ours_s - theirs).max()),
        "ours_full_2000x2000_nodes_s": round(full, 3),
        "note": "ours also sums km along each fastest path; networkx computes times only",
    }


def part_day(
    area: str = "rutland", visits: int = 300, carers: int = 40, time_limit: float = 30.0
) -> dict:
    from optimiser.engine import solve
    from optimiser.generator import GeneratorSettings, generate_day
    from optimiser.sources import travel_times
    from optimiser.validator import validate

    t0 = time.perf_counter()
    problem = generate_day(
        GeneratorSettings(visits=visits, carers=carers, osm_file=str(osm_path(area)))
    )
    t1 = time.perf_counter()
    travel = travel_times(problem)
    modes = sorted({c.travel_mode for c in problem.carers})
    for mode in modes:
        travel.matrices(mode)
    t2 = time.perf_counter()
    solution = solve(problem, time_limit=time_limit, travel=travel)
    t3 = time.perf_counter()
    report = validate(problem, solution, travel)
    t4 = time.perf_counter()
    placed = {s.visit for r in solution.routes for s in r.stops}
    return {
        "area": area,
        "visits": len(problem.visits),
        "carers": len(problem.carers),
        "modes": modes,
        "generate_s": round(t1 - t0, 2),
        "load_snap_matrices_s": round(t2 - t1, 2),
        "solve_s": round(t3 - t2, 2),
        "solver_time_limit_s": time_limit,
        "validate_s": round(t4 - t3, 2),
        "end_to_end_s": round(t4 - t0, 2),
        "status": solution.status,
        "visits_placed": len(placed),
        "unassigned": len(solution.unassigned),
        "violations": len(report.violations),
        "travel_km": round(sum(s.travel_km for r in solution.routes for s in r.stops), 1),
        "process_peak_rss_mb": round(_rss_mb(), 1),
    }


PARTS = {"load": part_load, "matrix": part_matrix, "versus": part_versus_networkx, "day": part_day}


# --------------------------------------------------------------------------- driver


def run_child(part: str, area: str, cache: str) -> dict:
    env = dict(os.environ, CAREROTA_CACHE=cache)
    done = subprocess.run(
        [sys.executable, __file__, "--child", part, "--area", area],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{part} {area} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def markdown(results: dict) -> str:
    lines = [
        f"Command: `python benchmarks/geo_bench.py` · date {results['date']} · commit `{results['commit']}` · "
        f"machine: 2 cores (shared with other jobs; load average at start {results['load_average']}) · "
        f"cold matrix cache per step. Data © OpenStreetMap contributors.",
        "",
        "**Load + speeds** (`geo.load_network`, pyrosm; then compile to CSR; target < 3 s)",
        "",
        "| area | mode | load + speeds s | compile s | nodes | edges | largest SCC nodes |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results["load"]:
        for mode in ("car", "walk", "bike"):
            m = r[mode]
            lines.append(
                f"| {r['area']} | {mode} | {m['load_and_speeds_s']} | {m['compile_s']} | {m['nodes']:,} | {m['edges']:,} | {m['scc_nodes']:,} |"
            )
    lines += [
        "",
        "**2,000 x 2,000 drive matrix** (`RoadTravelTimes.matrices('car')`: snap to nearest road + compiled "
        "many-to-many Dijkstra + km along the fastest paths; target < 5 s, < 1 GB)",
        "",
        "| area | network s | matrix s (CPU s) | matrix peak alloc MB | process peak RSS MB | warm (cache hit) s | pairs differing > 0.5 min by direction | median min / km | snap gap m p50/p99/max |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results["matrix"]:
        lines.append(
            f"| {r['area']} | {r['network_s']} | {r['matrix_s']} ({r['matrix_cpu_s']}) | {r['matrix_peak_alloc_mb']} | {r['process_peak_rss_mb']} | "
            f"{r['warm_cache_s']} | {r['asymmetric_pairs_share']:.0%} | {r['median_minutes']} / {r['median_km']} | "
            f"{'/'.join(str(x) for x in r['snap_gap_m_p50_p99_max'])} |"
        )
    lines += [
        "",
        "**Compiled engine vs networkx** (same graph, same node sets; networkx `single_source_dijkstra_path_length` per source)",
        "",
        "| area | sources x targets | ours s | networkx s | speed-up | max abs diff (s) | ours 2,000 x 2,000 s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results["versus"]:
        lines.append(
            f"| {r['area']} | {r['sources']} x {r['targets']} | {r['ours_s']} | {r['networkx_s']} | {r['speedup']}x | "
            f"{r['max_abs_diff_s']:.1e} | {r['ours_full_2000x2000_nodes_s']} |"
        )
    d = results["day"]
    lines += [
        "",
        f"**300-visit day on Rutland end to end** (`generate_day(GeneratorSettings(visits=300, carers=40, osm_file=rutland))`, "
        f"road travel for modes {', '.join(d['modes'])}, solver limit {d['solver_time_limit_s']:g} s; target < 60 s)",
        "",
        "| generate s | load+snap+matrices s | solve s | validate s | end to end s | status | placed / visits | unassigned | violations | peak RSS MB |",
        "|---:|---:|---:|---:|---:|---|---|---:|---:|---:|",
        f"| {d['generate_s']} | {d['load_snap_matrices_s']} | {d['solve_s']} | {d['validate_s']} | {d['end_to_end_s']} | {d['status']} | "
        f"{d['visits_placed']} / {d['visits']} | {d['unassigned']} | {d['violations']} | {d['process_peak_rss_mb']} |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=sorted(PARTS), help=argparse.SUPPRESS)
    parser.add_argument("--area", default="rutland", choices=sorted(AREAS))
    parser.add_argument("--json", help="also write the raw figures here")
    parser.add_argument("--day-time-limit", type=float, default=30.0)
    args = parser.parse_args(argv)
    if args.child:
        result = PARTS[args.child](args.area)
        print(json.dumps(result))
        return 0
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
        check=False,
    ).stdout.strip()
    results: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for part in ("load", "matrix", "versus"):
            results[part] = []
            for area in AREAS:
                results[part].append(run_child(part, area, tempfile.mkdtemp(dir=tmp)))
                print(f"{part} {area}: {results[part][-1]}", file=sys.stderr)
        results["day"] = run_child("day", "rutland", tempfile.mkdtemp(dir=tmp))
        print(f"day rutland: {results['day']}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
