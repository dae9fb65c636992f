"""Key performance indicators of a roster, computed from the raw inputs.

Everything is recomputed from the problem, the roster and the travel matrix (never
from the engine): paid travel is the matrix leg between consecutive visits of a shift;
the commute (home to the first visit of a shift and back) is unpaid and reported
apart. Money follows the Homecare Association's cost-of-care breakdown with the
rates in :class:`optimiser.model.Policy`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from statistics import median

from pydantic import BaseModel, Field

from . import rules
from .model import PRIORITIES, Carer, Problem, Shift, Solution, Visit
from .roster import Roster, minutes
from .rules import unmet_preferences
from .sources import travel_times
from .travel import TravelTimes

KM_PER_MILE = 1.609344


class _Out(BaseModel):
    pass


class PriorityKpis(_Out):
    visits: int = 0
    scheduled: int = 0
    unassigned: int = 0
    minutes_scheduled: float = 0.0
    minutes_unassigned: float = 0.0


class CarerKpis(_Out):
    visits: int = 0
    shifts_used: int = 0
    contact_minutes: float = 0.0  # visits paid by the hour (waking nights too; not sleep-ins)
    sleep_ins: int = 0
    sleep_in_allowance: float = 0.0  # GBP: policy.sleep_in_allowance per sleep-in
    travel_minutes: float = 0.0  # paid: between visits within a shift
    travel_km: float = 0.0
    commute_minutes: float = 0.0  # unpaid: home -> first visit and last visit -> home
    commute_km: float = 0.0
    longest_commute_minutes: float = 0.0  # the longest single commute leg
    waiting_minutes: float = 0.0  # gaps between visits beyond travel
    paid_minutes: float = 0.0  # contact + paid travel
    contracted_minutes: int | None = None
    vs_contracted_minutes: float | None = None  # paid - contracted (negative: shortfall)
    shortfall_reason: str | None = Field(
        default=None, description="Why a carer is paid less than her contracted_minutes (guaranteed hours): "
        "her shifts cannot hold them, no visit she may do in her shifts is left unassigned (no demand "
        "for her there), or which visits she may do the roster left out")
    max_work_minutes: int | None = None
    mileage_cost: float = 0.0
    wage_cost: float = 0.0
    days_worked: int = 0  # calendar days with work (a shift belongs to the day it starts)
    weekend_days_worked: int = 0  # ... of them Saturdays and Sundays
    longest_day_minutes: float = 0.0  # a working day's first visit start to its last visit end
    paid_minutes_by_week: dict[str, float] = Field(
        default_factory=dict, description="Paid minutes per calendar week (its Monday, YYYY-MM-DD): "
        "what max_work_minutes and policy.max_week_minutes cap")


class ClientKpis(_Out):
    visits: int = 0
    distinct_carers: int = 0
    new_carers: int = 0  # distinct carers not in known_carers
    familiar_share: float | None = None
    preference_match_rate: float | None = None  # see Kpis.preference_match_rate
    preference_cost: float = 0.0  # see Kpis.preference_cost
    time_spread_minutes: float | None = Field(
        default=None, description="Time consistency over several days: for each of her recurring calls (her "
        "visits whose windows open at the same time of day), the latest start's time of day minus the "
        "earliest's; the largest over her calls (None when no call is placed on two days)")


class CommuteKpis(_Out):
    """Unpaid commute of the carers of one travel mode who worked: per carer (all her
    legs in the day) and per leg (one trip from home to a shift's first visit, or from
    its last visit home), in minutes."""

    carers: int = 0
    median_minutes: float | None = None
    max_minutes: float = 0.0
    legs: int = 0
    median_leg_minutes: float | None = None
    longest_leg_minutes: float = 0.0
    km: float = 0.0


class CostKpis(_Out):
    """Homecare Association-style breakdown (GBP for the day and per contact hour)."""

    contact_hours: float = 0.0
    contact_wage: float = 0.0
    travel_time_wage: float = 0.0
    sleep_in_allowances: float = 0.0  # flat policy.sleep_in_allowance per sleep-in, instead of hourly pay
    mileage: float = 0.0
    ni_pension: float = 0.0
    other_on_costs: float = 0.0
    running_business: float = 0.0
    profit: float = 0.0
    total: float = 0.0  # the sustainable price: sum of the items above
    breakdown_share: dict[str, float] = Field(default_factory=dict)
    cost_per_contact_hour: float | None = None  # total / contact hours
    direct_cost_per_hour: float | None = None  # wages + on-costs + mileage per contact hour
    fee_per_hour: float = 0.0
    fee_income: float = 0.0
    fee_gap_per_hour: float | None = None  # fee - cost per contact hour (negative: fee too low)
    margin_per_hour: float | None = None  # fee - (direct + running the business) per contact hour
    margin_share: float | None = None  # margin_per_hour / fee


class Kpis(_Out):
    visits_total: int = 0
    visits_scheduled: int = 0
    visits_unassigned: int = 0
    minutes_scheduled: float = 0.0
    minutes_unassigned: float = 0.0
    by_priority: dict[str, PriorityKpis] = Field(default_factory=dict)
    unassigned_by_rule: dict[str, int] = Field(
        default_factory=dict, description="Unassigned visits per binding rule named in the roster"
    )
    carers_total: int = 0
    carers_used: int = 0
    contact_minutes: float = 0.0  # per carer: a double-up counts twice; sleep-ins are not contact time
    sleep_ins: int = 0  # carer-sleep-ins placed (paid the allowance)
    sleep_in_minutes: float = 0.0
    waking_nights: int = 0  # carer-waking-nights placed (working time, in contact_minutes)
    waking_night_minutes: float = 0.0
    travel_minutes: float = 0.0
    travel_km: float = 0.0
    travel_miles: float = 0.0
    commute_minutes: float = 0.0
    commute_km: float = 0.0
    commute_by_mode: dict[str, CommuteKpis] = Field(
        default_factory=dict, description="Commute per carer who worked, by travel mode"
    )
    paid_minutes: float = 0.0
    travel_share: float | None = None  # paid travel / paid time
    miles_per_visit: float | None = None
    distinct_carers_per_client_mean: float | None = None
    distinct_carers_per_client_max: int = 0
    new_carers_per_client_mean: float | None = None
    familiar_share: float | None = None  # carer-visits by a carer in the client's known_carers
    language_match_rate: float | None = None  # carer-visits at clients with languages, sharing one
    preference_match_rate: float | None = Field(
        default=None,
        description="Share of preferred tags met: over every carer-visit at a client with preferences, "
        "each preferred tag counts once, met when it is among the carer's attributes (unweighted; "
        "None when no such carer-visit is placed)",
    )
    preference_cost: float = Field(
        default=0.0,
        description="GBP-equivalent: the summed weights of the preferred tags not met, as the objective prices them",
    )
    days: int = 0  # calendar days the visits' windows open on
    days_worked_mean: float | None = None  # per carer who worked
    time_spread_median_minutes: float | None = None  # over clients with a recurring call (ClientKpis)
    late_visits: int = 0
    # starts after the planned time (rules.planned_start, the window's middle): time consistency
    after_planned_visits: int = 0
    after_planned_minutes_total: float = 0.0
    lateness_minutes_total: float = 0.0
    lateness_minutes_max: float = 0.0
    contracted_minutes: float = 0.0
    contracted_shortfall_minutes: float = 0.0
    overtime_minutes: float = 0.0
    cost: CostKpis = Field(default_factory=CostKpis)
    per_carer: dict[str, CarerKpis] = Field(default_factory=dict)
    per_client: dict[str, ClientKpis] = Field(default_factory=dict)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def build_kpis(problem: Problem, solution: Solution, travel: TravelTimes | None = None) -> Kpis:
    """The typed :class:`Kpis` of a roster (unknown ids in the roster are ignored)."""
    return kpis_of(Roster(problem, solution, travel if travel is not None else travel_times(problem)))


def kpis_of(r: Roster) -> Kpis:
    """The :class:`Kpis` of a roster already read against its problem."""
    problem, solution = r.problem, r.solution
    policy = problem.policy
    k = Kpis(carers_total=len(problem.carers))

    # visits and minutes, by priority (a visit counts once however many carers it needs)
    by_priority = {p: PriorityKpis() for p in PRIORITIES}
    for v in problem.visits:
        pk = by_priority[v.priority]
        pk.visits += 1
        if r.placed(v.id):
            pk.scheduled += 1
            pk.minutes_scheduled += v.duration_minutes
        else:
            pk.unassigned += 1
            pk.minutes_unassigned += v.duration_minutes
    k.by_priority = by_priority
    k.visits_total = len(problem.visits)
    k.visits_scheduled = sum(p.scheduled for p in by_priority.values())
    k.visits_unassigned = sum(p.unassigned for p in by_priority.values())
    k.minutes_scheduled = sum(p.minutes_scheduled for p in by_priority.values())
    k.minutes_unassigned = sum(p.minutes_unassigned for p in by_priority.values())
    for u in solution.unassigned:
        if u.visit in r.visits and not r.placed(u.visit):
            rule = u.rule or "unspecified"
            k.unassigned_by_rule[rule] = k.unassigned_by_rule.get(rule, 0) + 1

    # per carer: contact, paid travel, commute, waiting, pay
    cost = CostKpis(fee_per_hour=policy.fee_per_hour)
    for carer_id, placements in r.by_carer.items():
        carer = r.carers[carer_id]
        ck = CarerKpis(
            contracted_minutes=carer.contracted_minutes, max_work_minutes=carer.max_work_minutes
        )
        runs = r.runs(carer_id)
        ck.visits = len(placements)
        ck.shifts_used = len(runs)
        for run in runs:
            legs = r.legs(run)
            back = r.home_leg(run)
            ck.commute_minutes += legs[0].minutes + back[0]
            ck.commute_km += legs[0].km + back[1]
            ck.longest_commute_minutes = max(ck.longest_commute_minutes, legs[0].minutes, back[0])
            for a, b, leg in zip(run, run[1:], legs[1:], strict=False):
                ck.travel_minutes += leg.minutes
                ck.travel_km += leg.km
                ck.waiting_minutes += max(0.0, b.start - a.end - leg.minutes)
            ck.contact_minutes += sum(rules.paid_minutes(pl.visit) for pl in run)
            for pl in run:
                if pl.visit.kind == rules.SLEEP_IN:
                    ck.sleep_ins += 1
                    k.sleep_in_minutes += pl.visit.duration_minutes
                elif pl.visit.kind == rules.WAKING_NIGHT:
                    k.waking_nights += 1
                    k.waking_night_minutes += pl.visit.duration_minutes
        ck.paid_minutes = ck.contact_minutes + ck.travel_minutes
        _week_of_carer(r, carer_id, ck)
        if carer.contracted_minutes is not None:
            ck.vs_contracted_minutes = ck.paid_minutes - carer.contracted_minutes
        wage = carer.hourly_wage or policy.hourly_wage
        ck.wage_cost = ck.paid_minutes / 60 * wage
        ck.sleep_in_allowance = ck.sleep_ins * policy.sleep_in_allowance
        cost.sleep_in_allowances += ck.sleep_in_allowance
        ck.mileage_cost = ck.travel_km / KM_PER_MILE * policy.mileage_per_mile.get(carer.travel_mode, 0.0)
        cost.contact_wage += ck.contact_minutes / 60 * wage
        cost.travel_time_wage += ck.travel_minutes / 60 * wage
        cost.mileage += ck.mileage_cost
        k.per_carer[carer_id] = ck
    # contracted hours: carers without a route still count (a whole day's shortfall)
    for carer in problem.carers:
        if carer.contracted_minutes is None:
            continue
        if carer.id not in k.per_carer:
            k.per_carer[carer.id] = CarerKpis(contracted_minutes=carer.contracted_minutes,
                                              vs_contracted_minutes=-float(carer.contracted_minutes),
                                              max_work_minutes=carer.max_work_minutes)
        ck = k.per_carer[carer.id]
        k.contracted_minutes += carer.contracted_minutes
        k.contracted_shortfall_minutes += max(0.0, carer.contracted_minutes - ck.paid_minutes)
        k.overtime_minutes += max(0.0, ck.paid_minutes - carer.contracted_minutes)
        if ck.paid_minutes < carer.contracted_minutes - 1e-6:
            ck.shortfall_reason = _shortfall_reason(r, carer)

    carers = k.per_carer.values()
    k.carers_used = sum(1 for c in carers if c.visits)
    k.contact_minutes = sum(c.contact_minutes for c in carers)
    k.sleep_ins = sum(c.sleep_ins for c in carers)
    k.travel_minutes = sum(c.travel_minutes for c in carers)
    k.travel_km = sum(c.travel_km for c in carers)
    k.travel_miles = k.travel_km / KM_PER_MILE
    k.commute_minutes = sum(c.commute_minutes for c in carers)
    k.commute_km = sum(c.commute_km for c in carers)
    k.commute_by_mode = _commute_by_mode(r, k.per_carer)
    k.paid_minutes = sum(c.paid_minutes for c in carers)
    k.travel_share = _ratio(k.travel_minutes, k.paid_minutes)
    k.miles_per_visit = _ratio(k.travel_miles, k.visits_scheduled)

    # continuity and language, per carer-visit
    carers_of: dict[str, set[str]] = defaultdict(set)
    familiar = placements_total = 0
    lang_ok = lang_total = 0
    per_client: dict[str, ClientKpis] = {}
    familiar_at: dict[str, int] = defaultdict(int)
    prefs_met: dict[str, int] = defaultdict(int)  # client -> preferred tags met, over her carer-visits
    prefs_total: dict[str, int] = defaultdict(int)
    prefs_cost: dict[str, float] = defaultdict(float)
    for placements in r.by_carer.values():
        for pl in placements:
            c = pl.client
            carers_of[c.id].add(pl.carer.id)
            placements_total += 1
            known = pl.carer.id in c.known_carers
            familiar += known
            familiar_at[c.id] += known
            if c.languages:
                lang_total += 1
                lang_ok += bool(set(c.languages) & set(pl.carer.languages))
            if c.preferences:
                unmet = unmet_preferences(c, pl.carer)
                prefs_total[c.id] += len(c.preferences)
                prefs_met[c.id] += len(c.preferences) - len(unmet)
                prefs_cost[c.id] += sum(c.preferences[t] for t in unmet)
    placed_at: dict[str, list[str]] = defaultdict(list)  # client -> placed visit ids
    for v in problem.visits:
        if r.placed(v.id):
            placed_at[v.client].append(v.id)
    for c in problem.clients:
        ck = ClientKpis(visits=len(placed_at[c.id]))
        if c.id in carers_of:
            ck.distinct_carers = len(carers_of[c.id])
            ck.new_carers = len(carers_of[c.id] - set(c.known_carers))
            n = sum(len(r.by_visit[v]) for v in placed_at[c.id])
            ck.familiar_share = _ratio(familiar_at[c.id], n)
            ck.preference_match_rate = _ratio(prefs_met[c.id], prefs_total[c.id])
            ck.preference_cost = prefs_cost[c.id]
        ck.time_spread_minutes = _time_spread([r.visit_start(v) for v in placed_at[c.id]],
                                              [r.visits[v].window.start for v in placed_at[c.id]])
        per_client[c.id] = ck
    k.per_client = per_client
    spreads = [ck.time_spread_minutes for ck in per_client.values() if ck.time_spread_minutes is not None]
    k.time_spread_median_minutes = median(spreads) if spreads else None
    k.days = len({v.window.start.date() for v in problem.visits})
    worked = [ck.days_worked for ck in k.per_carer.values() if ck.days_worked]
    k.days_worked_mean = sum(worked) / len(worked) if worked else None
    served = [ck for ck in per_client.values() if ck.distinct_carers]
    if served:
        k.distinct_carers_per_client_mean = sum(ck.distinct_carers for ck in served) / len(served)
        k.distinct_carers_per_client_max = max(ck.distinct_carers for ck in served)
        k.new_carers_per_client_mean = sum(ck.new_carers for ck in served) / len(served)
    k.familiar_share = _ratio(familiar, placements_total)
    k.language_match_rate = _ratio(lang_ok, lang_total)
    k.preference_match_rate = _ratio(sum(prefs_met.values()), sum(prefs_total.values()))
    k.preference_cost = sum(prefs_cost.values())

    # lateness: start after the window's end (allowed up to late_limit_minutes); and after
    # the planned time
    for v in problem.visits:
        if r.placed(v.id):
            after = minutes(r.visit_start(v.id)) - minutes(rules.planned_start(v))
            if after > 1e-6:
                k.after_planned_visits += 1
                k.after_planned_minutes_total += after
            late = minutes(r.visit_start(v.id)) - minutes(v.window.end)
            if late > 1e-6:
                k.late_visits += 1
                k.lateness_minutes_total += late
                k.lateness_minutes_max = max(k.lateness_minutes_max, late)

    # money: wages + on-costs + mileage are the direct cost; the price grosses up for
    # running the business and profit (shares of the price)
    cost.contact_hours = k.contact_minutes / 60
    wages = cost.contact_wage + cost.travel_time_wage + cost.sleep_in_allowances
    cost.ni_pension = wages * policy.ni_pension_rate
    cost.other_on_costs = wages * policy.other_on_cost_rate
    direct = wages + cost.ni_pension + cost.other_on_costs + cost.mileage
    price = direct / (1 - policy.business_cost_share - policy.profit_share)
    cost.running_business = price * policy.business_cost_share
    cost.profit = price * policy.profit_share
    cost.total = price
    items = ("contact_wage", "travel_time_wage", "sleep_in_allowances", "mileage", "ni_pension", "other_on_costs",
             "running_business", "profit")
    cost.breakdown_share = {i: getattr(cost, i) / price for i in items} if price > 0 else {}
    cost.fee_income = cost.contact_hours * policy.fee_per_hour
    if cost.contact_hours > 0:
        cost.cost_per_contact_hour = price / cost.contact_hours
        cost.direct_cost_per_hour = direct / cost.contact_hours
        cost.fee_gap_per_hour = policy.fee_per_hour - cost.cost_per_contact_hour
        cost.margin_per_hour = policy.fee_per_hour - (direct + cost.running_business) / cost.contact_hours
        cost.margin_share = _ratio(cost.margin_per_hour, policy.fee_per_hour)
    k.cost = cost
    return k


def _week_of_carer(r: Roster, carer_id: str, ck: CarerKpis) -> None:
    """Days worked, weekend days, the longest day and paid minutes per week of one carer."""
    carer = r.carers[carer_id]
    days: dict[object, list[float]] = {}
    for run in r.runs(carer_id):
        day = carer.shifts[run[0].shift].start.date()
        first, last = run[0].start, max(pl.end for pl in run)
        span = days.setdefault(day, [first, last])
        span[0], span[1] = min(span[0], first), max(span[1], last)
    ck.paid_minutes_by_week = {str(week): a + b for week, (a, b) in sorted(r.paid_by_week(carer_id).items())}
    ck.days_worked = len(days)
    ck.weekend_days_worked = sum(1 for d in days if d.weekday() >= 5)  # type: ignore[attr-defined]
    ck.longest_day_minutes = max((b - a for a, b in days.values()), default=0.0)


def _shortfall_reason(r: Roster, carer: Carer) -> str:
    """Why ``carer`` is paid less than her contracted minutes (see CarerKpis.shortfall_reason)."""
    shift_minutes = sum(sh.minutes for sh in carer.shifts)
    if shift_minutes < carer.contracted_minutes:
        return (f"shifts: her shifts hold {shift_minutes:,.0f} min, fewer than her guaranteed "
                f"{carer.contracted_minutes:,} min")
    clients = {c.id: c for c in r.problem.clients}
    could = [v.id for v in r.problem.visits
             if not r.placed(v.id) and v.client in clients
             and rules.ineligible(v, clients[v.client], carer) is None
             and any(_fits_in(v, sh) for sh in carer.shifts)]
    if not could:
        return "demand: every visit she may do in her shifts is done by another carer or there is none"
    named = ", ".join(could[:3]) + (f" and {len(could) - 3} more" if len(could) > 3 else "")
    return f"unassigned: the roster leaves out {len(could)} visit(s) she may do in her shifts ({named})"


def _fits_in(visit: Visit, shift: Shift) -> bool:
    """Some start in the visit's window (lateness allowed) keeps it inside the shift."""
    latest = visit.window.end + timedelta(minutes=visit.late_limit_minutes)
    return max(visit.window.start, shift.start) <= min(latest, shift.end - timedelta(minutes=visit.duration_minutes))


def _time_spread(starts: list, windows: list) -> float | None:
    """The largest spread of start times of day over a client's recurring calls (see
    ``ClientKpis.time_spread_minutes``): ``starts`` and ``windows`` are her placed visits'
    starts and window openings."""
    calls: dict[tuple[int, int], list[float]] = defaultdict(list)
    for start, window in zip(starts, windows, strict=True):
        # minutes of the day, counted from the window's midnight (a call past midnight stays late)
        midnight = window.replace(hour=0, minute=0, second=0, microsecond=0)
        calls[(window.hour, window.minute)].append((start - midnight).total_seconds() / 60)
    spreads = [max(v) - min(v) for v in calls.values() if len(v) > 1]
    return max(spreads) if spreads else None


def _commute_by_mode(r: Roster, per_carer: dict[str, CarerKpis]) -> dict[str, CommuteKpis]:
    by_mode: dict[str, list[CarerKpis]] = defaultdict(list)
    legs: dict[str, list[float]] = defaultdict(list)
    for carer_id, ck in per_carer.items():
        if ck.visits:
            mode = r.carers[carer_id].travel_mode
            by_mode[mode].append(ck)
            for run in r.runs(carer_id):
                legs[mode] += [r.legs(run)[0].minutes, r.home_leg(run)[0]]
    return {
        mode: CommuteKpis(
            carers=len(group),
            median_minutes=median(ck.commute_minutes for ck in group),
            max_minutes=max(ck.commute_minutes for ck in group),
            legs=len(legs[mode]),
            median_leg_minutes=median(legs[mode]),
            longest_leg_minutes=max(legs[mode]),
            km=sum(ck.commute_km for ck in group),
        )
        for mode, group in sorted(by_mode.items())
    }


def compute_kpis(problem: Problem, solution: Solution, travel: TravelTimes | None = None) -> dict:
    """The KPIs of a roster as a JSON-ready dict (the ``kpis`` field of a Solution).

    See :class:`Kpis` for the fields; :func:`build_kpis` returns the typed model.
    """
    return build_kpis(problem, solution, travel).model_dump(mode="json")
