"""Where people live: OSM settlements and random home locations on real streets.

Used by the generator (client homes on residential streets) and the commissioner
patch designer (towns and villages as patch seeds).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from optimiser.io import InputError
from optimiser.model import Location, TravelMode

from .load import load_network, source_kind
from .paths import osm_path
from .settings import GeoSettings
from .speeds import highway_types

PLACE_KINDS = ("city", "town", "village", "hamlet")
STREET_TYPES = ("residential", "living_street", "unclassified", "tertiary")


def places(source: str | Path, kinds: Sequence[str] = PLACE_KINDS) -> list[dict[str, Any]]:
    """Settlements (OSM ``place=*`` nodes) in a ``.osm.pbf`` extract.

    Returns dicts ``{name, place, lat, lon, population}`` (population ``None`` when
    untagged), biggest kind first (city, town, village, hamlet), then by name.
    """
    path = osm_path(source, field="places")  # taken literally: no ~ or $VARIABLES expansion
    if source_kind(source) != "pbf" or not path.is_file():
        raise InputError(f"places: {source} is not a readable .osm.pbf file")
    from pyrosm import OSM

    gdf = OSM(str(path)).get_data_by_custom_criteria(
        custom_filter={"place": list(kinds)},
        filter_type="keep",
        keep_nodes=True,
        keep_ways=False,
        keep_relations=False,
        tags_as_columns=["name", "population"],
    )
    if gdf is None or len(gdf) == 0:
        return []
    rank = {k: i for i, k in enumerate(kinds)}
    found = []
    for row in gdf.itertuples(index=False):
        name = getattr(row, "name", None)
        if not isinstance(name, str) or not name:
            continue
        found.append(
            {
                "name": name,
                "place": row.place,
                "lat": float(row.lat),
                "lon": float(row.lon),
                "population": _population(getattr(row, "population", None), getattr(row, "tags", None)),
            }
        )
    found.sort(key=lambda p: (rank.get(p["place"], len(rank)), p["name"]))
    return found


def _population(value: Any, tags: Any) -> int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        if isinstance(tags, str):
            try:
                value = json.loads(tags).get("population")
            except (ValueError, AttributeError):
                value = None
    try:
        return int(str(value).replace(",", "").strip())
    except (TypeError, ValueError):
        return None


def largest_scc(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The largest strongly connected component (a view)."""
    nodes = max(nx.strongly_connected_components(graph), key=len)
    return graph.subgraph(nodes)


def sample_street_points(
    source: str | Path | nx.MultiDiGraph,
    n: int,
    rng: np.random.Generator | random.Random | int | None = None,
    highway: Sequence[str] = STREET_TYPES,
    *,
    mode: TravelMode = "car",
    settings: GeoSettings | None = None,
) -> list[Location]:
    """``n`` random points on streets of the given highway types, uniform per metre of street.

    Points lie on roads of the mode's largest strongly connected component, so they
    always snap. Falls back to every road type when none of ``highway`` exists.
    """
    import shapely

    gen = _generator(rng)
    graph = source if isinstance(source, nx.MultiDiGraph) else load_network(source, mode, settings=settings)
    graph = largest_scc(graph)
    wanted = set(highway)
    seen: set[frozenset] = set()
    edges = []
    for u, v, d in graph.edges(data=True):
        pair = frozenset((u, v))
        if pair not in seen and d.get("length", 0) > 0:
            seen.add(pair)
            edges.append((u, v, d))
    chosen = [e for e in edges if wanted & set(highway_types(e[2].get("highway")))] or edges
    if not chosen:
        raise InputError("sample_street_points: the network has no streets to place points on")
    lengths = np.array([d["length"] for _, _, d in chosen], dtype=float)
    picks = gen.choice(len(chosen), size=n, p=lengths / lengths.sum())
    lines = []
    for i in picks:
        u, v, d = chosen[i]
        geom = d.get("geometry")
        if geom is None:
            geom = shapely.LineString([(graph.nodes[u]["x"], graph.nodes[u]["y"]), (graph.nodes[v]["x"], graph.nodes[v]["y"])])
        lines.append(geom)
    points = shapely.line_interpolate_point(np.array(lines, dtype=object), gen.random(n), normalized=True)
    return [Location(lat=float(p.y), lon=float(p.x)) for p in points]


def _generator(rng: np.random.Generator | random.Random | int | None) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, random.Random):
        return np.random.default_rng(rng.getrandbits(64))
    return np.random.default_rng(rng)
