"""A simple, honest greedy roster: what a coordinator's spreadsheet might do.

Visits are taken in window-start order (critical first on ties). Each goes to the
eligible carer who can get there soonest: the carer minimising *minutes after the
window opens + minutes of travel to reach the client* (a known carer wins ties).
Eligible means every hard rule holds when the visit is appended to the end of her
day: skills, gender, required language, required attributes, exclusions, pinned carers,
a shift that covers the visit, real travel from her last stop, the commute rules (the
visit as her last stop), the break rule, max paid work, capacity and ``after`` gaps to
visits already placed. A double-handed visit needs
two such carers who can start together (the pair with the least summed score). Routes are only ever appended to, never
reordered, and nothing is tried twice: the baseline the optimiser must beat.

Travel used for timing is rounded up to whole minutes, so every start is a whole
minute and the roster passes :func:`optimiser.validator.validate`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from optimiser import rules
from optimiser.model import (
    PRIORITIES,
    Break,
    Carer,
    Client,
    Problem,
    Route,
    Solution,
    Statistics,
    Stop,
    Unassigned,
    Visit,
)
from optimiser.sources import travel_times
from optimiser.travel import TravelTimes

_RANK = {p: i for i, p in enumerate(PRIORITIES)}


@dataclass
class _Option:
    """Carer ``state`` could start the visit at ``start`` (minutes) in shift ``shift``."""

    state: _CarerState
    start: float
    shift: int
    leg_minutes: float
    leg_km: float
    paid: float  # paid minutes added: the visit plus paid (rounded-up) travel
    block_start: float
    needs_break: bool  # the idle gap before it is the break that keeps the block legal


@dataclass
class _CarerState:
    carer: Carer
    shifts: list[tuple[float, float]]
    shift: int = -1  # shift of her last stop; -1 before her first
    point: str = ""  # where she is: her home, then her last client
    last_end: float = 0.0
    block_start: float = 0.0
    worked: float = 0.0
    load: int = 0
    stops: list[Stop] = field(default_factory=list)
    breaks: list[Break] = field(default_factory=list)


class GreedyRoster:
    """One greedy pass over a problem; :meth:`run` returns the :class:`Solution`."""

    def __init__(self, problem: Problem, travel: TravelTimes | None = None):
        self.problem = problem
        self.travel = travel if travel is not None else travel_times(problem)
        self.policy = problem.policy
        self.clients = {c.id: c for c in problem.clients}
        self.visits = {v.id: v for v in problem.visits}
        times = [s.start for c in problem.carers for s in c.shifts] + [
            v.window.start for v in problem.visits
        ]
        first = min(times)
        self.epoch = datetime(first.year, first.month, first.day)
        self.states = [
            _CarerState(
                carer=c,
                shifts=sorted((self._min(s.start), self._min(s.end)) for s in c.shifts),
                point=c.id,
            )
            for c in problem.carers
        ]
        self.starts: dict[str, float] = {}  # placed visit -> start minute
        self.followers: dict[str, list[Visit]] = {}  # visit -> visits whose `after` names it
        for v in problem.visits:
            if v.after is not None:
                self.followers.setdefault(v.after.visit, []).append(v)

    # ------------------------------------------------------------------ time helpers

    def _min(self, t: datetime) -> float:
        return (t - self.epoch).total_seconds() / 60

    def _at(self, minutes: float) -> datetime:
        return self.epoch + timedelta(minutes=minutes)

    def _hm(self, minutes: float) -> str:
        return f"{self._at(minutes):%H:%M}"

    # ------------------------------------------------------------------ rules

    def _mismatch(self, carer: Carer, visit: Visit, client: Client) -> str | None:
        """The first rule that stops the carer doing this visit (``optimiser.rules``), else None."""
        broken = rules.ineligible(visit, client, carer)
        if broken is None and rules.pinned_elsewhere(visit, carer):
            return rules.PINNED
        return broken

    def _bounds(self, visit: Visit) -> tuple[float, float]:
        """Earliest and latest start: the window, narrowed by ``after`` gaps to placed visits."""
        lo, hi = self._min(visit.window.start), self._min(visit.window.end)
        a = visit.after
        if a is not None and a.visit in self.starts:
            lo = max(lo, self.starts[a.visit] + a.min_minutes)
            if a.max_minutes is not None:
                hi = min(hi, self.starts[a.visit] + a.max_minutes)
        for f in self.followers.get(visit.id, []):
            if f.id in self.starts:
                assert f.after is not None
                hi = min(hi, self.starts[f.id] - f.after.min_minutes)
                if f.after.max_minutes is not None:
                    lo = max(lo, self.starts[f.id] - f.after.max_minutes)
        return math.ceil(lo), math.floor(hi)

    def _check(self, st: _CarerState, visit: Visit, start: float) -> _Option | None:
        """Can she start ``visit`` at ``start``, appended after her last stop?"""
        end = start + visit.duration_minutes
        shift = next((k for k, (a, b) in enumerate(st.shifts) if a <= start and end <= b), None)
        if shift is None or shift < st.shift:
            return None
        carer = st.carer
        leg_minutes, leg_km = self.travel.leg(
            carer.travel_mode, st.point if shift == st.shift else carer.id, visit.client
        )
        policy = self.policy
        needs_break = False
        if shift == st.shift:
            travel = math.ceil(leg_minutes - 1e-9)
            ready = st.last_end + travel
            if start < ready:
                return None
            paid = visit.duration_minutes + travel
            idle = start - ready
            rested = policy.break_after_minutes is not None and idle >= policy.break_minutes
            block_start = start if rested else st.block_start
            needs_break = rested and end - st.block_start > (policy.break_after_minutes or 0)
            load = st.load + visit.demand
        else:
            paid, block_start, load = visit.duration_minutes, start, visit.demand
        if not self._commute_ok(st, visit, start, shift, leg_minutes):
            return None
        if (
            policy.break_after_minutes is not None
            and end - block_start > policy.break_after_minutes
        ):
            return None
        if carer.max_work_minutes is not None and st.worked + paid > carer.max_work_minutes:
            return None
        if carer.capacity is not None and load > carer.capacity:
            return None
        return _Option(st, start, shift, leg_minutes, leg_km, paid, block_start, needs_break)

    def _commute_ok(self, st: _CarerState, visit: Visit, start: float, shift: int, leg_minutes: float) -> bool:
        """The commute rules, with the visit as her last stop (and, in a new shift, her first)."""
        carer = st.carer
        limit = rules.commute_limit(carer, self.policy)
        back, _ = self.travel.leg(carer.travel_mode, visit.client, carer.id)
        if limit is not None and back > limit:
            return False
        if shift == st.shift:
            return True
        if limit is not None and leg_minutes > limit:
            return False
        if st.shift < 0:
            return True
        home, _ = self.travel.leg(carer.travel_mode, st.point, carer.id)
        return rules.home_in_between(st.last_end, home, leg_minutes, start)

    def _earliest(self, st: _CarerState, visit: Visit, lo: float, hi: float) -> _Option | None:
        """Her earliest legal start in ``[lo, hi]``: straight after her last stop, after a
        break there, or at the start of a later shift."""
        for k in range(max(st.shift, 0), len(st.shifts)):
            shift_start, shift_end = st.shifts[k]
            if shift_start > hi:
                break
            if shift_end - visit.duration_minutes < lo:
                continue
            if k == st.shift:
                leg, _ = self.travel.leg(st.carer.travel_mode, st.point, visit.client)
                ready = st.last_end + math.ceil(leg - 1e-9)
                candidates = [ready, ready + self.policy.break_minutes]
            else:
                candidates = [shift_start]
            for t in candidates:
                t = max(lo, t)
                if t > hi:
                    break
                option = self._check(st, visit, t)
                if option is not None:
                    return option
        return None

    # ------------------------------------------------------------------ choosing

    def _score(self, option: _Option, visit: Visit, client: Client) -> tuple[float, bool]:
        late = option.start - self._min(visit.window.start)
        return late + option.leg_minutes, option.state.carer.id not in client.known_carers

    def _place(self, visit: Visit, option: _Option) -> None:
        st = option.state
        start, end = option.start, option.start + visit.duration_minutes
        same_shift = option.shift == st.shift
        arrival = st.last_end + option.leg_minutes if same_shift else start
        if option.needs_break:
            st.breaks.append(
                Break(start=self._at(start - self.policy.break_minutes), end=self._at(start))
            )
        st.stops.append(
            Stop(
                visit=visit.id,
                arrival=self._at(min(arrival, start)),
                start=self._at(start),
                end=self._at(end),
                travel_minutes=option.leg_minutes,
                travel_km=option.leg_km,
            )
        )
        st.load = st.load + visit.demand if same_shift else visit.demand
        st.shift, st.point, st.last_end = option.shift, visit.client, end
        st.block_start = option.block_start
        st.worked += option.paid

    def _assign(self, visit: Visit) -> Unassigned | None:
        client = self.clients[visit.client]
        matching, failed = [], {}
        for st in self.states:
            rule = self._mismatch(st.carer, visit, client)
            if rule is None:
                matching.append(st)
            else:
                failed[rule] = failed.get(rule, 0) + 1
        pinned = set(visit.pinned_carers)
        if len(matching) < visit.carers_required or not pinned <= {st.carer.id for st in matching}:
            return self._unmatched(visit, client, failed, matching)
        lo, hi = self._bounds(visit)
        window = f"{self._hm(lo)}–{self._hm(hi)}" if lo <= hi else "(after-gaps leave no time)"
        options = [o for st in matching if (o := self._earliest(st, visit, lo, hi)) is not None]
        if visit.carers_required == 1:
            if not options:
                return Unassigned(
                    visit=visit.id,
                    reason=f"no matching carer is free to start {visit.duration_minutes} min at "
                    f"{client.id} {window} (shifts, travel, breaks, max work)",
                    rule="busy",
                )
            chosen = min(options, key=lambda o: self._score(o, visit, client))
            self._place(visit, chosen)
            self.starts[visit.id] = chosen.start
            return None
        pair = self._pair(visit, client, options, pinned)
        if pair is None:
            return Unassigned(
                visit=visit.id,
                reason=f"no two matching carers can start this double-handed visit together at "
                f"{client.id} {window}",
                rule="double_handed",
            )
        for option in pair:
            self._place(visit, option)
        self.starts[visit.id] = pair[0].start
        return None

    def _pair(
        self, visit: Visit, client: Client, options: list[_Option], pinned: set[str]
    ) -> tuple[_Option, _Option] | None:
        """Two carers who can start together, scored like single visits (summed over both)."""
        best: tuple[tuple[float, int], tuple[_Option, _Option]] | None = None
        for t in sorted({o.start for o in options}):
            able = [o2 for o in options if o.start <= t and (o2 := self._check(o.state, visit, t))]
            if len(able) < 2 or not pinned <= {o.state.carer.id for o in able}:
                continue
            able.sort(key=lambda o: (o.state.carer.id not in pinned, self._score(o, visit, client)))
            a, b = able[0], able[1]
            (sa, na), (sb, nb) = self._score(a, visit, client), self._score(b, visit, client)
            key = (sa + sb, na + nb)
            if best is None or key < best[0]:
                best = key, (a, b)
        return None if best is None else best[1]

    def _unmatched(
        self, visit: Visit, client: Client, failed: dict[str, int], matching: list[_CarerState]
    ) -> Unassigned:
        missing = sorted(set(visit.pinned_carers) - {st.carer.id for st in matching})
        if missing:
            return Unassigned(
                visit=visit.id,
                reason=f"pinned carer(s) {', '.join(missing)} do not meet the visit's rules",
                rule=rules.PINNED,
            )
        rule = max(failed, key=failed.get) if failed else "busy"
        needs = {
            rules.SKILLS: f"the skill(s) {', '.join(visit.skills)}",
            rules.GENDER: f"{client.carer_gender} gender",
            rules.LANGUAGE: f"a language of {' / '.join(client.languages)}",
            rules.REQUIREMENTS: f"the attribute(s) {', '.join(sorted(set(client.requirements)))}",
            rules.EXCLUDED: "not being declined by the client",
            rules.CAPACITY: f"capacity for demand {visit.demand}",
            rules.MAX_WORK: f"a max_work_minutes of at least {visit.duration_minutes}",
        }.get(rule, "the visit's rules")
        have = f"only {len(matching)}" if matching else "no"
        return Unassigned(
            visit=visit.id,
            reason=f"{have} carer(s) match {needs}; the visit needs {visit.carers_required}",
            rule=rule,
        )

    # ------------------------------------------------------------------ entry point

    def run(self) -> Solution:
        started = time.perf_counter()
        order = sorted(
            self.problem.visits,
            key=lambda v: (v.window.start, _RANK[v.priority], v.window.end, v.id),
        )
        unassigned = [u for v in order if (u := self._assign(v)) is not None]
        routes = [Route(carer=st.carer.id, stops=st.stops, breaks=st.breaks) for st in self.states]
        seconds = time.perf_counter() - started
        placed = len(self.problem.visits) - len(unassigned)
        status = "feasible" if not unassigned else ("partial" if placed else "no_solution")
        return Solution(
            problem_id=self.problem.id,
            status=status,
            routes=routes,
            unassigned=unassigned,
            statistics=Statistics(
                runtime_seconds=seconds,
                first_solution_seconds=seconds,
                solutions=1,
                strategy="greedy",
            ),
        )


def greedy_solve(problem: Problem, travel: TravelTimes | None = None) -> Solution:
    """The greedy baseline roster of ``problem`` (KPIs left empty; see ``validate``).

    Parameters
    ----------
    problem:
        The day to roster.
    travel:
        The travel source; ``travel_times(problem)`` when None.
    """
    return GreedyRoster(problem, travel).run()
