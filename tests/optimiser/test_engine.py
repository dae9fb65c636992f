"""The engine respects every hard rule where it binds, and every roster validates.

Each instance is tiny and built so that the rule changes the answer: the cheap
choice (the carer next door) is forbidden, so the solver must take the far one or
leave the visit out with the right reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from optimiser.engine import solve
from optimiser.model import Problem, Solution
from optimiser.validator import validate

from .builders import carer, client, problem, random_day, visit

FAR = 6.0  # km: the far carer lives here; the client lives next to the near carer


def solved(p: Problem, time_limit: float = 1.0, **kw) -> Solution:
    s = solve(p, time_limit=time_limit, **kw)
    report = validate(p, s)
    assert report.violations == [], [v.message for v in report.violations]
    return s


def carer_of(s: Solution, visit_id: str) -> list[str]:
    return sorted(r.carer for r in s.routes for st in r.stops if st.visit == visit_id)


def stop(s: Solution, visit_id: str):
    return next(st for r in s.routes for st in r.stops if st.visit == visit_id)


def near_far(visit_kw: dict | None = None, client_kw: dict | None = None, near_kw: dict | None = None,
             far_kw: dict | None = None) -> Problem:
    """One visit next to carer 'near'; carer 'far' lives FAR km away."""
    return problem(
        carers=[carer("near", 0, 0, **(near_kw or {})), carer("far", FAR, 0, **(far_kw or {}))],
        clients=[client("c1", 0.3, 0, **(client_kw or {}))],
        visits=[visit("v1", "c1", "09:00", "09:30", 30, **(visit_kw or {}))],
    )


def test_cheap_choice_without_rules_is_the_near_carer():
    s = solved(near_far())
    assert carer_of(s, "v1") == ["near"]
    assert s.status == "feasible"


@pytest.mark.parametrize(
    "visit_kw, client_kw, near_kw, far_kw",
    [
        ({"skills": ["insulin"]}, {}, {}, {"skills": ["insulin"]}),
        ({}, {"carer_gender": "female"}, {"gender": "male"}, {"gender": "female"}),
        ({}, {"languages": ["gujarati"], "language_match": "required"}, {"languages": ["english"]},
         {"languages": ["english", "gujarati"]}),
        ({}, {"requirements": ["no_pets_allergy"]}, {"attributes": ["non_smoker"]},
         {"attributes": ["no_pets_allergy"]}),
        ({}, {"excluded_carers": ["near"]}, {}, {}),
        ({"pinned_carers": ["far"]}, {}, {}, {}),
    ],
    ids=["skills", "gender", "language", "requirements", "excluded", "pinned"],
)
def test_matching_rule_forces_the_far_carer(visit_kw, client_kw, near_kw, far_kw):
    s = solved(near_far(visit_kw, client_kw, near_kw, far_kw))
    assert carer_of(s, "v1") == ["far"]


@pytest.mark.parametrize(
    "visit_kw, client_kw, rule, words",
    [
        ({"skills": ["peg"]}, {}, "skills", "'peg'"),
        ({}, {"carer_gender": "male"}, "gender", "male carer"),
        ({}, {"languages": ["polish"], "language_match": "required"}, "language", "polish"),
        ({}, {"requirements": ["no_pets_allergy"]}, "requirements", "none has 'no_pets_allergy'"),
        ({}, {"excluded_carers": ["near", "far"]}, "excluded_carers", "excluded"),
        ({"window": {"start": "2026-11-23T21:00", "end": "2026-11-23T21:30"}}, {}, "shifts", "21:00-21:30"),
        ({"carers_required": 2, "skills": ["hoist"]}, {}, "skills", "2 carers needed"),
    ],
    ids=["skills", "gender", "language", "requirements", "excluded", "shifts", "double"],
)
def test_unplaceable_visit_gets_a_reason_naming_the_rule(visit_kw, client_kw, rule, words):
    p = near_far(visit_kw, client_kw, {"gender": "female", "skills": ["hoist"]}, {"gender": "female"})
    s = solved(p)
    assert s.status == "partial"
    [u] = s.unassigned
    assert u.visit == "v1" and u.rule == rule
    assert words in u.reason


def test_pinned_carer_off_duty_is_the_reason():
    p = near_far({"pinned_carers": ["far"]}, far_kw={"shifts": [("14:00", "18:00")]})
    s = solved(p)
    [u] = s.unassigned
    assert u.rule == "pinned_carers" and "far" in u.reason


def test_double_handed_gets_two_carers_starting_together():
    p = problem(
        carers=[carer("a", 0, 0), carer("b", 1, 0), carer("c", 2, 0)],
        clients=[client("c1", 0.5, 0), client("c2", 3, 0)],
        visits=[visit("d", "c1", "09:00", "09:30", 45, carers_required=2),
                visit("s", "c2", "09:00", "09:30", 30)],
    )
    s = solved(p)
    carers = carer_of(s, "d")
    assert len(carers) == 2 and len(set(carers)) == 2
    starts = {st.start for r in s.routes for st in r.stops if st.visit == "d"}
    assert len(starts) == 1
    assert s.status == "feasible"


def test_double_handed_with_one_able_carer_is_left_out_whole():
    p = problem(
        carers=[carer("a", 0, 0, skills=["hoist"]), carer("b", 1, 0)],
        clients=[client("c1", 0.5, 0)],
        visits=[visit("d", "c1", "09:00", "09:30", 45, carers_required=2, skills=["hoist"]),
                visit("s", "c1", "11:00", "11:30", 30)],
    )
    s = solved(p)
    assert carer_of(s, "d") == []
    assert [u.visit for u in s.unassigned] == ["d"]


def test_double_handed_with_one_pinned_carer():
    p = problem(
        carers=[carer("a", 0, 0), carer("b", 0.2, 0), carer("c", 5, 0)],
        clients=[client("c1", 0.1, 0)],
        visits=[visit("d", "c1", "09:00", "09:30", 30, carers_required=2, pinned_carers=["c"])],
    )
    s = solved(p)
    carers = carer_of(s, "d")
    assert "c" in carers and len(set(carers)) == 2


def test_after_min_gap_holds():
    # without the gap both visits would start at 08:00-ish; paracetamol needs 4 h between
    p = problem(
        carers=[carer("a", 0, 0, shifts=[("07:00", "15:00")])],
        clients=[client("c1", 0.5, 0)],
        visits=[visit("m1", "c1", "08:00", "09:00", 15),
                visit("m2", "c1", "08:00", "14:00", 15, after={"visit": "m1", "min_minutes": 240})],
    )
    s = solved(p)
    assert stop(s, "m2").start - stop(s, "m1").start >= timedelta(minutes=240)


def test_after_max_gap_holds():
    # insulin 15-45 min after the meal visit, though its window is the whole morning
    p = problem(
        carers=[carer("a", 0, 0), carer("b", 0.2, 0)],
        clients=[client("c1", 0.5, 0)],
        visits=[visit("meal", "c1", "10:00", "10:30", 30),
                visit("ins", "c1", "07:00", "12:00", 15, after={"visit": "meal", "min_minutes": 15, "max_minutes": 45})],
    )
    s = solved(p)
    gap = stop(s, "ins").start - stop(s, "meal").start
    assert timedelta(minutes=15) <= gap <= timedelta(minutes=45)


def test_after_zero_gap_synchronises_different_skills():
    p = problem(
        carers=[carer("nurse", 0, 0, skills=["peg"]), carer("aide", 1, 0, skills=["hoist"])],
        clients=[client("c1", 0.5, 0)],
        visits=[visit("p", "c1", "08:00", "10:00", 30, skills=["peg"]),
                visit("h", "c1", "08:00", "10:00", 30, skills=["hoist"],
                      after={"visit": "p", "min_minutes": 0, "max_minutes": 0})],
    )
    s = solved(p)
    assert stop(s, "p").start == stop(s, "h").start
    assert carer_of(s, "p") == ["nurse"] and carer_of(s, "h") == ["aide"]


def test_max_work_minutes_caps_paid_time():
    p = problem(
        carers=[carer("a", 0, 0, max_work_minutes=70)],
        clients=[client("c1", 0.2, 0)],
        visits=[visit(f"v{i}", "c1", f"{8 + 2 * i:02d}:00", f"{8 + 2 * i:02d}:30", 30) for i in range(3)],
    )
    s = solved(p)
    assert len(s.unassigned) == 1
    assert s.unassigned[0].rule == "max_work_minutes"


def test_max_work_minutes_spans_split_shifts():
    p = problem(
        carers=[carer("a", 0, 0, shifts=[("07:00", "11:00"), ("16:00", "20:00")], max_work_minutes=60)],
        clients=[client("c1", 0.2, 0)],
        visits=[visit("am", "c1", "08:00", "08:30", 30, priority="high"),
                visit("pm1", "c1", "17:00", "17:30", 30),
                visit("pm2", "c1", "18:00", "18:30", 30, priority="flexible")],
    )
    s = solved(p)
    assert sorted(st.visit for r in s.routes for st in r.stops) == ["am", "pm1"]


def test_split_shifts_are_one_route_in_time_order():
    p = problem(
        carers=[carer("a", 0, 0, shifts=[("07:00", "10:00"), ("16:00", "19:00")]), carer("far", 20, 0)],
        clients=[client("c1", 0.2, 0), client("c2", 0.4, 0)],
        visits=[visit("pm", "c2", "17:00", "17:30", 30), visit("am", "c1", "08:00", "08:30", 30)],
    )
    s = solved(p)
    [route] = [r for r in s.routes if r.carer == "a"]
    assert [st.visit for st in route.stops] == ["am", "pm"]
    # the first stop of each shift travels from home (0.4 km), not from c1 (0.2 km)
    assert route.stops[1].travel_km == pytest.approx(2 * route.stops[0].travel_km, rel=0.01)


def test_travel_time_between_visits_is_respected():
    # 8 km apart by car (30 km/h x 1.3 detour): ~21 min; the window would allow 0 min
    p = problem(
        carers=[carer("a", 0, 0)],
        clients=[client("c1", 0, 0), client("c2", 8, 0)],
        visits=[visit("v1", "c1", "08:00", "08:00", 30), visit("v2", "c2", "08:30", "09:30", 30)],
    )
    s = solved(p)
    v1, v2 = stop(s, "v1"), stop(s, "v2")
    assert v2.travel_minutes > 15
    assert v2.start >= v1.end + timedelta(minutes=v2.travel_minutes)


def test_walker_is_slower_than_driver():
    p = problem(
        carers=[carer("w", 0, 0, travel_mode="walk", max_commute_minutes=60)],  # the walk home is long
        clients=[client("c1", 0, 0), client("c2", 2, 0)],
        visits=[visit("v1", "c1", "08:00", "08:00", 30), visit("v2", "c2", "08:30", "10:00", 30)],
    )
    s = solved(p)
    assert stop(s, "v2").start - stop(s, "v1").end >= timedelta(minutes=30)  # 2.6 km on foot


def test_break_rule_needs_an_idle_gap():
    # 7 one-hour visits in an 8-hour shift: a 20-min idle gap must split the day
    p = problem(
        carers=[carer("a", 0, 0, shifts=[("07:00", "15:00")])],
        clients=[client("c1", 0.1, 0)],
        visits=[visit(f"v{i}", "c1", "07:00", "14:00", 60) for i in range(7)],
    )
    s = solved(p, time_limit=2.0)
    assert s.status == "feasible"
    stops = s.routes[0].stops
    idle = [b.start - a.end for a, b in zip(stops, stops[1:], strict=False)]
    assert max(idle) >= timedelta(minutes=20)
    assert s.routes[0].breaks, "the break taken is listed"


def test_break_rule_off_allows_back_to_back():
    p = problem(
        carers=[carer("a", 0, 0, shifts=[("07:00", "14:00")])],
        clients=[client("c1", 0.0, 0)],
        visits=[visit(f"v{i}", "c1", "07:00", "07:00" if i == 0 else "13:00", 60) for i in range(7)],
        policy={"break_after_minutes": None},
    )
    s = solved(p)
    assert s.status == "feasible"


def test_capacity_splits_loads():
    p = problem(
        carers=[carer("a", 0, 0, capacity=10), carer("b", 3, 0, capacity=10)],
        clients=[client("c1", 0.1, 0), client("c2", 0.2, 0)],
        visits=[visit("v1", "c1", "08:00", "09:00", 30, demand=6), visit("v2", "c2", "08:00", "11:00", 30, demand=6)],
    )
    s = solved(p)
    assert len({carer_of(s, "v1")[0], carer_of(s, "v2")[0]}) == 2


def test_soft_lateness_lets_a_visit_start_after_its_window():
    p = problem(
        carers=[carer("a", 0, 0, shifts=[("08:20", "12:00")])],
        clients=[client("c1", 0.1, 0)],
        visits=[visit("v1", "c1", "08:00", "08:10", 30, late_limit_minutes=30)],
        policy={"lateness_per_minute": 1.0},
    )
    s = solved(p)
    assert stop(s, "v1").start == datetime(2026, 11, 23, 8, 20)


def test_critical_kept_and_flexible_dropped_under_shortage():
    p = problem(
        carers=[carer("a", 0, 0)],
        clients=[client("c1", 0.1, 0), client("c2", 0.2, 0)],
        visits=[visit("flex", "c1", "09:00", "09:00", 30, priority="flexible"),
                visit("crit", "c2", "09:00", "09:00", 30, priority="critical")],
    )
    s = solved(p)
    assert carer_of(s, "crit") == ["a"]
    [u] = s.unassigned
    assert u.visit == "flex" and u.rule == "busy" and "09:00" in u.reason


def test_known_carer_preferred_for_continuity():
    p = problem(
        carers=[carer("near", 0, 0), carer("known", 0.6, 0)],
        clients=[client("c1", 0.2, 0, known_carers={"known": 8})],
        visits=[visit("v1", "c1", "09:00", "09:30", 30)],
    )
    assert carer_of(solved(p), "v1") == ["known"]


def test_progress_is_reported_and_statistics_filled():
    seen = []
    p = random_day(30, 5, seed=3)
    s = solved(p, progress=seen.append)
    assert seen and seen[0].objective is not None and seen[0].unassigned is not None
    assert [x.objective for x in seen] == sorted((x.objective for x in seen), reverse=True)
    assert s.statistics.first_solution_seconds is not None and s.statistics.history
    assert s.kpis


@pytest.mark.parametrize("seed", [1, 2])
def test_random_day_validates(seed):
    p = random_day(60, 8, seed=seed)
    s = solved(p, time_limit=2.0)
    placed = {st.visit for r in s.routes for st in r.stops}
    assert placed | {u.visit for u in s.unassigned} == {v.id for v in p.visits}
    assert all(u.rule for u in s.unassigned)


def test_no_visits_is_feasible():
    p = problem(carers=[carer("a")], clients=[client("c1")], visits=[])
    s = solve(p, time_limit=0.5)
    assert s.status == "feasible" and s.routes == []


@pytest.mark.parametrize("strategy", ["GREEDY_INSERTION+LNS", "GREEDY_INSERTION+LNS+GLS"])
def test_lateness_is_priced_against_travel(strategy):
    # the carer next door starts too late for the window; the far one is on time
    p = problem(
        carers=[carer("near", 0, 0, shifts=[("09:30", "14:00")]), carer("far", FAR, 0, shifts=[("08:00", "14:00")])],
        clients=[client("c1", 0.3, 0)],
        visits=[visit("v1", "c1", "09:00", "09:00", 30, late_limit_minutes=60)],
        policy={"lateness_per_minute": 2.0, "break_after_minutes": None},
    )
    s = solved(p, first_solution=strategy)
    assert carer_of(s, "v1") == ["far"]
    assert stop(s, "v1").start == datetime(2026, 11, 23, 9, 0)
