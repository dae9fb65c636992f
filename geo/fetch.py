"""Download a road network with osmnx (needs internet), cached as GraphML.

The first call downloads from the Overpass API (and Nominatim for a place name) and
saves the raw osmnx graph under ``<cache_dir>/networks/``; later calls with the same
arguments read that file and never touch the network.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import networkx as nx

from optimiser.io import InputError
from optimiser.model import TravelMode

from .cache import FILE_MODE, private_folder
from .load import OSMNX_NETWORK, check_mode, load_network
from .settings import GeoSettings, geo_settings


def network_file(
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    polygon: Any = None,
    mode: TravelMode,
    cache_dir: str | Path | None = None,
) -> Path:
    """The cached GraphML of this query, downloading it first when absent.

    ``bbox`` is ``(west, south, east, north)`` in degrees; ``polygon`` a shapely
    (Multi)Polygon in WGS84.
    """
    mode = check_mode(mode)
    given = [x is not None for x in (place, bbox, polygon)]
    if sum(given) != 1:
        raise InputError("fetch_network: give exactly one of place, bbox or polygon")
    if place is not None:
        query, label = f"place:{place}", place
    elif bbox is not None:
        bbox = _check_bbox(bbox)
        query, label = "bbox:" + ",".join(f"{v:.7f}" for v in bbox), "bbox"
    else:
        query, label = f"polygon:{polygon.wkt}", "polygon"
    folder = Path(cache_dir).expanduser() if cache_dir is not None else geo_settings().cache_dir
    digest = hashlib.sha256(f"{query}|{OSMNX_NETWORK[mode]}".encode()).hexdigest()[:12]
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:40] or "area"
    path = folder / "networks" / f"{slug}-{mode}-{digest}.graphml"
    if path.is_file():
        return path
    graph = _download(place, bbox, polygon, OSMNX_NETWORK[mode], folder / "osmnx")
    private_folder(path.parent)  # the area asked for can point at clients' homes
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".fetch.", suffix=".graphml")
    os.close(fd)
    try:
        import osmnx as ox

        ox.save_graphml(graph, tmp)
        os.chmod(tmp, FILE_MODE)  # whatever osmnx opened it with
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def fetch_network(
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    polygon: Any = None,
    mode: TravelMode,
    cache_dir: str | Path | None = None,
    settings: GeoSettings | None = None,
) -> nx.MultiDiGraph:
    """Road network of ``mode`` for a place name, bbox (W, S, E, N) or polygon.

    Downloads with osmnx on the first call (internet needed) and caches the graph as
    GraphML, so the second call is offline. Speeds and mode rules as :func:`load_network`.
    """
    settings = settings or geo_settings()
    folder = cache_dir if cache_dir is not None else settings.cache_dir
    path = network_file(place=place, bbox=bbox, polygon=polygon, mode=mode, cache_dir=folder)
    return load_network(path, mode, settings=settings)


def _check_bbox(bbox) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise InputError(f"bbox must be four numbers W,S,E,N, got {bbox!r}") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(f"bbox {bbox!r} is not W,S,E,N in degrees with W < E and S < N")
    return west, south, east, north


def _download(place, bbox, polygon, network_type: str, http_cache: Path) -> nx.MultiDiGraph:
    import osmnx as ox

    # osmnx keeps every Overpass/Nominatim answer in ./cache of the working directory by
    # default: keep them in our private cache instead (the query is the area served)
    private_folder(http_cache)
    before, ox.settings.cache_folder = ox.settings.cache_folder, str(http_cache)
    try:
        if place is not None:
            return ox.graph_from_place(place, network_type=network_type, simplify=True, retain_all=False)
        if bbox is not None:
            return ox.graph_from_bbox(bbox, network_type=network_type, simplify=True, retain_all=False)
        return ox.graph_from_polygon(polygon, network_type=network_type, simplify=True, retain_all=False)
    except Exception as err:  # no internet, unknown place, empty area: one clear message
        what = f"place {place!r}" if place is not None else ("bbox" if bbox is not None else "polygon")
        raise InputError(
            f"cannot download the road network for {what} with osmnx ({type(err).__name__}: {err}); "
            "this needs internet access, or pass an OSM file instead"
        ) from err
    finally:
        ox.settings.cache_folder = before
