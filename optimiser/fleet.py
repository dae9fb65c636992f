"""Fleet minimisation: take routes out of a roster while every visit stays placed.

When carers have a fixed cost (Solomon-style benchmarks: one vehicle is worth more than
any distance), the ruin-and-recreate of :func:`optimiser.lns.improve`
seldom empties a route: a step that leaves a visit out costs its drop penalty and is
never accepted, so a route only disappears when all its visits fit elsewhere at once.
This phase follows the fleet minimisation of SISR (Christiaens & Vanden Berghe 2020,
"Slack induction by string removals for vehicle routing problems"):

1. empty one route (random among the shortest) and forbid its vehicle: insertions may
   use only the routes still in use (:attr:`Construction.focus`); its visits are out;
2. ruin and recreate restricted to those routes: remove a few strings of consecutive
   stops from routes near a visit that is out, re-insert everything cheapest-first;
3. keep the new roster when fewer visits are out, or when the visits out have been out
   as often or less (each visit counts the steps it spent out: its *absence*; the count
   drives the visits that are hardest to place back in first; accepting ties let
   Solomon R202/RC202 reach 3 routes in 6 s, 4 with strict descent);
4. when nothing is out, that roster is the best so far with one route fewer: go to 1.

The phase stops at the deadline, when it has not emptied a route for ``patience``
steps, or at a lower bound (fewest vehicles that hold the demand; a clique of visits
that cannot share a route), and leaves the construction at the complete roster of lowest objective (the one
it started from when no route could go). Only :meth:`Construction.insert` and
:meth:`Construction.remove` change the roster, so every rule the construction keeps
(doubles, ``after`` gaps, breaks, work caps, loads) still holds.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np

from .budget import Deadline
from .construct import PRIORITY_RANK, Construction
from .lns import strings_near

STRING_MEAN = 10  # SISR's average number of visits removed per step (c-bar)
# steps without emptying a route before the phase gives up: 5,000 stopped R107, R109 and R111
# one route short at 30 s once steps became 1.4-2.8x faster; 20,000 brings them back
PATIENCE = 20000


def minimise_fleet(
    construction: Construction,
    deadline: Deadline,
    seed: int = 0,
    patience: int = PATIENCE,
    on_improve: Callable[[int, int], None] | None = None,
) -> int:
    """Take routes out of ``construction``'s roster until ``deadline``.

    Parameters
    ----------
    construction
        A construction holding a roster (after :meth:`Construction.run`); changed in place.
    deadline
        When the phase stops.
    seed
        Seeds the random choices.
    patience
        Steps without emptying a route before stopping early.
    on_improve
        Called with ``(objective, unassigned visits)`` whenever a roster with fewer
        routes is found.

    Returns
    -------
    int
        Routes removed (0 leaves the roster exactly as it was).
    """
    used = [r for r in construction.routes if r.nodes]
    if not any(construction.fixed_cost) or len(used) < 2 or deadline.expired():
        return 0
    return _FleetSearch(construction, seed).run(deadline, patience, on_improve)


def fewest_routes(construction: Construction) -> int:
    """A lower bound on the routes the visits placed in ``construction`` need: the fleet
    phase stops there (the larger of the capacity bound and the time-window clique bound
    of :class:`_FleetSearch`).

    Parameters
    ----------
    construction
        A construction holding a roster; not changed.

    Returns
    -------
    int
        Routes that cannot be fewer (1 when nothing bounds them).
    """
    return _FleetSearch(construction, 0).fewest


class _FleetSearch:
    def __init__(self, construction: Construction, seed: int):
        self.c = construction
        self.rng = random.Random(seed)
        data = construction.data
        self.required = set(construction.placed)  # visits that must stay placed
        self.absence = dict.fromkeys(data.nodes_of_visit, 0)
        visits = data.problem.visits
        self.rank = {vi: PRIORITY_RANK[visits[vi].priority] for vi in data.nodes_of_visit}
        first = {vi: nodes[0] for vi, nodes in data.nodes_of_visit.items()}
        self.width = {vi: int(data.window_end[u] + data.late_limit[u] - data.window_start[u])
                      for vi, u in first.items()}
        self.point = {vi: int(data.node_point[u]) for vi, u in first.items()}
        self.minutes = next(iter(data.minutes_int.values()))
        self.visits = np.array(sorted(data.nodes_of_visit))
        self.visit_points = np.array([self.point[vi] for vi in self.visits])
        self._near: dict[int, list[int]] = {}
        self.fewest = max(self.capacity_bound(), self.window_bound())

    def capacity_bound(self) -> int:
        """Fewest routes whose capacities hold the demand of the visits placed (1 when a
        carer has no capacity): no point trying to go below it."""
        c = self.c
        capacities = sorted((c.capacity[c.data.vehicles[v].carer] for v in range(len(c.routes))),
                            key=lambda x: -1 if x is None else x, reverse=True)
        if not capacities or capacities[-1] is None:
            return 1
        demand = sum(int(c.data.demand[u]) for vi in self.required for u in c.data.nodes_of_visit[vi])
        total = 0
        for k, capacity in enumerate(capacities, 1):
            total += capacity
            if total >= demand:
                return k
        return 1

    def window_bound(self, starts: int = 20, most: int = 600) -> int:
        """Size of a clique of visits no two of which fit in one route in either order
        (start window, duration and travel): each needs a route of its own. Greedy from
        the ``starts`` visits with most such conflicts; 1 with several travel modes or
        above ``most`` visits (the matrix would cost more than the time it saves).
        Solomon: R102 17, R103 13, C1 10 -- their best-known counts."""
        c = self.c
        data = c.data
        if len({id(t) for t in c.vehicle_T}) != 1 or not 1 < len(self.required) <= most:
            return 1
        nodes = np.array([data.nodes_of_visit[vi][0] for vi in sorted(self.required)])
        earliest = data.window_start[nodes]
        latest = data.window_end[nodes] + data.late_limit[nodes]
        T = c.vehicle_T[0][np.ix_(nodes, nodes)]  # service + travel
        fits = earliest[:, None] + T <= latest[None, :]  # i, then j
        clash = ~(fits | fits.T)
        np.fill_diagonal(clash, False)
        best = 1
        for first in np.argsort(-clash.sum(1), kind="stable")[:starts]:
            size, candidates = 1, clash[first].copy()
            while candidates.any():
                idx = np.flatnonzero(candidates)
                k = idx[np.argmax(clash[np.ix_(idx, idx)].sum(1))]
                size += 1
                candidates &= clash[k]
            best = max(best, size)
        return best

    # ------------------------------------------------------------------- helpers

    def near(self, vi: int) -> list[int]:
        """Visits by travel time from ``vi`` (nearest first; cached)."""
        order = self._near.get(vi)
        if order is None:
            dist = self.minutes[self.point[vi], self.visit_points]
            order = self.visits[np.argsort(dist, kind="stable")].tolist()
            self._near[vi] = order
        return order

    def missing(self) -> list[int]:
        return [vi for vi in self.required if vi not in self.c.placed]

    def used(self) -> list:
        return [r for r in self.c.routes if r.nodes]

    # ------------------------------------------------------------------- search

    def run(self, deadline: Deadline, patience: int, on_improve) -> int:
        c = self.c
        best_value = c.objective()
        best_routes = first_routes = len(self.used())
        best_snap = c.snapshot()
        if best_routes <= self.fewest:
            return 0
        allowed = self.empty_route()
        out = self.missing()
        idle = 0
        try:
            while idle < patience and not deadline.expired():
                idle += 1
                if not out:
                    routes = len(self.used())
                    value = c.objective()
                    if routes < best_routes and value < best_value:
                        best_value, best_routes, best_snap = value, routes, c.snapshot()
                        idle = 0
                        if on_improve is not None:
                            on_improve(value, len(c.data.nodes_of_visit) - len(c.placed))
                    if routes <= self.fewest:
                        break
                    allowed = self.empty_route()
                    out = self.missing()
                    continue
                snap = c.snapshot()
                self.step(out, allowed)
                new = self.missing()
                if len(new) < len(out) or (
                        sum(self.absence[vi] for vi in new) <= sum(self.absence[vi] for vi in out)):
                    out = new
                else:
                    c.restore(snap)
                for vi in out:
                    self.absence[vi] += 1
        finally:
            c.focus = None
            c.restore(best_snap)
        return first_routes - best_routes

    def empty_route(self) -> set[int]:
        """Empty a short route (random among the three shortest) and return the vehicles
        still allowed: those of the other routes in use."""
        c, rng = self.c, self.rng
        used = self.used()
        used.sort(key=lambda r: (len(r.nodes), rng.random()))
        route = used[0] if rng.random() < 0.5 else rng.choice(used[:3])
        for vi in sorted({int(c.data.node_visit[u]) for u in route.nodes}):
            if vi in c.placed:
                c.remove(vi)  # the visits it trims for the commute rules are out too
        return {r.vehicle for r in used if r is not route}

    def step(self, out: list[int], allowed: set[int]) -> None:
        """One ruin and recreate: strings near a visit that is out come out, then every
        visit out goes back cheapest-first, hardest (most absent) first most of the time."""
        c, rng = self.c, self.rng
        taken = self.strings(rng.choice(out))
        taken |= c.placed_partners(taken)
        for vi in sorted(taken):
            if vi in c.placed:
                taken.update(c.remove(vi))
        again = set(out) | taken
        how = rng.random()
        if how < 0.5:
            key = lambda vi: (self.rank[vi], -self.absence[vi], rng.random())  # noqa: E731
        elif how < 0.75:
            key = lambda vi: (self.rank[vi], self.width[vi], rng.random())  # noqa: E731
        else:
            key = lambda vi: (self.rank[vi], rng.random())  # noqa: E731
        c.focus = allowed
        try:
            for vi in sorted(again, key=key):
                if vi not in c.placed:
                    c.insert(vi)
        finally:
            c.focus = None

    def strings(self, seed: int) -> set[int]:
        """SISR's string removal around visit ``seed`` (:func:`optimiser.lns.strings_near`)."""
        return strings_near(self.c, self.rng, self.near(seed), STRING_MEAN)
