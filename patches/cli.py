"""``carerota patches demand|design|suggest|evaluate|compare``: the commissioner's commands."""

from __future__ import annotations

import argparse
import csv
import json
import shlex
import sys
import time
from pathlib import Path

from optimiser.io import InputError, write_json

EXIT_OK = 0


def _progress(stream=None):
    stream = stream or sys.stderr  # looked up per call: tests swap sys.stderr
    tty = stream.isatty()

    def show(done: int, total: int, elapsed: float, label: str) -> None:
        line = f"patches {done}/{total} done, {elapsed:6.1f} s elapsed (last: {label})"
        stream.write(("\r" + line) if tty else line + "\n")
        if tty and done == total:
            stream.write("\n")
        stream.flush()

    return show


def _places(args):
    from .demand import settlements

    return settlements(args.osm) if getattr(args, "osm", None) else None


def _check_osm(args) -> None:
    if getattr(args, "osm", None) and not Path(args.osm).is_file():
        raise InputError(f"--osm: no such file {args.osm}")


def cmd_demand(args: argparse.Namespace) -> int:
    from .demand import demand_geojson, synthetic_demand

    _check_osm(args)
    demand = synthetic_demand(args.osm, args.clients, seed=args.seed, ageing=args.ageing)
    write_json(demand_geojson(demand), args.output)
    urban = sum(c.setting == "urban" for c in demand.clients)
    print(
        f"{len(demand.clients)} clients ({urban} urban, {len(demand.clients) - urban} rural), "
        f"{demand.weekly_hours():,.1f} carer-hours a week, busiest day {demand.busiest_day()} -> {args.output}"
    )
    return EXIT_OK


def cmd_design(args: argparse.Namespace) -> int:
    from .designs import (
        Design,
        Patch,
        area_polygon,
        design_geojson,
        nearest_town_groups,
        settlement_design,
    )

    _check_osm(args)
    places = _places(args)
    if not places:
        raise InputError(f"{args.osm}: no settlements found")
    area = area_polygon([(s.lat, s.lon) for s in places], buffer_km=args.buffer_km)
    if args.towns:
        towns = [t.strip() for t in args.towns.split(",") if t.strip()]
        design = settlement_design(places, nearest_town_groups(places, towns), name=args.name or "by-town", area=area)
    elif args.groups:
        groups = json.loads(Path(args.groups).read_text())
        design = settlement_design(places, groups.get("groups", groups), name=args.name or Path(args.groups).stem, area=area)
    else:
        design = Design(args.name or "one-patch", [Patch(args.name or "whole area", area)])
    write_json(design_geojson(design), args.output)
    print(f"design {design.name!r}: {len(design.patches)} patch(es) {design.names()} -> {args.output}")
    return EXIT_OK


def _demand(args, places):
    from .demand import load_demand

    return load_demand(args.demand, places)


def _suggest(args, demand, places, k):
    from .designs import area_polygon
    from .suggest import suggest_design

    lo, _, hi = args.k_range.partition("-")
    area = None
    if places:
        area = area_polygon([(s.lat, s.lon) for s in places] + [(c.lat, c.lon) for c in demand.clients], buffer_km=args.buffer_km)
    return suggest_design(
        demand, k=k, k_range=(int(lo), int(hi or lo)), osm_file=args.osm, area=area,
        balance_tolerance=args.balance, seed=args.seed,
    )


def cmd_suggest(args: argparse.Namespace) -> int:
    from .designs import design_geojson

    _check_osm(args)
    places = _places(args)
    demand = _demand(args, places)
    s = _suggest(args, demand, places, args.k)
    write_json(design_geojson(s.design), args.output)
    print(f"suggested k={s.k}: " + ", ".join(f"{n} {h:,.1f} h/week" for n, h in s.hours.items()))
    print(f"imbalance {s.imbalance:.1%}, all connected: {all(s.connected.values())}, tried {s.tried}")
    print(f"design -> {args.output}")
    return EXIT_OK


def _employment(text: str | None) -> dict:
    """``--employment zero_hours,ethical_care_charter`` as the settings' field (absent: the default)."""
    from optimiser.employment import employment_model

    if text is None:
        return {}
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InputError("--employment: give one or more model names, comma-separated")
    try:
        return {"employment": [employment_model(n) for n in names]}
    except InputError as err:
        raise InputError(f"--employment: {err}") from err


def _settings(args):
    from pydantic import ValidationError

    from optimiser.errors import describe_validation_error
    from optimiser.model import Policy

    from .evaluate import EvaluationSettings

    try:
        policy = Policy() if args.fee is None else Policy(fee_per_hour=args.fee)
        return EvaluationSettings(
            day=args.day, window_minutes=args.window, carers=args.carers, time_limit=args.time_limit,
            probe_time_limit=args.probe_time_limit, max_probes=args.max_probes, search_carers=not args.no_search,
            seed=args.seed, osm_file=args.osm, policy=policy, travel_mode=args.mode, **_employment(args.employment),
        )
    except ValidationError as err:  # an option out of range: name the field, never a traceback
        raise InputError(f"settings: {describe_validation_error(err)}") from err


def _supply(path: str | None):
    if path is None:
        return None
    from pydantic import ValidationError

    from .evaluate import CarerHome, Supply

    try:
        with open(path, newline="") as fh:
            return Supply(carers=[CarerHome(**{k: v for k, v in row.items() if v not in (None, "")}) for row in csv.DictReader(fh)])
    except (OSError, ValidationError, TypeError) as err:
        raise InputError(f"--supply {path}: {err}") from err


def _run(args, design_paths: list[str], suggest_k: str | None) -> int:
    from .designs import load_design
    from .evaluate import evaluate_designs
    from .report import write_report

    _check_osm(args)
    started = time.monotonic()
    places = _places(args)
    demand = _demand(args, places)
    designs = [load_design(p, places=places) for p in design_paths]
    suggestion = None
    if suggest_k is not None:
        suggestion = _suggest(args, demand, places, None if suggest_k == "auto" else int(suggest_k))
        designs.append(suggestion.design)
        print(f"suggested design {suggestion.design.name!r}: k={suggestion.k}, imbalance {suggestion.imbalance:.1%}", file=sys.stderr)
    if not designs:
        raise InputError("give at least one --design (or --suggest)")
    settings = _settings(args)
    results = evaluate_designs(designs, demand, settings, _supply(args.supply), workers=args.workers, progress=_progress())
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for d in designs:
        if d.source == "patches.suggest":
            from .designs import design_geojson

            write_json(design_geojson(d), out / f"{d.name}.geojson")
    write_json({"results": [r.model_dump(mode="json") for r in results]}, out / "results.json")
    elapsed = time.monotonic() - started
    paths = write_report(
        results, demand, out, settings=settings, places=places, suggestion=suggestion,
        command="carerota " + shlex.join(sys.argv[1:]), elapsed_seconds=elapsed, maps=not args.no_maps,
    )
    for r in results:
        t = r.totals
        print(
            f"{r.design}: {len(r.patches)} patches, {t.hours_delivered:.1f}/{t.hours_demanded:.1f} h delivered, "
            f"{t.hours_undeliverable:.1f} h undeliverable, carers needed {t.carers_needed}, travel "
            f"{(t.travel_share or 0):.1%}, £{(t.cost_per_contact_hour or 0):.2f}/contact h, outside {len(r.outside_clients)}"
        )
        if t.employment:
            print("  per contact hour by employment model: " + ", ".join(
                f"{name} £{(e.cost_per_contact_hour or 0):.2f}" for name, e in t.employment.items()))
    print(f"report -> {paths['report.md']} (+ html, maps, CSV) in {elapsed:.0f} s")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    return _run(args, [args.design], None)


def cmd_compare(args: argparse.Namespace) -> int:
    return _run(args, args.design or [], args.suggest)


def _evaluation_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--demand", required=True, help="client points with weekly plans (GeoJSON or CSV)")
    p.add_argument("--osm", help="OSM extract: road travel times and settlements (haversine when absent)")
    p.add_argument("--out-dir", required=True, help="report folder (Markdown, HTML, PNG maps, CSV)")
    p.add_argument("--workers", type=int, default=1, help="patches rostered in parallel processes")
    p.add_argument("--supply", help="carers CSV: id,lat,lon[,travel_mode] (default: derived from demand)")
    p.add_argument("--carers", type=int, default=None, help="county workforce when no --supply (default: derived)")
    p.add_argument("--mode", choices=["car", "walk", "bike"], default="car", help="carers' travel mode")
    p.add_argument("--day", choices=["mon", "tue", "wed", "thu", "fri", "sat", "sun"], help="default: busiest day")
    p.add_argument("--window", type=int, default=30, help="time-window tolerance: planned time +- minutes")
    p.add_argument("--fee", type=float, default=None, help="council fee per contact hour (default policy)")
    p.add_argument("--employment", default=None, metavar="MODELS",
                   help="employment models to cost side by side, comma-separated (default: all of zero_hours,"
                        "guaranteed_hours,salaried_shifts,ethical_care_charter)")
    p.add_argument("--time-limit", type=float, default=None, help="seconds per roster solve (default: scaled)")
    p.add_argument("--probe-time-limit", type=float, default=None, help="seconds per carer-search solve")
    p.add_argument("--max-probes", type=int, default=5, help="solves per patch in the carer search")
    p.add_argument("--no-search", action="store_true", help="skip the carers-needed search")
    p.add_argument("--no-maps", action="store_true")
    p.add_argument("--seed", type=int, default=1)
    _suggest_args(p)


def _suggest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--k-range", default="2-6", help="k searched when not given (by silhouette)")
    p.add_argument("--balance", type=float, default=0.10, help="allowed deviation of patch hours from the mean")
    p.add_argument("--buffer-km", type=float, default=2.5, help="study area: settlements' hull + this buffer")


def register(subparsers) -> None:
    p = subparsers.add_parser("patches", help="commissioner patch designer: test patch designs before tendering")
    sub = p.add_subparsers(dest="patches_command", required=True)

    q = sub.add_parser("demand", help="synthetic weekly demand from an OSM extract's settlements")
    q.add_argument("--osm", required=True)
    q.add_argument("--clients", type=int, default=300)
    q.add_argument("--ageing", type=float, default=1.0, help="1.0 today; higher: older, more rural, heavier care")
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("-o", "--output", required=True, help="demand GeoJSON")
    q.set_defaults(func=cmd_demand)

    q = sub.add_parser("design", help="a design from settlements: nearest-town groups, a groups JSON, or one patch")
    q.add_argument("--osm", required=True)
    q.add_argument("--towns", help="comma-separated towns: every settlement joins its nearest town")
    q.add_argument("--groups", help='JSON {"groups": {"patch": ["settlement", ...]}}')
    q.add_argument("--name")
    q.add_argument("--buffer-km", type=float, default=2.5)
    q.add_argument("-o", "--output", required=True)
    q.set_defaults(func=cmd_design)

    q = sub.add_parser("suggest", help="cluster demand by road travel time into k balanced, connected patches")
    q.add_argument("--demand", required=True)
    q.add_argument("--osm")
    q.add_argument("--k", type=int, default=None, help="number of patches (default: searched)")
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("-o", "--output", required=True)
    _suggest_args(q)
    q.set_defaults(func=cmd_suggest)

    q = sub.add_parser("evaluate", help="roster each patch of one design and report")
    q.add_argument("--design", required=True, help="GeoJSON polygons or settlement groups JSON")
    _evaluation_args(q)
    q.set_defaults(func=cmd_evaluate)

    q = sub.add_parser("compare", help="evaluate several designs side by side (and a suggested one)")
    q.add_argument("--design", action="append", help="repeat for each design")
    q.add_argument("--suggest", nargs="?", const="auto", default=None, help="add a suggested design: k or 'auto'")
    _evaluation_args(q)
    q.set_defaults(func=cmd_compare)
