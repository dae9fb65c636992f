"""A roster read against its problem: who does what, when, and the legs between.

The validator's rules and the KPIs both read a roster through :class:`Roster`, built once
from the raw documents and the travel source (never from solver state).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime

from .model import Break, Carer, Client, Problem, Solution, Stop, Visit
from .rules import paid_minutes, week_of
from .travel import TravelTimes

TOL = 1e-6
"""Minutes of slack allowed in every time comparison, for float noise only."""

_EPOCH = datetime(2000, 1, 1)



def minutes(t: datetime) -> float:
    """Minutes since a fixed epoch (naive datetimes, so no DST surprises)."""
    return (t - _EPOCH).total_seconds() / 60


_WITH_DAY: ContextVar[bool] = ContextVar("_WITH_DAY", default=False)


@contextmanager
def naming_days(on: bool) -> Iterator[None]:
    """Within the block, :func:`hm` names the day too (for problems spanning several days)."""
    token = _WITH_DAY.set(on)
    try:
        yield
    finally:
        _WITH_DAY.reset(token)


def hm(t: datetime) -> str:
    """Clock time for messages; with the day when the problem spans several days."""
    return f"{t:%a %d %b %H:%M}" if _WITH_DAY.get() else f"{t:%H:%M}"


def span(a: datetime, b: datetime) -> str:
    """``09:00–09:30`` (the day is named once when it matters)."""
    return f"{hm(a)}–{b:%H:%M}" if a.date() == b.date() else f"{hm(a)}–{hm(b)}"


@dataclass
class Placement:
    """One carer doing one visit (a double-handed visit has two placements)."""

    carer: Carer
    visit: Visit
    client: Client
    stop: Stop
    shift: int  # index into carer.shifts: the one holding the stop, else the nearest
    in_shift: bool  # False when the stop fits no shift (the ``shift`` rule reports it)

    @property
    def start(self) -> float:
        return minutes(self.stop.start)

    @property
    def end(self) -> float:
        return minutes(self.stop.end)


@dataclass
class Leg:
    """Matrix travel into a placement: from home for the first visit of a shift."""

    origin: str  # point id: the carer's home or the previous client
    minutes: float
    km: float
    paid: bool  # False for the commute from home


@dataclass
class Roster:
    """A solution read against its problem: placements per carer in time order, per shift.

    Unknown ids and repeats are recorded (the rules report them) and left out of the
    placements, so every other rule sees a clean roster.
    """

    problem: Problem
    solution: Solution
    travel: TravelTimes
    visits: dict[str, Visit] = field(init=False)
    carers: dict[str, Carer] = field(init=False)
    clients: dict[str, Client] = field(init=False)
    by_carer: dict[str, list[Placement]] = field(init=False)
    by_visit: dict[str, list[Placement]] = field(init=False)
    breaks: dict[str, list[Break]] = field(init=False)
    unknown_carers: list[str] = field(init=False)
    unknown_stops: list[tuple[str, Stop]] = field(init=False)
    repeated_stops: list[tuple[str, Stop]] = field(init=False)
    repeated_routes: list[str] = field(init=False)
    _runs: dict[str, list[list[Placement]]] = field(init=False, default_factory=dict)
    _legs: dict[int, tuple[list[Placement], list[Leg]]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        p = self.problem
        self.visits = {v.id: v for v in p.visits}
        self.carers = {c.id: c for c in p.carers}
        self.clients = {c.id: c for c in p.clients}
        self.by_carer, self.by_visit, self.breaks = {}, defaultdict(list), defaultdict(list)
        self.unknown_carers, self.unknown_stops, self.repeated_stops, self.repeated_routes = [], [], [], []
        for route in self.solution.routes:
            carer = self.carers.get(route.carer)
            if carer is None:
                self.unknown_carers.append(route.carer)
                continue
            if route.carer in self.by_carer:
                self.repeated_routes.append(route.carer)
            placements = self.by_carer.setdefault(route.carer, [])
            self.breaks[route.carer].extend(route.breaks)
            seen = {pl.visit.id for pl in placements}
            for stop in route.stops:
                visit = self.visits.get(stop.visit)
                if visit is None:
                    self.unknown_stops.append((carer.id, stop))
                elif stop.visit in seen:
                    self.repeated_stops.append((carer.id, stop))
                else:
                    seen.add(stop.visit)
                    placements.append(
                        Placement(carer, visit, self.clients[visit.client], stop, *_shift_of(carer, stop))
                    )
        for placements in self.by_carer.values():
            placements.sort(key=lambda pl: (pl.start, pl.end))
            for pl in placements:
                self.by_visit[pl.visit.id].append(pl)

    def runs(self, carer_id: str) -> list[list[Placement]]:
        """The carer's placements grouped by shift, in time order. A stop outside every
        shift joins the nearest one, so one misplaced stop breaks one rule (``shift``)."""
        if carer_id not in self._runs:
            grouped: dict[int, list[Placement]] = defaultdict(list)
            for pl in self.by_carer.get(carer_id, []):
                grouped[pl.shift].append(pl)
            self._runs[carer_id] = list(grouped.values())
        return self._runs[carer_id]

    def placements(self) -> Iterator[Placement]:
        for placements in self.by_carer.values():
            yield from placements

    def all_runs(self) -> Iterator[tuple[Carer, list[Placement]]]:
        for carer_id in self.by_carer:
            for run in self.runs(carer_id):
                yield self.carers[carer_id], run

    def leg(self, carer: Carer, origin: str, destination: str) -> tuple[float, float]:
        return self.travel.leg(carer.travel_mode, origin, destination)

    def legs(self, run: list[Placement]) -> list[Leg]:
        """Matrix travel into each placement of a run (the first from home, unpaid)."""
        cached = self._legs.get(id(run))
        if cached is not None and cached[0] is run:  # the cache holds the run, so its id is not reused
            return cached[1]
        out = []
        origin, paid = run[0].carer.id, False
        for pl in run:
            mins, km = self.leg(pl.carer, origin, pl.client.id)
            out.append(Leg(origin, mins, km, paid))
            origin, paid = pl.client.id, True
        self._legs[id(run)] = (run, out)
        return out

    def paid_by_week(self, carer_id: str) -> dict[date, tuple[float, float]]:
        """``(visit minutes, paid travel minutes)`` of a carer per calendar week (its Monday; a
        shift counts in the week it starts): visits paid by the hour (not sleep-ins) and travel
        between visits within a shift -- what ``rules.week_cap`` caps."""
        weeks: dict[date, tuple[float, float]] = {}
        for run in self.runs(carer_id):
            week = week_of(run[0].carer.shifts[run[0].shift].start)
            visit_min, travel_min = weeks.get(week, (0.0, 0.0))
            weeks[week] = (visit_min + sum(paid_minutes(pl.visit) for pl in run),
                           travel_min + sum(leg.minutes for leg in self.legs(run) if leg.paid))
        return weeks

    def home_leg(self, run: list[Placement]) -> tuple[float, float]:
        """Matrix travel from the last visit of a run back home (unpaid commute)."""
        last = run[-1]
        return self.leg(last.carer, last.client.id, last.carer.id)

    def placed(self, visit_id: str) -> bool:
        return bool(self.by_visit.get(visit_id))

    def visit_start(self, visit_id: str) -> datetime:
        return min(pl.stop.start for pl in self.by_visit[visit_id])


def _shift_of(carer: Carer, stop: Stop) -> tuple[int, bool]:
    """(the shift holding the stop, True), else (the nearest shift, False)."""
    s, e = minutes(stop.start), minutes(stop.end)
    best, best_key = 0, (float("inf"), 0.0)
    for i, shift in enumerate(carer.shifts):
        a, b = minutes(shift.start), minutes(shift.end)
        if a - TOL <= s and e <= b + TOL:
            return i, True
        outside = max(0.0, a - s) + max(0.0, e - b)  # minutes of the stop beyond the shift
        key = (outside, a)
        if key < best_key:
            best, best_key = i, key
    return best, False
