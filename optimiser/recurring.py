"""A day's care plans repeated over a horizon of days: a week or a fortnight to roster.

The care plans are the day generator's (:func:`optimiser.generator.care_plans`: the same
clients, calls, windows, double-ups and medication gaps a day of the same seed has); each
client gets the same calls at the same window every day, except where her plan says
otherwise:

* **day centre** (``day_centre_share``): a client with a lunch call spends 1-2 weekdays at
  a day centre, where lunch is served, and the call is skipped on those days;
* **family at weekends** (``weekend_family_share``): the family covers a lunch or tea call
  on Saturday and Sunday.

Only calls that no ``after`` gap ties to another call are skipped, so a medication gap or
an insulin call always finds the call it follows on the same day: each day's copy of an
``after`` names that day's copy of the other call. Visit ids are the day's id with the
date added (``client-014-morning-2026-11-25``); clients and carers are the same people
every day.

The horizon starts on a Monday, so weekdays and weekends are real: ``settings.date`` when
it is a Monday, else the Monday after it.

Carers (``carers`` of them employed) work to a contract (``contract_mix``): full-time (5
days a week, the 2 days off together), part-time (3-4 days), weekend-only (Saturday and
Sunday) or students (2-4 weekday evenings). A contract's working days repeat every week;
each carer has a usual shift pattern drawn as the day generator draws them (split shifts
among them). Some full- and part-timers are on guaranteed hours (``contracted_share``):
``contracted_minutes`` is the weekly guarantee x days/7 over the horizon, less the weeks
on leave. Whole weeks of leave (``leave_share``) and sickness days (``sickness_share``)
take shifts away.

Every carer's shifts keep the Working Time Regulations as DOMAIN.md gives them: 11 h rest
between the last shift of one working day and the first of the next (a carer who finished
the bed run at 22:00 starts at 09:00 the next day, or her evening ends at 20:00 when she
does the 07:00 start), a day off (24 h rest) in every 7 days and so at most 6 working days
in a row, and at most 48 h of shift time in any 7 consecutive days. Within those rules,
when a day's run (morning, lunch, tea, bed) has fewer carer-minutes than
``capacity_target`` x its demand (as the day generator sizes a day), carers pick up
shifts: a longer pattern on a day they work, or an extra day their contract allows.
When the rules leave a run short, it stays short: :func:`horizon_capacity` tells by how
much. Night care is not generated over a horizon yet (the settings refuse it).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timedelta

from .generator import (
    DAILY_WORK_CAPS,
    GUARANTEE_SHARE,
    RUNS,
    SHIFT_PATTERNS,
    CarePlans,
    GeneratorSettings,
    Person,
    care_plans,
    carer_id,
    draw_person,
    generate_day,
    make_carer,
    match_people,
    run_capacity,
    run_demand,
    travel_of,
    weighted,
)
from .model import Carer, Policy, Problem, Shift, Visit

DAY = 24 * 60
_POLICY = Policy()  # the rules' defaults: the rota keeps what the validator checks
#: Rest between one working day's last shift and the next day's first (minutes):
#: Working Time Regulations, 11 h daily rest (DOMAIN.md; policy.daily_rest_minutes).
DAILY_REST_MINUTES: int = _POLICY.daily_rest_minutes  # type: ignore[assignment]
#: At most this many working days in a row: the 24 h weekly rest of the Working Time
#: Regulations (DOMAIN.md) kept as a whole day off in every 7 days. With no night shifts a
#: day off is a full calendar day without work, so it is at least 24 h of rest.
MAX_CONSECUTIVE_DAYS: int = _POLICY.max_consecutive_days  # type: ignore[assignment]
#: Shift minutes in any 7 consecutive days: the 48 h week of the Working Time Regulations
#: (DOMAIN.md), held every week rather than on a 17-week average, and on shift time (waits
#: between visits included), which is at least the working time (policy.max_week_minutes).
MAX_WEEK_MINUTES: int = _POLICY.max_week_minutes  # type: ignore[assignment]
#: A part of a shift that rest rules trim below this is dropped: fewer than 2 h is not
#: worth the trip out (working assumption, unverified).
MIN_SPAN_MINUTES = 120
#: Weekdays (0 is Monday) on which a day-centre client may attend, and how many (weight).
DAY_CENTRE_WEEKDAYS = (0, 1, 2, 3, 4)
DAY_CENTRE_DAYS: list[tuple[int, float]] = [(1, 0.6), (2, 0.4)]  # unverified working assumption
WEEKEND = (5, 6)

Span = tuple[int, int]  # minutes after the day's midnight


@dataclass(frozen=True)
class Contract:
    """A kind of contract: how many days a week, which weekdays, which shift patterns.

    The shares and shapes are working assumptions (unverified): full-timers work 5 days
    with 2 days off together, part-timers 3-4 days, weekend staff Saturday and Sunday,
    students 2-4 weekday evenings (the tea and bed runs).
    """

    days_a_week: tuple[int, ...]
    """Days a week, one drawn per carer."""
    weekdays: tuple[int, ...] = tuple(range(7))
    """Weekdays she may work (0 is Monday)."""
    extra_days: int = 1
    """Days a week beyond her contract she may pick up when a run is short."""
    patterns: tuple[str, ...] | None = None
    """Shift patterns she works (``None``: the day generator's mix)."""
    guaranteed: bool = True
    """May be on guaranteed hours (students and weekend staff are zero-hours)."""


CONTRACTS: dict[str, Contract] = {
    "full_time": Contract(days_a_week=(5,)),
    "part_time": Contract(days_a_week=(3, 4)),
    "weekend": Contract(days_a_week=(2,), weekdays=WEEKEND, extra_days=0, guaranteed=False),
    "student": Contract(days_a_week=(2, 3, 4), weekdays=(0, 1, 2, 3, 4), patterns=("evening",), guaranteed=False),
}


def horizon_start(settings: GeneratorSettings) -> Date:
    """The horizon's first day: ``settings.date`` when it is a Monday, else the next Monday."""
    day = Date.fromisoformat(settings.date)
    return day + timedelta(days=(7 - day.weekday()) % 7)


# --------------------------------------------------------------------------- care plans


def skipped_days(plan: CarePlans, settings: GeneratorSettings, rng: random.Random) -> dict[int, frozenset[int]]:
    """Plan index -> the weekdays (0 is Monday) on which the call is not made.

    Day-centre days skip a lunch call on 1-2 weekdays; family cover skips a lunch or tea
    call at weekends, one a carer makes alone (a hoist transfer needs two trained people).
    Only meal and social calls that no ``after`` gap ties are skipped."""
    plans = plan.plans
    tied = {i for i, p in enumerate(plans) if p.after is not None} | {
        p.after for p in plans if p.after is not None
    }

    def free(i: int, runs: tuple[str, ...]) -> bool:
        p = plans[i]
        return i not in tied and p.run in runs and p.kind in ("meal", "social") and p.priority != "critical"

    skips: dict[int, set[int]] = {}
    for cp in plan.client_plans:
        lunch = [i for i in cp.visits if free(i, ("lunch",))]
        if lunch and rng.random() < settings.day_centre_share:
            days = rng.sample(DAY_CENTRE_WEEKDAYS, weighted(rng, DAY_CENTRE_DAYS))
            skips.setdefault(lunch[0], set()).update(days)
        covered = [i for i in cp.visits if free(i, ("lunch", "tea")) and not plans[i].double]
        if covered and rng.random() < settings.weekend_family_share:
            skips.setdefault(rng.choice(covered), set()).update(WEEKEND)
    return {i: frozenset(days) for i, days in skips.items()}


# --------------------------------------------------------------------------- the rota


def _minutes(spans: list[Span]) -> int:
    return sum(e - s for s, e in spans)


def _fit(spans: list[Span], earliest: int, latest: int) -> list[Span]:
    """``spans`` cut to [earliest, latest]; parts shorter than MIN_SPAN_MINUTES go."""
    out = [(max(s, earliest), min(e, latest)) for s, e in spans]
    return [(s, e) for s, e in out if e - s >= MIN_SPAN_MINUTES]


def _overlap(spans: list[Span], run: str) -> int:
    rs, re_ = RUNS[run]
    return sum(max(0, min(e, re_) - max(s, rs)) for s, e in spans)


@dataclass
class _Rota:
    """One carer's days: her spans on each day of the horizon (empty: no work)."""

    person: Person
    contract: str
    regular: frozenset[int]  # weekdays her contract has her work
    pattern: str  # her usual shift pattern
    early: bool  # after a late she ends the evening early rather than start late
    cap: int  # paid minutes a working day
    days: list[list[Span]]
    leave: set[int] = field(default_factory=set)  # days on leave

    def bounds(self, d: int) -> tuple[int, int]:
        """Earliest start and latest end on day ``d`` that keep daily rest with her
        neighbouring days."""
        earliest, latest = -DAY, 2 * DAY
        if d > 0 and self.days[d - 1]:
            earliest = self.days[d - 1][-1][1] + DAILY_REST_MINUTES - DAY
        if d + 1 < len(self.days) and self.days[d + 1]:
            latest = self.days[d + 1][0][0] + DAY - DAILY_REST_MINUTES
        return earliest, latest

    def legal(self, d: int) -> bool:
        """Consecutive days and the 48 h week hold around day ``d`` (rest is kept by
        :meth:`bounds`)."""
        n = len(self.days)
        run, lo = 1, d
        while lo > 0 and self.days[lo - 1]:
            lo, run = lo - 1, run + 1
        hi = d
        while hi + 1 < n and self.days[hi + 1]:
            hi, run = hi + 1, run + 1
        if run > MAX_CONSECUTIVE_DAYS:
            return False
        for w in range(max(0, d - 6), d + 1):
            if sum(_minutes(self.days[k]) for k in range(w, min(n, w + 7))) > MAX_WEEK_MINUTES:
                return False
        return True


def _weekly_rota(person: Person, contract_name: str, n_days: int, rng: random.Random) -> _Rota:
    """Her contract's days, every week the same, on her usual pattern."""
    contract = CONTRACTS[contract_name]
    if contract_name == "full_time":  # two days off together, every week the same two
        off = rng.randrange(7)
        regular = frozenset(set(range(7)) - {off, (off + 1) % 7})
    else:
        regular = frozenset(rng.sample(contract.weekdays, rng.choice(contract.days_a_week)))
    base = [(name, w) for name, (_, w) in SHIFT_PATTERNS.items()]
    pattern = rng.choice(contract.patterns) if contract.patterns else weighted(rng, base)
    spans = list(SHIFT_PATTERNS[pattern][0])
    days = [list(spans) if d % 7 in regular else [] for d in range(n_days)]
    return _Rota(person, contract_name, regular, pattern, rng.random() < 0.5, weighted(rng, DAILY_WORK_CAPS), days)


def _keep_rest(rota: _Rota) -> None:
    """Trim days so that 11 h separate one working day from the next, then shorten the
    longest days until every 7 days hold at most 48 h of shifts."""
    days = rota.days
    for d in range(1, len(days)):
        if not (days[d] and days[d - 1]):
            continue
        if days[d][0][0] + DAY - days[d - 1][-1][1] >= DAILY_REST_MINUTES:
            continue
        if rota.early:  # she finishes yesterday's evening early
            days[d - 1] = _fit(days[d - 1], -DAY, days[d][0][0] + DAY - DAILY_REST_MINUTES)
        else:  # she starts today later
            days[d] = _fit(days[d], days[d - 1][-1][1] + DAILY_REST_MINUTES - DAY, 2 * DAY)
    for w in range(len(days)):
        window = range(w, min(len(days), w + 7))
        while sum(_minutes(days[k]) for k in window) > MAX_WEEK_MINUTES:
            k = max(window, key=lambda k: (_minutes(days[k]), -k))
            spans = days[k]
            if len(spans) > 1:  # drop the shorter part of a split day
                spans.remove(min(spans, key=lambda s: (s[1] - s[0], s[0])))
            else:
                days[k] = _fit([(spans[0][0], spans[0][1] - 60)], -DAY, 2 * DAY)


def _leave(rotas: list[_Rota], settings: GeneratorSettings, rng: random.Random) -> None:
    """Whole calendar weeks of leave: ``leave_share`` of the carers each week."""
    n_days = len(rotas[0].days) if rotas else 0
    for week_start in range(0, n_days, 7):
        week = range(week_start, min(n_days, week_start + 7))
        for rota in rng.sample(rotas, round(settings.leave_share * len(rotas))):
            for d in week:
                rota.days[d] = []
                rota.leave.add(d)


def _fill(
    rotas: list[_Rota], demand: list[dict[str, float]], target: float, rng: random.Random
) -> None:
    """Carers pick up shifts until every run of every day has ``target`` x its demand in
    carer-minutes, or no carer may take more within the working-time rules and her
    contract; the run most short goes first."""
    n_days = len(demand)
    supply = [
        {run: float(sum(_overlap(r.days[d], run) for r in rotas)) for run in RUNS} for d in range(n_days)
    ]
    want = [{run: target * demand[d][run] for run in RUNS} for d in range(n_days)]
    stuck: set[tuple[int, str]] = set()
    order = list(range(len(rotas)))
    rng.shuffle(order)  # ties go to carers in a drawn order, not by id
    while True:
        short = [
            (supply[d][run] / demand[d][run], d, run)
            for d in range(n_days)
            for run in RUNS
            if demand[d][run] > 0 and supply[d][run] < want[d][run] and (d, run) not in stuck
        ]
        if not short:
            return
        _, d, run = min(short)
        best: tuple[tuple[float, float], int, list[Span]] | None = None
        for i in order:
            rota = rotas[i]
            contract = CONTRACTS[rota.contract]
            if d in rota.leave or d % 7 not in contract.weekdays:
                continue
            old = rota.days[d]
            if not old:
                week = range(d - d % 7, min(n_days, d - d % 7 + 7))
                if sum(bool(rota.days[k]) for k in week) >= len(rota.regular) + contract.extra_days:
                    continue
            earliest, latest = rota.bounds(d)
            for name in contract.patterns or SHIFT_PATTERNS:
                new = _fit(list(SHIFT_PATTERNS[name][0]), earliest, latest)
                if _overlap(new, run) <= _overlap(old, run):
                    continue
                # carer-minutes that help a run still short, less what the change takes from one
                useful = sum(
                    min(supply[d][r] - _overlap(old, r) + _overlap(new, r), want[d][r]) - min(supply[d][r], want[d][r])
                    for r in RUNS
                )
                if useful <= 0:
                    continue
                added = _minutes(new) - _minutes(old)
                rota.days[d] = new
                ok = rota.legal(d)
                rota.days[d] = old
                if not ok:
                    continue
                score = (useful / added if added > 0 else math.inf, useful)
                if best is None or score > best[0]:
                    best = (score, i, new)
        if best is None:
            stuck.add((d, run))
            continue
        _, i, new = best
        for r in RUNS:
            supply[d][r] += _overlap(new, r) - _overlap(rotas[i].days[d], r)
        rotas[i].days[d] = new


def _sickness(rotas: list[_Rota], share: float, rng: random.Random) -> None:
    """A working day is lost to sickness with chance ``share``: after the rota is made, as
    a coordinator meets it (the runs it leaves short stay short)."""
    for rota in rotas:
        for d, spans in enumerate(rota.days):
            if spans and rng.random() < share:
                rota.days[d] = []


def _guarantee(rota: _Rota, n_days: int, u: float) -> int:
    """Her guarantee over the horizon (minutes): a share ``u`` of the paid minutes her
    contract's week could hold, x days/7, less the weeks on leave, rounded down to 30."""
    spans = SHIFT_PATTERNS[rota.pattern][0]
    week = min(MAX_WEEK_MINUTES, len(rota.regular) * min(_minutes(list(spans)), rota.cap))
    weekly = int(week * u) // 30 * 30
    return int(weekly * (n_days - len(rota.leave)) / 7) // 30 * 30


# --------------------------------------------------------------------------- the horizon


def generate(settings: GeneratorSettings | None = None) -> Problem:
    """A generated problem: one day (``days=1``: exactly :func:`optimiser.generator.generate_day`)
    or a horizon of ``days`` days (:func:`generate_horizon`).

    Parameters
    ----------
    settings:
        The generator's settings; ``days`` picks the kind of problem.

    Returns
    -------
    Problem
        The same settings always give the same problem.
    """
    settings = settings or GeneratorSettings()
    return generate_day(settings) if settings.days == 1 else generate_horizon(settings)


def generate_horizon(settings: GeneratorSettings) -> Problem:
    """A horizon of ``settings.days`` days of recurring care plans and the carers' rota.

    Parameters
    ----------
    settings:
        The day generator's settings; ``visits`` are the calls a day the care plans hold
        (day-centre and family days skip a few), ``carers`` the carers employed (those on
        leave or sick the whole horizon are left out of the problem), ``days`` from 2 to 28.

    Returns
    -------
    Problem
        Visits for each day from the horizon's Monday (:func:`horizon_start`), every
        carer's shifts across it; the same settings always give the same problem.
    """
    n_days = settings.days
    rng = random.Random(f"carerota-{settings.seed}")  # the day's stream: the same clients and plans
    start = horizon_start(settings)
    midnights = [datetime.combine(start + timedelta(days=d), datetime.min.time()) for d in range(n_days)]
    plan = care_plans(settings, rng)
    skips = skipped_days(plan, settings, random.Random(f"carerota-{settings.seed}-week"))

    visits: list[Visit] = []
    demand: list[dict[str, float]] = []
    for d, midnight in enumerate(midnights):
        today = [i for cp in plan.client_plans for i in cp.visits if d % 7 not in skips.get(i, ())]
        visits += [plan.visit(i, midnight, f"-{midnight:%Y-%m-%d}") for i in today]
        demand.append(run_demand([plan.plans[i] for i in today]))

    rota_rng = random.Random(f"carerota-{settings.seed}-rota")
    names = list(settings.contract_mix)
    mix = [(name, settings.contract_mix[name]) for name in names]
    guaranteed = sum(share for name, share in mix if CONTRACTS[name].guaranteed)
    p_guarantee = min(1.0, settings.contracted_share / guaranteed) if guaranteed else 0.0
    rotas, guarantee_u = [], []
    for _ in range(settings.carers):
        person = draw_person(settings, plan.place, rng)
        rota = _weekly_rota(person, weighted(rota_rng, mix), n_days, rota_rng)
        _keep_rest(rota)
        rotas.append(rota)
        on_guarantee = CONTRACTS[rota.contract].guaranteed and rota_rng.random() < p_guarantee
        guarantee_u.append(rota_rng.uniform(*GUARANTEE_SHARE) if on_guarantee else None)
    _leave(rotas, settings, rota_rng)
    _fill(rotas, demand, settings.capacity_target, rota_rng)
    _sickness(rotas, settings.sickness_share, rota_rng)

    carers: list[Carer] = []
    for k, (rota, u) in enumerate(zip(rotas, guarantee_u, strict=True)):
        shifts = [
            Shift(start=midnights[d] + timedelta(minutes=s), end=midnights[d] + timedelta(minutes=e))
            for d, spans in enumerate(rota.days)
            for s, e in spans
        ]
        if not shifts:
            continue  # away the whole horizon: not on this rota
        # max_work_minutes caps each calendar week (the horizon starts on a Monday)
        per_day = [min(_minutes(spans), rota.cap) if spans else 0 for spans in rota.days]
        max_work = max(sum(per_day[w:w + 7]) for w in range(0, len(per_day), 7))
        contracted = None
        if u is not None:
            contracted = min(_guarantee(rota, n_days, u), int(GUARANTEE_SHARE[1] * sum(per_day)) // 30 * 30)
        carers.append(make_carer(settings, rota.person, carer_id(k, settings.carers), shifts, max_work, contracted, rng))

    match_people(settings, plan.clients, visits, carers, rng, days=n_days)
    return Problem(
        id=f"uk-{n_days}d-{start.isoformat()}-{settings.visits}v-{settings.carers}c-seed{settings.seed}",
        carers=carers,
        clients=list(plan.clients.values()),
        visits=visits,
        travel=travel_of(settings),
    )


# --------------------------------------------------------------------------- what it holds


def horizon_capacity(problem: Problem) -> dict[str, dict[str, dict[str, float]]]:
    """Per day (ISO date) and run: carer-minutes the visits need (no travel) vs carer-minutes
    on duty (:func:`optimiser.generator.run_capacity`), for each day its visits span."""
    times = [v.window.start for v in problem.visits] + [s.start for c in problem.carers for s in c.shifts]
    if not times:
        return {}
    first, last = min(times).date(), max(times).date()
    shifts = [s for c in problem.carers for s in c.shifts]
    out = {}
    for d in range((last - first).days + 1):
        day = first + timedelta(days=d)
        midnight = datetime.combine(day, datetime.min.time())
        out[day.isoformat()] = run_capacity(problem.visits, shifts, midnight, dict(RUNS))
    return out


def horizon_stats(problem: Problem) -> dict[str, object]:
    """What a generated horizon holds, as the issue's targets count it.

    Returns
    -------
    dict
        ``days``; ``visits`` and ``visits_per_day``; ``clients`` and ``calls_per_client_day``
        (each client's visits a day, averaged over clients); ``double_up_share`` (of visits);
        ``carers`` (on the rota) and ``days_worked`` (days worked -> carers);
        ``lowest_capacity`` (the day and run with the fewest carer-minutes per visit minute,
        and that ratio).
    """
    capacity = horizon_capacity(problem)
    days = max(1, len(capacity))
    worked = Counter(len({s.start.date() for s in c.shifts}) for c in problem.carers)
    lowest = min(
        ((run["ratio"], day, name) for day, runs in capacity.items() for name, run in runs.items()),
        default=(math.inf, "", ""),
    )
    return {
        "days": days,
        "visits": len(problem.visits),
        "visits_per_day": len(problem.visits) / days,
        "clients": len(problem.clients),
        "calls_per_client_day": len(problem.visits) / max(1, len(problem.clients)) / days,
        "double_up_share": sum(v.carers_required == 2 for v in problem.visits) / max(1, len(problem.visits)),
        "carers": len(problem.carers),
        "days_worked": dict(sorted(worked.items())),
        "lowest_capacity": {"ratio": lowest[0], "day": lowest[1], "run": lowest[2]},
    }


__all__ = [
    "CONTRACTS",
    "Contract",
    "generate",
    "generate_horizon",
    "horizon_capacity",
    "horizon_start",
    "horizon_stats",
    "skipped_days",
]
