"""``POST /v1/jobs?previous=<job id>``: a queued solve that rolls an earlier job's rota
forward, as ``carerota solve --previous`` does (``optimiser/previous.py``)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from api.db import pack
from optimiser.generator import GeneratorSettings
from optimiser.model import Problem, Solution
from optimiser.recurring import generate
from optimiser.validator import validate


@pytest.fixture(scope="module")
def week() -> Problem:
    """Three days of recurring calls (60 visits, 9 clients): a rota with calls to keep."""
    return generate(GeneratorSettings(days=3, visits=20, carers=6, seed=2))


def _steps(problem: Problem, steps: int) -> Problem:
    """``problem`` with its search capped at ``steps`` steps: the same roster every run."""
    return problem.model_copy(update={"options": problem.options.model_copy(update={"max_steps": steps})})


def _solved(service, problem: Problem, query: str = "") -> tuple[dict, Problem, Solution]:
    """Queue ``problem``, wait for it; the job, the problem it stored and its roster, which
    is checked against that problem (0 violations, the validator's KPIs)."""
    r = service.client.post(f"/v1/jobs?time_limit=5&seed=1{query}", content=problem.model_dump_json(),
                            headers=service.a)
    assert r.status_code == 202, r.text
    job = service.wait(r.json()["id"], service.a)
    assert job["state"] == "done", job["error"]
    stored = Problem.model_validate(service.client.get(f"/v1/jobs/{job['id']}/problem", headers=service.a).json())
    roster = Solution.model_validate(service.client.get(f"/v1/jobs/{job['id']}/solution", headers=service.a).json())
    report = validate(stored, roster)
    assert report.violations == [], report.violations[:3]
    assert roster.kpis == json.loads(json.dumps(report.kpis))
    return job, stored, roster


def _calls(problem: Problem, roster: Solution) -> dict[tuple, frozenset[str]]:
    """Recurring call (client, weekday, time of day) -> the carers who do it."""
    visits = {v.id: v for v in problem.visits}
    calls: dict[tuple, set[str]] = {}
    for route in roster.routes:
        for stop in route.stops:
            v = visits[stop.visit]
            calls.setdefault((v.client, v.window.start.weekday(), v.window.start.time()), set()).add(route.carer)
    return {call: frozenset(carers) for call, carers in calls.items()}


def _kept(before: dict[tuple, frozenset[str]], after: dict[tuple, frozenset[str]]) -> float:
    """Share of the calls done before that are done by the same carers after."""
    return sum(1 for call, carers in before.items() if after.get(call) == carers) / len(before)


def test_a_job_rolls_the_previous_jobs_rota_forward(service, week):
    # last week: a real search (capped in steps so the test sees the same roster every run)
    first, _, last = _solved(service, _steps(week, 3000))
    assert first["previous"] is None
    # this week, the same care plans; a one-step search, so the roster is the one the
    # solver starts from: each call with the carers who did it last week, where it fits
    this_week = _steps(week, 1)
    r = service.client.post(f"/v1/jobs?time_limit=5&seed=1&previous={first['id']}",
                            content=this_week.model_dump_json(), headers=service.a)
    assert r.status_code == 202, r.text
    assert r.json()["previous"] == first["id"]
    # the new job carries what it needs: last week's job may go at once
    assert service.client.delete(f"/v1/jobs/{first['id']}", headers=service.a).status_code == 204
    job = service.wait(r.json()["id"], service.a)
    assert job["state"] == "done", job["error"]
    assert job["previous"] == first["id"]
    assert service.client.get("/v1/jobs?state=done", headers=service.a).json()["jobs"][0]["previous"] == first["id"]
    stored = Problem.model_validate(service.client.get(f"/v1/jobs/{job['id']}/problem", headers=service.a).json())
    rolled = Solution.model_validate(service.client.get(f"/v1/jobs/{job['id']}/solution", headers=service.a).json())
    report = validate(stored, rolled)
    assert report.violations == [], report.violations[:3]
    assert rolled.kpis == json.loads(json.dumps(report.kpis))

    # the problem stored (and solved) counts last week's visits in clients' known carers
    client_of = {v.id: v.client for v in week.visits}
    done: dict[str, Counter] = {}
    for route in last.routes:
        for stop in route.stops:
            done.setdefault(client_of[stop.visit], Counter())[route.carer] += 1
    assert done
    for before, after in zip(week.clients, stored.clients, strict=True):
        expected = dict(before.known_carers)
        for carer, visits in done.get(before.id, Counter()).items():
            expected[carer] = expected.get(carer, 0) + visits
        assert after.known_carers == expected
    assert stored.model_copy(update={"clients": week.clients}) == this_week  # and nothing else changed

    # clients keep their carers: nearly every call goes to whoever did it last week ...
    before, after = _calls(week, last), _calls(week, rolled)
    kept = _kept(before, after)
    assert kept >= 0.9, kept
    # ... where the same problem solved afresh (the same one-step search) keeps far fewer
    _, _, fresh = _solved(service, this_week)
    assert _kept(before, _calls(week, fresh)) < kept - 0.2, (_kept(before, _calls(week, fresh)), kept)


def test_previous_must_be_a_done_job_of_the_callers(service, small_problem):
    body = small_problem.model_dump_json()
    done, _, _ = _solved(service, small_problem)
    # another tenant's job is no job at all, as everywhere in the API; checked before the body is read
    for headers, job_id in ((service.b, done["id"]), (service.a, "no-such-job")):
        r = service.client.post(f"/v1/jobs?previous={job_id}", content=b"not even JSON", headers=headers)
        assert r.status_code == 404, r.text
        assert r.json()["detail"] == f"previous: no job {job_id!r}"
    # a job with no roster (yet): 409, saying what state it is in
    queued = service.client.post("/v1/jobs?time_limit=5", content=body, headers=service.a).json()
    r = service.client.post(f"/v1/jobs?previous={queued['id']}", content=body, headers=service.a)
    assert r.status_code == 409, r.text
    assert r.json()["detail"].startswith(f"previous: job {queued['id']!r} has no roster to roll forward (it is ")
    service.client.post(f"/v1/jobs/{queued['id']}/cancel", headers=service.a)
    r = service.client.post(f"/v1/jobs?previous={queued['id']}", content=body, headers=service.a)
    assert r.status_code == 409
    assert r.json()["detail"] == (f"previous: job {queued['id']!r} has no roster to roll forward "
                                  "(it is cancelled: cancelled by the client)")
    # the body is still checked as ever, naming its field
    doc = json.loads(body)
    doc["visits"][0]["client"] = "nobody"
    r = service.client.post(f"/v1/jobs?previous={done['id']}", json=doc, headers=service.a)
    assert r.status_code == 422 and "names unknown client 'nobody'" in r.json()["message"]
    # nothing refused was queued
    assert {j["id"] for j in service.client.get("/v1/jobs", headers=service.a).json()["jobs"]} == {
        done["id"], queued["id"]}
    # and the OpenAPI document says what the parameter does
    spec = service.client.get("/openapi.json").json()["paths"]["/v1/jobs"]["post"]
    (param,) = [p for p in spec["parameters"] if p["name"] == "previous"]
    assert param["in"] == "query" and "carerota solve --previous" in param["description"]
    assert {"404", "409", "422"} <= set(spec["responses"])


def test_a_roster_that_does_not_fit_its_problem_is_422_naming_previous(service, small_problem):
    done, _, _ = _solved(service, small_problem)
    # a stored problem whose id is not the roster's (not something the service writes itself)
    other = small_problem.model_copy(update={"id": "elsewhere"})
    with service.db.connect() as c:
        c.execute("UPDATE jobs SET problem = ? WHERE id = ?", (pack(other.model_dump_json()), done["id"]))
    r = service.client.post(f"/v1/jobs?previous={done['id']}", content=small_problem.model_dump_json(),
                            headers=service.a)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["detail"][0]["loc"] == ["query", "previous"]
    assert body["message"] == (f"query.previous: the roster is of problem {small_problem.id!r}, "
                               "not of 'elsewhere'")
