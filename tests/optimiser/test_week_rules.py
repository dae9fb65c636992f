"""The working week's rules: the weekly cap on paid minutes, daily and weekly rest and
consecutive working days (``optimiser.rules``), in the solver, the validator, the
unassigned reasons and the input check. Each test builds a horizon where exactly that rule
binds."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from optimiser import rules
from optimiser.engine import solve
from optimiser.errors import InputError
from optimiser.intake import check_working_time
from optimiser.model import Policy, Solution
from optimiser.sources import travel_times
from optimiser.validator import validate

from .builders import DAY, carer, client, problem, visit


def on(day: int, hm: str) -> str:
    """``hm`` on the ``day``-th day after :data:`DAY` (a Monday) as an ISO string."""
    h, m = (int(x) for x in hm.split(":"))
    return (DAY + timedelta(days=day, hours=h, minutes=m)).isoformat(timespec="minutes")


def t(day: int, hm: str) -> datetime:
    return datetime.fromisoformat(on(day, hm))


def week_shifts(days: list[int], start: str = "08:00", end: str = "16:00") -> list[tuple[str, str]]:
    return [(on(d, start), on(d, end)) for d in days]


# --------------------------------------------------------------------------- the rule functions


def test_daily_rest_between_days_but_not_inside_a_split_day():
    policy = Policy()
    horizon = (t(0, "00:00"), t(2, "00:00"))
    split = [(t(0, "07:00"), t(0, "11:00")), (t(0, "16:00"), t(0, "22:00"))]
    assert rules.rest_breaches(split, policy, horizon) == []  # 5 h between the parts: one day
    late_early = [(t(0, "14:00"), t(0, "22:00")), (t(1, "07:00"), t(1, "15:00"))]
    [(rule, what)] = rules.rest_breaches(late_early, policy, horizon)
    assert rule == rules.DAILY_REST and "540 min" in what and "660" in what
    assert rules.rest_breaches(late_early, Policy(daily_rest_minutes=540), horizon) == []
    assert rules.rest_breaches(late_early, Policy(daily_rest_minutes=None), horizon) == []


def test_consecutive_days_and_weekly_rest_over_a_week():
    policy = Policy()
    week = (t(0, "00:00"), t(7, "00:00"))
    every_day = [(t(d, "08:00"), t(d, "12:00")) for d in range(7)]
    broken = {rule for rule, _ in rules.rest_breaches(every_day, policy, week)}
    # 20 h between days is no 24 h rest; 7 days in a row is one too many
    assert broken == {rules.WEEKLY_REST, rules.CONSECUTIVE_DAYS}
    six = every_day[:6]  # Sunday off: 36 h rest, six days in a row
    assert rules.rest_breaches(six, policy, week) == []
    # the same six days in a problem shorter than a week: no 7-day period to judge
    assert rules.rest_breaches(six, Policy(max_consecutive_days=7), (t(0, "00:00"), t(6, "00:00"))) == []


def test_week_cap_and_week_of():
    ann = carer("ann")
    assert rules.week_cap(problem([ann], [], []).carers[0], Policy()) == 2880
    capped = problem([carer("ann", max_work_minutes=600)], [], []).carers[0]
    assert rules.week_cap(capped, Policy()) == 600
    out = problem([carer("ann", wtr_opt_out=True)], [], []).carers[0]
    assert rules.week_cap(out, Policy()) is None
    assert rules.week_of(t(6, "23:00")) == DAY.date() and rules.week_of(t(7, "00:30")) == (DAY + timedelta(7)).date()


# --------------------------------------------------------------------------- the weekly cap in the solver


def two_days(days: tuple[int, int], **ann) -> object:
    """One carer, one client, a 60-min visit on each of ``days``."""
    return problem(
        [carer("ann", shifts=week_shifts(list(days)), **ann)],
        [client("c1", 1, 0)],
        [visit(f"v{d}", "c1", on(d, "09:00"), on(d, "10:00"), 60) for d in days],
        policy={"break_after_minutes": None},
    )


def test_the_weekly_cap_binds_within_a_week():
    p = two_days((0, 1), max_work_minutes=100)  # Monday and Tuesday: one week
    s = solve(p, time_limit=1.0, seed=1)
    assert validate(p, s).violations == []
    [u] = s.unassigned
    assert u.rule == rules.MAX_WORK and "in the week against a cap of 100" in u.reason


def test_the_weekly_cap_starts_again_on_monday():
    p = two_days((6, 7), max_work_minutes=100)  # Sunday and the next Monday: two weeks
    s = solve(p, time_limit=1.0, seed=1)
    assert validate(p, s).violations == [] and s.unassigned == []


def test_the_48_hour_week_unless_she_opted_out():
    days = (0, 1)
    p = two_days(days)
    p = p.model_copy(update={"policy": p.policy.model_copy(update={"max_week_minutes": 90})})
    s = solve(p, time_limit=1.0, seed=1)
    assert [u.rule for u in s.unassigned] == [rules.MAX_WORK] and validate(p, s).violations == []
    opted = two_days(days, wtr_opt_out=True)
    opted = opted.model_copy(update={"policy": opted.policy.model_copy(update={"max_week_minutes": 90})})
    s = solve(opted, time_limit=1.0, seed=1)
    assert s.unassigned == [] and validate(opted, s).violations == []


# --------------------------------------------------------------------------- the validator


def roster(p, stops: list[tuple[str, str, str]], unassigned: tuple[str, ...] = ()) -> Solution:
    """ann's route with ``(visit, start, end)`` stops, one per shift (each from home)."""
    travel = travel_times(p)
    client_of = {v.id: v.client for v in p.visits}
    out = []
    for v, a, b in stops:
        minutes, km = travel.leg("car", "ann", client_of[v])
        out.append({"visit": v, "arrival": a, "start": a, "end": b, "travel_minutes": minutes, "travel_km": km})
    return Solution.model_validate({"problem_id": p.id, "status": "feasible",
                                    "routes": [{"carer": "ann", "stops": out}],
                                    "unassigned": [{"visit": v, "reason": "left out"} for v in unassigned]})


def test_validator_catches_a_week_over_the_cap():
    p = two_days((0, 1), max_work_minutes=100)
    s = roster(p, [("v0", on(0, "09:00"), on(0, "10:00")), ("v1", on(1, "09:00"), on(1, "10:00"))])
    [v] = [v for v in validate(p, s).violations if v.rule == rules.MAX_WORK]
    assert "120.0 min" in v.message and f"week of {DAY.date()}" in v.message


def test_validator_catches_short_daily_rest_and_the_input_check_refuses_such_shifts():
    p = problem(
        [carer("ann", shifts=[(on(0, "14:00"), on(0, "23:00")), (on(1, "06:00"), on(1, "14:00"))])],
        [client("c1", 1, 0)],
        [visit("late", "c1", on(0, "21:00"), on(0, "22:00"), 60), visit("early", "c1", on(1, "07:00"), on(1, "08:00"), 60)],
    )
    s = roster(p, [("late", on(0, "21:00"), on(0, "22:00")), ("early", on(1, "07:00"), on(1, "08:00"))])
    [v] = validate(p, s).violations
    assert v.rule == rules.DAILY_REST and "540 min" in v.message
    # working only one end of each shift keeps the rest: the rule is on the work, not the shifts
    fine = roster(p, [("late", on(0, "21:00"), on(0, "22:00"))], unassigned=("early",))
    assert [v.rule for v in validate(p, fine).violations] == []
    with pytest.raises(InputError, match=r"carers\[0\] \(ann\)\.shifts: daily_rest: 420 min"):
        check_working_time(p)


def test_validator_catches_seven_days_in_a_row():
    p = problem(
        [carer("ann", shifts=week_shifts(list(range(7))))],
        [client("c1", 1, 0)],
        [visit(f"v{d}", "c1", on(d, "09:00"), on(d, "10:00"), 60) for d in range(7)],
        policy={"weekly_rest_minutes": None},
    )
    s = roster(p, [(f"v{d}", on(d, "09:00"), on(d, "10:00")) for d in range(7)])
    assert [v.rule for v in validate(p, s).violations] == [rules.CONSECUTIVE_DAYS]
    with pytest.raises(InputError, match="consecutive_days"):
        check_working_time(p)
    check_working_time(problem([carer("ann", shifts=week_shifts(list(range(6))))], [], []))


# --------------------------------------------------------------------------- the week's KPIs


def test_week_kpis_per_carer_and_client():
    days = (4, 5, 6)  # Friday to Sunday
    p = problem(
        [carer("ann", shifts=week_shifts(list(days)))],
        [client("c1", 1, 0)],
        [visit(f"v{d}", "c1", on(d, "09:00"), on(d, "10:30"), 60) for d in days],
        policy={"break_after_minutes": None},
    )
    s = roster(p, [("v4", on(4, "09:00"), on(4, "10:00")), ("v5", on(5, "09:40"), on(5, "10:40")),
                   ("v6", on(6, "09:10"), on(6, "10:10"))])
    report = validate(p, s)
    assert report.violations == []
    ann, c1 = report.kpis["per_carer"]["ann"], report.kpis["per_client"]["c1"]
    assert (ann["days_worked"], ann["weekend_days_worked"], ann["longest_day_minutes"]) == (3, 2, 60)
    assert ann["paid_minutes_by_week"] == {str(DAY.date()): 180.0}
    assert c1["time_spread_minutes"] == 40 and report.kpis["time_spread_median_minutes"] == 40
    assert report.kpis["days"] == 3 and report.kpis["days_worked_mean"] == 3
