"""``carerota network fetch|info|matrix`` and ``carerota geojson``."""

from __future__ import annotations

import argparse
import csv
import json
import time
from datetime import date
from pathlib import Path

from optimiser.io import InputError, read_problem, read_solution, write_json
from optimiser.model import TRAVEL_MODES, Location, TravelMatrix

from .export import ATTRIBUTION


def register(subparsers: argparse._SubParsersAction) -> None:
    net = subparsers.add_parser("network", help="road networks from OpenStreetMap (fetch, info, matrix)")
    sub = net.add_subparsers(dest="network_command", required=True)

    p = sub.add_parser("fetch", help="download a network with osmnx (needs internet) and save it as GraphML")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--place", help='a place name, e.g. "Rutland, England"')
    where.add_argument("--bbox", help="W,S,E,N in degrees; write --bbox=-0.82,52.52,-0.43,52.76 when W is negative")
    p.add_argument("--mode", choices=TRAVEL_MODES, default="car")
    p.add_argument("-o", "--output", required=True, help="the .graphml file to write")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("info", help="size, extent and connectivity of a network file")
    p.add_argument("file", help=".osm.pbf, .osm, .osm.xml or .graphml")
    p.add_argument("--mode", choices=TRAVEL_MODES, default="car")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("matrix", help="travel minutes and km between points (a travel.matrix document)")
    p.add_argument("file", help=".osm.pbf, .osm, .osm.xml or .graphml")
    p.add_argument("--points", required=True, help="CSV with id,lat,lon columns, or JSON [{id,lat,lon}, ...]")
    p.add_argument("--mode", default="car", help="one mode or several, comma-separated (car,walk,bike)")
    p.add_argument("-o", "--output", required=True, help="the matrix JSON to write")
    p.set_defaults(func=cmd_matrix)

    p = subparsers.add_parser("geojson", help="export a roster as GeoJSON (routes follow the roads)")
    p.add_argument("problem")
    p.add_argument("solution")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--day", type=_iso_day, default=None, metavar="YYYY-MM-DD",
                   help="only that calendar day's routes and visits (a roster of several days)")
    p.set_defaults(func=cmd_geojson)


def cmd_fetch(args: argparse.Namespace) -> int:
    import osmnx as ox

    from .fetch import fetch_network

    bbox = tuple(_numbers(args.bbox, "--bbox", 4)) if args.bbox else None
    graph = fetch_network(place=args.place, bbox=bbox, mode=args.mode)
    ox.save_graphml(graph, args.output)
    print(f"{graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges ({args.mode}) -> {args.output}")
    print(f"Data {ATTRIBUTION} (ODbL)")
    return 0


def network_info(file: str | Path, mode: str = "car") -> dict:
    """Nodes, edges, km of road, bbox (W, S, E, N) and the largest strongly connected share."""
    from .load import load_network
    from .matrix import CompiledNetwork
    from .snap import EdgeIndex

    started = time.perf_counter()
    graph = load_network(file, mode)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    net = CompiledNetwork.from_graph(graph)
    roads = EdgeIndex(graph, net)
    xs = [d["x"] for _, d in graph.nodes(data=True)]
    ys = [d["y"] for _, d in graph.nodes(data=True)]
    return {
        "file": str(file),
        "mode": mode,
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "road_km": round(float(roads.length.sum()) / 1000, 1),
        "bbox": [round(min(xs), 6), round(min(ys), 6), round(max(xs), 6), round(max(ys), 6)],
        "largest_scc_nodes": len(net),
        "largest_scc_share": round(net.share, 4),
        "load_seconds": round(seconds, 2),
        "attribution": ATTRIBUTION,
    }


def cmd_info(args: argparse.Namespace) -> int:
    info = network_info(args.file, args.mode)
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    w, s, e, n = info["bbox"]
    print(f"{info['file']} ({info['mode']}): {info['nodes']:,} nodes, {info['edges']:,} edges, {info['road_km']:,} km of road")
    print(f"bbox W,S,E,N: {w},{s},{e},{n}")
    print(f"largest strongly connected component: {info['largest_scc_nodes']:,} nodes ({info['largest_scc_share']:.1%})")
    print(f"loaded in {info['load_seconds']} s; data {ATTRIBUTION}")
    return 0


def read_points(path: str | Path) -> dict[str, Location]:
    """Points from CSV (``id,lat,lon`` header) or JSON (a list of ``{id, lat, lon}`` or ``{id: {lat, lon}}``)."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as err:
        raise InputError(f"cannot read {p}: {err.strerror}") from None
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(text)
            rows = [{"id": k, **v} for k, v in data.items()] if isinstance(data, dict) else data
        else:
            rows = list(csv.DictReader(text.splitlines()))
        points: dict[str, Location] = {}
        for n, row in enumerate(rows, start=1):
            pid = str(row["id"]).strip()
            if pid in points:
                raise InputError(f"{p}: point {n} repeats id {pid!r}")
            points[pid] = Location(lat=float(row["lat"]), lon=float(row["lon"]))
    except InputError:
        raise
    except (KeyError, ValueError, TypeError, AttributeError) as err:
        raise InputError(f"{p}: points need id, lat and lon ({type(err).__name__}: {err})") from None
    if not points:
        raise InputError(f"{p}: no points")
    return points


def cmd_matrix(args: argparse.Namespace) -> int:
    from .travel import RoadTravelTimes

    modes = [m.strip() for m in args.mode.split(",") if m.strip()]
    bad = [m for m in modes if m not in TRAVEL_MODES]
    if bad or not modes:
        raise InputError(f"--mode: {bad or args.mode!r} is not among {', '.join(TRAVEL_MODES)}")
    points = read_points(args.points)
    travel = RoadTravelTimes(points, source=args.file, modes=modes)  # type: ignore[arg-type]
    started = time.perf_counter()
    minutes, km = {}, {}
    for mode in modes:
        m, k = travel.matrices(mode)  # type: ignore[arg-type]
        minutes[mode], km[mode] = m.round(4).tolist(), k.round(5).tolist()
    matrix = TravelMatrix(points=travel.points, minutes=minutes, km=km)
    write_json(matrix, args.output)
    worst = max(max(travel.snap_meters(m).values()) for m in modes)  # type: ignore[arg-type]
    print(
        f"{len(points)} x {len(points)} ({', '.join(modes)}) in {time.perf_counter() - started:.2f} s, "
        f"farthest home from a road {worst:,.0f} m -> {args.output}"
    )
    print(f"Travel times derived from data {ATTRIBUTION} (ODbL)")
    return 0


def cmd_geojson(args: argparse.Namespace) -> int:
    from optimiser.sources import travel_times

    from .export import for_day, solution_geojson

    problem, solution = read_problem(args.problem), read_solution(args.solution)
    if solution.problem_id != problem.id:
        raise InputError(f"{args.solution} is a roster for problem {solution.problem_id!r}, not {problem.id!r}")
    unknown = {s.visit for r in solution.routes for s in r.stops} - {v.id for v in problem.visits}
    unknown |= {r.carer for r in solution.routes} - {c.id for c in problem.carers}
    if unknown:
        raise InputError(f"{args.solution} names visits/carers not in the problem: {sorted(unknown)[:5]}")
    doc = solution_geojson(problem, solution, travel_times(problem))
    if args.day is not None:
        try:
            doc = for_day(doc, args.day)
        except ValueError as e:
            raise InputError(f"--day: {e}") from None
    write_json(doc, args.output)
    kinds = [f["properties"]["kind"] for f in doc["features"]]
    print(f"{kinds.count('route')} route lines, {kinds.count('visit')} visits, {kinds.count('unassigned')} unassigned -> {args.output}")
    return 0


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _numbers(text: str, name: str, count: int) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"{name}: {text!r} is not {count} comma-separated numbers") from None
    if len(values) != count:
        raise InputError(f"{name}: expected {count} numbers, got {len(values)}")
    return values
