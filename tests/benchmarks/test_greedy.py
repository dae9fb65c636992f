"""The greedy baseline: every roster it returns passes the independent validator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.greedy import greedy_solve
from optimiser.model import Problem, Solution
from optimiser.validator import validate
from tests.optimiser.helpers_validator import t, visit

MIN_PER_KM = {"car": 10.0, "walk": 15.0, "bike": 4.0}


def build(
    carers: list[dict], clients: list[dict], visits: list[dict], pos: dict[str, float], **kw: Any
) -> Problem:
    """A problem whose points sit on a line (``pos`` in km), with exact matrices."""
    points = [c["id"] for c in carers] + [c["id"] for c in clients]
    dist = [[abs(pos[a] - pos[b]) for b in points] for a in points]
    matrix = {
        "points": points,
        "minutes": {m: [[d * f for d in row] for row in dist] for m, f in MIN_PER_KM.items()},
        "km": {m: dist for m in MIN_PER_KM},
    }
    for c in carers:
        c.setdefault("home", {"lat": 51.5, "lon": -0.1 + pos[c["id"]] / 100})
    for c in clients:
        c.setdefault("location", {"lat": 51.5, "lon": -0.1 + pos[c["id"]] / 100})
    return Problem.model_validate(
        {
            "id": "tiny",
            "carers": carers,
            "clients": clients,
            "visits": visits,
            "travel": {"matrix": matrix},
            **kw,
        }
    )


def carer(id: str, *shifts: tuple[str, str], **kw: Any) -> dict:
    shifts = shifts or (("07:00", "13:00"),)
    return {"id": id, "shifts": [{"start": t(a), "end": t(b)} for a, b in shifts], **kw}


def solve_valid(problem: Problem) -> Solution:
    solution = greedy_solve(problem)
    report = validate(problem, solution)
    assert report.violations == [], [v.message for v in report.violations]
    return solution


def doers(solution: Solution, visit_id: str) -> list[str]:
    return sorted(r.carer for r in solution.routes for s in r.stops if s.visit == visit_id)


def start_of(solution: Solution, visit_id: str) -> datetime:
    return next(s.start for r in solution.routes for s in r.stops if s.visit == visit_id)


def unassigned(solution: Solution) -> dict[str, str | None]:
    return {u.visit: u.rule for u in solution.unassigned}


def test_places_every_visit_when_easy_and_prefers_the_nearer_carer():
    pos = {"A": 0.0, "B": 5.0, "x": 0.5, "y": 4.5}
    p = build(
        [carer("A"), carer("B")],
        [{"id": "x"}, {"id": "y"}],
        [
            visit("v1", "x", "08:00", "08:30"),
            visit("v2", "y", "08:00", "08:30"),
            visit("v3", "x", "10:00", "10:30"),
        ],
        pos,
    )
    s = solve_valid(p)
    assert s.status == "feasible" and not s.unassigned
    assert doers(s, "v1") == ["A"] and doers(s, "v2") == ["B"]


def test_matching_rules_choose_the_only_eligible_carer():
    pos = {"A": 0.0, "B": 3.0, "C": 6.0, "x": 0.0, "y": 0.0, "z": 0.0, "w": 0.0}
    p = build(
        [
            carer("A", gender="male", languages=["en"]),
            carer("B", skills=["insulin"], gender="female", languages=["en"]),
            carer("C", gender="female", languages=["pa", "en"], max_commute_minutes=90),  # lives 60 min out
        ],
        [
            {"id": "x"},
            {"id": "y", "carer_gender": "female", "excluded_carers": ["B"]},
            {"id": "z", "languages": ["pa"], "language_match": "required"},
            {"id": "w"},
        ],
        [
            visit("ins", "x", "08:00", "08:15", skills=["insulin"]),
            visit("fem", "y", "09:00", "09:30"),
            visit("lang", "z", "10:00", "10:30"),
            visit("pin", "w", "11:00", "11:30", pinned_carers=["C"]),
        ],
        pos,
    )
    s = solve_valid(p)
    assert doers(s, "ins") == ["B"]
    assert doers(s, "fem") == ["C"]  # female and not the excluded B
    assert doers(s, "lang") == ["C"]
    assert doers(s, "pin") == ["C"]


def test_unmatched_visit_is_unassigned_naming_the_rule():
    pos = {"A": 0.0, "x": 1.0}
    p = build(
        [carer("A")], [{"id": "x"}], [visit("peg", "x", "08:00", "09:00", skills=["peg"])], pos
    )
    s = solve_valid(p)
    assert unassigned(s) == {"peg": "skills"}
    assert "peg" in s.unassigned[0].reason and s.status == "no_solution"


def test_double_handed_visit_gets_two_carers_starting_together():
    pos = {"A": 0.0, "B": 2.0, "C": 9.0, "x": 1.0}
    p = build(
        [carer("A", ("08:20", "12:00")), carer("B"), carer("C")],
        [{"id": "x"}],
        [visit("hoist", "x", "08:00", "09:00", carers_required=2)],
        pos,
    )
    s = solve_valid(p)
    assert doers(s, "hoist") == ["A", "B"]  # C lives 80 min away
    starts = {s.start for r in s.routes for s in r.stops if s.visit == "hoist"}
    assert starts == {datetime.fromisoformat(t("08:20"))}  # A's shift starts 08:20


def test_double_handed_visit_with_one_carer_is_unassigned_whole():
    pos = {"A": 0.0, "x": 1.0}
    p = build(
        [carer("A")], [{"id": "x"}], [visit("hoist", "x", "08:00", "09:00", carers_required=2)], pos
    )
    s = solve_valid(p)
    assert "hoist" in unassigned(s) and doers(s, "hoist") == []


def test_travel_between_visits_is_real_and_a_second_carer_takes_the_clash():
    pos = {"A": 0.0, "B": 0.0, "x": 0.0, "y": 3.0}  # 30 min by car between x and y
    p = build(
        [carer("A"), carer("B")],
        [{"id": "x"}, {"id": "y"}],
        [visit("v1", "x", "08:00", "08:00"), visit("v2", "y", "08:30", "08:45")],
        pos,
    )
    s = solve_valid(p)
    assert doers(s, "v1") != doers(s, "v2")  # 08:30 + 30 min travel misses 08:45


def test_break_is_taken_when_the_working_block_would_exceed_the_limit():
    pos = {"A": 0.0, "x": 0.0}
    visits = [visit(f"v{h}", "x", f"{h:02d}:00", f"{h:02d}:30", duration=60) for h in range(7, 14)]
    p = build([carer("A", ("07:00", "15:00"))], [{"id": "x"}], visits, pos)
    s = solve_valid(p)
    assert not s.unassigned
    assert s.routes[0].breaks  # 7 back-to-back hours need at least one 20-min break
    assert start_of(s, "v13") > datetime.fromisoformat(t("13:00"))


def test_max_work_minutes_leaves_the_extra_visit_out():
    pos = {"A": 0.0, "x": 0.0}
    visits = [visit(f"v{i}", "x", f"0{7 + i}:00", f"0{7 + i}:30") for i in range(3)]
    p = build([carer("A", max_work_minutes=60)], [{"id": "x"}], visits, pos)
    s = solve_valid(p)
    assert len(s.unassigned) == 1 and s.unassigned[0].rule == "busy"


def test_after_gap_is_respected():
    pos = {"A": 0.0, "x": 0.0}
    p = build(
        [carer("A", ("07:00", "22:00"))],
        [{"id": "x"}],
        [
            visit("m1", "x", "07:00", "09:00"),
            visit("m2", "x", "09:00", "15:00", after={"visit": "m1", "min_minutes": 240}),
        ],
        pos,
        policy={"break_after_minutes": None},
    )
    s = solve_valid(p)
    gap = (start_of(s, "m2") - start_of(s, "m1")).total_seconds() / 60
    assert gap >= 240


def test_split_shift_and_walker_travel_mode():
    pos = {"A": 0.0, "x": 1.0, "y": 2.0}
    p = build(
        [carer("A", ("07:00", "10:00"), ("16:00", "19:00"), travel_mode="walk", max_commute_minutes=30)],
        [{"id": "x"}, {"id": "y"}],
        [
            visit("m", "x", "07:30", "08:00"),
            visit("m2", "y", "08:00", "08:30"),
            visit("tea", "x", "16:00", "17:00"),
        ],
        pos,
    )
    s = solve_valid(p)
    assert not s.unassigned
    # 15 min on foot from x to y after m ends 08:00
    assert start_of(s, "m2") >= datetime.fromisoformat(t("08:15"))


def test_capacity_limits_the_shift_load():
    pos = {"A": 0.0, "B": 0.0, "x": 0.0}
    visits = [visit(f"v{i}", "x", f"0{7 + i}:00", f"0{7 + i}:30", demand=4) for i in range(3)]
    p = build([carer("A", capacity=8), carer("B", capacity=8)], [{"id": "x"}], visits, pos)
    s = solve_valid(p)
    assert not s.unassigned
    assert max(len(r.stops) for r in s.routes) == 2


@st.composite
def small_days(draw) -> Problem:
    n_carers = draw(st.integers(1, 4))
    n_clients = draw(st.integers(1, 5))
    pos = {f"c{i}": draw(st.floats(0, 5)) for i in range(n_carers)}
    pos |= {f"k{i}": draw(st.floats(0, 5)) for i in range(n_clients)}
    carers = []
    for i in range(n_carers):
        first = draw(st.integers(6, 9))
        shifts = [(f"{first:02d}:00", f"{first + draw(st.integers(2, 6)):02d}:00")]
        if draw(st.booleans()):
            shifts.append(("16:00", f"{draw(st.integers(18, 22))}:00"))
        carers.append(
            carer(
                f"c{i}",
                *shifts,
                skills=draw(st.lists(st.sampled_from(["med", "hoist"]), unique=True)),
                gender=draw(st.sampled_from(["female", "male", None])),
                travel_mode=draw(st.sampled_from(["car", "walk", "bike"])),
                max_work_minutes=draw(st.one_of(st.none(), st.integers(30, 400))),
            )
        )
    clients = [
        {"id": f"k{i}", "carer_gender": draw(st.sampled_from(["female", None]))}
        for i in range(n_clients)
    ]
    visits = []
    for j in range(draw(st.integers(1, 12))):
        start = draw(st.integers(6 * 60, 20 * 60))
        width = draw(st.sampled_from([0, 15, 30, 60]))
        visits.append(
            visit(
                f"v{j}",
                f"k{draw(st.integers(0, n_clients - 1))}",
                f"{start // 60:02d}:{start % 60:02d}",
                f"{(start + width) // 60:02d}:{(start + width) % 60:02d}",
                duration=draw(st.sampled_from([15, 30, 45, 60])),
                carers_required=draw(st.sampled_from([1, 1, 1, 2])),
                skills=draw(st.lists(st.sampled_from(["med", "hoist"]), unique=True, max_size=1)),
                priority=draw(st.sampled_from(["critical", "high", "normal", "flexible"])),
            )
        )
    return build(
        carers,
        clients,
        visits,
        pos,
        policy={"break_after_minutes": draw(st.sampled_from([None, 120, 360]))},
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_days())
def test_any_greedy_roster_validates(problem: Problem):
    s = solve_valid(problem)
    placed = {st.visit for r in s.routes for st in r.stops}
    assert placed | set(unassigned(s)) == {v.id for v in problem.visits}


def test_generated_day_validates():
    generator = pytest.importorskip("optimiser.generator")
    problem = generator.generate_day(generator.GeneratorSettings(visits=120, carers=16, seed=3))
    s = solve_valid(problem)
    assert len(s.unassigned) < len(problem.visits) / 2


def test_commute_rules_keep_a_walker_near_home():
    # y is 30 min on foot from A's home (limit 25): she may pass it but not end there
    pos = {"A": 0.0, "B": 3.0, "x": 1.0, "y": 2.0}
    p = build(
        [carer("A", travel_mode="walk"), carer("B")],
        [{"id": "x"}, {"id": "y"}],
        [visit("near", "x", "08:00", "08:30"), visit("far", "y", "10:00", "10:30")],
        pos,
    )
    s = solve_valid(p)
    assert not s.unassigned
    assert doers(s, "near") == ["A"] and doers(s, "far") == ["B"]


def test_between_shifts_she_gets_home_and_back():
    # shifts 07:00-10:00 and 10:20-13:00; y is 20 min by car from home: no time to go
    # home and come back between a visit ending 10:00 and one starting 10:20
    pos = {"A": 0.0, "y": 2.0}
    p = build(
        [carer("A", ("07:00", "10:00"), ("10:20", "13:00"))],
        [{"id": "y"}],
        [visit("one", "y", "09:30", "09:30"), visit("two", "y", "10:20", "10:20")],
        pos,
    )
    s = solve_valid(p)
    assert [u.visit for u in s.unassigned] == ["two"]
