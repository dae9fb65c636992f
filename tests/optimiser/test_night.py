"""Night care: sleep-ins, waking nights and the out-of-hours service.

A sleep-in is not working time (rest for the break rule, no paid minutes, a flat
allowance); a waking night is working time that takes its breaks on site. One
definition of a working stretch (``optimiser.rules.Stretches``) serves the construction,
the validator and the unassigned reasons; these tests hold each layer to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from optimiser import rules
from optimiser.compile import compile_problem
from optimiser.engine import solve
from optimiser.generator import NIGHT_SHIFT, GeneratorSettings, capacity_summary, generate_day
from optimiser.model import Policy, Problem, Route, Solution, Stop
from optimiser.sources import travel_times
from optimiser.validator import RULES, validate

from .builders import at, carer, client, problem, visit

NEXT = "2026-11-24T"
NIGHT = (("21:15", NEXT + "07:30"),)


def night_day(kind: str = "sleep_in", policy: dict | None = None, **carer_kw) -> Problem:
    """One night carer: a bed call, a 540-min stay (``kind``) at the same client, an early call."""
    return problem(
        carers=[carer("nat", 0, 0, shifts=NIGHT, **carer_kw)],
        clients=[client("c1", 0.5, 0), client("c2", 1.0, 0)],
        visits=[visit("bed", "c1", "21:15", "21:30", 30),
                visit("stay", "c1", "21:45", "22:00", 540, kind=kind, priority="high"),
                visit("early", "c2", NEXT + "06:50", NEXT + "07:05", 15)],
        policy=policy,
    )


def roster(p: Problem, plan: dict[str, list[tuple[str, str]]]) -> Solution:
    """A roster from ``{carer: [(visit, "HH:MM" or ISO start)]}`` with the problem's own travel
    (one shift per carer)."""
    travel = travel_times(p)
    routes = []
    for carer_id, items in plan.items():
        mode = p.carer(carer_id).travel_mode
        out, prev, prev_end = [], carer_id, None
        for visit_id, when in items:
            v = p.visit(visit_id)
            start = datetime.fromisoformat(at(when))
            minutes, km = travel.leg(mode, prev, v.client)
            arrival = start if prev_end is None else min(start, prev_end + timedelta(minutes=minutes))
            end = start + timedelta(minutes=v.duration_minutes)
            out.append(Stop(visit=visit_id, arrival=arrival, start=start, end=end,
                            travel_minutes=round(minutes, 3), travel_km=round(km, 3)))
            prev, prev_end = v.client, end
        routes.append(Route(carer=carer_id, stops=out))
    return Solution(problem_id=p.id, status="feasible", routes=routes)


def rules_broken(p: Problem, s: Solution) -> set[str]:
    return validate(p, s).rules_broken()


def stops(s) -> dict[str, tuple[str, str]]:
    return {st.visit: (f"{st.start:%H:%M}", f"{st.end:%H:%M}") for r in s.routes for st in r.stops}


# --------------------------------------------------------------------------- the definition


def stretches(policy: Policy, items) -> rules.Stretches:
    s = rules.Stretches(policy)
    for kind, start, end, travel in items:
        s.add(kind, start, end, travel)
    s.finish()
    return s


def test_a_sleep_in_is_rest_between_two_stretches():
    s = stretches(Policy(), [("visit", 0, 300, 0), ("sleep_in", 300, 840, 0), ("visit", 840, 1000, 0)])
    assert [(a, b) for a, b, *_ in s.closed] == [(0, 300), (840, 1000)]
    assert not any(s.over(x) for x in s.closed)


def test_the_same_time_as_a_call_is_one_stretch_too_long():
    s = stretches(Policy(), [("visit", 0, 300, 0), ("visit", 300, 840, 0), ("visit", 840, 1000, 0)])
    [only] = s.closed
    assert s.over(only) == (rules.BREAK, 360)


def test_a_waking_night_breaks_on_site_as_late_as_its_limit_allows():
    # her stretch starts at the 30-min call before the night: the first break is due 360 min later
    s = stretches(Policy(), [("visit", 0, 30, 0), ("waking_night", 30, 570, 0)])
    assert s.on_site == [(360, 380)]
    assert [(a, b, night) for a, b, night, *_ in s.closed] == [(0, 360, True), (380, 570, True)]
    assert not any(s.over(x) for x in s.closed)
    assert s.listed_breaks() == [(360, 380)]


def test_a_waking_night_has_its_own_numbers():
    policy = Policy(waking_night_break_after_minutes=240, waking_night_break_minutes=30, break_after_minutes=None)
    s = stretches(policy, [("waking_night", 0, 540, 0)])
    assert s.on_site == [(240, 270), (510, 540)]
    # the ordinary rule is off: a long day of calls has no limit, a night still does
    assert not stretches(policy, [("visit", 0, 600, 0)]).over((0, 600, False, 0, 0))


def test_a_stretch_too_long_before_the_night_breaks_the_waking_night_rule():
    policy = Policy(waking_night_break_after_minutes=120)
    s = stretches(policy, [("visit", 0, 130, 0), ("waking_night", 130, 670, 0)])
    assert s.over(s.closed[0]) == (rules.WAKING_NIGHT_BREAK, 120)


def test_place_waits_for_a_break_rather_than_break_the_rule():
    s = rules.Stretches(Policy())
    assert s.place("visit", 0, 360, 0) == 0
    assert s.place("visit", 360, 30, 0) == 380  # 20 min idle first
    s = rules.Stretches(Policy())
    assert s.place("visit", 0, 360, 0) == 0
    assert s.place("sleep_in", 360, 540, 0) == 360  # rest already
    assert s.place("visit", 900, 30, 0) == 900


def test_paid_minutes_and_who_needs_breaks():
    sleep = visit("s", "c1", "22:00", "22:00", 540, kind="sleep_in")
    p = problem(carers=[carer("a", shifts=NIGHT)], clients=[client("c1")], visits=[sleep])
    assert rules.paid_minutes(p.visits[0]) == 0 and not rules.working(p.visits[0])
    # a 2 h shift never holds a stretch over 360 min, unless a waking night may limit it sooner
    policy = Policy(waking_night_break_after_minutes=60)
    assert not rules.needs_breaks(120, policy, waking_nights=False)
    assert rules.needs_breaks(120, policy, waking_nights=True)
    assert not rules.needs_breaks(600, Policy(break_after_minutes=None), waking_nights=False)


# --------------------------------------------------------------------------- the validator


def test_validator_a_sleep_in_is_not_a_working_stretch():
    p = night_day()
    plan = {"nat": [("bed", "21:15"), ("stay", "21:45"), ("early", NEXT + "06:50")]}
    assert rules_broken(p, roster(p, plan)) == set()
    ordinary = night_day("visit")
    assert rules_broken(ordinary, roster(ordinary, plan)) == {"break"}


def test_validator_a_waking_night_breaks_on_site_and_names_its_rule():
    p = night_day("waking_night")
    plan = {"nat": [("bed", "21:15"), ("stay", "21:45"), ("early", NEXT + "06:50")]}
    assert rules_broken(p, roster(p, plan)) == set()
    tight = night_day("waking_night", policy={"waking_night_break_after_minutes": 30})
    report = validate(tight, roster(tight, plan))
    [v] = report.violations
    assert v.rule == "waking_night_break" and "on-site 20-min break (waking night)" in v.message
    assert {"break", "waking_night_break"} <= set(RULES)


def test_validator_a_sleep_in_is_not_paid_work():
    p = night_day(max_work_minutes=100)  # 30 + 15 min of calls and some travel: the sleep-in is not counted
    plan = {"nat": [("bed", "21:15"), ("stay", "21:45"), ("early", NEXT + "06:50")]}
    assert rules_broken(p, roster(p, plan)) == set()
    waking = night_day("waking_night", max_work_minutes=100)
    assert rules_broken(waking, roster(waking, plan)) == {"max_work_minutes"}


def test_validator_a_break_may_be_listed_in_a_stay_but_not_in_a_call():
    from optimiser.model import Break

    p = night_day("waking_night")
    plan = {"nat": [("bed", "21:15"), ("stay", "21:45"), ("early", NEXT + "06:50")]}
    s = roster(p, plan)
    s.routes[0].breaks = [Break(start=datetime(2026, 11, 24, 3, 0), end=datetime(2026, 11, 24, 3, 20))]
    assert rules_broken(p, s) == set()
    s.routes[0].breaks = [Break(start=datetime(2026, 11, 23, 21, 20), end=datetime(2026, 11, 23, 21, 40))]
    assert rules_broken(p, s) == {"break_listed"}


# --------------------------------------------------------------------------- the solver and the KPIs


@pytest.mark.parametrize("kind", ["sleep_in", "waking_night"])
def test_a_night_with_a_stay_and_calls_is_solved_and_validates(kind):
    p = night_day(kind)
    s = solve(p, time_limit=1)
    assert validate(p, s).violations == []
    assert s.unassigned == []
    assert stops(s)["stay"] == ("21:45", "06:45")
    on_site = [(f"{b.start:%H:%M}", f"{b.end:%H:%M}") for r in s.routes for b in r.breaks]
    assert (("03:15", "03:35") in on_site) == (kind == "waking_night")  # 21:15 + 360 min


def test_a_sleep_in_does_not_fill_the_work_cap():
    # 540 min of sleep-in and 45 min of calls fit a 120-min cap: the sleep-in is not paid work
    p = night_day(max_work_minutes=120)
    s = solve(p, time_limit=1)
    assert s.unassigned == [] and validate(p, s).ok
    k = s.kpis["per_carer"]["nat"]
    assert k["sleep_ins"] == 1 and k["contact_minutes"] == 45 and k["paid_minutes"] < 120


def test_a_sleep_in_does_not_count_towards_contracted_minutes():
    p = night_day(contracted_minutes=300)
    s = solve(p, time_limit=1)
    k = s.kpis
    assert k["contracted_shortfall_minutes"] == pytest.approx(300 - k["per_carer"]["nat"]["paid_minutes"])


def test_kpis_price_a_sleep_in_at_the_allowance():
    p = night_day(policy={"sleep_in_allowance": 80.0})
    s = solve(p, time_limit=1)
    k = s.kpis
    assert k["sleep_ins"] == 1 and k["sleep_in_minutes"] == 540 and k["waking_nights"] == 0
    cost = k["cost"]
    assert cost["sleep_in_allowances"] == pytest.approx(80.0)
    assert k["per_carer"]["nat"]["sleep_in_allowance"] == pytest.approx(80.0)
    wages = cost["contact_wage"] + cost["travel_time_wage"] + cost["sleep_in_allowances"]
    assert cost["ni_pension"] == pytest.approx(wages * 0.11)
    assert cost["contact_hours"] == pytest.approx(45 / 60)  # the sleep-in is not contact time
    items = ("contact_wage", "travel_time_wage", "sleep_in_allowances", "mileage", "ni_pension", "other_on_costs",
             "running_business", "profit")
    assert sum(cost[i] for i in items) == pytest.approx(cost["total"])


def test_kpis_count_a_waking_night_as_paid_contact_time():
    p = night_day("waking_night")
    k = solve(p, time_limit=1).kpis
    assert k["waking_nights"] == 1 and k["sleep_ins"] == 0
    assert k["per_carer"]["nat"]["contact_minutes"] == 585
    assert k["cost"]["sleep_in_allowances"] == 0


def test_or_tools_routing_keeps_the_rule_too():
    # OR-Tools' declared breaks may fall in a sleep-in (with the break's length in slack besides)
    p = night_day()
    s = solve(p, time_limit=2, first_solution="PARALLEL_CHEAPEST_INSERTION")
    assert validate(p, s).violations == []
    assert "stay" in stops(s)


# --------------------------------------------------------------------------- shifts across midnight, the generator


def test_a_night_shift_crosses_midnight_in_minutes_since_the_first_midnight():
    p = problem(carers=[carer("nat", shifts=(("21:15", NEXT + "07:00"),))], clients=[client("c1")],
                visits=[visit("v", "c1", "23:00", NEXT + "01:00", 30)])
    data = compile_problem(p)
    [veh] = data.vehicles
    assert (veh.start, veh.end) == (21 * 60 + 15, 31 * 60) == NIGHT_SHIFT
    assert data.horizon == 31 * 60


def test_the_generator_makes_no_night_by_default():
    day = generate_day(GeneratorSettings(visits=40, carers=6, seed=2))
    assert {v.kind for v in day.visits} == {"visit"}
    assert all(s.end.date() == s.start.date() for c in day.carers for s in c.shifts)
    assert "night" not in capacity_summary(day)


def test_the_generator_makes_a_night_that_solves():
    settings = GeneratorSettings(visits=40, carers=6, seed=2, night_clients=4, sleep_ins=2, waking_nights=1)
    day = generate_day(settings)
    plain = generate_day(GeneratorSettings(visits=40, carers=6, seed=2))
    assert [v.id for v in day.visits[: len(plain.visits)]] == [v.id for v in plain.visits]  # the day is the same
    kinds = [v.kind for v in day.visits]
    assert kinds.count("sleep_in") == 2 and kinds.count("waking_night") == 1
    calls = [v for v in day.visits if "-night-" in v.id]
    per_client: dict[str, int] = {}
    for v in calls:
        per_client[v.client] = per_client.get(v.client, 0) + 1
    assert len(per_client) == 4 and max(per_client.values()) <= 3
    night = [c for c in day.carers if c.id.startswith("night-carer")]
    assert len(night) == 2 + 1 + 2  # one per stay, one per 3 night-service clients
    assert all(c.shifts[0].end == datetime(2026, 11, 24, 7, 0) for c in night)
    assert capacity_summary(day)["night"]["carer_minutes"] >= 5 * 540
    s = solve(day, time_limit=4)
    assert validate(day, s).violations == []
    out = {u.visit for u in s.unassigned}
    assert not out & {v.id for v in day.visits if v.kind != "visit"}, s.unassigned
    assert s.kpis["sleep_ins"] == 2 and s.kpis["waking_nights"] == 1
