"""Evaluate a patch design: roster every patch with the core optimiser and add it up.

For a representative day (the busiest of the week unless told), each patch becomes one
:class:`optimiser.model.Problem`: its clients' visits (planned time +- the window
tolerance) and the carers of the county workforce who live in it. The patch is
rostered on road travel times (``geo``) and validated; then the smallest number of
carers that delivers every visit is *searched* (bisection on the carer count, each
probe a real solve). Money and time come from the core KPIs
(:func:`optimiser.kpis.build_kpis`), so the patch figures and the roster figures agree.

Accounting (all in carer-hours: a double-handed visit counts twice, as councils pay):
``hours_demanded = hours_delivered + hours_undeliverable`` per patch, and for the
design ``hours_demanded = sum over patches + hours of clients outside every patch``
(those are undeliverable too and listed by client). Cost items sum to the total.

Cost comes twice: the core KPIs' Homecare Association-style price (``Figures.cost``, flat
on-cost shares of wages from the policy), and the same roster under each employment
model of ``settings.employment`` (``Figures.employment``: :mod:`optimiser.employment`,
on-costs itemised per carer), side by side.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from datetime import date as Date
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from optimiser.employment import (
    EMPLOYMENT_ITEMS,
    EMPLOYMENT_MODELS,
    EmploymentChoice,
    EmploymentCost,
    EmploymentModel,
    employment_costs,
)
from optimiser.io import InputError, describe_validation_error
from optimiser.kpis import Kpis, build_kpis
from optimiser.model import (
    MAX_MONEY,
    MAX_SEED,
    Carer,
    Client,
    Float,
    Haversine,
    Id,
    Int,
    Location,
    Options,
    PathText,
    Policy,
    Problem,
    RoadNetwork,
    Route,
    Shift,
    Solution,
    Statistics,
    Travel,
    TravelMode,
    Unassigned,
    Visit,
    Window,
    whole,
)
from optimiser.travel import HaversineTravel, TravelTimes

from .demand import DAYS, ClientPlan, Day, Demand, Setting
from .designs import Design, assign_clients, assign_points, design_geojson, nearest_patch

COST_ITEMS = ("contact_wage", "travel_time_wage", "mileage", "ni_pension", "other_on_costs", "running_business", "profit")
Outcome = Literal["on_time", "late", "unassigned", "outside"]


class _Doc(BaseModel):
    # the same rules as the roster contract (optimiser.model): no NaN or infinity
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# --------------------------------------------------------------------------- settings and supply


class CarerHome(_Doc):
    id: Id
    lat: Float = Field(ge=-90, le=90)
    lon: Float = Field(ge=-180, le=180)
    travel_mode: TravelMode = "car"


class Supply(_Doc):
    """The county's care workforce: where carers live and how they travel."""

    carers: list[CarerHome]


class EvaluationSettings(_Doc):
    day: Day | None = Field(default=None, description="Representative day; the busiest when absent.")
    week_of: Date = Field(default=Date(2026, 11, 23), description="Monday of the week the day is taken from.")
    window_minutes: Int = Field(default=30, ge=0, le=720, description="Time-window tolerance: planned time +- this.")
    critical_window_minutes: Int = Field(default=15, ge=0, le=720, description="Tolerance for time-critical (medication) visits.")
    late_limit_minutes: Int = Field(default=30, ge=0, le=720, description="Soft lateness allowed after the window (priced).")
    shifts: list[tuple[str, str]] = Field(
        default=[("07:00", "13:00"), ("16:00", "22:00")],
        description="Every carer's split shifts, HH:MM (each <= 6 h, so no break falls due inside one).",
    )
    max_work_minutes: whole(ge=1, le=1440) | None = Field(default=540, description="Cap on a carer's paid minutes a day.")
    travel_mode: TravelMode = "car"
    carers: whole(ge=1, le=5000) | None = Field(
        default=None, description="County workforce when no supply is given; derived from demand when absent."
    )
    contact_hours_per_carer: Float = Field(
        default=5.5, ge=0.5, le=24, description="Contact hours a carer delivers a day (to derive the workforce size)."
    )
    search_carers: StrictBool = Field(default=True, description="Search the carers needed to deliver 100%.")
    max_probes: Int = Field(default=5, ge=1, le=20, description="Solves spent on the carer search per patch.")
    probe_fixed_cost: Float = Field(default=30.0, ge=0, le=MAX_MONEY, description="Per used shift in probes: prefer fewer carers.")
    time_limit: Float | None = Field(default=None, gt=0, le=3600, description="Seconds per roster solve (default: scaled).")
    seconds_per_visit: Float = Field(default=0.05, gt=0, le=10, description="Scaled time limit: seconds per visit (x sqrt(visits/300) above 300 visits), 5-90 s.")
    probe_time_limit: Float | None = Field(default=None, gt=0, le=3600, description="Seconds per search probe (default time_limit).")
    seed: Int = Field(default=1, ge=0, le=MAX_SEED)
    osm_file: PathText | None = Field(default=None, description="Road travel times from this extract; haversine when absent.")
    policy: Policy = Policy()
    employment: list[EmploymentChoice] = Field(
        default_factory=lambda: list(EMPLOYMENT_MODELS.values()),
        max_length=len(EMPLOYMENT_MODELS),
        description="Employment models to cost every roster under, side by side (optimiser.employment): "
        "each a name (zero_hours, guaranteed_hours, salaried_shifts, ethical_care_charter) or an object "
        "with a name and the figures to change; all four when absent.",
    )

    @field_validator("employment")
    @classmethod
    def _different_models(cls, models: list[EmploymentModel]) -> list[EmploymentModel]:
        names = [m.name for m in models]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"each employment model once: {', '.join(twice)} given more than once")
        return models

    @field_validator("shifts")
    @classmethod
    def _shifts(cls, shifts: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if not shifts:
            raise ValueError("give at least one shift")
        for a, b in shifts:
            for t in (a, b):
                hh, _, mm = t.partition(":")
                if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
                    raise ValueError(f"shift time {t!r} is not HH:MM")
            if b <= a:
                raise ValueError(f"shift {a}-{b} ends before it starts")
        return shifts

    def date(self, demand: Demand) -> datetime:
        day = self.day or demand.busiest_day()
        return datetime.combine(self.week_of, datetime.min.time()) + timedelta(days=DAYS.index(day) - self.week_of.weekday())


def derive_supply(demand: Demand, settings: EvaluationSettings) -> Supply:
    """A workforce sized to the representative day, living where the demand is.

    Size: ``settings.carers`` or the day's contact hours / ``contact_hours_per_carer``.
    Homes: client homes drawn in proportion to their hours (carers live locally).
    """
    day = settings.day or demand.busiest_day()
    minutes = np.array([c.carer_minutes(day) for c in demand.clients], dtype=float)
    n = settings.carers or max(1, math.ceil(minutes.sum() / 60 / settings.contact_hours_per_carer))
    if minutes.sum() == 0:
        minutes = np.ones(len(demand.clients))
    rng = np.random.default_rng(settings.seed)
    picks = rng.choice(len(demand.clients), size=n, p=minutes / minutes.sum())
    return Supply(
        carers=[
            CarerHome(id=f"k{i + 1:04d}", lat=demand.clients[j].lat, lon=demand.clients[j].lon, travel_mode=settings.travel_mode)
            for i, j in enumerate(picks)
        ]
    )


# --------------------------------------------------------------------------- results


class EquityCounts(_Doc):
    """Raw counts per client setting, so patches add up exactly to the design."""

    clients: int = 0
    clients_served: int = 0
    visits: int = 0
    on_time: int = 0
    late: int = 0
    unassigned: int = 0
    lateness_minutes: float = 0.0
    distinct_carers: int = 0  # summed over served clients

    def add(self, other: EquityCounts) -> None:
        for name in EquityCounts.model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def row(self) -> dict[str, Any]:
        def r(a: float, b: float) -> float | None:
            return a / b if b else None

        placed = self.on_time + self.late
        return {
            "clients": self.clients,
            "visits": self.visits,
            "on_time_share": r(self.on_time, self.visits),
            "late_visits": self.late,
            "mean_lateness_minutes": r(self.lateness_minutes, placed),
            "unassigned_visits": self.unassigned,
            "unassigned_share": r(self.unassigned, self.visits),
            "distinct_carers_per_client": r(self.distinct_carers, self.clients_served),
        }


class Probe(_Doc):
    carers: int
    unassigned: int
    carers_used: int
    seconds: float
    unassigned_minutes: float = 0.0  # carer-minutes
    delivered_minutes: float = 0.0
    undecided: bool = Field(default=False, description="No roster found in time (counted as not delivering)")


class EmploymentFigures(_Doc):
    """The cost of a patch or a design under one employment model (:mod:`optimiser.employment`)."""

    cost: dict[str, float] = Field(default_factory=lambda: dict.fromkeys(EMPLOYMENT_ITEMS, 0.0))  # GBP
    cost_total: float = 0.0
    paid_hours: float = 0.0  # paid for time: contact, travel, waiting or shift time, guaranteed hours
    top_up_hours: float = 0.0  # guaranteed hours paid but not worked
    cost_per_contact_hour: float | None = None
    break_even_fee: float | None = None  # zero-profit fee per contact hour
    short_personal_care_visits: int | None = None  # None: the model does not count them
    carers_without_contract: int | None = None  # None: the model guarantees no hours

    @classmethod
    def of(cls, c: EmploymentCost) -> EmploymentFigures:
        return cls(cost=dict(c.items), paid_hours=c.paid_hours, top_up_hours=c.top_up_hours,
                   short_personal_care_visits=c.short_personal_care_visits,
                   carers_without_contract=c.carers_without_contract)

    def add(self, other: EmploymentFigures) -> None:
        for i in EMPLOYMENT_ITEMS:
            self.cost[i] = self.cost.get(i, 0.0) + other.cost.get(i, 0.0)
        self.paid_hours += other.paid_hours
        self.top_up_hours += other.top_up_hours
        for name in ("short_personal_care_visits", "carers_without_contract"):
            a, b = getattr(self, name), getattr(other, name)
            setattr(self, name, None if a is None and b is None else (a or 0) + (b or 0))

    def finish(self, hours_delivered: float) -> None:
        self.cost_total = sum(self.cost.get(i, 0.0) for i in EMPLOYMENT_ITEMS)
        self.cost_per_contact_hour = self.break_even_fee = None
        if hours_delivered > 0 and self.cost_total > 0:
            self.cost_per_contact_hour = self.cost_total / hours_delivered
            business, profit = self.cost.get("running_business", 0.0), self.cost.get("profit", 0.0)
            direct = self.cost_total - business - profit
            business_share = business / self.cost_total
            self.break_even_fee = direct / (1 - business_share) / hours_delivered


class Figures(_Doc):
    """Hours, carers, time and money of one patch or a whole design (one representative day)."""

    clients: int = 0
    visits: int = 0
    hours_demanded: float = 0.0
    hours_delivered: float = 0.0
    hours_undeliverable: float = 0.0
    carers_available: int = 0
    carers_used: int = 0
    carers_needed: int | None = None
    paid_hours: float = 0.0
    travel_hours: float = 0.0
    travel_share: float | None = None
    waiting_hours: float = 0.0  # unpaid gaps between visits within a shift
    miles: float = 0.0  # paid mileage (between visits)
    commute_miles: float = 0.0  # unpaid, home <-> first/last visit
    cost: dict[str, float] = Field(default_factory=dict)  # COST_ITEMS -> GBP
    cost_total: float = 0.0
    cost_per_contact_hour: float | None = None
    break_even_fee: float | None = None  # zero-profit fee per contact hour
    fee_per_hour: float = 0.0
    fee_income: float = 0.0
    employment: dict[str, EmploymentFigures] = Field(
        default_factory=dict, description="The same rosters costed under each employment model of the settings, by name"
    )

    def finish(self, policy: Policy) -> None:
        """Derived ratios from the sums (shared by patches and designs)."""
        self.travel_share = self.travel_hours / self.paid_hours if self.paid_hours > 0 else None
        self.cost_total = sum(self.cost.get(i, 0.0) for i in COST_ITEMS)
        self.fee_per_hour = policy.fee_per_hour
        self.fee_income = self.hours_delivered * policy.fee_per_hour
        if self.hours_delivered > 0:
            self.cost_per_contact_hour = self.cost_total / self.hours_delivered
            direct = sum(self.cost.get(i, 0.0) for i in COST_ITEMS[:5])
            self.break_even_fee = direct / (1 - policy.business_cost_share) / self.hours_delivered
        for e in self.employment.values():
            e.finish(self.hours_delivered)


class PatchResult(_Doc):
    design: str
    patch: str
    figures: Figures
    equity: dict[Setting, EquityCounts] | None = Field(description="None when the roster failed validation")
    violations: int = 0
    violation_rules: list[str] = []
    probes: list[Probe] = []
    carers_needed_exact: bool = False
    client_outcome: dict[str, Outcome] = {}
    travel_source: str = ""
    seconds: float = 0.0


class DesignResult(_Doc):
    design: str
    day: Day
    date: str
    classification: str
    travel_source: str
    patches: list[PatchResult]
    totals: Figures
    equity: dict[Setting, dict[str, Any]]
    equity_patches_excluded: list[str] = Field(default_factory=list, description="Rosters that failed validation")
    outside_clients: list[str] = []
    outside_hours: float = 0.0
    geojson: dict
    seconds: float = 0.0


# --------------------------------------------------------------------------- problems


def _hhmm(day: datetime, text: str) -> datetime:
    hh, mm = text.split(":")
    return day + timedelta(hours=int(hh), minutes=int(mm))


def day_visits(client: ClientPlan, day: Day, when: datetime, settings: EvaluationSettings) -> list[Visit]:
    visits = []
    for i, pv in enumerate(client.visits_on(day), start=1):
        planned = when + timedelta(minutes=pv.minute_of_day)
        tol = timedelta(minutes=settings.critical_window_minutes if pv.time_critical else settings.window_minutes)
        visits.append(
            Visit(
                id=f"{client.id}-{i}",
                client=client.id,
                window=Window(start=max(when, planned - tol), end=planned + tol),
                duration_minutes=pv.duration_minutes,
                carers_required=pv.carers_required,
                priority="high" if pv.time_critical else "normal",
                late_limit_minutes=settings.late_limit_minutes,
            )
        )
    return visits


def _carer(home: CarerHome, when: datetime, settings: EvaluationSettings, fixed_cost: float = 0.0) -> Carer:
    return Carer(
        id=home.id,
        home=Location(lat=home.lat, lon=home.lon),
        travel_mode=home.travel_mode,
        shifts=[Shift(start=_hhmm(when, a), end=_hhmm(when, b)) for a, b in settings.shifts],
        max_work_minutes=settings.max_work_minutes,
        fixed_cost=fixed_cost,
    )


def patch_problem(
    pid: str, clients: list[ClientPlan], carers: list[CarerHome], settings: EvaluationSettings,
    when: datetime, *, fixed_cost: float = 0.0,
) -> Problem:
    try:
        return _patch_problem(pid, clients, carers, settings, when, fixed_cost)
    except ValidationError as err:
        raise InputError(f"patch {pid}: {describe_validation_error(err)}") from err


def _patch_problem(
    pid: str, clients: list[ClientPlan], carers: list[CarerHome], settings: EvaluationSettings, when: datetime,
    fixed_cost: float,
) -> Problem:
    day = DAYS[when.weekday()]
    travel = Travel(road_network=RoadNetwork(osm_file=settings.osm_file, modes=[settings.travel_mode])) if settings.osm_file else Travel()
    return Problem(
        id=pid,
        carers=[_carer(h, when, settings, fixed_cost) for h in carers],
        clients=[Client(id=c.id, location=Location(lat=c.lat, lon=c.lon)) for c in clients],
        visits=[v for c in clients for v in day_visits(c, day, when, settings)],
        travel=travel,
        policy=settings.policy,
        options=Options(time_limit_seconds=_time_limit(settings, sum(len(c.visits_on(day)) for c in clients)), seed=settings.seed),
    )


def make_travel(locations: dict[str, Location], osm_file: str | None, modes: list[TravelMode]) -> tuple[TravelTimes, str]:
    """Road travel times on ``osm_file`` (geo), else haversine; and a description."""
    if osm_file:
        try:
            from geo import RoadTravelTimes  # type: ignore[attr-defined]
        except ImportError as err:
            raise InputError(f"road travel times need the geo package ({err})") from err
        return RoadTravelTimes.from_spec(RoadNetwork(osm_file=osm_file, modes=modes), locations), f"road network {osm_file}"
    h = Haversine()
    return HaversineTravel(locations, h), f"haversine x{h.detour_factor} at {h.speed_kmh}"


# --------------------------------------------------------------------------- solving a day


def _block_of(visit: Visit, shifts: list[Shift]) -> int:
    """The shift block whose interval overlaps the visit's possible span the most."""
    a, b = visit.window.start, visit.window.end + timedelta(minutes=visit.duration_minutes + visit.late_limit_minutes)

    def overlap(sh: Shift) -> float:
        return (min(b, sh.end) - max(a, sh.start)).total_seconds()

    return max(range(len(shifts)), key=lambda i: overlap(shifts[i]))


def solve_day(problem: Problem, travel: TravelTimes, time_limit: float, seed: int) -> Solution:
    """Roster a patch day, one shift block at a time, merged into one roster.

    Every carer works the same split shifts; nothing links her morning to her evening
    but the daily cap on paid minutes, which is split over the blocks in proportion
    to their length (so the merged roster keeps it). Solving the blocks apart keeps
    each routing model small enough for a first solution in seconds on a 700-visit
    county day. The merged roster is what gets validated and costed.
    """
    from optimiser.engine import solve
    from optimiser.kpis import compute_kpis

    shifts = problem.carers[0].shifts if problem.carers else []
    same = all(c.shifts == shifts for c in problem.carers)
    if len(shifts) < 2 or not same or any(v.after for v in problem.visits):
        return solve(problem, time_limit=time_limit, seed=seed, travel=travel)
    blocks: dict[int, list[Visit]] = {}
    for v in problem.visits:
        blocks.setdefault(_block_of(v, shifts), []).append(v)
    total_shift = sum(sh.minutes for sh in shifts)
    routes: dict[str, tuple[list, list]] = {c.id: ([], []) for c in problem.carers}
    unassigned, runtime, solutions = [], 0.0, 0
    statuses = []
    for i, visits in sorted(blocks.items()):
        share = shifts[i].minutes / total_shift
        carers = [
            c.model_copy(update={
                "shifts": [shifts[i]],
                "max_work_minutes": None if c.max_work_minutes is None else int(c.max_work_minutes * share),
            })
            for c in problem.carers
        ]
        sub = problem.model_copy(update={"carers": carers, "visits": visits})
        sol = solve(sub, time_limit=max(1.0, time_limit * len(visits) / len(problem.visits)), seed=seed, travel=travel)
        for r in sol.routes:
            routes[r.carer][0].extend(r.stops)
            routes[r.carer][1].extend(r.breaks)
        unassigned.extend(sol.unassigned)
        runtime += sol.statistics.runtime_seconds
        solutions += sol.statistics.solutions
        statuses.append(sol.status)
    status = "no_solution" if "no_solution" in statuses else "partial" if unassigned else "feasible"
    merged = Solution(
        problem_id=problem.id,
        status=status,
        routes=[Route(carer=c, stops=sorted(st, key=lambda x: x.start), breaks=br) for c, (st, br) in routes.items() if st],
        unassigned=unassigned,
        statistics=Statistics(runtime_seconds=round(runtime, 3), solutions=solutions, strategy="per shift block"),
    )
    merged.kpis = compute_kpis(problem, merged, travel)
    return merged


def _time_limit(s: EvaluationSettings, visits: int, probe: bool = False) -> float:
    """Seconds for one roster solve: given, or scaled with the visits of the day."""
    given = s.probe_time_limit if probe and s.probe_time_limit else s.time_limit
    # routing search needs more than linear time to converge as a patch grows
    scaled = s.seconds_per_visit * visits * max(1.0, visits / 300) ** 0.5
    return given if given is not None else min(90.0, max(5.0, scaled))


# --------------------------------------------------------------------------- one patch


class PatchTask(_Doc):
    design: str
    patch: str
    clients: list[ClientPlan]
    carers: list[CarerHome]
    settings: EvaluationSettings
    when: datetime


def evaluate_patch(task: PatchTask) -> PatchResult:
    """Roster one patch, validate it, search the carers needed (runs in a worker process)."""
    from optimiser.validator import validate

    started = time.monotonic()
    s = task.settings
    pid = f"{task.design}/{task.patch}"
    problem = patch_problem(pid, task.clients, task.carers, s, task.when)
    candidates = _candidate_homes(task, problem)
    locations = problem.locations() | {h.id: Location(lat=h.lat, lon=h.lon) for h in candidates}
    modes = sorted({h.travel_mode for h in [*task.carers, *candidates]}) or [s.travel_mode]
    travel, source = make_travel(locations, s.osm_file, modes)

    if problem.carers and problem.visits:
        limit = _time_limit(s, len(problem.visits))
        roster = solve_day(problem, travel, limit, s.seed)
        if roster.status == "no_solution":  # no first solution in time: give it one more go
            roster = solve_day(problem, travel, 2 * limit, s.seed)
    else:
        roster = Solution(
            problem_id=pid,
            status="partial" if problem.visits else "feasible",
            unassigned=[Unassigned(visit=v.id, reason="no carer lives in this patch", rule="supply") for v in problem.visits],
        )
    report = validate(problem, roster, travel)
    kpis = Kpis.model_validate(report.kpis)
    setting_of = {c.id: c.setting or "rural" for c in task.clients}
    figures = patch_figures(problem, roster, kpis, s.policy, s.employment)
    result = PatchResult(
        design=task.design,
        patch=task.patch,
        figures=figures,
        equity=roster_equity(problem, roster, report, setting_of, travel),
        violations=len(report.violations),
        violation_rules=sorted(report.rules_broken()),
        client_outcome=client_outcomes(problem, roster, travel),
        travel_source=source,
    )
    if s.search_carers and problem.visits:
        first = Probe(
            carers=len(problem.carers), unassigned=len(roster.unassigned), carers_used=kpis.carers_used,
            unassigned_minutes=figures.hours_undeliverable * 60, delivered_minutes=kpis.contact_minutes,
            seconds=roster.statistics.runtime_seconds,
        )
        search_carers_needed(task, problem, candidates, travel, result, first)
    result.seconds = round(time.monotonic() - started, 2)
    return result


def patch_figures(
    problem: Problem, roster: Solution, kpis: Kpis, policy: Policy, employment: list[EmploymentModel] | None = None
) -> Figures:
    """The figures of one rostered patch, from the core KPIs (validated by the same travel),
    and its cost under each of the ``employment`` models (none when not given)."""
    demanded = sum(v.duration_minutes * v.carers_required for v in problem.visits)
    unplaced = {u.visit for u in roster.unassigned}
    undeliverable = sum(v.duration_minutes * v.carers_required for v in problem.visits if v.id in unplaced)
    f = Figures(
        clients=len(problem.clients),
        visits=len(problem.visits),
        hours_demanded=demanded / 60,
        hours_delivered=kpis.contact_minutes / 60,
        hours_undeliverable=undeliverable / 60,
        carers_available=len(problem.carers),
        carers_used=kpis.carers_used,
        paid_hours=kpis.paid_minutes / 60,
        travel_hours=kpis.travel_minutes / 60,
        waiting_hours=sum(c.waiting_minutes for c in kpis.per_carer.values()) / 60,
        miles=kpis.travel_miles,
        commute_miles=kpis.commute_km / 1.609344,
        cost={i: float(getattr(kpis.cost, i)) for i in COST_ITEMS},
        employment={name: EmploymentFigures.of(c) for name, c in employment_costs(problem, roster, kpis, employment or []).items()},
    )
    f.finish(policy)
    return f


def _candidate_homes(task: PatchTask, problem: Problem) -> list[CarerHome]:
    """Homes for the carer search: the patch's own carers first, then client homes by hours."""
    if not task.settings.search_carers or not problem.visits:
        return []
    day_minutes = {c.id: 0 for c in problem.clients}
    for v in problem.visits:
        day_minutes[v.client] += v.duration_minutes * v.carers_required
    cap = _carer_capacity_minutes(task.settings)
    limit = max(2 * len(task.carers), 3 * math.ceil(sum(day_minutes.values()) / cap), 4)
    rng = np.random.default_rng(task.settings.seed)
    ids = [c.id for c in task.clients]
    w = np.array([day_minutes.get(i, 0) for i in ids], dtype=float) + 1e-9
    picks = rng.choice(len(ids), size=limit, p=w / w.sum())
    homes = [CarerHome(id=f"probe{i + 1:04d}", lat=task.clients[j].lat, lon=task.clients[j].lon, travel_mode=task.settings.travel_mode) for i, j in enumerate(picks)]
    # the patch's own carers come first so probes at the supply size resemble the roster
    own = [CarerHome(id=f"probe-{h.id}", lat=h.lat, lon=h.lon, travel_mode=h.travel_mode) for h in task.carers]
    return (own + homes)[:limit]


def _minutes_of(problem: Problem, visit_ids: set[str]) -> float:
    """Carer-minutes of the given visits (a double-handed visit counts twice)."""
    return float(sum(v.duration_minutes * v.carers_required for v in problem.visits if v.id in visit_ids))


def _carer_capacity_minutes(s: EvaluationSettings) -> float:
    shift_minutes = sum((_hhmm(datetime(2000, 1, 1), b) - _hhmm(datetime(2000, 1, 1), a)).total_seconds() / 60 for a, b in s.shifts)
    return min(shift_minutes, s.max_work_minutes or shift_minutes)


def search_carers_needed(
    task: PatchTask, problem: Problem, candidates: list[CarerHome], travel: TravelTimes, result: PatchResult, first: Probe
) -> None:
    """Smallest carer count whose roster delivers every visit: grow, then bisect.

    Each probe is a real solve with the first ``n`` candidate homes and a small fixed
    cost per used shift (so the solver uses as few carers as it can). The roster's own
    carers are the first probe. A probe that delivers everything with fewer carers than
    it had lowers the bound to the carers it used. Heuristic solves are not monotone in
    ``n``; the answer is the smallest delivering count found, ``carers_needed_exact``
    when a failing probe sits right below it.
    """
    s = task.settings
    cap = _carer_capacity_minutes(s)
    demand_minutes = sum(v.duration_minutes * v.carers_required for v in problem.visits)
    double = any(v.carers_required == 2 for v in problem.visits)
    lo = max(1 if not double else 2, math.ceil(demand_minutes / cap)) - 1  # fewer than lo+1 cannot work
    hi: int | None = None
    probes = [first]
    if first.unassigned == 0:
        hi = min(first.carers, first.carers_used)
    else:
        lo = max(lo, min(first.carers, len(candidates) - 1))

    def probe(n: int) -> Probe:
        p = problem.model_copy(update={"carers": [_carer(h, task.when, s, s.probe_fixed_cost) for h in candidates[:n]]})
        sol = solve_day(p, travel, _time_limit(s, len(p.visits), probe=True), s.seed)
        used = len({r.carer for r in sol.routes if r.stops})
        return Probe(
            carers=n, unassigned=len(sol.unassigned), carers_used=used,
            unassigned_minutes=_minutes_of(p, {u.visit for u in sol.unassigned}),
            delivered_minutes=_minutes_of(p, {st.visit for r in sol.routes for st in r.stops}),
            seconds=sol.statistics.runtime_seconds, undecided=sol.status == "no_solution",
        )

    def step_up(pr: Probe) -> int:
        """Carers to add after a failing probe: its undelivered minutes at the
        minutes a used carer delivered there, with a margin, at least 10%."""
        per_carer = pr.delivered_minutes / max(1, pr.carers_used)
        return max(1, math.ceil(1.5 * pr.unassigned_minutes / max(per_carer, 60.0)), math.ceil(0.10 * pr.carers))

    budget, last = s.max_probes, first
    while hi is None and budget > 0:
        grow = last.carers + step_up(last) if last.unassigned and last.carers > 0 else lo + 1
        n = min(len(candidates), max(lo + 1, grow, math.ceil(demand_minutes / cap)))
        if n <= lo:
            break
        last = probe(n)
        probes.append(last)
        budget -= 1
        if last.unassigned == 0:
            hi = min(n, last.carers_used)
        elif n >= len(candidates):
            break  # even every candidate home cannot deliver it all
        else:
            lo = n
    while hi is not None and hi - lo > 1 and budget > 0:
        # far from the floor: try 10% fewer first (answers sit near a working roster)
        mid = max(lo + 1, math.floor(0.9 * hi)) if hi - lo > max(4, 0.2 * hi) else (lo + hi) // 2
        pr = probe(mid)
        probes.append(pr)
        budget -= 1
        if pr.unassigned == 0:
            hi = min(mid, pr.carers_used)
        else:
            lo = mid
    result.probes = probes
    result.figures.carers_needed = hi
    result.carers_needed_exact = hi is not None and hi - lo <= 1


# --------------------------------------------------------------------------- equity and outcomes


def _lateness(problem: Problem, roster: Solution) -> dict[str, float]:
    """Minutes after window.end of each placed visit (0 when on time)."""
    window_end = {v.id: v.window.end for v in problem.visits}
    late: dict[str, float] = {}
    for r in roster.routes:
        for st in r.stops:
            if st.visit in window_end:
                late[st.visit] = max(0.0, (st.start - window_end[st.visit]).total_seconds() / 60)
    return late


def roster_equity(
    problem: Problem, roster: Solution, report: Any, setting_of: dict[str, Setting], travel: TravelTimes | None = None
) -> dict[Setting, EquityCounts] | None:
    """Rural/urban service counts of one roster, or ``None`` when the validator rejected it.

    On time = placed and started by the window's end; lateness is averaged over placed
    visits; distinct carers are counted per served client. Only a roster with zero
    violations is trusted.
    """
    if report.violations:
        return None
    kpis = Kpis.model_validate(report.kpis) if report.kpis else build_kpis(problem, roster, travel)
    late = _lateness(problem, roster)
    out: dict[Setting, EquityCounts] = {"urban": EquityCounts(), "rural": EquityCounts()}
    for c in problem.clients:
        e = out[setting_of.get(c.id, "rural")]
        e.clients += 1
        ck = kpis.per_client.get(c.id)
        if ck is not None and ck.distinct_carers:
            e.clients_served += 1
            e.distinct_carers += ck.distinct_carers
    for v in problem.visits:
        e = out[setting_of.get(v.client, "rural")]
        e.visits += 1
        if v.id not in late:
            e.unassigned += 1
        elif late[v.id] > 1e-6:
            e.late += 1
            e.lateness_minutes += late[v.id]
        else:
            e.on_time += 1
    return out


def client_outcomes(problem: Problem, roster: Solution, travel: TravelTimes | None = None) -> dict[str, Outcome]:
    """Worst outcome of each client's visits: unassigned > late > on time."""
    late = _lateness(problem, roster)
    rank = {"on_time": 0, "late": 1, "unassigned": 2}
    out: dict[str, Outcome] = {c.id: "on_time" for c in problem.clients}
    for v in problem.visits:
        o = "unassigned" if v.id not in late else "late" if late[v.id] > 1e-6 else "on_time"
        if rank[o] > rank[out[v.client]]:
            out[v.client] = o  # type: ignore[assignment]
    return out


# --------------------------------------------------------------------------- designs


def patch_tasks(design: Design, demand: Demand, supply: Supply, settings: EvaluationSettings) -> tuple[list[PatchTask], list[str]]:
    """One task per patch (clients inside it, carers living in it or nearest to it)
    and the clients outside every patch."""
    when = settings.date(demand)
    assignment = assign_clients(design, demand)
    homes = assign_points(design, {h.id: (h.lat, h.lon) for h in supply.carers})
    carer_patch = dict(homes.patch_of)
    by_id = {h.id: h for h in supply.carers}
    for hid in homes.outside:
        carer_patch[hid] = nearest_patch(design, by_id[hid].lat, by_id[hid].lon)
    clients_by_id = {c.id: c for c in demand.clients}
    tasks = [
        PatchTask(
            design=design.name,
            patch=p.name,
            clients=[clients_by_id[c] for c in assignment.members(p.name)],
            carers=[by_id[h] for h, q in carer_patch.items() if q == p.name],
            settings=settings,
            when=when,
        )
        for p in design.patches
    ]
    return tasks, assignment.outside


ProgressFn = Callable[[int, int, float, str], None]


def run_tasks(tasks: list[PatchTask], *, workers: int = 1, progress: ProgressFn | None = None) -> list[PatchResult]:
    """Evaluate patch tasks, biggest first, in ``workers`` processes; results in task order."""
    started = time.monotonic()
    order = sorted(range(len(tasks)), key=lambda i: -sum(c.carer_minutes() for c in tasks[i].clients))
    results: list[PatchResult | None] = [None] * len(tasks)

    def done(i: int, r: PatchResult) -> None:
        results[i] = r
        if progress is not None:
            progress(sum(x is not None for x in results), len(tasks), time.monotonic() - started, f"{r.design}/{r.patch}")

    if workers <= 1 or len(tasks) <= 1:
        for i in order:
            done(i, evaluate_patch(tasks[i]))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures: dict[Future, int] = {pool.submit(evaluate_patch, tasks[i]): i for i in order}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    done(futures[f], f.result())
    return [r for r in results if r is not None]


def summarise_design(
    design: Design, demand: Demand, settings: EvaluationSettings, results: list[PatchResult], outside: list[str], seconds: float = 0.0
) -> DesignResult:
    """Add the patches up; outside clients' hours count as undeliverable."""
    day = settings.day or demand.busiest_day()
    clients_by_id = {c.id: c for c in demand.clients}
    outside_hours = sum(clients_by_id[c].carer_minutes(day) for c in outside) / 60
    outside_visits = sum(len(clients_by_id[c].visits_on(day)) for c in outside)
    t = Figures(cost={i: 0.0 for i in COST_ITEMS}, employment={m.name: EmploymentFigures() for m in settings.employment})
    needed: list[int | None] = []
    for r in results:
        f = r.figures
        for name in ("clients", "visits", "carers_available", "carers_used"):
            setattr(t, name, getattr(t, name) + getattr(f, name))
        for name in ("hours_demanded", "hours_delivered", "hours_undeliverable", "paid_hours", "travel_hours", "waiting_hours", "miles", "commute_miles"):
            setattr(t, name, getattr(t, name) + getattr(f, name))
        for i in COST_ITEMS:
            t.cost[i] += f.cost.get(i, 0.0)
        for name, e in t.employment.items():
            if name in f.employment:
                e.add(f.employment[name])
        needed.append(f.carers_needed)
    t.clients += len(outside)
    t.visits += outside_visits
    t.hours_demanded += outside_hours
    t.hours_undeliverable += outside_hours
    if settings.search_carers and needed and all(n is not None for n in needed):
        t.carers_needed = sum(n for n in needed if n is not None)
    t.finish(settings.policy)
    equity = {"urban": EquityCounts(), "rural": EquityCounts()}
    excluded = []
    for r in results:
        if r.equity is None:
            excluded.append(r.patch)
            continue
        for k, e in r.equity.items():
            equity[k].add(e)
    for c in outside:  # not served: every visit unassigned
        e = equity[clients_by_id[c].setting or "rural"]
        e.clients += 1
        n = len(clients_by_id[c].visits_on(day))
        e.visits += n
        e.unassigned += n
    return DesignResult(
        design=design.name,
        day=day,
        date=settings.date(demand).date().isoformat(),
        classification=demand.classification,
        travel_source=results[0].travel_source if results else "",
        patches=results,
        totals=t,
        equity={k: e.row() for k, e in equity.items()},
        equity_patches_excluded=excluded,
        outside_clients=outside,
        outside_hours=outside_hours,
        geojson=design_geojson(design),
        seconds=round(seconds, 2),
    )


def evaluate_designs(
    designs: list[Design], demand: Demand, settings: EvaluationSettings, supply: Supply | None = None,
    *, workers: int = 1, progress: ProgressFn | None = None,
) -> list[DesignResult]:
    """Evaluate several designs on the same demand and workforce; all patches share one pool."""
    if not demand.clients:
        raise InputError("demand has no clients")
    names = [d.name for d in designs]
    if len(set(names)) != len(names):
        raise InputError(f"design names must differ: {names}")
    supply = supply or derive_supply(demand, settings)
    batches = [patch_tasks(d, demand, supply, settings) for d in designs]
    flat = [t for tasks, _ in batches for t in tasks]
    results = run_tasks(flat, workers=workers, progress=progress)
    out, k = [], 0
    for d, (tasks, outside) in zip(designs, batches, strict=True):
        mine = results[k : k + len(tasks)]
        k += len(tasks)
        out.append(summarise_design(d, demand, settings, mine, outside, sum(r.seconds for r in mine)))
    return out


def evaluate_design(
    design: Design, demand: Demand, settings: EvaluationSettings | None = None, supply: Supply | None = None,
    *, workers: int = 1, progress: ProgressFn | None = None,
) -> DesignResult:
    """Evaluate one design (the pure function behind ``POST /v1/patches/evaluate``)."""
    return evaluate_designs([design], demand, settings or EvaluationSettings(), supply, workers=workers, progress=progress)[0]
