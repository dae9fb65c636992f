"""Snap homes onto the road network: the nearest point of the nearest road.

A simplified graph has nodes only at junctions, so a farm halfway along a 3 km lane
is 1.5 km from the nearest *node* but a few metres from the *road*. Each location is
therefore projected onto the nearest edge of the mode's largest strongly connected
component, at a fraction ``f`` of its length; it leaves that edge through its head
(``(1 - f)`` of the edge's time) or, when the road is two-way, its tail (``f`` of
the reverse edge's time), and is reached the same ways round. The straight gap from
the home to the road is reported and covered at a slow speed by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import shapely

from optimiser.travel import EARTH_RADIUS_KM

from .matrix import CompiledNetwork

_R = EARTH_RADIUS_KM * 1000.0
_END = 1e-9  # a fraction this close to 0 or 1 is at the node itself


@dataclass(frozen=True)
class Snap:
    """Where each of P points joins the network.

    ``exit_*``/``entry_*`` are (P, 2): up to two ways out of / into the point's spot on
    its road, as (node row, seconds, metres); an unused slot costs ``inf``.
    """

    meters: np.ndarray  # (P,) home -> road gap
    edge: np.ndarray  # (P,) road record (EdgeIndex row)
    frac: np.ndarray  # (P,) position along the record, tail 0 -> head 1
    exit_node: np.ndarray
    exit_s: np.ndarray
    exit_m: np.ndarray
    entry_node: np.ndarray
    entry_s: np.ndarray
    entry_m: np.ndarray


class EdgeIndex:
    """The roads of a compiled network, one record per road (a two-way road's twin
    edges share a record), with an STR-tree over their shapes in local metres."""

    def __init__(self, graph: nx.MultiDiGraph, net: CompiledNetwork):
        tails, heads, fwd, back, length, lines = [], [], [], [], [], []
        seen: dict[tuple, int] = {}
        inside = net._index
        for u, v, d in graph.edges(data=True):
            if u not in inside or v not in inside:
                continue
            twin = (v, u, round(float(d["length"]), 3))
            if twin in seen and np.isinf(back[seen[twin]]):
                back[seen[twin]] = float(d["travel_time"])
                continue
            seen[(u, v, round(float(d["length"]), 3))] = len(tails)
            tails.append(inside[u])
            heads.append(inside[v])
            fwd.append(float(d["travel_time"]))
            back.append(np.inf)
            length.append(float(d["length"]))
            geom = d.get("geometry")
            if geom is None:
                geom = shapely.LineString([(net.lon[inside[u]], net.lat[inside[u]]), (net.lon[inside[v]], net.lat[inside[v]])])
            lines.append(geom)
        self.tail = np.array(tails, dtype=np.int64)
        self.head = np.array(heads, dtype=np.int64)
        self.fwd = np.array(fwd)
        self.back = np.array(back)
        self.length = np.array(length)
        self.lines = np.array(lines, dtype=object)  # degrees, oriented tail -> head
        self.lat0 = float(np.radians(np.median(net.lat)))
        self._scale = np.array([np.cos(self.lat0) * _R * np.pi / 180, _R * np.pi / 180])
        self.projected = shapely.transform(self.lines, lambda c: c * self._scale)
        self.tree = shapely.STRtree(self.projected)

    def __len__(self) -> int:
        return len(self.tail)

    def snap(self, lon: np.ndarray, lat: np.ndarray) -> Snap:
        """Project every point onto its nearest road."""
        points = shapely.points(np.column_stack((np.asarray(lon, float), np.asarray(lat, float))) * self._scale)
        (where, edge), meters = self.tree.query_nearest(points, return_distance=True, all_matches=False)
        order = np.argsort(where)
        edge, meters = edge[order].astype(np.int64), meters[order]
        frac = shapely.line_locate_point(self.projected[edge], points, normalized=True)
        frac = np.clip(np.nan_to_num(frac), 0.0, 1.0)
        tail, head, fwd, back, length = self.tail[edge], self.head[edge], self.fwd[edge], self.back[edge], self.length[edge]
        with np.errstate(invalid="ignore"):  # 0 x inf on one-way roads; those slots stay inf
            inf = np.full(len(edge), np.inf)
            exit_node = np.column_stack((head, tail))
            exit_s = np.column_stack(((1 - frac) * fwd, np.where(np.isinf(back), inf, frac * back)))
            exit_m = np.column_stack(((1 - frac) * length, np.where(np.isinf(back), inf, frac * length)))
            entry_node = np.column_stack((tail, head))
            entry_s = np.column_stack((frac * fwd, np.where(np.isinf(back), inf, (1 - frac) * back)))
            entry_m = np.column_stack((frac * length, np.where(np.isinf(back), inf, (1 - frac) * length)))
        # at a node itself: that node, at no cost, beats going round the edge
        for at_end, node in ((frac <= _END, tail), (frac >= 1 - _END, head)):
            exit_node[at_end] = entry_node[at_end] = node[at_end, None]
            for a in (exit_s, exit_m, entry_s, entry_m):
                a[at_end] = (0.0, np.inf)
        return Snap(meters, edge, frac, exit_node, exit_s, exit_m, entry_node, entry_s, entry_m)

    def distance_to_any(self, graph: nx.MultiDiGraph, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Metres from each point to the nearest edge of the whole graph, routable or not."""
        lines = []
        for u, v, d in graph.edges(data=True):
            geom = d.get("geometry")
            if geom is None:
                a, b = graph.nodes[u], graph.nodes[v]
                geom = shapely.LineString([(a["x"], a["y"]), (b["x"], b["y"])])
            lines.append(geom)
        projected = shapely.transform(np.array(lines, dtype=object), lambda c: c * self._scale)
        points = shapely.points(np.column_stack((np.asarray(lon, float), np.asarray(lat, float))) * self._scale)
        (where, _), meters = shapely.STRtree(projected).query_nearest(points, return_distance=True, all_matches=False)
        return meters[np.argsort(where)]

    def along(self, edge: int, frac: float, other: int | float) -> list[tuple[float, float]]:
        """Coordinates (lon, lat) along a record from ``frac`` to the tail (0), head (1) or another fraction."""
        from shapely.ops import substring

        part = substring(self.lines[edge], frac, float(other), normalized=True)
        return [(float(x), float(y)) for x, y in part.coords] if part.geom_type == "LineString" else [
            (float(part.x), float(part.y))
        ]

    def direct(self, a_frac: float, b_frac: float, edge: int) -> tuple[float, float]:
        """Seconds and metres from one spot to another on the same road (inf when against a one-way)."""
        if b_frac >= a_frac:
            return (b_frac - a_frac) * self.fwd[edge], (b_frac - a_frac) * self.length[edge]
        if np.isinf(self.back[edge]):
            return np.inf, np.inf
        return (a_frac - b_frac) * self.back[edge], (a_frac - b_frac) * self.length[edge]


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle metres, vectorised."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * _R * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
