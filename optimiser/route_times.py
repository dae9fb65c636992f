"""The start times of a roster's routes: the bookkeeping that makes an insertion check O(1).

A :class:`Route` keeps, for every stop, its earliest and latest feasible start and the
time and cost of the arc into it, so checking whether a node fits at a position is a
few comparisons. :class:`RouteTimes` keeps those exact: an insertion or removal
recomputes only the starts it moves (:meth:`RouteTimes.after_insert`,
:meth:`RouteTimes.after_remove`: forward and backward from the change until a start
stays put), and :meth:`RouteTimes.refresh` recomputes a whole route. It also owns the
start range of every node (its window, or the one start a rule pinned it to), the fast
matrix readers the insertion uses, and the break rule: the start times of a shift that
needs breaks (:meth:`RouteTimes.starts`), whether a candidate keeps it
(:meth:`RouteTimes.fits_rules`) and the breaks a finished roster lists
(:meth:`RouteTimes.schedule`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .compile import ProblemData, node_kinds
from .rules import Stretches, has_waking_nights, needs_breaks

VIEW_LIST_NODES = 700  # up to this many nodes, insertion reads matrices from lists (memory ~ n^2)


@dataclass
class Route:
    """One vehicle's route (a shift of a carer) with the times the insertion reads: for
    each stop its earliest and latest feasible start, and the time and cost of each arc.
    :class:`RouteTimes` keeps these exact as stops go in and out."""

    vehicle: int
    home: int
    start: int
    end: int
    nodes: list[int] = field(default_factory=list)
    est: list[int] = field(default_factory=list)  # earliest start per stop
    lst: list[int] = field(default_factory=list)  # latest start per stop
    arc_t: list[int] = field(default_factory=lambda: [0])  # time of arc k (into stop k; last: home)
    arc_c: list[int] = field(default_factory=lambda: [0])  # cost of arc k
    load: int = 0
    # the minute from which each stop's start is priced (None: not priced; rules.start_price);
    # empty when no stop of the route is
    due: list[int | None] = field(default_factory=list)


class RouteTimes:
    """The start times of a roster's routes (see the module docstring).

    Parameters
    ----------
    data
        The compiled problem.
    transits, costs
        Per vehicle, node x node time (service + travel) and arc cost matrices.
    """

    def __init__(self, data: ProblemData, transits: list[np.ndarray], costs: list[np.ndarray]):
        self.data = data
        self.vehicle_T = transits
        self.vehicle_C = costs
        self.priced = bool(data.due_cost.any())  # whether any start is priced (ProblemData.due)
        # per node, the start range its route must keep: the window (to the late limit),
        # narrowed to one minute when a rule pins the start (doubles, bound `after` pairs)
        self.ws = data.window_start.copy()
        self.lw = data.window_end + data.late_limit
        self.views = self._views()
        self.policy = policy = data.problem.policy
        nights = has_waking_nights(data.problem.visits)
        self.needs_breaks = [needs_breaks(veh.end - veh.start, policy, nights) for veh in data.vehicles]
        self.kind = node_kinds(data)  # sleep-ins and waking nights keep the break rule their own way

    def refresh(self, r: Route) -> None:
        """Recompute ``r``'s arcs and start ranges from its stops."""
        nodes, n = r.nodes, len(r.nodes)
        ext = [r.home, *nodes, r.home]
        r.arc_t = self.vehicle_T[r.vehicle][ext[:-1], ext[1:]].tolist()
        r.arc_c = self.vehicle_C[r.vehicle][ext[:-1], ext[1:]].tolist()
        ws, lw, arc = self.ws, self.lw, r.arc_t
        est, lst = [0] * n, [0] * n
        t = r.start
        for k, u in enumerate(nodes):
            t = max(int(ws[u]), t + arc[k])
            est[k] = t
        t = r.end
        for k in range(n - 1, -1, -1):
            t = min(int(lw[nodes[k]]), t - arc[k + 1])
            lst[k] = t
        r.est, r.lst = est, lst
        if self.priced:
            r.due = self._due(nodes)

    def _due(self, nodes: list[int]) -> list[int | None]:
        """The priced start's minute per stop (None where not priced); [] when none is."""
        due, rate = self.data.due, self.data.due_cost
        out = [int(due[u]) if rate[u] else None for u in nodes]
        return out if any(d is not None for d in out) else []

    def after_insert(self, r: Route, pos: int, u: int) -> None:
        """Update ``r``'s arcs and start ranges after node ``u`` went in at ``pos`` (only
        the starts the insertion moves are recomputed)."""
        nodes = r.nodes
        t_rows, _, c_rows, _ = self.views[r.vehicle]
        p = nodes[pos - 1] if pos > 0 else r.home
        q = nodes[pos + 1] if pos + 1 < len(nodes) else r.home
        r.arc_t[pos:pos + 1] = [t_rows[p][u], t_rows[u][q]]
        r.arc_c[pos:pos + 1] = [c_rows[p][u], c_rows[u][q]]
        r.est.insert(pos, 0)
        r.lst.insert(pos, 0)
        self._forward(r, pos)
        self._backward(r, pos)
        if self.priced:
            due = int(self.data.due[u]) if self.data.due_cost[u] else None
            if r.due:
                r.due.insert(pos, due)
            elif due is not None:
                r.due = self._due(nodes)

    def after_remove(self, r: Route, pos: int) -> None:
        """Update ``r``'s arcs and start ranges after its stop ``pos`` was taken out."""
        nodes = r.nodes
        p = nodes[pos - 1] if pos > 0 else r.home
        q = nodes[pos] if pos < len(nodes) else r.home
        t_rows, _, c_rows, _ = self.views[r.vehicle]
        r.arc_t[pos:pos + 2] = [t_rows[p][q]]
        r.arc_c[pos:pos + 2] = [c_rows[p][q]]
        del r.est[pos], r.lst[pos]
        if r.due:
            del r.due[pos]
            if all(d is None for d in r.due):
                r.due = []
        if pos < len(nodes):
            self._forward(r, pos)
        if pos > 0:
            self._backward(r, pos - 1)

    def _forward(self, r: Route, k: int) -> None:
        """Earliest starts from stop ``k`` on, until one does not change."""
        nodes, est, arc, ws = r.nodes, r.est, r.arc_t, self.ws
        t = est[k - 1] if k > 0 else r.start
        for j in range(k, len(nodes)):
            t += arc[j]
            w = int(ws[nodes[j]])
            if w > t:
                t = w
            if j > k and est[j] == t:
                break
            est[j] = t

    def _backward(self, r: Route, k: int) -> None:
        """Latest starts from stop ``k`` back, until one does not change."""
        nodes, lst, arc, lw = r.nodes, r.lst, r.arc_t, self.lw
        t = lst[k + 1] if k + 1 < len(nodes) else r.end
        for j in range(k, -1, -1):
            t -= arc[j + 1]
            w = int(lw[nodes[j]])
            if w < t:
                t = w
            if j < k and lst[j] == t:
                break
            lst[j] = t

    def _views(self) -> list[tuple]:
        """Per vehicle ``(time rows, time columns, cost rows, cost columns)``: row ``u``
        reads ``M[u, q]`` as ``rows[u][q]`` and column ``u`` reads ``M[p, u]`` as
        ``cols[u][p]``. Plain lists on small problems (the fastest reads Python has);
        memoryviews of the matrix otherwise (3x faster than ``ndarray.item``, no copy)."""
        small = self.data.n_nodes <= VIEW_LIST_NODES
        made: dict[int, tuple[list, list]] = {}

        def views(m: np.ndarray) -> tuple[list, list]:
            key = id(m)
            if key not in made:
                if small:
                    made[key] = (m.tolist(), m.T.tolist())
                else:
                    m = np.ascontiguousarray(m, dtype=np.int64)
                    made[key] = ([memoryview(row) for row in m], [memoryview(m[:, i]) for i in range(len(m))])
            return made[key]

        return [views(T) + views(C) for T, C in zip(self.vehicle_T, self.vehicle_C, strict=True)]

    def fits_rules(self, r: Route, u: int, pos: int, start: int | None) -> bool:
        """Whole-route checks for a candidate: breaks (when the shift needs them)."""
        if not self.needs_breaks[r.vehicle]:
            return True
        nodes = r.nodes[:pos] + [u] + r.nodes[pos:]
        saved = self.ws[u], self.lw[u]
        if start is not None:
            self.ws[u] = self.lw[u] = start
        try:
            return self._break_schedule(r, nodes)
        finally:
            self.ws[u], self.lw[u] = saved

    def _break_schedule(self, r: Route, nodes: list[int]) -> bool:
        return self.starts(r, nodes) is not None

    def starts(self, r: Route, nodes: list[int]) -> list[int] | None:
        """Earliest start times; on a shift that needs breaks, idle ``break_minutes``
        whenever a working stretch would otherwise run too long (:class:`optimiser.rules.Stretches`).
        None if infeasible."""
        T = self.vehicle_T[r.vehicle]
        stretches = Stretches(self.policy) if self.needs_breaks[r.vehicle] else None
        duration, kind = self.data.duration, self.kind
        t = r.start
        prev = None
        starts = []
        for u in nodes:
            dur = int(duration[u])
            travel = 0 if prev is None else int(T[prev, u]) - int(duration[prev])
            s = max(int(self.ws[u]), t + travel)
            if stretches is not None:
                s = stretches.place(kind[u], s, dur, travel)
                if s is None:
                    return None
            if s > self.lw[u]:
                return None
            starts.append(s)
            t, prev = s + dur, u
        if prev is not None and t > r.end:
            return None
        return starts

    def schedule(self, routes: list[Route]) -> list[tuple[int, list[tuple[int, int]], list[tuple[int, int]]]]:
        """``[(vehicle, [(node, start)], [(break start, break end)])]`` of used vehicles.

        Breaks are listed where an idle gap separates stretches that together would
        exceed their limit, and on site in waking nights (:meth:`optimiser.rules.Stretches.listed_breaks`)."""
        out = []
        for r in routes:
            if not r.nodes:
                continue
            starts = self.starts(r, r.nodes)
            assert starts is not None, "the construction keeps every route feasible"
            stops = list(zip(r.nodes, starts, strict=True))
            breaks = []
            if self.needs_breaks[r.vehicle]:
                T, dur = self.vehicle_T[r.vehicle], self.data.duration
                stretches = Stretches(self.policy)
                prev = None
                for u, s in stops:
                    travel = 0 if prev is None else int(T[prev, u]) - int(dur[prev])
                    stretches.add(self.kind[u], s, s + int(dur[u]), travel)
                    prev = u
                stretches.finish()
                breaks = [(int(a), int(b)) for a, b in stretches.listed_breaks()]
            out.append((r.vehicle, stops, breaks))
        return out
