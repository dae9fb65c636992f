"""Time consistency: the priced start (rules.start_price) and the timing of a finished
roster (optimiser.timing): calls at their planned time where the route leaves room."""

from __future__ import annotations

from datetime import datetime

from optimiser import rules
from optimiser.engine import solve
from optimiser.model import Policy, Problem, Solution
from optimiser.validator import validate

from .builders import DAY, at, carer, client, problem, visit


def starts(s: Solution) -> dict[str, datetime]:
    return {st.visit: st.start for r in s.routes for st in r.stops}


def valid(p: Problem, s: Solution) -> None:
    report = validate(p, s)
    assert report.violations == [], report.violations


def test_one_price_per_start_from_the_planned_time_or_the_window_end():
    p = problem([carer("ann")], [client("c1", 1, 0)],
                [visit("v1", "c1", "08:00", "09:00"), visit("v2", "c1", "12:00", "13:00", late_limit_minutes=30)])
    policy = Policy(after_planned_per_minute=0.07, lateness_per_minute=2.0)
    on_time, may_be_late = p.visits
    assert rules.planned_start(on_time) == datetime.fromisoformat(at("08:30"))
    assert rules.start_price(on_time, policy) == (datetime.fromisoformat(at("08:30")), 0.07)
    assert rules.start_price(may_be_late, policy) == (datetime.fromisoformat(at("13:00")), 2.0)


def test_a_call_the_carer_reaches_early_starts_at_its_planned_time():
    p = problem([carer("ann", shifts=(("07:00", "15:00"),))], [client("c1", 1, 0), client("c2", 1.2, 0)],
                [visit("v1", "c1", "08:00", "09:00"), visit("v2", "c2", "11:00", "12:00")],
                options={"max_steps": 50})
    s = solve(p)
    valid(p, s)
    assert starts(s) == {"v1": datetime.fromisoformat(at("08:30")), "v2": datetime.fromisoformat(at("11:30"))}
    assert s.kpis["after_planned_visits"] == 0


def test_the_timing_pushes_no_call_past_its_planned_time():
    """Two back-to-back hours in the same home, planned at 09:00 each: the first may not
    move to 09:00, which would push the second to 10:00."""
    p = problem([carer("ann", shifts=(("08:00", "12:00"),))], [client("c1", 1, 0)],
                [visit("x", "c1", "08:00", "10:00", 60), visit("y", "c1", "08:00", "10:00", 60)],
                options={"max_steps": 50})
    s = solve(p)
    valid(p, s)
    assert sorted(starts(s).values()) == [DAY.replace(hour=8), DAY.replace(hour=9)]
    assert s.kpis["after_planned_minutes_total"] == 0


def test_a_double_handed_call_keeps_one_start_for_both_carers():
    p = problem([carer("ann"), carer("bea", 0.5, 0)], [client("c1", 1, 0)],
                [visit("v1", "c1", "08:00", "09:00", carers_required=2)], options={"max_steps": 50})
    s = solve(p)
    valid(p, s)
    assert len({st.start for r in s.routes for st in r.stops}) == 1


def test_the_search_prices_minutes_after_the_planned_time():
    """Two hour-long calls planned at 09:00 in one home: one carer does both (the second
    at 09:30, 30 minutes after its planned time) unless those minutes cost more than a
    second carer's commute."""
    def solved(rate: float) -> Solution:
        p = problem([carer("ann", 0.5, 0, shifts=(("08:00", "12:00"),)),
                     carer("bea", 0.6, 0, shifts=(("08:00", "12:00"),))], [client("c1", 1, 0)],
                    [visit("x", "c1", "08:30", "09:30", 60), visit("y", "c1", "08:30", "09:30", 60)],
                    policy={"after_planned_per_minute": rate}, options={"max_steps": 200})
        s = solve(p)
        valid(p, s)
        return s

    free, priced = solved(0.0), solved(1.0)
    assert len([r for r in free.routes if r.stops]) == 1
    assert len([r for r in priced.routes if r.stops]) == 2
    assert set(starts(priced).values()) == {DAY.replace(hour=9)}
    assert priced.kpis["after_planned_minutes_total"] == 0
    assert free.kpis["after_planned_minutes_total"] == 30
