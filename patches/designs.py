"""Patch designs: polygons (GeoJSON) or settlement groups, and who falls in which patch.

A design is a list of named, non-overlapping patches. Overlapping polygons are
rejected naming both patches; a client outside every patch is reported in
:attr:`Assignment.outside`, never silently dropped.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.affinity import scale
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.geometry.base import BaseGeometry

from optimiser.io import InputError

from .demand import Demand, Settlement

# touching borders are fine; a shared area above this share of the smaller patch is an overlap
OVERLAP_TOLERANCE = 1e-6


@dataclass
class Patch:
    name: str
    geometry: BaseGeometry  # Polygon or MultiPolygon, lon/lat degrees


@dataclass
class Design:
    name: str
    patches: list[Patch]
    source: str | None = None

    def __post_init__(self) -> None:
        check_design(self)

    def names(self) -> list[str]:
        return [p.name for p in self.patches]


@dataclass
class Assignment:
    """Which patch each client (and carer) belongs to."""

    patch_of: dict[str, str] = field(default_factory=dict)
    outside: list[str] = field(default_factory=list)

    def members(self, patch: str) -> list[str]:
        return [c for c, p in self.patch_of.items() if p == patch]


def check_design(design: Design) -> None:
    """Raise :class:`InputError` for an empty design, duplicate names, bad or overlapping polygons."""
    if not design.patches:
        raise InputError(f"design {design.name!r} has no patches")
    names = [p.name for p in design.patches]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"design {design.name!r}: duplicate patch name(s) {dup}")
    for p in design.patches:
        if p.geometry.geom_type not in ("Polygon", "MultiPolygon") or p.geometry.is_empty:
            raise InputError(f"design {design.name!r}: patch {p.name!r} must be a (Multi)Polygon, got {p.geometry.geom_type}")
        if not p.geometry.is_valid:
            reason = shapely.is_valid_reason(p.geometry)
            raise InputError(f"design {design.name!r}: patch {p.name!r} has an invalid polygon ({reason})")
    for i, a in enumerate(design.patches):
        for b in design.patches[i + 1 :]:
            if not a.geometry.intersects(b.geometry):
                continue
            shared = a.geometry.intersection(b.geometry).area
            if shared > OVERLAP_TOLERANCE * min(a.geometry.area, b.geometry.area):
                km2 = shared * 111.195**2 * math.cos(math.radians(a.geometry.centroid.y))
                raise InputError(
                    f"design {design.name!r}: patches {a.name!r} and {b.name!r} overlap "
                    f"({km2:.2f} km² in common); every place must belong to at most one patch"
                )


def load_design(
    source: str | Path | dict, *, name: str | None = None, places: list[Settlement] | None = None,
    area: BaseGeometry | None = None,
) -> Design:
    """Read a design from a GeoJSON FeatureCollection of polygons, or settlement groups.

    Polygons: each feature's ``properties.name`` (or ``patch``/``id``) names its patch.
    Settlement groups: ``{"name": ..., "groups": {"Oakham": ["Oakham", "Langham", ...], ...}}``;
    each group becomes the union of its settlements' Voronoi cells (needs ``places``).
    """
    where = "design"
    if not isinstance(source, dict):
        where = str(source)
        path = Path(source)
        if not path.exists():
            raise InputError(f"design file {path} does not exist")
        try:
            source = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise InputError(f"design {path}: not JSON ({err})") from err
        if isinstance(source, dict):
            name = name or (str(source["name"]) if source.get("name") else path.stem)
    if not isinstance(source, dict):
        raise InputError(f"{where}: a design is a JSON object")
    name = name or (str(source["name"]) if source.get("name") else "design")
    if "groups" in source:
        groups = source["groups"]
        if not isinstance(groups, dict) or not all(isinstance(v, list) and all(isinstance(n, str) for n in v) for v in groups.values()):
            raise InputError(f"{where}: groups must map patch names to lists of settlement names")
        if not places:
            raise InputError(f"{where}: settlement groups need the OSM extract's settlements (give --osm)")
        return settlement_design(places, source["groups"], name=name, area=area)
    if source.get("type") != "FeatureCollection":
        raise InputError(f"{where}: expected a GeoJSON FeatureCollection of patch polygons or {{'groups': ...}}")
    features = source.get("features")
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise InputError(f"{where}: features must be a list of GeoJSON Feature objects")
    patches = []
    for i, f in enumerate(features):
        props = f.get("properties") or {}
        if not isinstance(props, dict):
            raise InputError(f"{where}: features[{i}].properties must be an object")
        pname = props.get("name") or props.get("patch") or f.get("id") or props.get("id")
        if not pname or not isinstance(pname, str | int):
            raise InputError(f"{where}: features[{i}].properties.name is missing")
        try:
            geom = shape(f["geometry"])
        except (KeyError, TypeError, ValueError, shapely.errors.GEOSException) as err:
            raise InputError(f"{where}: features[{i}] ({pname!r}) has no readable geometry ({err})") from err
        patches.append(Patch(str(pname), geom))
    return Design(name, patches, source=where)


def design_geojson(design: Design) -> dict:
    return {
        "type": "FeatureCollection",
        "name": design.name,
        "features": [
            {"type": "Feature", "properties": {"name": p.name}, "geometry": mapping(p.geometry)}
            for p in design.patches
        ],
    }


def assign_points(design: Design, points: dict[str, tuple[float, float]]) -> Assignment:
    """Patch of each ``id -> (lat, lon)``; points in no patch go to ``outside``.

    A point exactly on a shared border goes to the first patch listed.
    """
    out = Assignment()
    if not points:
        return out
    ids = list(points)
    lat = np.array([points[i][0] for i in ids])
    lon = np.array([points[i][1] for i in ids])
    owner = np.full(len(ids), -1)
    for k in reversed(range(len(design.patches))):
        inside = shapely.intersects_xy(design.patches[k].geometry, lon, lat)
        owner[inside] = k
    for cid, k in zip(ids, owner, strict=True):
        if k < 0:
            out.outside.append(cid)
        else:
            out.patch_of[cid] = design.patches[k].name
    return out


def assign_clients(design: Design, demand: Demand) -> Assignment:
    return assign_points(design, {c.id: (c.lat, c.lon) for c in demand.clients})


def nearest_patch(design: Design, lat: float, lon: float) -> str:
    """The patch a point belongs to, else the closest one (carers living just outside)."""
    p = Point(lon, lat)
    return min(design.patches, key=lambda q: (0.0 if q.geometry.covers(p) else q.geometry.distance(p))).name


# --------------------------------------------------------------------------- building polygons


def area_polygon(points: list[tuple[float, float]], buffer_km: float = 2.0) -> BaseGeometry:
    """The study area: convex hull of ``(lat, lon)`` points, buffered by ``buffer_km``."""
    hull = MultiPoint([(lon, lat) for lat, lon in points]).convex_hull
    k = _lon_scale(points)
    return scale(scale(hull, xfact=k, origin=(0, 0)).buffer(buffer_km / 111.195), xfact=1 / k, origin=(0, 0))


def voronoi_cells(points: list[tuple[float, float]], area: BaseGeometry) -> list[BaseGeometry]:
    """Voronoi cell of each ``(lat, lon)`` point (computed in a local km projection),
    clipped to ``area``. Points at the same place share one cell."""
    k = _lon_scale(points)
    keys = [(round(lon * k, 9), round(lat, 9)) for lat, lon in points]
    uniq = list(dict.fromkeys(keys))
    if len(uniq) == 1:
        return [area for _ in points]
    area_k = scale(area, xfact=k, origin=(0, 0))
    cells = shapely.voronoi_polygons(MultiPoint(uniq), extend_to=area_k)
    cell_of: dict[tuple[float, float], BaseGeometry] = {}
    tree = shapely.STRtree([Point(p) for p in uniq])
    for cell in cells.geoms:
        # voronoi_polygons returns cells in arbitrary order: find the site inside
        for i in tree.query(cell, predicate="covers"):
            cell_of[uniq[int(i)]] = scale(cell.intersection(area_k), xfact=1 / k, origin=(0, 0))
    return [cell_of[key] for key in keys]


def dissolve(cells: list[BaseGeometry], labels: list[str]) -> dict[str, BaseGeometry]:
    pieces: dict[str, list[BaseGeometry]] = {}
    for cell, lab in zip(cells, labels, strict=True):
        pieces.setdefault(lab, []).append(cell)
    return {lab: shapely.make_valid(shapely.union_all(parts)).buffer(0) for lab, parts in pieces.items()}


def voronoi_union(
    points: list[tuple[float, float]], labels: list[str], area: BaseGeometry
) -> dict[str, BaseGeometry]:
    """Voronoi cells of ``(lat, lon)`` points clipped to ``area``, dissolved per label.
    The result tiles the area without overlap."""
    return dissolve(voronoi_cells(points, area), labels)


def touching_cells(cells: list[BaseGeometry]) -> list[set[int]]:
    """Neighbours: cells sharing a stretch of border (a corner alone does not count)."""
    tree = shapely.STRtree(cells)
    nb: list[set[int]] = [set() for _ in cells]
    for i, cell in enumerate(cells):
        for j in tree.query(cell, predicate="intersects"):
            j = int(j)
            if j > i and cell.intersection(cells[j]).length > 1e-9:
                nb[i].add(j)
                nb[j].add(i)
    return nb


def settlement_design(
    places: list[Settlement], groups: dict[str, list[str]], *, name: str, area: BaseGeometry | None = None
) -> Design:
    """Patches from settlement groups: each group is the union of its settlements'
    Voronoi cells; settlements in no group join the group of their nearest member."""
    by_name = {s.name: s for s in places}
    missing = sorted({n for members in groups.values() for n in members if n not in by_name})
    if missing:
        raise InputError(f"design {name!r}: unknown settlement(s) {missing[:8]} (not in the extract's place=* nodes)")
    label = {n: g for g, members in groups.items() for n in members}
    seeds = [(by_name[n].lat, by_name[n].lon, g) for n, g in label.items()]
    pts, labels = [], []
    for s in places:
        g = label.get(s.name)
        if g is None:
            g = min(seeds, key=lambda t: (t[0] - s.lat) ** 2 + ((t[1] - s.lon) * math.cos(math.radians(s.lat))) ** 2)[2]
        pts.append((s.lat, s.lon))
        labels.append(g)
    area = area if area is not None else area_polygon(pts)
    cells = voronoi_union(pts, labels, area)
    return Design(name, [Patch(g, cells[g]) for g in groups if g in cells], source="settlement groups")


def nearest_town_groups(places: list[Settlement], towns: list[str]) -> dict[str, list[str]]:
    """Group every settlement with its nearest town (straight line): '<town> side'."""
    by_name = {s.name: s for s in places}
    missing = [t for t in towns if t not in by_name]
    if missing:
        raise InputError(f"town(s) {missing} not found among the extract's settlements")
    groups: dict[str, list[str]] = {f"{t} side": [] for t in towns}
    for s in places:
        t = min(towns, key=lambda t: (by_name[t].lat - s.lat) ** 2 + ((by_name[t].lon - s.lon) * math.cos(math.radians(s.lat))) ** 2)
        groups[f"{t} side"].append(s.name)
    return groups


def _lon_scale(points: list[tuple[float, float]]) -> float:
    return math.cos(math.radians(float(np.mean([p[0] for p in points]))))
