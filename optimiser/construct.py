"""A fast greedy construction that always yields a roster (the engine's first solution).

OR-Tools' insertion heuristics must run the CP solver on every tentative insertion as
soon as the model has constraints its filters do not know (double-handed synchrony,
``after`` gaps), which makes the first solution slow on real days. This cheapest
insertion knows those rules natively:

* visits are inserted by priority (critical first), then by window start;
* a route keeps, for every stop, its earliest and latest feasible start, so checking
  an insertion point is O(1), and only the few positions whose times can fit are tried
  (found by bisection); an insertion or removal recomputes only the starts it moves
  (that bookkeeping, and the break rule's start times, are :mod:`optimiser.route_times`);
* identical empty vehicles (a benchmark fleet) are tried once per insertion;
* a double-handed visit is inserted into two routes of different carers at one common
  start; two single visits tied only to each other by ``after`` are inserted together
  (each position of one matched with the best position of the other that keeps the
  gap) and leave and return together in the ruin-and-recreate; otherwise a visit with
  an ``after`` partner already placed gets its window narrowed to the gap. Visits tied
  by such rules keep a fixed start once placed, so later insertions cannot break the tie;
* the break rule and ``max_work_minutes`` are checked on the whole route (shift) only
  for the candidate that wins on cost.

:meth:`Construction.run` returns node sequences per vehicle (OR-Tools can start from
them); :meth:`Construction.insert`, :meth:`Construction.insert_regret` and
:meth:`Construction.remove` change the roster, :meth:`Construction.objective` prices
it, :meth:`Construction.snapshot` and :meth:`Construction.restore` undo a change, and
:meth:`Construction.schedule` gives the times. The searches that follow work through
those: :func:`optimiser.lns.improve` (the ruin-and-recreate, when OR-Tools' local
search would be too slow) and :func:`optimiser.fleet.minimise_fleet`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np

from .compile import COST_SCALE, ProblemData, unpaid_minutes
from .route_times import Route, RouteTimes

PRIORITY_RANK = {"critical": 0, "high": 1, "normal": 2, "flexible": 3}


class Construction:
    """The roster being built over a :class:`ProblemData`: greedy cheapest insertion,
    removal and the objective (see the module docstring). The searches of
    :mod:`optimiser.fleet`, :mod:`optimiser.lns` and :mod:`optimiser.sisr` work on it."""

    def __init__(self, data: ProblemData, continuity: list[np.ndarray] | None,
                 transits: list[np.ndarray], costs: list[np.ndarray],
                 penalty: dict[int, int] | None = None,
                 work_targets: dict[int, tuple[int, int, int]] | None = None):
        """``continuity``: per carer node costs; ``transits``/``costs``: per vehicle node x
        node time (service + travel) and arc cost matrices; ``penalty``: drop cost per
        node; ``work_targets``: vehicle -> (contracted target, shortfall and overtime
        cost per minute) -- all as the routing model has them, so objectives agree."""
        self.data = data
        self.penalty = penalty or {}
        self.work_targets = work_targets or {}
        self.due_cost = data.due_cost.tolist()  # per node, per minute started after data.due (0: free)
        self.route_of: dict[int, Route] = {}  # node -> its route
        self.exact = False  # see enable_exact_continuity
        self.focus: set[int] | None = None  # vehicles an insertion may use (None: all)
        self.steps = 0  # steps the last search of this roster ran (optimiser.lns, optimiser.sisr)
        policy = data.problem.policy
        # the constant every placed visit pays in the routing model's continuity values
        self.offset = int(round(policy.familiar_carer_reward * COST_SCALE)) if continuity is not None else 0
        problem = data.problem
        carers = problem.carers
        self.vehicle_T = transits
        self.vehicle_C = costs
        self.continuity = continuity
        self.fixed_cost = [int(round(carers[v.carer].fixed_cost * COST_SCALE)) for v in data.vehicles]
        self.routes = [Route(v, veh.carer, veh.start, veh.end) for v, veh in enumerate(data.vehicles)]
        # paid minutes per work group (a carer's week: compile.work_groups) and their caps
        self.group_of = data.group_of
        self.work = [0] * len(data.group_cap)
        self.max_work = list(data.group_cap)
        self.capacity = [c.capacity for c in carers]
        # commute rules: per vehicle, which nodes may open and close its route (None: any)
        self.ends: list[tuple[bytes, bytes] | None] = []
        for v in range(len(data.vehicles)):
            ends = data.commute_ends(v)
            self.ends.append(None if ends is None else (ends[0].tobytes(), ends[1].tobytes()))
        self.trimmed: list[Route] = []  # routes :meth:`remove` shortened for the commute rules
        self.twin = self._twins(continuity)
        self.times = RouteTimes(data, transits, costs)  # start ranges, breaks
        self.views = self.times.views  # fast matrix reads (rows and columns per vehicle)
        self.start_of: dict[int, int] = {}  # visit index -> pinned start (doubles, bound `after` pairs)
        self.placed: set[int] = set()
        self.unpaid = unpaid_minutes(data).tolist()  # a sleep-in's minutes are not paid work
        # visits tied to others: doubles (to themselves) and both ends of an `after`
        self.partners: dict[int, list[tuple[int, int, int | None]]] = {}
        index = {v.id: i for i, v in enumerate(problem.visits)}
        for vi, visit in enumerate(problem.visits):
            if visit.after is not None:
                oi = index[visit.after.visit]
                a = visit.after
                # start(vi) - start(oi) in [min, max]  <=>  start(oi) - start(vi) in [-max, -min]
                self.partners.setdefault(vi, []).append((oi, a.min_minutes, a.max_minutes))
                self.partners.setdefault(oi, []).append(
                    (vi, -a.max_minutes if a.max_minutes is not None else None, -a.min_minutes)
                )

    def _twins(self, continuity) -> list[tuple | None]:
        """Per vehicle, a key equal for vehicles whose empty routes are interchangeable
        (same shift, capacity, fixed cost, and travel and cost from home to every visit;
        None when the carer has anything of her own: continuity values, a work cap or
        target). An insertion tries one empty route of each key: a Solomon fleet of 25
        identical vehicles costs one empty route, not 23."""
        data, carers = self.data, self.data.problem.carers
        visits = slice(data.n_homes, data.n_nodes)
        keys: list[tuple | None] = []
        for v, veh in enumerate(data.vehicles):
            carer = carers[veh.carer]
            if continuity is not None or self.max_work[self.group_of[v]] is not None or v in self.work_targets:
                keys.append(None)
                continue
            T, C, h = self.vehicle_T[v], self.vehicle_C[v], veh.carer
            keys.append((veh.start, veh.end, carer.capacity, self.fixed_cost[v], self.ends[v],
                         T[h, visits].tobytes(), T[visits, h].tobytes(),
                         C[h, visits].tobytes(), C[visits, h].tobytes()))
        return keys

    # ----------------------------------------------------------------------- inserting

    def _options(self, r: Route, u: int, ws: int, lw: int) -> list[tuple[int, int, int, int, int]]:
        """``(cost, lo, hi, pos, work_delta)`` for each feasible position of node u."""
        nodes, est, lst = r.nodes, r.est, r.lst
        n = len(nodes)
        first = bisect_left(lst, ws)
        last = min(bisect_right(est, lw), n)
        if first > last:
            return []
        t_rows, t_cols, c_rows, c_cols = self.views[r.vehicle]
        t_in, t_out, c_in, c_out = t_cols[u], t_rows[u], c_cols[u], c_rows[u]
        extra = self.fixed_cost[r.vehicle] if n == 0 else 0
        if self.continuity is not None:
            extra += int(self.continuity[r.home][u])
        # the priced start (rules.start_price): the start chosen (the earliest) past its
        # due minute is priced, and so is what the insertion pushes onto the visits after it
        pushed = bool(r.due)
        rate = self.due_cost[u]
        due = int(self.data.due[u]) if rate else None
        out = []
        home, arc_t = r.home, r.arc_t
        ends = self.ends[r.vehicle]
        if ends is not None:  # the commute rules: may u open or close the route?
            if not ends[0][u]:
                first = max(first, 1)
            if not ends[1][u]:
                last = min(last, n - 1)
        for pos in range(first, last + 1):
            # (comparisons rather than min/max: this loop is most of the search's time)
            if pos > 0:
                p = nodes[pos - 1]
                t_pu = t_in[p]
                lo = est[pos - 1] + t_pu
            else:
                p = home
                t_pu = t_in[p]
                lo = r.start
            if lo < ws:
                lo = ws
            if lo > lw:
                continue
            if pos < n:
                q = nodes[pos]
                t_uq = t_out[q]
                hi = lst[pos] - t_uq
            else:
                q = home
                t_uq = t_out[q]
                hi = r.end - t_uq
            if hi > lw:
                hi = lw
            if lo > hi:
                continue
            # homes cost nothing to stand still at: one formula covers every position
            dwork = t_pu + t_uq - arc_t[pos]
            cost = c_in[p] + c_out[q] - r.arc_c[pos]
            if due is not None and lo > due:
                cost += (lo - due) * rate
            if pushed and pos < n:
                cost += self._pushed_lateness(r, pos, lo + t_uq)
            out.append((cost + extra, lo, hi, pos, dwork))
        return out

    def _pushed_lateness(self, r: Route, pos: int, arrive: int) -> int:
        """Cost of the extra lateness of stops ``pos..`` when stop ``pos`` can start no
        earlier than ``arrive`` (their start times move only until a wait absorbs the push)."""
        est, nodes, arc, due, rate = r.est, r.nodes, r.arc_t, r.due, self.due_cost
        extra = 0
        for k in range(pos, len(nodes)):
            if arrive <= est[k]:
                break
            if due[k] is not None and arrive > due[k]:
                extra += (arrive - max(due[k], est[k])) * rate[nodes[k]]
            if k + 1 < len(nodes):
                arrive = max(arrive + arc[k + 1], int(self.times.ws[nodes[k + 1]]))
        return extra

    def _window(self, vi: int) -> tuple[int, int] | None:
        """Start range for visit ``vi``: its window, cut by the ``after`` gaps to partners
        already placed (hard) and, when that leaves room, to partners still to come (so
        the first of a pair is not placed where the second cannot follow)."""
        node = self.data.nodes_of_visit[vi][0]
        ws, lw = int(self.times.ws[node]), int(self.times.lw[node])
        soft_ws, soft_lw = ws, lw
        for oi, lo, hi in self.partners.get(vi, []):
            if oi in self.start_of:
                a = b = self.start_of[oi]
            elif oi in self.placed:
                a, b = self._start_range(self.data.nodes_of_visit[oi][0])
            elif oi in self.data.nodes_of_visit:
                other = self.data.nodes_of_visit[oi][0]
                a, b = int(self.times.ws[other]), int(self.times.lw[other])
                if lo is not None:
                    soft_ws = max(soft_ws, a + lo)
                if hi is not None:
                    soft_lw = min(soft_lw, b + hi)
                continue
            else:
                continue
            if lo is not None:
                ws, soft_ws = max(ws, a + lo), max(soft_ws, a + lo)
            if hi is not None:
                lw, soft_lw = min(lw, b + hi), min(soft_lw, b + hi)
        if soft_ws <= soft_lw:
            return soft_ws, soft_lw
        return (ws, lw) if ws <= lw else None

    def _start_range(self, node: int) -> tuple[int, int]:
        """Earliest and latest start of a placed node in its route."""
        r = self.route_of[node]
        k = r.nodes.index(node)
        return r.est[k], r.lst[k]

    def _fix_partners(self, vi: int, start: int) -> bool:
        """Pin the placed, still flexible ``after`` partners of ``vi`` (now starting at
        ``start``) to their earliest start that keeps the gap; False if a route then
        breaks the break rule (the caller rolls back)."""
        for oi, lo, hi in self.partners.get(vi, []):
            if oi not in self.placed or oi in self.start_of:
                continue
            node = self.data.nodes_of_visit[oi][0]
            a, b = self._start_range(node)
            # start(vi) - start(oi) in [lo, hi]  =>  start(oi) in [start - hi, start - lo]
            if hi is not None:
                a = max(a, start - hi)
            if lo is not None:
                b = min(b, start - lo)
            if a > b:
                return False
            self.times.ws[node] = self.times.lw[node] = a
            r = self.route_of[node]
            self.times.refresh(r)
            self.start_of[oi] = a
            if self.times.needs_breaks[r.vehicle] and self.times.starts(r, r.nodes) is None:
                return False
        return True

    def _ok_vehicle(self, r: Route, u: int, dwork: int) -> bool:
        g = self.group_of[r.vehicle]
        if self.max_work[g] is not None and self.work[g] + dwork - self.unpaid[u] > self.max_work[g]:
            return False
        c = r.home
        return self.capacity[c] is None or r.load + int(self.data.demand[u]) <= self.capacity[c]

    def _commit(self, r: Route, u: int, pos: int, dwork: int, start: int | None) -> None:
        if start is not None:
            self.times.ws[u] = self.times.lw[u] = start
        self.route_of[u] = r
        r.nodes.insert(pos, u)
        r.load += int(self.data.demand[u])
        self.work[self.group_of[r.vehicle]] += dwork - self.unpaid[u]
        self.times.after_insert(r, pos, u)

    def insert(self, vi: int) -> bool:
        """Place visit ``vi`` (and, when it is one of a lone `after` pair with both out,
        its partner too); both are then in :attr:`placed`."""
        if self._place(vi):
            self.placed.add(vi)
            return True
        return False

    def _place(self, vi: int) -> bool:
        partner = self._lone_partner(vi)
        if partner is not None and self._insert_pair(vi, partner):
            return True
        window = self._window(vi)
        if window is None:
            return False
        ws, lw = window
        nodes = self.data.nodes_of_visit[vi]
        # a start is pinned once a rule ties it to a visit already placed
        tied = len(nodes) == 2 or any(oi in self.placed for oi, _, _ in self.partners.get(vi, []))
        if tied and any(oi in self.placed and oi not in self.start_of for oi, _, _ in self.partners.get(vi, [])):
            snap = self.snapshot()
            if self._insert(vi, nodes, ws, lw, tied) and self._fix_partners(vi, self.start_of[vi]):
                return True
            self.restore(snap)
            return False
        return self._insert(vi, nodes, ws, lw, tied)

    def insert_regret(self, visits: list[int]) -> None:
        """Insert ``visits`` (single-handed, tied to no other visit) by regret-2 (Ropke &
        Pisinger 2006): each round places the visit whose cheapest route beats its second
        cheapest by most (a visit with one route left goes first), at its cheapest
        position; cheapest positions are kept per route and recomputed only for routes
        that changed. A visit no route can take stays out."""
        nodes_of = self.data.nodes_of_visit
        pending: dict[int, tuple[int, int, int, list[Route]]] = {}
        for vi in visits:
            window = self._window(vi)
            if window is not None:
                u = nodes_of[vi][0]
                pending[vi] = (u, *window, list(self._candidates(u, *window, empty_twins=2)))
        best_in: dict[tuple[int, int], tuple | None] = {}  # (visit, vehicle) -> _route_best
        while pending:
            pick = None  # (regret, -cost, visit, route, option)
            for vi, (u, ws, lw, routes) in pending.items():
                first = second = None
                for r in routes:
                    key = (vi, r.vehicle)
                    if key not in best_in:
                        best_in[key] = self._route_best(r, u, ws, lw, False)
                    option = best_in[key]
                    if option is None:
                        continue
                    if first is None or option[0] < first[1][0]:
                        second, first = first, (r, option)
                    elif second is None or option[0] < second[1][0]:
                        second = (r, option)
                if first is None:
                    continue
                regret = float("inf") if second is None else second[1][0] - first[1][0]
                if pick is None or (regret, -first[1][0]) > pick[:2]:
                    pick = (regret, -first[1][0], vi, *first)
            if pick is None:
                return
            _, _, vi, r, (_, pos, dwork, _) = pick
            self._commit(r, pending.pop(vi)[0], pos, dwork, None)
            self.placed.add(vi)
            # the route changed, and so did the work of the carer's other shifts
            shifts = [w.vehicle for w in self.routes if w.home == r.home]
            for other in pending:
                for v in shifts:
                    best_in.pop((other, v), None)

    def placed_partners(self, visits) -> set[int]:
        """The placed `after` partners of ``visits``: a pair leaves and comes back together."""
        return {oi for vi in visits for oi, _, _ in self.partners.get(vi, []) if oi in self.placed}

    def _candidates(self, u: int, ws: int, lw: int, empty_twins: int):
        """Routes node ``u`` may go into with a start in ``[ws, lw]``: allowed, in
        :attr:`focus`, shift overlapping; at most ``empty_twins`` empty routes per twin key."""
        focus = self.focus
        empty: dict[tuple, int] = {}  # twin key -> empty routes offered
        for v in self.data.allowed[u]:
            r = self.routes[v]
            if r.start > lw or r.end < ws or (focus is not None and v not in focus):
                continue
            if not r.nodes and (key := self.twin[v]) is not None:
                if empty.get(key, 0) >= empty_twins:
                    continue
                empty[key] = empty.get(key, 0) + 1
            yield r

    def _route_best(self, r: Route, u: int, ws: int, lw: int, tied: bool) -> tuple | None:
        """``(cost, pos, dwork, lo)`` of the cheapest position of node ``u`` in ``r`` that
        keeps every rule, or None."""
        best = None
        for cost, lo, _hi, pos, dwork in self._options(r, u, ws, lw):
            if (best is None or cost < best[0]) and self._ok_vehicle(r, u, dwork):
                if self.times.fits_rules(r, u, pos, lo if tied else None):
                    best = (cost, pos, dwork, lo)
        return best

    def _insert(self, vi: int, nodes: tuple[int, ...], ws: int, lw: int, tied: bool) -> bool:
        if len(nodes) == 1:
            u = nodes[0]
            best = None
            for r in self._candidates(u, ws, lw, empty_twins=1):
                option = self._route_best(r, u, ws, lw, tied)
                if option is not None and (best is None or option[0] < best[0]):
                    best = (option[0], r, *option[1:])
            if best is None:
                return False
            _, r, pos, dwork, lo = best
            self._commit(r, u, pos, dwork, lo if tied else None)
            if tied:
                self.start_of[vi] = lo
            return True
        return self._insert_double(vi, nodes, ws, lw)

    def _insert_double(self, vi: int, nodes: tuple[int, ...], ws: int, lw: int) -> bool:
        a, b = nodes
        best = self._best_pair(a, b, (ws, lw), (ws, lw), 0, 0, distinct_carers=True)
        if best is None:
            return False
        oa, ob, start, _ = best
        self._commit(oa[5], a, oa[3], oa[4], start)
        self._commit(ob[5], b, ob[3], ob[4], start)
        self.start_of[vi] = start
        return True

    def _pair_options(self, u: int, ws: int, lw: int) -> list[tuple]:
        """``(cost, lo, hi, pos, work_delta, route)`` of node u over every allowed route, cheapest first."""
        mine = []
        for r in self._candidates(u, ws, lw, empty_twins=2):  # a pair may open two twins
            for cost, lo, hi, pos, dwork in self._options(r, u, ws, lw):
                if self._ok_vehicle(r, u, dwork):
                    mine.append((cost, lo, hi, pos, dwork, r))
        mine.sort(key=lambda o: o[0])
        return mine

    def _best_pair(self, a: int, b: int, window_a: tuple[int, int], window_b: tuple[int, int],
                   gap_lo: int | None, gap_hi: int | None, distinct_carers: bool):
        """Cheapest joint placement of nodes ``a`` and ``b`` in two different routes with
        ``gap_lo <= start(a) - start(b) <= gap_hi``: ``(option a, option b, start a,
        start b)`` or None. Both starts are the earliest the gap and the routes allow."""
        opts_a = self._pair_options(a, *window_a)
        opts_b = self._pair_options(b, *window_b)
        low = gap_lo if gap_lo is not None else -10**9
        high = gap_hi if gap_hi is not None else 10**9
        best = None
        for oa in opts_a:
            if best is not None and oa[0] >= best[0]:
                break
            for ob in opts_b:
                total = oa[0] + ob[0]
                if best is not None and total >= best[0]:
                    break
                ra, rb = oa[5], ob[5]
                if ra is rb or (distinct_carers and ra.home == rb.home):
                    continue
                start_a = max(oa[1], ob[1] + low)
                if start_a > min(oa[2], ob[2] + high):
                    continue
                start_b = max(ob[1], start_a - high)
                if ra.home == rb.home and not self._ok_vehicle(ra, a, oa[4] + ob[4] - self.unpaid[b]):
                    continue  # two shifts of one carer share her working time
                if self.times.fits_rules(ra, a, oa[3], start_a) and self.times.fits_rules(rb, b, ob[3], start_b):
                    best = (total, oa, ob, start_a, start_b)
        return None if best is None else best[1:]

    def _lone_partner(self, vi: int) -> int | None:
        """The `after` partner of ``vi`` when the two form a pair of single visits tied to
        nothing else and both are out of the roster (they are then inserted together)."""
        ties = self.partners.get(vi, [])
        if len(ties) != 1:
            return None
        oi = ties[0][0]
        nodes = self.data.nodes_of_visit
        if (oi in self.placed or oi not in nodes or len(nodes[oi]) != 1 or len(nodes[vi]) != 1
                or len(self.partners.get(oi, [])) != 1):
            return None
        return oi

    def _insert_pair(self, vi: int, oi: int) -> bool:
        """Insert ``vi`` and its `after` partner ``oi`` at once (both pinned): the first of
        a pair placed alone may leave the second no room, so each candidate position of
        one is matched with the best position of the other that keeps the gap."""
        _, lo, hi = self.partners[vi][0]
        a, b = self.data.nodes_of_visit[vi][0], self.data.nodes_of_visit[oi][0]
        wa = int(self.times.ws[a]), int(self.times.lw[a])
        wb = int(self.times.ws[b]), int(self.times.lw[b])
        # start(a) - start(b) in [lo, hi]: cut each window to what the other can reach
        window_a = (max(wa[0], wb[0] + lo) if lo is not None else wa[0],
                    min(wa[1], wb[1] + hi) if hi is not None else wa[1])
        window_b = (max(wb[0], wa[0] - hi) if hi is not None else wb[0],
                    min(wb[1], wa[1] - lo) if lo is not None else wb[1])
        if window_a[0] > window_a[1] or window_b[0] > window_b[1]:
            return False
        best = self._best_pair(a, b, window_a, window_b, lo, hi, distinct_carers=False)
        if best is None:
            return False
        oa, ob, start_a, start_b = best
        self._commit(oa[5], a, oa[3], oa[4], start_a)
        self._commit(ob[5], b, ob[3], ob[4], start_b)
        self.start_of[vi], self.start_of[oi] = start_a, start_b
        self.placed.add(oi)
        return True

    def remove(self, vi: int) -> list[int]:
        """Take a placed visit out of the roster (its tied partners keep their times).

        Returns the visits also taken out because the route's new first or last visit
        broke the commute rules (the route they left is added to :attr:`trimmed`); the
        caller re-inserts them with the others."""
        data = self.data
        shortened = []
        for u in data.nodes_of_visit[vi]:
            r = self.route_of.pop(u)
            shortened.append(r)
            T = self.vehicle_T[r.vehicle]
            pos = r.nodes.index(u)
            p = r.nodes[pos - 1] if pos > 0 else r.home
            q = r.nodes[pos + 1] if pos + 1 < len(r.nodes) else r.home
            self.work[self.group_of[r.vehicle]] -= int(T[p, u] + T[u, q] - T[p, q]) - self.unpaid[u]
            r.nodes.pop(pos)
            r.load -= int(data.demand[u])
            self.times.ws[u] = data.window_start[u]
            self.times.lw[u] = data.window_end[u] + data.late_limit[u]
            self.times.after_remove(r, pos)
        self.start_of.pop(vi, None)
        self.placed.discard(vi)
        also: list[int] = []
        for r in shortened:
            also += self._trim(r)
        return also

    def _trim(self, r: Route) -> list[int]:
        """Take out the visits at the ends of ``r`` that break the commute rules; return them."""
        data, ends, out = self.data, self.ends[r.vehicle], []
        while ends is not None and r.nodes and not (ends[0][r.nodes[0]] and ends[1][r.nodes[-1]]):
            w = r.nodes[0] if not ends[0][r.nodes[0]] else r.nodes[-1]
            wi = int(data.node_visit[w])
            self.trimmed.extend(self.route_of[x] for x in data.nodes_of_visit[wi])
            out += [wi, *self.remove(wi)]
        return out

    # ----------------------------------------------------------------------- objective

    def route_cost(self, r: Route, continuity: bool = True) -> int:
        """The routing objective's share of one route (arcs, fixed cost, continuity,
        lateness, contracted-minutes soft bounds)."""
        if not r.nodes:
            return 0
        nodes = [r.home, *r.nodes, r.home]
        C, T = self.vehicle_C[r.vehicle], self.vehicle_T[r.vehicle]
        total = int(C[nodes[:-1], nodes[1:]].sum()) + self.fixed_cost[r.vehicle]
        if continuity and self.continuity is not None:
            total += int(self.continuity[r.home][r.nodes].sum())
        if r.due:
            starts = self.times.starts(r, r.nodes) or r.est
            late = np.maximum(0, np.array(starts) - self.data.due[r.nodes])
            total += int((late * self.data.due_cost[r.nodes]).sum())
        if r.vehicle in self.work_targets:
            target, short, over = self.work_targets[r.vehicle]
            work = int(T[nodes[:-1], nodes[1:]].sum()) - sum(self.unpaid[u] for u in r.nodes)
            total += short * max(0, target - work) + over * max(0, work - target)
        return total

    def dropped_cost(self) -> int:
        """What the visits left out cost (their drop penalties)."""
        offset = self.offset if self.exact else 0
        return sum(p - offset for node, p in self.penalty.items() if node not in self.route_of)

    def objective(self) -> int:
        """The routing model's objective; with :attr:`exact` set, continuity is priced
        exactly instead (see :meth:`client_cost`)."""
        if not self.exact:
            return sum(self.route_cost(r) for r in self.routes) + self.dropped_cost()
        return (sum(self.route_cost(r, False) for r in self.routes) + self.dropped_cost()
                + sum(self.client_cost(c) for c in range(len(self.client_nodes))))

    def enable_exact_continuity(self) -> None:
        """Price continuity as the issue states it, which routing cannot: each *distinct*
        carer a client sees who is not in ``known_carers`` costs ``new_carer_penalty``
        once; each visit by a known carer earns ``familiar_carer_reward``; each visit by
        a carer without a preferred language costs ``language_preference_penalty``, and
        one lacking tags the client prefers costs their weights (``client.preferences``)."""
        from .rules import misses_preferred_language, preference_cost

        data = self.data
        problem, policy = data.problem, data.problem.policy
        index = {c.id: i for i, c in enumerate(problem.clients)}
        carer_index = {c.id: i for i, c in enumerate(problem.carers)}
        self.client_nodes: list[list[int]] = [[] for _ in problem.clients]
        self.client_of = np.full(data.n_nodes, -1, dtype=np.int64)
        for node in range(data.n_homes, data.n_nodes):
            ci = index[problem.visits[data.node_visit[node]].client]
            self.client_nodes[ci].append(node)
            self.client_of[node] = ci
        self.known = [{carer_index[k] for k in c.known_carers if k in carer_index} for c in problem.clients]
        self.new_cost = int(round(policy.new_carer_penalty * COST_SCALE))
        self.reward = int(round(policy.familiar_carer_reward * COST_SCALE))
        lang = int(round(policy.language_preference_penalty * COST_SCALE))
        self.language_cost = [
            [lang if misses_preferred_language(c, k) else 0 for k in problem.carers]
            for c in problem.clients
        ]
        self.preference_cost = [
            [int(round(preference_cost(c, k) * COST_SCALE)) for k in problem.carers] if c.preferences
            else [0] * len(problem.carers)
            for c in problem.clients
        ]
        self.exact = True

    def client_cost(self, client: int) -> int:
        """The exact continuity cost of one client's visits (see :meth:`enable_exact_continuity`)."""
        carers = set()
        total = 0
        known, language = self.known[client], self.language_cost[client]
        preference = self.preference_cost[client]
        for node in self.client_nodes[client]:
            r = self.route_of.get(node)
            if r is None:
                continue
            carers.add(r.home)
            total += language[r.home] + preference[r.home] - (self.reward if r.home in known else 0)
        return total + self.new_cost * len(carers - known)

    # ----------------------------------------------------------------------- the roster

    def snapshot(self) -> tuple:
        """The roster as it stands, to go back to with :meth:`restore` (a search tries a
        step, then keeps or undoes it)."""
        routes = [(r.nodes[:], r.est[:], r.lst[:], r.arc_t[:], r.arc_c[:], r.load, r.due[:])
                  for r in self.routes]
        return (routes, self.times.ws.copy(), self.times.lw.copy(), list(self.work), dict(self.start_of),
                set(self.placed), dict(self.route_of))

    def restore(self, snap: tuple) -> None:
        """Go back to ``snap`` (route lists are updated in place, so they are copied)."""
        routes, ws, lw, work, start_of, placed, route_of = snap
        self.times.ws, self.times.lw, self.work = ws.copy(), lw.copy(), list(work)
        self.start_of, self.placed, self.route_of = dict(start_of), set(placed), dict(route_of)
        for r, (nodes, est, lst, arc_t, arc_c, load, due) in zip(self.routes, routes, strict=True):
            r.nodes, r.est, r.lst, r.arc_t, r.arc_c, r.load, r.due = (
                nodes[:], est[:], lst[:], arc_t[:], arc_c[:], load, due[:])

    def follow(self, carers_of: dict[int, tuple[int, ...]]) -> None:
        """Insert each visit ``carers_of`` names into those carers' shifts first, in window
        order (a rota rolled forward: the carers who did the call last time keep it where it
        still fits); what does not fit is left to :meth:`run`."""
        data = self.data
        for vi in sorted(carers_of, key=lambda vi: int(data.window_start[data.nodes_of_visit[vi][0]])):
            if vi in self.placed:
                continue
            self.focus = {v for ci in carers_of[vi] for v in data.vehicles_of[ci]}
            self.insert(vi)
        self.focus = None

    def run(self, order: list[int] | None = None) -> list[list[int]]:
        """Insert every visit of the model in ``order``; return node sequences per vehicle."""
        problem = self.data.problem
        if order is None:
            # measured on a 1,000-visit day: priority first leaves 99 visits out; window
            # first 111, and scoring idle time, pushed stops or late starts only adds more
            # a sleep-in or waking night holds a carer all night: it goes before the calls
            # of its priority, which fit around it
            def key(vi: int):
                node = self.data.nodes_of_visit[vi][0]
                visit = problem.visits[vi]
                return (PRIORITY_RANK[visit.priority], visit.kind == "visit", int(self.times.ws[node]),
                        int(self.times.lw[node]))

            order = sorted(self.data.nodes_of_visit, key=key)
        for vi in order:
            if vi not in self.placed:
                self.insert(vi)
        return [list(r.nodes) for r in self.routes]

    def schedule(self) -> list[tuple[int, list[tuple[int, int]], list[tuple[int, int]]]]:
        """``[(vehicle, [(node, start)], [(break start, break end)])]`` of used vehicles
        (:meth:`optimiser.route_times.RouteTimes.schedule`)."""
        return self.times.schedule(self.routes)
