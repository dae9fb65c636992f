"""A roster as GeoJSON for any map tool (geojson.io, QGIS, Leaflet, kepler.gl).

Routes are LineStrings per carer and shift (home -> visits -> home), following the
roads when the travel source knows them; visits, unassigned visits and carer homes
are Points. Coordinates are (lon, lat) in WGS84 as RFC 7946 requires. Routes, visits and
unassigned visits carry the calendar ``day`` they belong to (the day a shift starts, the
day a visit's window opens), so a week's roster can be shown a day at a time
(:func:`for_day`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from optimiser.model import Problem, Solution
from optimiser.travel import TravelTimes

ATTRIBUTION = "© OpenStreetMap contributors"
_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4", "#b2182b", "#666666")


def solution_geojson(problem: Problem, solution: Solution, travel: TravelTimes) -> dict[str, Any]:
    """A FeatureCollection of the roster: route lines, visit points, homes, unassigned visits,
    on ``travel`` (``optimiser.sources.travel_times(problem)``: road-following lines on roads)."""
    where = {p: (loc.lon, loc.lat) for p, loc in problem.locations().items()}
    visits = {v.id: v for v in problem.visits}
    clients = {c.id: c for c in problem.clients}
    features: list[dict[str, Any]] = []
    placed: dict[str, dict[str, Any]] = {}
    for n, route in enumerate(solution.routes):
        carer = problem.carer(route.carer)
        colour = _COLOURS[n % len(_COLOURS)]
        for shift_no, stops in _by_shift(carer, route.stops):
            points = [carer.id] + [visits[s.visit].client for s in stops] + [carer.id]
            line: list[tuple[float, float]] = []
            for a, b in zip(points, points[1:], strict=False):
                leg = travel.geometry(carer.travel_mode, a, b) or [where[a], where[b]]
                line.extend(leg[1:] if line and tuple(leg[0]) == tuple(line[-1]) else leg)
            back_min, back_km = travel.leg(carer.travel_mode, points[-2], carer.id)
            features.append(
                _feature(
                    "LineString",
                    [list(p) for p in line],
                    kind="route",
                    carer=carer.id,
                    travel_mode=carer.travel_mode,
                    shift=shift_no,
                    day=carer.shifts[shift_no].start.date().isoformat(),
                    shift_start=carer.shifts[shift_no].start.isoformat(),
                    shift_end=carer.shifts[shift_no].end.isoformat(),
                    visits=len(stops),
                    travel_minutes=round(sum(s.travel_minutes for s in stops) + back_min, 2),
                    travel_km=round(sum(s.travel_km for s in stops) + back_km, 3),
                    stroke=colour,
                    attribution=ATTRIBUTION,
                )
            )
        for s in route.stops:
            if s.visit in placed:  # a double-handed visit: one point, both carers
                placed[s.visit]["properties"]["carers"].append(carer.id)
                continue
            v = visits[s.visit]
            placed[s.visit] = _feature(
                "Point",
                list(where[v.client]),
                kind="visit",
                visit=v.id,
                client=v.client,
                day=v.window.start.date().isoformat(),
                carers=[carer.id],
                arrival=s.arrival.isoformat(),
                start=s.start.isoformat(),
                end=s.end.isoformat(),
                window_start=v.window.start.isoformat(),
                window_end=v.window.end.isoformat(),
                duration_minutes=v.duration_minutes,
                priority=v.priority,
                carers_required=v.carers_required,
            )
    features.extend(placed.values())
    for u in solution.unassigned:
        v = visits.get(u.visit)
        if v is not None and v.client in clients:
            features.append(
                _feature("Point", list(where[v.client]), kind="unassigned", visit=v.id, client=v.client,
                         day=v.window.start.date().isoformat(), reason=u.reason, rule=u.rule, priority=v.priority)
            )
    for carer in problem.carers:
        features.append(
            _feature("Point", [carer.home.lon, carer.home.lat], kind="carer_home", carer=carer.id,
                     travel_mode=carer.travel_mode)
        )
    return {
        "type": "FeatureCollection",
        "properties": {"problem_id": problem.id, "status": solution.status, "attribution": ATTRIBUTION},
        "features": features,
    }


def days(doc: dict[str, Any]) -> list[str]:
    """The calendar days (ISO dates, in order) the features of a roster's GeoJSON fall on."""
    return sorted({f["properties"]["day"] for f in doc["features"] if "day" in f["properties"]})


def for_day(doc: dict[str, Any], day: date) -> dict[str, Any]:
    """``doc`` (from :func:`solution_geojson`) with only the routes, visits and unassigned
    visits of ``day``; the carers' homes stay. Raises ``ValueError`` naming the days there
    are when ``day`` has none."""
    wanted = day.isoformat()
    there = days(doc)
    if wanted not in there:
        raise ValueError(f"no routes or visits on {wanted}; the roster's days are {', '.join(there) or 'none'}")
    features = [f for f in doc["features"] if f["properties"].get("day", wanted) == wanted]
    return {**doc, "properties": {**doc["properties"], "day": wanted}, "features": features}


def _by_shift(carer, stops) -> list[tuple[int, list]]:
    """Stops grouped by the shift (index) each starts in; a stub outside every shift joins the nearest."""
    groups: dict[int, list] = {}
    for s in sorted(stops, key=lambda s: s.start):
        inside = [i for i, sh in enumerate(carer.shifts) if sh.start <= s.start <= sh.end]
        i = inside[0] if inside else min(
            range(len(carer.shifts)),
            key=lambda k: min(abs((carer.shifts[k].start - s.start).total_seconds()), abs((carer.shifts[k].end - s.start).total_seconds())),
        )
        groups.setdefault(i, []).append(s)
    return sorted(groups.items())


def _feature(geometry: str, coordinates: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": geometry, "coordinates": coordinates}, "properties": properties}
