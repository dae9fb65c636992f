"""``RoadTravelTimes``: the TravelTimes interface on real OpenStreetMap roads.

Per mode, lazily: load the network, compile its largest strongly connected
component, snap every point onto its nearest road there (see :mod:`geo.snap`), run
compiled many-to-many Dijkstra between the road ends and add the partial roads and
the home-to-road gaps (covered at ``settings.snap_kph``) at both ends. Matrices are
cached on disk, so a second run over the same network and points never loads it.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path

import networkx as nx
import numpy as np

from optimiser.io import InputError
from optimiser.model import TRAVEL_MODES, Location, RoadNetwork, TravelMode
from optimiser.travel import TravelTimes

from .cache import MatrixCache, file_fingerprint, matrix_key
from .load import check_mode, load_network, prepare
from .matrix import CompiledNetwork
from .paths import not_expanded_note, osm_path
from .settings import GeoSettings, geo_settings
from .snap import EdgeIndex, Snap

log = logging.getLogger(__name__)

_LOADED: OrderedDict[tuple[str, str, str], tuple[nx.MultiDiGraph, CompiledNetwork, EdgeIndex]] = OrderedDict()
_LOADED_MAX = 6  # networks kept in memory per process (the validator reuses the solver's)
_LOCK = threading.Lock()  # the API serves several jobs from threads


class RoadTravelTimes(TravelTimes):
    """Road travel minutes and km between named locations, per travel mode.

    Give exactly one network: ``source`` (an OSM/GraphML file), ``place`` (fetched
    with osmnx and cached) or ``graphs`` (osmnx graphs per mode, used as given when
    their edges carry ``travel_time``).
    """

    def __init__(
        self,
        locations: Mapping[str, Location],
        *,
        source: str | Path | None = None,
        place: str | None = None,
        graphs: Mapping[TravelMode, nx.MultiDiGraph] | None = None,
        modes: Iterable[TravelMode] = TRAVEL_MODES,
        settings: GeoSettings | None = None,
    ):
        super().__init__(list(locations))
        if sum(x is not None for x in (source, place, graphs)) != 1:
            raise InputError("RoadTravelTimes: give exactly one of source, place or graphs")
        self.locations = dict(locations)
        self.settings = settings or geo_settings()
        if source is not None:
            # the path as written, checked like the API checks it: no ~ or $VARIABLES expansion
            # (a CLI user's shell has expanded them; on a server they would lead out of the
            # allowed folders), no control characters, no over-long names
            osm_path(source)
        self.source = Path(source) if source is not None else None
        self.place = place
        self.graphs = dict(graphs) if graphs is not None else None
        self.modes = [check_mode(m) for m in (self.graphs or modes)]
        if self.source is not None and not self.source.is_file():
            raise InputError(f"travel.road_network.osm_file: no such file {self.source}{not_expanded_note(self.source)}")
        self._lat = np.array([self.locations[p].lat for p in self.points], dtype=float)
        self._lon = np.array([self.locations[p].lon for p in self.points], dtype=float)
        self._snaps: dict[TravelMode, Snap] = {}
        self._gaps: dict[TravelMode, np.ndarray] = {}
        self.detached: dict[TravelMode, dict[str, float]] = {}
        """Per mode: points on roads cut off from the routable network, and their gap (m)."""
        self.cache_hits: dict[TravelMode, bool] = {}

    @classmethod
    def from_spec(
        cls, spec: RoadNetwork, locations: Mapping[str, Location], settings: GeoSettings | None = None
    ) -> RoadTravelTimes:
        """From a problem's ``travel.road_network`` (snap limit and peak slowdown from the spec)."""
        settings = (settings or geo_settings()).model_copy(
            update={"snap_limit_m": spec.snap_limit_m, "peak_slowdown": spec.peak_slowdown}
        )
        return cls(locations, source=spec.osm_file, place=spec.place, modes=spec.modes, settings=settings)

    # ------------------------------------------------------------------ network per mode

    def _fingerprint(self, mode: TravelMode) -> str | None:
        if self.source is not None:
            return file_fingerprint(self.source)
        if self.place is not None:
            from .fetch import network_file

            return file_fingerprint(network_file(place=self.place, mode=mode, cache_dir=self.settings.cache_dir))
        return None

    def _loaded(self, mode: TravelMode) -> tuple[nx.MultiDiGraph, CompiledNetwork, EdgeIndex]:
        mode = self._allowed(mode)
        if self.graphs is not None:
            key = ("graph", str(id(self.graphs[mode])), mode)
        else:
            key = (self._fingerprint(mode) or "", self.settings.speed_fingerprint(), mode)
        with _LOCK:
            if key in _LOADED:
                _LOADED.move_to_end(key)
                return _LOADED[key]
        if self.graphs is not None:
            graph = self.graphs[mode]
            if any("travel_time" not in d for _, _, d in graph.edges(data=True)):
                graph = prepare(graph.copy(), mode, self.settings)
        elif self.source is not None:
            graph = load_network(self.source, mode, settings=self.settings)
        else:
            from .fetch import fetch_network

            graph = fetch_network(place=self.place, mode=mode, settings=self.settings)
        net = CompiledNetwork.from_graph(graph)
        entry = (graph, net, EdgeIndex(graph, net))
        if self.graphs is None:  # caller-owned graphs may change; never memoise them
            with _LOCK:
                _LOADED[key] = entry
                while len(_LOADED) > _LOADED_MAX:
                    _LOADED.popitem(last=False)
        return entry

    def network(self, mode: TravelMode) -> nx.MultiDiGraph:
        """The mode's road graph (osmnx conventions)."""
        return self._loaded(mode)[0]

    def compiled(self, mode: TravelMode) -> CompiledNetwork:
        return self._loaded(mode)[1]

    def _allowed(self, mode: str) -> TravelMode:
        mode = check_mode(mode)
        if mode not in self.modes:
            raise InputError(
                f"travel mode {mode!r} is needed but travel.road_network.modes is {self.modes}; add it there"
            )
        return mode

    # ------------------------------------------------------------------ snapping

    def snap(self, mode: TravelMode) -> Snap:
        """Where each point joins the roads; InputError naming every point beyond the limit."""
        if mode not in self._snaps or self._snaps[mode] is None:
            graph, _, roads = self._loaded(mode)
            snap = roads.snap(self._lon, self._lat)
            self._check_snap(mode, snap.meters, graph, roads)
            self._snaps[mode] = snap
            self._gaps[mode] = snap.meters
        return self._snaps[mode]

    def snap_meters(self, mode: TravelMode) -> dict[str, float]:
        """How far each point is from the road node it joins the network at."""
        if mode not in self._gaps:
            self.matrices(mode)  # a cache hit knows the gaps without loading the network
        return dict(zip(self.points, self._gaps[mode].tolist(), strict=True))

    def _check_snap(self, mode: TravelMode, meters: np.ndarray, graph: nx.MultiDiGraph, roads: EdgeIndex) -> None:
        """A point beyond the limit from the routable roads is an error when it is beyond it
        from *every* road too (bad coordinates); on a road cut off from the network (a
        fragment of the extract, a private link) it is joined to the nearest routable
        road across the gap, with a warning."""
        limit = self.settings.snap_limit_m
        far = np.flatnonzero(meters > limit)
        if not len(far):
            return
        any_road = roads.distance_to_any(graph, self._lon[far], self._lat[far])
        detached = {self.points[i]: float(meters[i]) for i, d in zip(far, any_road, strict=True) if d <= limit}
        self.detached[mode] = detached
        if detached:
            log.warning(
                "%d location(s) lie on %s roads cut off from the network and join it across a gap "
                "(covered at %g km/h): %s",
                len(detached), mode, self.settings.snap_kph,
                ", ".join(f"{p} ({m:,.0f} m)" for p, m in list(detached.items())[:5]),
            )
        bad = [(i, d) for i, d in zip(far, any_road, strict=True) if d > limit]
        if bad:
            listed = ", ".join(f"{self.points[i]!r} ({d:,.0f} m)" for i, d in bad[:5])
            more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
            raise InputError(
                f"travel.road_network: {len(bad)} location(s) farther than snap_limit_m={limit:g} m from "
                f"the nearest {mode} road: {listed}{more}; check the client/carer coordinates"
            )

    # ------------------------------------------------------------------ matrices

    def _compute(self, mode: TravelMode) -> tuple[np.ndarray, np.ndarray]:
        mode = self._allowed(mode)
        if not self.points:
            self._gaps[mode] = np.zeros(0)
            return np.zeros((0, 0)), np.zeros((0, 0))
        cache, key = self._cache_key(mode)
        if cache is not None:
            hit = cache.load(key)
            if hit is not None and hit["minutes"].shape == (len(self.points),) * 2:
                self._gaps[mode] = hit["snap_meters"]
                self.cache_hits[mode] = True
                return hit["minutes"], hit["km"]
        self.cache_hits[mode] = False
        net = self.compiled(mode)
        snap = self.snap(mode)
        seconds, meters = _point_to_point(net, self._loaded(mode)[2], snap)
        gap_s = snap.meters / (self.settings.snap_kph / 3.6)
        seconds += gap_s[:, None] + gap_s[None, :]
        meters += snap.meters[:, None] + snap.meters[None, :]
        np.fill_diagonal(seconds, 0.0)
        np.fill_diagonal(meters, 0.0)
        minutes, km = seconds / 60.0, meters / 1000.0
        if cache is not None:
            cache.save(key, minutes=minutes, km=km, snap_meters=snap.meters)
        return minutes, km

    def _cache_key(self, mode: TravelMode) -> tuple[MatrixCache | None, str]:
        if not self.settings.matrix_cache or self.graphs is not None:
            return None, ""
        fingerprint = self._fingerprint(mode)
        points = zip(self.points, self._lat.tolist(), self._lon.tolist(), strict=True)
        key = matrix_key(fingerprint, mode, self.settings.speed_fingerprint(), points, self.settings.snap_limit_m)
        return MatrixCache(self.settings.cache_dir), key

    # ------------------------------------------------------------------ geometry

    def geometry(self, mode: TravelMode, origin: str, destination: str) -> list[tuple[float, float]]:
        """The leg as ``[(lon, lat), ...]`` along the roads of the fastest path."""
        a, b = self.locations[origin], self.locations[destination]
        if origin == destination:
            return [(a.lon, a.lat)]
        graph, net, roads = self._loaded(mode)
        snap = self.snap(mode)
        i, j = self.index[origin], self.index[destination]
        ei, ej, fi, fj = int(snap.edge[i]), int(snap.edge[j]), float(snap.frac[i]), float(snap.frac[j])
        best, route = np.inf, None
        if ei == ej:
            best, route = roads.direct(fi, fj, ei)[0], None
        for x in range(2):
            for y in range(2):
                cost = snap.exit_s[i, x] + snap.entry_s[j, y]
                if not np.isfinite(cost):
                    continue
                s, t = int(snap.exit_node[i, x]), int(snap.entry_node[j, y])
                dist = dijkstra_one(net, s, t)
                if cost + dist < best:
                    best, route = cost + dist, (x, y)
        line = [(a.lon, a.lat)]
        if route is None:
            line += roads.along(ei, fi, fj)
        else:
            x, y = route
            line += roads.along(ei, fi, _end(roads, ei, snap.exit_node[i, x], fi))
            rows = net.path(int(snap.exit_node[i, x]), int(snap.entry_node[j, y]))
            for r, s in zip(rows, rows[1:], strict=False):
                edge = min(graph[net.node_ids[r]][net.node_ids[s]].values(), key=lambda d: d["travel_time"])
                geom = edge.get("geometry")
                line += list(geom.coords) if geom is not None else [(net.lon[r], net.lat[r]), (net.lon[s], net.lat[s])]
            line += roads.along(ej, _end(roads, ej, snap.entry_node[j, y], fj), fj)
        line.append((b.lon, b.lat))
        return _dedupe([(float(x), float(y)) for x, y in line])


def _end(roads: EdgeIndex, edge: int, node: int, frac: float) -> float:
    """The fraction (0 tail, 1 head) of a record's end at ``node``."""
    if roads.tail[edge] == roads.head[edge]:  # a loop: both ends are the node
        return 0.0 if frac < 0.5 else 1.0
    return 0.0 if roads.tail[edge] == node else 1.0


def dijkstra_one(net: CompiledNetwork, source: int, target: int) -> float:
    """Fastest seconds between two node rows."""
    return float(net.tree(source)[0][target])


def _point_to_point(net: CompiledNetwork, roads: EdgeIndex, snap: Snap) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and metres between every pair of snapped spots (gaps excluded): the best
    way out of one spot, the fastest node-to-node path, the best way into the other,
    or straight along the road when both lie on the same one."""
    ok_exit, ok_entry = np.isfinite(snap.exit_s), np.isfinite(snap.entry_s)
    sources = np.unique(snap.exit_node[ok_exit])
    targets = np.unique(snap.entry_node[ok_entry])
    node_s, node_m = net.many_to_many(sources, targets)
    p = len(snap.meters)
    seconds = np.full((p, p), np.inf)
    meters = np.full((p, p), np.inf)
    for x in range(2):
        rows = np.searchsorted(sources, snap.exit_node[:, x]).clip(0, len(sources) - 1)
        for y in range(2):
            cols = np.searchsorted(targets, snap.entry_node[:, y]).clip(0, len(targets) - 1)
            grid = np.ix_(rows, cols)
            s = snap.exit_s[:, x, None] + node_s[grid] + snap.entry_s[None, :, y]
            better = s < seconds
            seconds = np.where(better, s, seconds)
            meters = np.where(better, snap.exit_m[:, x, None] + node_m[grid] + snap.entry_m[None, :, y], meters)
    # spots on the same road: straight along it when that is quicker
    order = np.argsort(snap.edge, kind="stable")
    bounds = np.flatnonzero(np.diff(snap.edge[order])) + 1
    for group in np.split(order, bounds):
        if len(group) < 2:
            continue
        e = int(snap.edge[group[0]])
        f = snap.frac[group]
        ahead = f[None, :] - f[:, None]  # >= 0: with the edge's direction
        fwd_s, back_s = roads.fwd[e], roads.back[e]
        with np.errstate(invalid="ignore"):  # 0 x inf where a one-way has no way back
            s = np.where(ahead >= 0, ahead * fwd_s, np.where(np.isinf(back_s), np.inf, -ahead * back_s))
        m = np.abs(ahead) * roads.length[e]
        grid = np.ix_(group, group)
        better = s < seconds[grid]
        seconds[grid] = np.where(better, s, seconds[grid])
        meters[grid] = np.where(better, m, meters[grid])
    return seconds, meters


def _dedupe(line: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = [line[0]]
    for p in line[1:]:
        if p != out[-1]:
            out.append(p)
    return out
