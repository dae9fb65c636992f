"""Every unassigned visit names the rule that binds: one small day per rule.

Each day is built so that exactly that rule keeps the visit out (the others would let it
in); the solver leaves it unassigned, the ``rule`` field names it, and the reason says why
in a coordinator's words.
"""

from __future__ import annotations

import pytest

from optimiser import rules
from optimiser.compile import compile_problem
from optimiser.engine import solve
from optimiser.explain import explain_unassigned
from optimiser.model import Problem, Unassigned
from optimiser.validator import validate

from .builders import carer, client, problem, visit

NEXT = "2026-11-24T"  # the next morning


def left_out(p: Problem, visit_id: str, time_limit: float = 1.0) -> Unassigned:
    """Solve ``p``; the roster validates and ``visit_id`` is unassigned: its entry."""
    s = solve(p, time_limit=time_limit)
    assert validate(p, s).violations == []
    out = {u.visit: u for u in s.unassigned}
    assert visit_id in out, [(st.visit, r.carer) for r in s.routes for st in r.stops]
    return out[visit_id]


def one(visit_kw: dict | None = None, client_kw: dict | None = None, carer_kw: dict | None = None,
        policy: dict | None = None) -> Problem:
    """One carer 'ann' (07:00-15:00) next to one client; one visit v1 09:00-09:30."""
    return problem(carers=[carer("ann", 0, 0, **(carer_kw or {}))], clients=[client("c1", 0.3, 0, **(client_kw or {}))],
                   visits=[visit("v1", "c1", "09:00", "09:30", 30, **(visit_kw or {}))], policy=policy)


def test_skills():
    u = left_out(one({"skills": ["peg"]}, carer_kw={"skills": ["insulin"]}), "v1")
    assert u.rule == rules.SKILLS
    assert u.reason == "no carer with skill 'peg' exists"


def test_gender():
    u = left_out(one(client_kw={"carer_gender": "male"}, carer_kw={"gender": "female"}), "v1")
    assert u.rule == rules.GENDER
    assert u.reason == "no male carer exists"


def test_language():
    u = left_out(one(client_kw={"languages": ["polish"], "language_match": "required"},
                     carer_kw={"languages": ["english"]}), "v1")
    assert u.rule == rules.LANGUAGE
    assert u.reason == "no carer speaking polish exists"


def test_excluded_carers():
    u = left_out(one(client_kw={"excluded_carers": ["ann"]}), "v1")
    assert u.rule == rules.EXCLUDED
    assert u.reason == "no carer not excluded by the client is left: the client excluded ann"


def test_capacity_of_the_visit_alone():
    u = left_out(one({"demand": 5}, carer_kw={"capacity": 3}), "v1")
    assert u.rule == rules.CAPACITY
    assert "demand 5 exceeds every carer's capacity" in u.reason


def test_capacity_left_in_the_roster():
    p = problem(carers=[carer("ann", 0, 0, capacity=5)], clients=[client("c1", 0.3, 0)],
                visits=[visit("big", "c1", "08:00", "08:30", 30, demand=4, priority="critical"),
                        visit("v1", "c1", "11:00", "11:30", 30, demand=3)])
    u = left_out(p, "v1")
    assert u.rule == rules.CAPACITY
    assert u.reason == ("the one eligible carer (carer with capacity for 3) working 11:00-11:30 (30 min), ann, "
                        "has no capacity left: load 7 in the shift against capacity 5")


def test_max_work_minutes_of_the_visit_alone():
    u = left_out(one({"duration_minutes": 90, "window": {"start": "2026-11-23T09:00", "end": "2026-11-23T10:00"}},
                     carer_kw={"max_work_minutes": 60}), "v1")
    assert u.rule == rules.MAX_WORK
    assert u.reason == "no carer may work 90 min (max_work_minutes)"


def test_max_work_minutes_reached_in_the_roster():
    p = problem(carers=[carer("ann", 0, 0, max_work_minutes=70)], clients=[client("c1", 0.2, 0)],
                visits=[visit("a", "c1", "08:00", "08:30", 30, priority="critical"),
                        visit("b", "c1", "10:00", "10:30", 30, priority="critical"),
                        visit("v1", "c1", "12:00", "12:30", 30)])
    u = left_out(p, "v1")
    assert u.rule == rules.MAX_WORK
    assert u.reason == ("the one eligible carer working 12:00-12:30 (30 min), ann, would pass her max_work_minutes: "
                        "90 paid min in the week against a cap of 70")


def test_pinned_carer_off_duty():
    p = problem(carers=[carer("ann", 0, 0), carer("bob", 5, 0, shifts=[("14:00", "18:00")])],
                clients=[client("c1", 0.3, 0)], visits=[visit("v1", "c1", "09:00", "09:30", 30, pinned_carers=["bob"])])
    u = left_out(p, "v1")
    assert u.rule == rules.PINNED
    assert u.reason == "pinned carer bob has no shift covering 09:00-09:30 (30 min)"


def test_pinned_carer_busy_while_another_is_free():
    p = problem(carers=[carer("ann", 0, 0), carer("bob", 0.5, 0)], clients=[client("c1", 0.3, 0), client("c2", 1, 0)],
                visits=[visit("crit", "c2", "09:00", "09:00", 60, priority="critical", pinned_carers=["bob"]),
                        visit("v1", "c1", "09:00", "09:30", 30, pinned_carers=["bob"])])
    u = left_out(p, "v1")
    assert u.rule == rules.PINNED
    assert u.reason == "pinned carer bob is busy 09:00-09:30 (30 min)"


def test_shifts():
    u = left_out(one({"window": {"start": "2026-11-23T21:00", "end": "2026-11-23T21:30"}}), "v1")
    assert u.rule == rules.SHIFTS
    assert u.reason == "no carer works a shift covering 21:00-21:30 (30 min)"


def test_after():
    # paracetamol 4 h after the morning dose, but its window ends 3 h after it
    p = problem(carers=[carer("ann", 0, 0)], clients=[client("c1", 0.3, 0)],
                visits=[visit("am", "c1", "08:00", "08:00", 15, priority="critical"),
                        visit("v1", "c1", "10:00", "11:00", 15, after={"visit": "am", "min_minutes": 240})])
    u = left_out(p, "v1")
    assert u.rule == rules.AFTER
    assert "240..inf min after visit am's start (placed at 08:00)" in u.reason


def test_a_carer_free_only_outside_the_after_gap_is_busy():
    # m2 may start from 12:00 (4 h after m1); ann is free before, busy from 11:50 to 13:10
    p = problem(carers=[carer("ann", 0, 0)], clients=[client("c1", 0.3, 0), client("c2", 0.3, 0)],
                visits=[visit("m1", "c1", "08:00", "08:00", 15, priority="critical"),
                        visit("busy", "c2", "11:50", "11:50", 80, priority="critical"),
                        visit("v1", "c1", "10:00", "13:00", 15, after={"visit": "m1", "min_minutes": 240})])
    u = left_out(p, "v1")
    assert u.rule == rules.BUSY
    assert u.reason == "the one eligible carer working then, ann, is busy 12:00-13:00 (the starts its after gap allows)"


def test_double_handed_with_one_carer_on_duty():
    p = problem(carers=[carer("ann", 0, 0), carer("bob", 1, 0, shifts=[("14:00", "18:00")])],
                clients=[client("c1", 0.3, 0)], visits=[visit("v1", "c1", "09:00", "09:30", 30, carers_required=2)])
    u = left_out(p, "v1")
    assert u.rule == rules.DOUBLE_HANDED
    assert u.reason == "only 1 carer works a shift covering 09:00-09:30 (30 min); 2 are needed"


def test_double_handed_with_one_carer_free():
    p = problem(carers=[carer("ann", 0, 0), carer("bob", 1, 0)], clients=[client("c1", 0.3, 0), client("c2", 2, 0)],
                visits=[visit("crit", "c2", "09:00", "09:00", 60, priority="critical", pinned_carers=["bob"]),
                        visit("v1", "c1", "09:00", "09:30", 30, carers_required=2)])
    u = left_out(p, "v1")
    assert u.rule == rules.DOUBLE_HANDED
    assert "only 1 of the 2 eligible carers working 09:00-09:30 has room for it" in u.reason


def test_break_for_a_visit_longer_than_a_stretch_may_be():
    # the reason issue 14 named: a 540-min call stayed out as "busy"
    p = problem(carers=[carer("ann", 0, 0, shifts=[("21:00", NEXT + "08:00")])], clients=[client("c1", 0.3, 0)],
                visits=[visit("v1", "c1", "21:30", "22:00", 540)])
    u = left_out(p, "v1")
    assert u.rule == rules.BREAK
    assert u.reason == ("the one eligible carer working Mon 23 Nov 21:30-Mon 23 Nov 22:00 (540 min), ann, would work "
                        "over 360 min without a 20-min break (break_after_minutes): Mon 23 Nov 21:30-Tue 24 Nov 06:30, "
                        "540 min against a limit of 360 min")


def test_break_with_no_room_for_one_in_the_roster():
    # six back-to-back hours are exactly the limit; a seventh call after them needs a break first
    calls = [visit(f"h{i}", "c1", f"{7 + i:02d}:00", f"{7 + i:02d}:00", 60, priority="critical") for i in range(6)]
    p = problem(carers=[carer("ann", 0, 0)], clients=[client("c1", 0, 0)],
                visits=[*calls, visit("v1", "c1", "13:00", "13:10", 30)])
    u = left_out(p, "v1")
    assert u.rule == rules.BREAK
    assert "07:00-13:30, 390 min against a limit of 360 min" in u.reason


def test_the_rule_stopping_most_carers_is_named_with_what_stops_the_others():
    calls = [visit(f"h{i}", "c1", f"{7 + i:02d}:00", f"{7 + i:02d}:00", 60, priority="critical", pinned_carers=["ann"])
             for i in range(6)]
    calls += [visit(f"k{i}", "c2", f"{7 + i:02d}:00", f"{7 + i:02d}:00", 60, priority="critical", pinned_carers=["kim"])
              for i in range(6)]
    p = problem(carers=[carer("ann", 0, 0), carer("kim", 0, 0.5), carer("bob", 0.5, 0)],
                clients=[client("c1", 0, 0), client("c2", 0, 0.5), client("c3", 0.5, 0)],
                visits=[*calls, visit("busy", "c3", "13:00", "13:00", 60, priority="critical", pinned_carers=["bob"]),
                        visit("v1", "c1", "13:00", "13:10", 30)])
    u = left_out(p, "v1")
    assert u.rule == rules.BREAK
    assert u.reason.startswith("of the 3 eligible carers working 13:00-13:10 (30 min): 2 would work over 360 min "
                               "without a 20-min break (break_after_minutes), 1 is busy (carer ")


def test_waking_night_break_with_no_room_for_an_on_site_break():
    # the night's first break is due at 21:00, two hours into her stretch, before the night begins
    p = problem(carers=[carer("ann", 0, 0, shifts=[("19:00", NEXT + "07:00")])], clients=[client("c1", 0, 0)],
                visits=[visit("a", "c1", "19:00", "19:00", 60, priority="critical"),
                        visit("b", "c1", "20:00", "20:00", 70, priority="critical"),
                        visit("v1", "c1", "21:10", "21:10", 540, kind="waking_night")],
                policy={"waking_night_break_after_minutes": 120})
    u = left_out(p, "v1")
    assert u.rule == rules.WAKING_NIGHT_BREAK
    assert "with no room for an on-site 20-min break (waking_night_break_after_minutes)" in u.reason


def test_commute_of_the_only_carer_free_then():
    # bob could take it but lives 40 km out: as his round's only stop it is beyond his commute limit
    p = problem(carers=[carer("ann", 0, 0), carer("bob", 40, 0)], clients=[client("c1", 0.3, 0), client("c2", 1, 0)],
                visits=[visit("crit", "c2", "09:00", "09:00", 60, priority="critical", pinned_carers=["ann"]),
                        visit("v1", "c1", "09:00", "09:30", 30)])
    u = left_out(p, "v1")
    assert u.rule == rules.COMMUTE
    assert u.reason.startswith("of the 2 eligible carers working 09:00-09:30 (30 min): 1 would commute further "
                               "than her limit, starting or ending the round there, 1 is busy (carer bob: ")
    assert "min from home against a limit of 45 min" in u.reason


def test_busy():
    p = problem(carers=[carer("ann", 0, 0)], clients=[client("c1", 0.1, 0), client("c2", 0.2, 0)],
                visits=[visit("crit", "c2", "09:00", "09:00", 30, priority="critical"),
                        visit("v1", "c1", "09:00", "09:00", 30, priority="flexible")])
    u = left_out(p, "v1")
    assert u.rule == rules.BUSY
    assert u.reason == "the one eligible carer working then, ann, is busy 09:00-09:00"


def test_a_visit_that_fits_is_said_to_be_left_by_the_search():
    p = one()
    data = compile_problem(p)
    [(reason, rule)] = explain_unassigned(data, [0], {})
    assert rule == "search"
    assert reason.startswith("ann could do it at 09:00")


@pytest.mark.parametrize("kind", ["sleep_in", "waking_night"])
def test_a_night_long_stay_is_placed_not_explained(kind):
    p = problem(carers=[carer("ann", 0, 0, shifts=[("21:00", NEXT + "08:00")])], clients=[client("c1", 0.3, 0)],
                visits=[visit("v1", "c1", "21:30", "22:00", 540, kind=kind)])
    s = solve(p, time_limit=1)
    assert s.unassigned == [] and validate(p, s).ok
