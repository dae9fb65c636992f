"""The independent validator: re-check every hard rule of a roster from the raw inputs.

Nothing here uses the engine. The roster is read against the problem once
(:class:`Roster`), then every hard rule is a small named function registered in
:data:`RULES` (Timefold-style: one constraint, one name), so each violation says which
rule it breaks, which carer and visit, and the numbers a coordinator needs.

Semantics follow ``notes/PREAMBLE.md``: a visit lies inside one shift of its carer;
consecutive visits of a shift leave the matrix travel time of her travel mode between
them; paid time is visit minutes (sleep-ins excepted) plus travel between visits within a
shift; a working stretch (:class:`optimiser.rules.Stretches`: split wherever idle time >=
``break_minutes``, and by sleep-ins) lasts at most ``break_after_minutes``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, computed_field

from . import rules
from .kpis import kpis_of
from .model import Problem, Shift, Solution
from .roster import TOL, Placement, Roster, hm, minutes, naming_days, span
from .sources import travel_times
from .travel import TravelTimes

REPORT_TOL = 1e-3
"""Slack on a stop's *reported* travel (minutes, km): rosters round them to 3 decimals.
The time gaps themselves are checked against the matrix with :data:`TOL`."""


class Violation(BaseModel):
    """One broken hard rule, explained for a coordinator."""

    rule: str
    message: str
    carer: str | None = None
    visit: str | None = None


class ValidationReport(BaseModel):
    violations: list[Violation] = Field(default_factory=list)
    kpis: dict[str, Any] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """True when the roster breaks no hard rule."""
        return not self.violations

    def rules_broken(self) -> set[str]:
        return {v.rule for v in self.violations}


def _shift_text(shift: Shift) -> str:
    return span(shift.start, shift.end)


# --------------------------------------------------------------------------- the rules

Rule = Callable[[Roster], Iterator[Violation]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    """Register a hard rule under ``name`` (the name a violation carries)."""

    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        fn.rule_name = name  # type: ignore[attr-defined]
        return fn

    return register


def placement_rule(name: str) -> Callable[[Callable[[Placement], str | None]], Rule]:
    """Register a rule checked on each placement alone: ``fn`` returns the violation
    message, or None when the placement keeps the rule."""

    def register(fn: Callable[[Placement], str | None]) -> Rule:
        def check_all(r: Roster) -> Iterator[Violation]:
            for pl in r.placements():
                message = fn(pl)
                if message is not None:
                    yield _v(name, message, pl.carer.id, pl.visit.id)

        check_all.__name__ = check_all.__qualname__ = fn.__name__
        check_all.__doc__ = fn.__doc__
        return rule(name)(check_all)

    return register


def _v(name: str, message: str, carer: str | None = None, visit: str | None = None) -> Violation:
    return Violation(rule=name, message=message, carer=carer, visit=visit)


@rule("problem_id")
def problem_id(r: Roster) -> Iterator[Violation]:
    """The roster answers this problem (same id)."""
    if r.solution.problem_id != r.problem.id:
        yield _v(
            "problem_id",
            f"the roster is for problem {r.solution.problem_id!r}, not {r.problem.id!r}",
        )


@rule("unknown_carer")
def unknown_carer(r: Roster) -> Iterator[Violation]:
    """Every route belongs to a carer of the problem."""
    for carer_id in r.unknown_carers:
        yield _v("unknown_carer", f"the roster has a route for carer {carer_id!r}, who is not in the problem", carer_id)


@rule("unknown_visit")
def unknown_visit(r: Roster) -> Iterator[Violation]:
    """Every stop and unassigned entry names a visit of the problem."""
    for carer_id, stop in r.unknown_stops:
        yield _v(
            "unknown_visit",
            f"carer {carer_id} has a stop for visit {stop.visit!r}, which is not in the problem",
            carer_id,
            stop.visit,
        )
    for u in r.solution.unassigned:
        if u.visit not in r.visits:
            yield _v("unknown_visit", f"unassigned lists visit {u.visit!r}, which is not in the problem", visit=u.visit)


@rule("duplicate_route")
def duplicate_route(r: Roster) -> Iterator[Violation]:
    """A carer has one route (several are read together, and flagged)."""
    for carer_id in r.repeated_routes:
        yield _v("duplicate_route", f"carer {carer_id} has more than one route in the roster", carer_id)


@rule("visit_repeated")
def visit_repeated(r: Roster) -> Iterator[Violation]:
    """A carer does a visit at most once."""
    for carer_id, stop in r.repeated_stops:
        yield _v(
            "visit_repeated",
            f"carer {carer_id} has visit {stop.visit} more than once in her route "
            f"(again at {hm(stop.start)})",
            carer_id,
            stop.visit,
        )


@placement_rule("window")
def window(pl: Placement) -> str | None:
    """A visit starts inside its window, or up to late_limit_minutes after its end."""
    w, v = pl.visit.window, pl.visit
    latest = minutes(w.end) + v.late_limit_minutes
    where = f"visit {v.id} ({v.client}) by carer {pl.carer.id} starts at {hm(pl.stop.start)}"
    if pl.start < minutes(w.start) - TOL:
        return f"{where}, {minutes(w.start) - pl.start:g} min before its window {span(w.start, w.end)}"
    if pl.start > latest + TOL:
        limit = f" plus {v.late_limit_minutes} min allowed lateness" if v.late_limit_minutes else ""
        return f"{where}, {pl.start - latest:g} min after its window {span(w.start, w.end)}{limit}"
    return None


@placement_rule("duration")
def duration(pl: Placement) -> str | None:
    """A visit ends exactly duration_minutes after it starts (no call clipping)."""
    got, need = pl.end - pl.start, pl.visit.duration_minutes
    if abs(got - need) <= TOL:
        return None
    clipped = " (call clipping)" if got < need else ""
    return (
        f"visit {pl.visit.id} by carer {pl.carer.id} runs {span(pl.stop.start, pl.stop.end)} "
        f"({got:g} min) but lasts {need} min{clipped}"
    )


@rule("arrival")
def arrival(r: Roster) -> Iterator[Violation]:
    """A carer arrives no later than the visit starts, and no earlier than she can
    (previous visit's end + matrix travel, within a shift)."""
    for carer, run in r.all_runs():
        for i, (pl, leg) in enumerate(zip(run, r.legs(run), strict=True)):
            came = minutes(pl.stop.arrival)
            if came > pl.start + TOL:
                yield _v(
                    "arrival",
                    f"carer {carer.id} starts visit {pl.visit.id} at {hm(pl.stop.start)} "
                    f"before she arrives at {hm(pl.stop.arrival)}",
                    carer.id,
                    pl.visit.id,
                )
            elif i and came < run[i - 1].end + leg.minutes - TOL <= pl.start:  # else `travel` reports
                prev = run[i - 1]
                yield _v(
                    "arrival",
                    f"carer {carer.id} is reported arriving at visit {pl.visit.id} at "
                    f"{hm(pl.stop.arrival)}, but leaving visit {prev.visit.id} at {hm(prev.stop.end)} "
                    f"she cannot arrive before {prev.end + leg.minutes - came:.1f} min later",
                    carer.id,
                    pl.visit.id,
                )


@placement_rule(rules.SHIFTS)
def shift(pl: Placement) -> str | None:
    """Every visit lies inside one of its carer's shifts."""
    if pl.in_shift:
        return None
    shifts = ", ".join(_shift_text(s) for s in pl.carer.shifts)
    return (
        f"carer {pl.carer.id} does visit {pl.visit.id} {span(pl.stop.start, pl.stop.end)}, "
        f"outside all her shifts ({shifts})"
    )


@rule("overlap")
def overlap(r: Roster) -> Iterator[Violation]:
    """A carer is never in two places at once (her visits do not overlap)."""
    for placements in r.by_carer.values():
        if not placements:
            continue
        a = placements[0]  # of the visits so far, the one ending last
        for b in placements[1:]:
            if b.start < a.end - TOL:
                yield _v(
                    "overlap",
                    f"carer {a.carer.id} is in two places at once: visit {a.visit.id} "
                    f"{span(a.stop.start, a.stop.end)} overlaps visit {b.visit.id} "
                    f"{span(b.stop.start, b.stop.end)} by {min(a.end, b.end) - b.start:g} min",
                    a.carer.id,
                    b.visit.id,
                )
            if b.end > a.end:
                a = b


@rule("travel")
def travel(r: Roster) -> Iterator[Violation]:
    """No call cramming: within a shift, next start >= previous end + matrix travel."""
    for carer, run in r.all_runs():
        legs = r.legs(run)
        for a, b, leg in zip(run, run[1:], legs[1:], strict=False):
            gap = b.start - a.end
            if gap < -TOL:
                continue  # the overlap rule reports it
            if gap < leg.minutes - TOL:
                yield _v(
                    "travel",
                    f"carer {carer.id} cannot get from visit {a.visit.id} ({a.client.id}, ends "
                    f"{hm(a.stop.end)}) to visit {b.visit.id} ({b.client.id}, starts {hm(b.stop.start)}): "
                    f"{carer.travel_mode} travel takes {leg.minutes:.1f} min but only {gap:g} min are "
                    f"left (call cramming)",
                    carer.id,
                    b.visit.id,
                )


@rule(rules.COMMUTE)
def commute(r: Roster) -> Iterator[Violation]:
    """Each commute leg (home to a shift's first visit, its last visit home) is within
    the carer's commute limit."""
    policy = r.problem.policy
    for carer, run in r.all_runs():
        limit = rules.commute_limit(carer, policy)
        if limit is None:
            continue
        out = r.legs(run)[0].minutes
        back = r.home_leg(run)[0]
        for leg, pl, words in ((out, run[0], "from her home to"), (back, run[-1], "home from")):
            if leg > limit + TOL:
                yield _v(
                    rules.COMMUTE,
                    f"carer {carer.id} travels {leg:.1f} min by {carer.travel_mode} {words} visit "
                    f"{pl.visit.id} ({pl.client.id}); her commute limit is {limit} min",
                    carer.id,
                    pl.visit.id,
                )


@rule(rules.BETWEEN_SHIFTS)
def between_shifts(r: Roster) -> Iterator[Violation]:
    """Between two shifts the carer gets home and back: the day is physically possible."""
    for carer_id in r.by_carer:
        runs = r.runs(carer_id)
        for a, b in zip(runs, runs[1:], strict=False):
            last, first = a[-1], b[0]
            back, out = r.home_leg(a)[0], r.legs(b)[0].minutes
            if not rules.home_in_between(last.end, back, out, first.start + TOL):
                yield _v(
                    rules.BETWEEN_SHIFTS,
                    f"carer {carer_id} ends visit {last.visit.id} at {hm(last.stop.end)} and starts visit "
                    f"{first.visit.id} at {hm(first.stop.start)} in her next shift, but going home "
                    f"({back:.1f} min) and out again ({out:.1f} min) takes {back + out:.1f} min",
                    carer_id,
                    first.visit.id,
                )


@rule("travel_reported")
def travel_reported(r: Roster) -> Iterator[Violation]:
    """A stop may not claim less travel (minutes or km) than the matrix gives."""
    for carer, run in r.all_runs():
        for pl, leg in zip(run, r.legs(run), strict=True):
            origin = "her home" if not leg.paid else f"client {leg.origin}"
            if pl.stop.travel_minutes < leg.minutes - REPORT_TOL:
                yield _v(
                    "travel_reported",
                    f"carer {carer.id}: visit {pl.visit.id} reports {pl.stop.travel_minutes:g} min travel "
                    f"from {origin} but {carer.travel_mode} travel takes {leg.minutes:.1f} min "
                    f"(call cramming)",
                    carer.id,
                    pl.visit.id,
                )
            elif pl.stop.travel_km < leg.km - REPORT_TOL:
                yield _v(
                    "travel_reported",
                    f"carer {carer.id}: visit {pl.visit.id} reports {pl.stop.travel_km:g} km travel "
                    f"from {origin} but the leg is {leg.km:.3f} km",
                    carer.id,
                    pl.visit.id,
                )


@placement_rule(rules.SKILLS)
def skills(pl: Placement) -> str | None:
    """The carer has every skill the visit needs."""
    missing = rules.missing_skills(pl.visit, pl.carer)
    if not missing:
        return None
    return (
        f"carer {pl.carer.id} lacks skill(s) {', '.join(missing)} needed by visit "
        f"{pl.visit.id} ({pl.client.id})"
    )


@placement_rule(rules.GENDER)
def gender(pl: Placement) -> str | None:
    """The carer is of the gender the client asks for."""
    wanted = pl.client.carer_gender
    if not rules.wrong_gender(pl.client, pl.carer):
        return None
    return (
        f"client {pl.client.id} wants a {wanted} carer but visit {pl.visit.id} is done by "
        f"carer {pl.carer.id} ({pl.carer.gender or 'gender not recorded'})"
    )


@placement_rule(rules.LANGUAGE)
def language(pl: Placement) -> str | None:
    """A client who requires a language match shares a language with the carer."""
    c = pl.client
    if not rules.no_shared_language(c, pl.carer):
        return None
    return (
        f"client {c.id} needs a carer speaking {' or '.join(c.languages)}; "
        f"carer {pl.carer.id} speaks {', '.join(pl.carer.languages) or 'no listed language'} "
        f"(visit {pl.visit.id})"
    )


@placement_rule(rules.REQUIREMENTS)
def requirements(pl: Placement) -> str | None:
    """The carer has every attribute the client requires (requirements)."""
    missing = rules.unmet_requirements(pl.client, pl.carer)
    if not missing:
        return None
    return (
        f"client {pl.client.id} requires {', '.join(sorted(set(pl.client.requirements)))}; carer "
        f"{pl.carer.id} lacks {', '.join(missing)} (visit {pl.visit.id})"
    )


@placement_rule(rules.EXCLUDED)
def excluded(pl: Placement) -> str | None:
    """A client never gets a carer she has declined (excluded_carers)."""
    if not rules.declined(pl.client, pl.carer):
        return None
    return (
        f"client {pl.client.id} has declined carer {pl.carer.id}, who is rostered for "
        f"visit {pl.visit.id} at {hm(pl.stop.start)}"
    )


@rule(rules.PINNED)
def pinned(r: Roster) -> Iterator[Violation]:
    """A placed visit is done by each of its pinned carers."""
    for visit_id, placements in r.by_visit.items():
        doers = {pl.carer.id for pl in placements}
        for carer_id in r.visits[visit_id].pinned_carers:
            if carer_id not in doers:
                yield _v(
                    rules.PINNED,
                    f"visit {visit_id} is pinned to carer {carer_id} but is done by "
                    f"{', '.join(sorted(doers))}",
                    carer_id,
                    visit_id,
                )


@rule("carers_required")
def carers_required(r: Roster) -> Iterator[Violation]:
    """A single-handed visit is done by one carer (double-ups: see ``double_handed``)."""
    for visit_id, placements in r.by_visit.items():
        if r.visits[visit_id].carers_required == 1 and len(placements) > 1:
            doers = ", ".join(pl.carer.id for pl in placements)
            yield _v(
                "carers_required",
                f"visit {visit_id} needs one carer but is in {len(placements)} routes ({doers})",
                visit=visit_id,
            )


@rule(rules.DOUBLE_HANDED)
def double_handed(r: Roster) -> Iterator[Violation]:
    """A double-up has exactly two different carers starting together, or none."""
    for visit_id, placements in r.by_visit.items():
        if r.visits[visit_id].carers_required != 2:
            continue
        doers = ", ".join(f"{pl.carer.id} at {hm(pl.stop.start)}" for pl in placements)
        if len(placements) != 2:
            yield _v(
                rules.DOUBLE_HANDED,
                f"double-handed visit {visit_id} needs two different carers together (or none) but "
                f"has {len(placements)}: {doers}",
                visit=visit_id,
            )
        elif abs(placements[0].start - placements[1].start) > TOL:
            yield _v(
                rules.DOUBLE_HANDED,
                f"double-handed visit {visit_id}: the two carers must start together but start "
                f"{abs(placements[0].start - placements[1].start):g} min apart ({doers})",
                visit=visit_id,
            )


@rule(rules.AFTER)
def after(r: Roster) -> Iterator[Violation]:
    """Start-to-start gap to the `after` visit within [min, max] when both are placed."""
    for v in r.problem.visits:
        if v.after is None or not r.placed(v.id) or not r.placed(v.after.visit):
            continue
        this, other = r.visit_start(v.id), r.visit_start(v.after.visit)
        gap = minutes(this) - minutes(other)
        lo, hi = v.after.min_minutes, v.after.max_minutes
        when = f"{gap:g} min after" if gap >= 0 else f"{-gap:g} min before"
        said = f"visit {v.id} ({v.client}) starts {hm(this)}, {when} visit {v.after.visit} ({hm(other)})"
        if gap < lo - TOL:
            yield _v(rules.AFTER, f"{said}; it must start at least {lo} min after it", visit=v.id)
        elif hi is not None and gap > hi + TOL:
            yield _v(rules.AFTER, f"{said}; it must start at most {hi} min after it", visit=v.id)


@rule(rules.MAX_WORK)
def max_work(r: Roster) -> Iterator[Violation]:
    """Paid time (visits + travel between visits in a shift) in each calendar week (a shift
    counts in the week it starts) <= the carer's :func:`optimiser.rules.week_cap`."""
    for carer_id in r.by_carer:
        carer = r.carers[carer_id]
        cap = rules.week_cap(carer, r.problem.policy)
        if cap is None:
            continue
        for week, (visit_min, travel_min) in sorted(r.paid_by_week(carer_id).items()):
            if visit_min + travel_min > cap + TOL:
                yield _v(
                    rules.MAX_WORK,
                    f"carer {carer_id} is paid for {visit_min + travel_min:.1f} min (visits {visit_min:g}, "
                    f"travel {travel_min:.1f}) in the week of {week} but her cap is {cap} "
                    f"(max_work_minutes, policy.max_week_minutes)",
                    carer_id,
                )


def worked_spans(r: Roster, carer_id: str) -> list[tuple[datetime, datetime]]:
    """The carer's working time as one ``(first start, last end)`` per shift worked."""
    return [(run[0].stop.start, max(pl.stop.end for pl in run)) for run in r.runs(carer_id)]


def _rest(r: Roster, name: str) -> Iterator[Violation]:
    """The breaches of rest rule ``name`` (:func:`optimiser.rules.rest_breaches`) on the work
    the roster gives each carer."""
    days = rules.horizon(r.problem)
    for carer_id in r.by_carer:
        for rule_name, what in rules.rest_breaches(worked_spans(r, carer_id), r.problem.policy, days):
            if rule_name == name:
                yield _v(rule_name, f"carer {carer_id}: {what}", carer_id)


@rule(rules.DAILY_REST)
def daily_rest(r: Roster) -> Iterator[Violation]:
    """Rest between two working days >= policy.daily_rest_minutes."""
    return _rest(r, rules.DAILY_REST)


@rule(rules.WEEKLY_REST)
def weekly_rest(r: Roster) -> Iterator[Violation]:
    """An uninterrupted rest >= policy.weekly_rest_minutes in each 7-day period."""
    return _rest(r, rules.WEEKLY_REST)


@rule(rules.CONSECUTIVE_DAYS)
def consecutive_days(r: Roster) -> Iterator[Violation]:
    """At most policy.max_consecutive_days working days in a row."""
    return _rest(r, rules.CONSECUTIVE_DAYS)


def stretches(r: Roster, run: list[Placement]) -> rules.Stretches:
    """The working stretches of a shift's placements (:class:`optimiser.rules.Stretches`)."""
    out = rules.Stretches(r.problem.policy)
    for pl, leg in zip(run, r.legs(run), strict=True):
        out.add(pl.visit.kind, pl.start, pl.end, leg.minutes if leg.paid else 0.0)
    out.finish()
    return out


def _stretch_breaches(r: Roster, name: str) -> Iterator[Violation]:
    policy = r.problem.policy
    for carer, run in r.all_runs():
        found = stretches(r, run)
        for stretch in found.closed:
            breach = found.over(stretch)
            if breach is None or breach[0] != name:
                continue
            start, end, _, i, j = stretch
            first, last = run[i], run[j]
            if name == rules.WAKING_NIGHT_BREAK:
                need = f"an on-site {policy.waking_night_break_minutes}-min break (waking night)"
            else:
                need = f"a {policy.break_minutes}-min break"
            yield _v(
                name,
                f"carer {carer.id} works {span(first.stop.start, last.stop.end)} ({end - start:g} min, "
                f"visits {first.visit.id}…{last.visit.id}) without {need}; the limit is {breach[1]} min",
                carer.id,
                last.visit.id,
            )


@rule(rules.BREAK)
def break_rule(r: Roster) -> Iterator[Violation]:
    """No working stretch (split at idle >= break_minutes or a sleep-in) lasts more than break_after_minutes."""
    yield from _stretch_breaches(r, rules.BREAK)


@rule(rules.WAKING_NIGHT_BREAK)
def waking_night_break(r: Roster) -> Iterator[Violation]:
    """A stretch holding waking-night work, with its on-site breaks, lasts at most waking_night_break_after_minutes."""
    yield from _stretch_breaches(r, rules.WAKING_NIGHT_BREAK)


@rule("break_listed")
def break_listed(r: Roster) -> Iterator[Violation]:
    """A break listed in a route is not taken during one of the carer's visits (but may be
    during a sleep-in or, on site, a waking night)."""
    for carer_id, breaks in r.breaks.items():
        for b in breaks:
            b0, b1 = minutes(b.start), minutes(b.end)
            for pl in r.by_carer.get(carer_id, []):
                if pl.visit.kind in (rules.SLEEP_IN, rules.WAKING_NIGHT):
                    continue
                if b0 < pl.end - TOL and pl.start < b1 - TOL:
                    yield _v(
                        "break_listed",
                        f"carer {carer_id} lists a break {span(b.start, b.end)} during visit "
                        f"{pl.visit.id} {span(pl.stop.start, pl.stop.end)}",
                        carer_id,
                        pl.visit.id,
                    )


@rule(rules.CAPACITY)
def capacity(r: Roster) -> Iterator[Violation]:
    """The demand of a carer's visits in a shift fits her capacity."""
    for carer, run in r.all_runs():
        if carer.capacity is None:
            continue
        load = sum(pl.visit.demand for pl in run)
        if load > carer.capacity:
            yield _v(
                rules.CAPACITY,
                f"carer {carer.id} carries demand {load} in shift "
                f"{_shift_text(carer.shifts[run[0].shift])} but her capacity is {carer.capacity}",
                carer.id,
            )


@rule("lost_visit")
def lost_visit(r: Roster) -> Iterator[Violation]:
    """Every visit is routed or listed in ``unassigned``: none lost, none both, none twice."""
    listed: dict[str, int] = defaultdict(int)
    for u in r.solution.unassigned:
        listed[u.visit] += 1
    for v in r.problem.visits:
        if r.placed(v.id) and listed[v.id]:
            yield _v("lost_visit", f"visit {v.id} is both in a route and in unassigned", visit=v.id)
        elif not r.placed(v.id) and not listed[v.id]:
            yield _v(
                "lost_visit",
                f"visit {v.id} ({v.client}, {span(v.window.start, v.window.end)}) is lost: "
                f"in no route and not in unassigned",
                visit=v.id,
            )
        elif listed[v.id] > 1:
            yield _v("lost_visit", f"visit {v.id} is listed {listed[v.id]} times in unassigned", visit=v.id)


# --------------------------------------------------------------------------- entry point


def describe_rules() -> dict[str, str]:
    """Each hard rule's name and what it demands, in checking order."""
    return {name: (fn.__doc__ or "").strip().splitlines()[0] for name, fn in RULES.items()}


def _violations(roster: Roster) -> list[Violation]:
    p = roster.problem
    times = [s.start for c in p.carers for s in c.shifts] + [s.end for c in p.carers for s in c.shifts]
    with naming_days(bool(times) and min(times).date() != max(times).date()):
        return [v for fn in RULES.values() for v in fn(roster)]


def check(problem: Problem, solution: Solution, travel: TravelTimes | None = None) -> list[Violation]:
    """Every hard-rule violation of ``solution`` (no KPIs)."""
    return _violations(Roster(problem, solution, travel if travel is not None else travel_times(problem)))


def validate(problem: Problem, solution: Solution, travel: TravelTimes | None = None) -> ValidationReport:
    """Re-check every hard rule from the raw inputs and compute the KPIs.

    Parameters
    ----------
    problem, solution:
        The documents as given.
    travel:
        The travel source the roster was built on; ``travel_times(problem)`` when None.

    Returns
    -------
    ValidationReport
        ``violations`` (empty when the roster is valid; ``ok`` is then True) and ``kpis``
        (:func:`optimiser.kpis.compute_kpis`).
    """
    roster = Roster(problem, solution, travel if travel is not None else travel_times(problem))
    return ValidationReport(violations=_violations(roster), kpis=kpis_of(roster).model_dump(mode="json"))
