"""One definition of each eligibility rule (``optimiser.rules``), and every layer agrees on it.

The solver's compiled problem and the independent validator are asked the same question
— may this carer do this visit? — on random carers, clients and visits; the answers must
match, and the rule the validator names must be the one ``rules.ineligible`` names. Every
roster the solver returns on random small days validates.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimiser import rules
from optimiser.compile import compile_problem
from optimiser.engine import solve
from optimiser.errors import InputError
from optimiser.generator import GeneratorSettings, generate_day
from optimiser.intake import Limits, Sources, admit
from optimiser.model import Problem, Solution
from optimiser.validator import validate

SKILLS = ["insulin", "hoist", "peg", "dementia"]
LANGUAGES = ["english", "gujarati", "punjabi", "polish"]
TAGS = ["non_smoker", "no_pets_allergy", "hindu", "halal_kitchen_ok"]
DAY = "2026-11-23"


def _subset(items: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(items), unique=True, max_size=len(items))


@st.composite
def one_visit_days(draw: st.DrawFn) -> Problem:
    """A day with 1-4 carers, one client and one visit, drawn over every eligibility rule."""
    n = draw(st.integers(1, 4))
    carers = [
        {
            "id": f"k{i}",
            "home": {"lat": 52.63, "lon": -1.13},
            "shifts": [{"start": f"{DAY}T07:00", "end": f"{DAY}T14:00"}],
            "skills": draw(_subset(SKILLS)),
            "languages": draw(_subset(LANGUAGES)),
            "attributes": draw(_subset(TAGS)),
            "gender": draw(st.sampled_from([None, "female", "male"])),
            "capacity": draw(st.sampled_from([None, 0, 1, 5])),
            "max_work_minutes": draw(st.sampled_from([None, 20, 240])),
        }
        for i in range(n)
    ]
    match = draw(st.sampled_from(["required", "preferred", "none"]))
    languages = draw(_subset(LANGUAGES).filter(lambda ls: ls or match != "required"))
    client = {
        "id": "c1",
        "location": {"lat": 52.64, "lon": -1.12},
        "languages": languages,
        "language_match": match,
        "carer_gender": draw(st.sampled_from([None, "female", "male"])),
        "excluded_carers": draw(_subset([c["id"] for c in carers])),
        "requirements": draw(st.sampled_from([[], [], ["non_smoker"], ["no_pets_allergy", "hindu"]])),
        # soft: a preference never decides who may do the visit
        "preferences": draw(st.dictionaries(st.sampled_from(TAGS), st.sampled_from([0.0, 2.5, 1e6]))),
    }
    visit = {
        "id": "v1",
        "client": "c1",
        "window": {"start": f"{DAY}T09:00", "end": f"{DAY}T10:00"},
        "duration_minutes": draw(st.sampled_from([15, 30, 60])),
        "skills": draw(_subset(SKILLS)),
        "demand": draw(st.sampled_from([0, 1, 3])),
    }
    points = [c["id"] for c in carers] + ["c1"]
    zeros = [[0.0] * len(points) for _ in points]
    travel = {"matrix": {"points": points, "minutes": {"car": zeros}, "km": {"car": zeros}}}
    return Problem.model_validate({"id": "rules", "carers": carers, "clients": [client], "visits": [visit],
                                   "travel": travel, "policy": {"break_after_minutes": None}})


def _placed_with(problem: Problem, carer_id: str) -> Solution:
    """The visit done by ``carer_id`` at the start of its window (travel is zero)."""
    start = f"{DAY}T09:00"
    end = f"{DAY}T{9 + problem.visits[0].duration_minutes // 60:02d}:{problem.visits[0].duration_minutes % 60:02d}"
    stop = {"visit": "v1", "arrival": start, "start": start, "end": end, "travel_minutes": 0, "travel_km": 0}
    return Solution.model_validate({"problem_id": problem.id, "status": "feasible",
                                    "routes": [{"carer": carer_id, "stops": [stop]}]})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_visit_days())
def test_solver_and_validator_agree_on_who_may_do_a_visit(problem: Problem) -> None:
    data = compile_problem(problem)
    solver_eligible = {problem.carers[ci].id for ci in data.eligible[0]}
    visit, client = problem.visits[0], problem.clients[0]
    for carer in problem.carers:
        broken = rules.ineligible(visit, client, carer)
        found = validate(problem, _placed_with(problem, carer.id)).rules_broken() & set(rules.ELIGIBILITY)
        assert (carer.id in solver_eligible) == (broken is None) == (not found), (carer, client, visit, found)
        if broken is not None:
            assert broken in found  # the validator names the rule the solver excluded her by


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), visits=st.integers(8, 30), carers=st.integers(2, 6))
def test_every_roster_the_solver_returns_on_random_small_days_validates(seed: int, visits: int, carers: int) -> None:
    problem = generate_day(GeneratorSettings(visits=visits, carers=carers, seed=seed))
    solution = solve(problem, time_limit=1, seed=seed)
    assert validate(problem, solution).violations == []


def _doc() -> dict:
    return json.loads(generate_day(GeneratorSettings(visits=6, carers=3, seed=2)).model_dump_json())


@pytest.mark.parametrize(("field", "value", "message"), [
    ("excluded_carers", ["nobody"], "clients[0].excluded_carers: client 'c001' excludes unknown carer 'nobody'"),
    ("known_carers", {"nobody": 3}, "clients[0].known_carers: client 'c001' knows unknown carer 'nobody'"),
])
def test_every_reference_to_a_carer_is_checked(field: str, value, message: str) -> None:
    doc = _doc()
    doc["clients"][0]["id"] = "c001"
    for v in doc["visits"]:
        if v["client"] == _doc()["clients"][0]["id"]:
            v["client"] = "c001"
    doc["clients"][0][field] = value
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        admit(json.dumps(doc), Limits(100, 100, 100, 100), Sources())


def test_a_required_language_match_needs_a_language() -> None:
    doc = _doc()
    doc["clients"][0].update(languages=[], language_match="required")
    with pytest.raises(InputError, match=r"clients\[0\]\.languages: .* requires a language match"):
        admit(json.dumps(doc), Limits(100, 100, 100, 100), Sources())
