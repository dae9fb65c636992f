"""Many-to-many shortest paths on a compiled road graph (scipy.sparse.csgraph).

A :class:`CompiledNetwork` is the mode's largest strongly connected component as a
CSR matrix of edge travel times (the fastest of parallel edges) with the length of
that same edge alongside. :meth:`CompiledNetwork.many_to_many` runs compiled Dijkstra
from every source at once, then adds up km along exactly the fastest paths found,
by pointer jumping on the predecessor arrays (vectorised, O(log depth) passes).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

# Dijkstra treats an explicit zero as an edge, but keep times strictly positive so
# a predecessor is always closer to the source than its child.
_MIN_SECONDS = 1e-9
_TREES_KEPT = 256  # single-source trees cached for drawing legs (geometry)
_CHUNK_CELLS = 4_000_000  # sources x nodes per Dijkstra batch: bounds memory (~100 MB)


@dataclass
class CompiledNetwork:
    """Arrays of one mode's routable graph (largest strongly connected component)."""

    node_ids: np.ndarray  # (N,) graph node ids
    lon: np.ndarray
    lat: np.ndarray
    seconds: csr_matrix  # (N, N) fastest edge travel time
    meters: csr_matrix  # same sparsity, length of that edge
    share: float = 1.0  # the component's share of all graph nodes
    _keys: np.ndarray = field(init=False, repr=False)
    _index: dict = field(init=False, repr=False)
    _trees: dict = field(init=False, repr=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        n = len(self.node_ids)
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.seconds.indptr))
        self._keys = rows * n + self.seconds.indices  # sorted: CSR rows, sorted columns
        self._index = {node: i for i, node in enumerate(self.node_ids.tolist())}
        # in-edges per node, padded: (N, max in-degree) tails (-1 = none) and lengths
        csc = self.meters.tocsc()
        csc.sort_indices()
        degree = np.diff(csc.indptr)
        slot = np.arange(csc.nnz) - np.repeat(csc.indptr[:-1], degree)
        head = np.repeat(np.arange(n), degree)
        width = int(degree.max()) if n else 0
        self._in_tail = np.full((n, width), -1, dtype=np.int64)
        self._in_meters = np.zeros((n, width))
        self._in_tail[head, slot] = csc.indices
        self._in_meters[head, slot] = csc.data

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph, weight: str = "travel_time") -> CompiledNetwork:
        """Compile an osmnx-style graph whose edges carry ``weight`` (s) and ``length`` (m)."""
        nodes = list(graph.nodes)
        if not nodes:
            raise ValueError("empty road graph")
        index = {node: i for i, node in enumerate(nodes)}
        m = graph.number_of_edges()
        u = np.empty(m, dtype=np.int64)
        v = np.empty(m, dtype=np.int64)
        t = np.empty(m, dtype=float)
        length = np.empty(m, dtype=float)
        for e, (a, b, d) in enumerate(graph.edges(data=True)):
            u[e], v[e], t[e], length[e] = index[a], index[b], d[weight], d["length"]
        keep = u != v  # a self-loop never shortens a path
        u, v, t, length = u[keep], v[keep], np.maximum(t[keep], _MIN_SECONDS), length[keep]
        order = np.lexsort((length, t, v, u))  # per (u, v): fastest first, then shortest
        u, v, t, length = u[order], v[order], t[order], length[order]
        first = np.ones(len(u), dtype=bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        u, v, t, length = u[first], v[first], t[first], length[first]
        n = len(nodes)
        full = csr_matrix((t, (u, v)), shape=(n, n))
        _, labels = connected_components(full, directed=True, connection="strong")
        biggest = np.bincount(labels).argmax()
        inside = np.flatnonzero(labels == biggest)
        renum = np.full(n, -1, dtype=np.int64)
        renum[inside] = np.arange(len(inside))
        both = (renum[u] >= 0) & (renum[v] >= 0)
        u, v, t, length = renum[u[both]], renum[v[both]], t[both], length[both]
        k = len(inside)
        seconds = csr_matrix((t, (u, v)), shape=(k, k))
        meters = csr_matrix((length, (u, v)), shape=(k, k))
        seconds.sort_indices()
        meters.sort_indices()
        ids = np.array(nodes, dtype=object)[inside]
        try:
            ids = ids.astype(np.int64)
        except (TypeError, ValueError):
            pass
        lon = np.array([graph.nodes[nodes[i]]["x"] for i in inside], dtype=float)
        lat = np.array([graph.nodes[nodes[i]]["y"] for i in inside], dtype=float)
        return cls(ids, lon, lat, seconds, meters, share=k / n)

    def __len__(self) -> int:
        return len(self.node_ids)

    def position(self, node) -> int:
        """Row of a graph node id."""
        return self._index[node]

    def edge_meters(self, tails: np.ndarray, heads: np.ndarray) -> np.ndarray:
        """Length of the chosen edge ``tail -> head`` for arrays of node rows."""
        pos = np.searchsorted(self._keys, tails.astype(np.int64) * len(self) + heads)
        return self.meters.data[np.minimum(pos, len(self._keys) - 1)]

    def many_to_many(
        self, sources: np.ndarray, targets: np.ndarray, *, workers: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Fastest-path seconds and the metres along those paths, ``(len(sources), len(targets))``.

        Sources run in chunks (bounded memory) on ``workers`` threads (default: up to 2;
        scipy's Dijkstra and numpy release the GIL for most of the work).
        """
        sources = np.asarray(sources, dtype=np.int64)
        targets = np.asarray(targets, dtype=np.int64)
        n = len(self)
        seconds = np.empty((len(sources), len(targets)))
        meters = np.empty((len(sources), len(targets)))
        workers = workers or min(2, os.cpu_count() or 1)
        step = max(1, min(_CHUNK_CELLS // max(n, 1), -(-len(sources) // workers)))

        def run(lo: int) -> None:
            chunk = sources[lo : lo + step]
            dist, pred = dijkstra(self.seconds, directed=True, indices=chunk, return_predecessors=True)
            seconds[lo : lo + step] = dist[:, targets]
            meters[lo : lo + step] = self._path_meters(pred)[:, targets]

        starts = range(0, len(sources), step)
        if workers > 1 and len(starts) > 1:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, starts))
        else:
            for lo in starts:
                run(lo)
        return seconds, meters

    def _path_meters(self, pred: np.ndarray) -> np.ndarray:
        """Metres from each row's source to every node along its predecessor tree."""
        rows, n = pred.shape
        parent = pred.astype(np.int64)
        root = parent < 0  # the source itself (nothing else: the component is strong)
        parent[root] = np.nonzero(root)[1]
        # length of the edge parent -> node: compare against each node's few in-edges
        acc = np.zeros((rows, n))
        for k in range(self._in_tail.shape[1]):
            np.copyto(acc, self._in_meters[:, k], where=parent == self._in_tail[:, k])
        # pointer jumping on flat indices: after pass k acc sums the 2^k edges above
        # each node (a root points at itself and adds 0)
        parent += (np.arange(rows, dtype=np.int64) * n)[:, None]
        parent = parent.ravel()
        acc = acc.ravel()
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return acc.reshape(rows, n)
            acc += acc[parent]
            parent = grand

    def tree(self, source: int) -> tuple[np.ndarray, np.ndarray]:
        """Seconds and predecessors from one node row to all (kept for the last few hundred sources)."""
        with self._lock:
            hit = self._trees.get(source)
        if hit is None:
            hit = dijkstra(self.seconds, directed=True, indices=source, return_predecessors=True)
            with self._lock:
                self._trees[source] = hit
                while len(self._trees) > _TREES_KEPT:
                    self._trees.pop(next(iter(self._trees)))
        return hit

    def path(self, source: int, target: int) -> list[int]:
        """Node rows along the fastest path ``source -> target`` (both included)."""
        _, pred = self.tree(source)
        rows = [target]
        while rows[-1] != source:
            rows.append(int(pred[rows[-1]]))
            if rows[-1] < 0:
                raise ValueError("target not reachable")
        return rows[::-1]
