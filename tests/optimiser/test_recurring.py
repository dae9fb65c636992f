"""The multi-day generator: recurring care plans and carers' rotas that keep working-time law."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date as Date
from datetime import datetime, timedelta

import pytest

from optimiser.generator import CONTRACT_MIX, GUARANTEE_SHARE, RUNS, GeneratorSettings, generate_day
from optimiser.io import InputError, read_problem, write_json
from optimiser.model import Carer, Problem, Visit
from optimiser.recurring import CONTRACTS, generate, horizon_capacity, horizon_stats

from .test_generator import visits_short_of_carers

HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def week() -> Problem:
    return generate(GeneratorSettings(days=7, visits=150, carers=40, seed=3))


@pytest.fixture(scope="module")
def fortnight() -> Problem:
    return generate(GeneratorSettings(days=14, visits=120, carers=30, seed=5))


def _base(visit: Visit) -> str:
    """The care-plan call a visit is a day's copy of: its id less the date."""
    assert visit.id.endswith(visit.window.start.date().isoformat()), visit.id
    return visit.id[: -len("-2026-11-23")]


def _dates(problem: Problem) -> list[Date]:
    return sorted({v.window.start.date() for v in problem.visits})


# --------------------------------------------------------------------------- working-time law, checked here
# from the shifts alone, independently of the generator's own bookkeeping


def _working_time_breaches(carer: Carer) -> list[str]:
    by_day: dict[Date, list] = defaultdict(list)
    for s in carer.shifts:
        assert s.start.date() == s.end.date() or s.end == datetime.combine(s.end.date(), datetime.min.time())
        by_day[s.start.date()].append(s)
    days = sorted(by_day)
    out = []
    for a, b in zip(days, days[1:], strict=False):
        rest = min(s.start for s in by_day[b]) - max(s.end for s in by_day[a])
        if rest < 11 * HOUR:
            out.append(f"{carer.id}: {rest} rest between {a} and {b}")
    run = 1
    for a, b in zip(days, days[1:], strict=False):
        run = run + 1 if (b - a).days == 1 else 1
        if run > 6:
            out.append(f"{carer.id}: {run} working days in a row to {b}")
    shifts = sorted(carer.shifts, key=lambda s: s.start)
    first = datetime.combine(days[0], datetime.min.time())
    for k in range(-6, (days[-1] - days[0]).days + 1):  # every 7 days from each midnight
        lo, hi = first + timedelta(days=k), first + timedelta(days=k + 7)
        inside = [(max(s.start, lo), min(s.end, hi)) for s in shifts if s.end > lo and s.start < hi]
        worked = sum(((e - s) for s, e in inside), timedelta())
        if worked > 48 * HOUR:
            out.append(f"{carer.id}: {worked} of shifts in the 7 days from {lo:%Y-%m-%d}")
        edges = [lo] + [t for span in inside for t in span] + [hi]
        longest = max(edges[i + 1] - edges[i] for i in range(0, len(edges), 2))
        if longest < 24 * HOUR:
            out.append(f"{carer.id}: no 24 h rest in the 7 days from {lo:%Y-%m-%d}")
    return out


def test_the_law_check_catches_what_it_should() -> None:
    day = datetime(2026, 11, 23)

    def carer(spans: list[tuple[int, int, int]]) -> Carer:  # (day, start hour, end hour)
        return Carer.model_validate({
            "id": "c", "home": {"lat": 52.6, "lon": -1.1},
            "shifts": [{"start": day + timedelta(days=d, hours=s), "end": day + timedelta(days=d, hours=e)}
                       for d, s, e in spans],
        })

    assert _working_time_breaches(carer([(0, 7, 22), (2, 7, 15)])) == []
    assert any("rest between" in b for b in _working_time_breaches(carer([(0, 16, 22), (1, 7, 11)])))
    assert any("in a row" in b for b in _working_time_breaches(carer([(d, 7, 11) for d in range(7)])))
    assert any("no 24 h rest" in b for b in _working_time_breaches(carer([(d, 7, 11) for d in range(7)])))
    assert any("of shifts" in b for b in _working_time_breaches(carer([(d, 7, 17) for d in range(5)])))


@pytest.mark.parametrize("settings", [
    GeneratorSettings(days=7, visits=150, carers=40, seed=3),
    GeneratorSettings(days=14, visits=120, carers=30, seed=5),
    GeneratorSettings(days=14, visits=300, carers=75, seed=9),
    GeneratorSettings(days=28, visits=60, carers=30, seed=2, leave_share=0.2),  # short-staffed or not
    GeneratorSettings(days=7, visits=300, carers=20, seed=4),  # far too few: the rules still hold
], ids=["week", "fortnight", "fortnight300", "four-weeks", "understaffed"])
def test_every_carer_keeps_the_working_time_rules(settings: GeneratorSettings) -> None:
    problem = generate(settings)
    breaches = [b for c in problem.carers for b in _working_time_breaches(c)]
    assert breaches == []
    assert all(c.max_work_minutes is not None and c.max_work_minutes <= sum(s.minutes for s in c.shifts)
               for c in problem.carers)


# --------------------------------------------------------------------------- the problem


def test_a_week_and_a_fortnight_pass_the_input_boundary(week: Problem, fortnight: Problem, tmp_path) -> None:
    for problem, days in ((week, 7), (fortnight, 14)):
        path = tmp_path / f"{days}.json"
        write_json(problem, path)
        assert read_problem(path) == problem
        ids = [v.id for v in problem.visits]
        assert len(ids) == len(set(ids))
        assert len(_dates(problem)) == days
        assert {s.start.date() for c in problem.carers for s in c.shifts} <= set(_dates(problem))
        assert len({c.id for c in problem.carers} | {c.id for c in problem.clients}) == len(problem.carers) + len(
            problem.clients)


def test_the_horizon_starts_on_a_monday() -> None:
    monday = generate(GeneratorSettings(days=3, visits=20, carers=6, date="2026-11-23"))
    wednesday = generate(GeneratorSettings(days=3, visits=20, carers=6, date="2026-11-25"))
    assert _dates(monday) == [Date(2026, 11, 23), Date(2026, 11, 24), Date(2026, 11, 25)]
    assert _dates(wednesday)[0] == Date(2026, 11, 30)
    assert all(min(s.start for s in c.shifts).date() >= Date(2026, 11, 30) for c in wednesday.carers)


def test_same_seed_same_horizon_and_other_seed_another() -> None:
    a = generate(GeneratorSettings(days=7, visits=60, carers=15, seed=11))
    b = generate(GeneratorSettings(days=7, visits=60, carers=15, seed=11))
    c = generate(GeneratorSettings(days=7, visits=60, carers=15, seed=12))
    assert a.model_dump_json() == b.model_dump_json()
    assert [v.window for v in a.visits] != [v.window for v in c.visits]
    assert [c.shifts for c in a.carers] != [c.shifts for c in c.carers]


def test_one_day_is_the_day_generator() -> None:
    for kw in ({}, {"visits": 80, "carers": 12, "seed": 2, "sleep_ins": 2, "night_clients": 3}):
        settings = GeneratorSettings(days=1, **kw)
        assert generate(settings).model_dump_json() == generate_day(settings).model_dump_json()
    with pytest.raises(InputError, match="days"):
        generate_day(GeneratorSettings(days=7))


def test_the_horizon_repeats_the_days_care_plans() -> None:
    """With no day-centre or family days, every day is the day generator's day of the same seed."""
    settings = {"visits": 100, "carers": 15, "seed": 6}
    day = generate_day(GeneratorSettings(**settings))
    week = generate(GeneratorSettings(days=7, day_centre_share=0, weekend_family_share=0, **settings))
    assert len(week.visits) == 7 * len(day.visits)
    monday = [v for v in week.visits if v.window.start.date() == Date(2026, 11, 23)]
    assert [(_base(v), v.window, v.duration_minutes, v.carers_required, v.skills, v.priority) for v in monday] == [
        (v.id, v.window, v.duration_minutes, v.carers_required, v.skills, v.priority) for v in day.visits]
    assert [c.location for c in week.clients] == [c.location for c in day.clients]


def test_each_clients_calls_recur_at_the_same_time_but_for_their_patterns(fortnight: Problem) -> None:
    dates = _dates(fortnight)
    copies: dict[str, list[Visit]] = defaultdict(list)
    for v in fortnight.visits:
        copies[_base(v)].append(v)
    skipped: Counter[str] = Counter()
    for base, visits in copies.items():
        first = visits[0]
        for v in visits:  # the same call at the same time of day, every day it is made
            assert (v.window.start.time(), v.window.end.time(), v.duration_minutes, v.carers_required, v.skills,
                    v.priority, v.client) == (first.window.start.time(), first.window.end.time(),
                                              first.duration_minutes, first.carers_required, first.skills,
                                              first.priority, first.client), v.id
        made = {v.window.start.date() for v in visits}
        missing = {d.weekday() for d in dates if d not in made}
        if not missing:
            continue
        # a skipped call is the same weekdays each week: day-centre weekdays, or the weekend
        assert all((d not in made) == (d.weekday() in missing) for d in dates), base
        assert first.window.start.hour >= RUNS["lunch"][0] // 60 and first.priority != "critical"
        assert first.after is None and not any(
            w.after is not None and _base(fortnight.visit(w.after.visit)) == base for w in fortnight.visits)
        weekdays = missing - {5, 6}
        if not weekdays:  # the family covers it at weekends: a call one carer makes
            assert missing == {5, 6} and first.carers_required == 1, base
            skipped["weekend"] += 1
        else:  # 1-2 day-centre weekdays, and the weekend too when the family covers the same call
            assert 1 <= len(weekdays) <= 2 and missing - weekdays in (set(), {5, 6}), base
            assert first.window.start.hour < RUNS["lunch"][1] // 60, base
            skipped["day centre"] += 1
    assert skipped["weekend"] > 0 and skipped["day centre"] > 0


def test_double_ups_and_medication_gaps_recur_tied_to_the_same_day(fortnight: Problem) -> None:
    by_id = {v.id: v for v in fortnight.visits}
    tied = [v for v in fortnight.visits if v.after is not None]
    assert tied
    for v in tied:
        other = by_id[v.after.visit]
        assert other.window.start.date() == v.window.start.date() and other.client == v.client
    per_day = Counter(v.window.start.date() for v in tied)
    assert len(set(per_day.values())) == 1 and len(per_day) == 14
    doubles = Counter(v.window.start.date() for v in fortnight.visits if v.carers_required == 2)
    assert len(doubles) == 14 and max(doubles.values()) - min(doubles.values()) <= 0.3 * max(doubles.values())


def test_calls_a_day_and_double_ups_are_reported_and_reachable() -> None:
    plain = horizon_stats(generate(GeneratorSettings(days=14, visits=300, carers=60, seed=1)))
    assert plain["days"] == 14 and plain["visits"] == round(plain["visits_per_day"] * 14)
    assert 2.5 <= plain["calls_per_client_day"] <= 3.2
    assert 0.08 <= plain["double_up_share"] <= 0.12
    assert 0.93 * 300 <= plain["visits_per_day"] <= 300  # day centres and families skip a few
    more = horizon_stats(generate(GeneratorSettings(days=14, visits=300, carers=60, seed=1, double_up_share=0.13)))
    assert more["double_up_share"] >= 0.10
    assert sum(plain["days_worked"].values()) == plain["carers"] and max(plain["days_worked"]) <= 12


# --------------------------------------------------------------------------- carers


def test_carers_work_to_their_contracts(fortnight: Problem) -> None:
    worked = {c.id: sorted({s.start.date() for s in c.shifts}) for c in fortnight.carers}
    weekend_only = [c for c, days in worked.items() if all(d.weekday() >= 5 for d in days)]
    evenings = [c for c in fortnight.carers
                if all(s.start.hour >= 16 and s.start.weekday() < 5 for s in c.shifts)]
    assert weekend_only and evenings
    assert any(len(c.shifts) > len(worked[c.id]) for c in fortnight.carers)  # split shifts
    # full-timers' two days off: some carers work 5 days in each week
    weeks = [[d for d in days if d < Date(2026, 11, 30)] for days in worked.values()]
    assert Counter(len(w) for w in weeks)[5] >= 3
    assert set(CONTRACTS) == set(CONTRACT_MIX)  # every contract the settings name has a shape


def test_guaranteed_hours_are_over_the_horizon() -> None:
    settings = {"visits": 150, "carers": 40, "seed": 8, "leave_share": 0.0, "sickness_share": 0.0}
    week = {c.id: c for c in generate(GeneratorSettings(days=7, **settings)).carers}
    fortnight = {c.id: c for c in generate(GeneratorSettings(days=14, **settings)).carers}
    both = [cid for cid in week if week[cid].contracted_minutes and fortnight.get(cid)]
    assert 0.2 <= len(both) / len(week) <= 0.6
    for cid in both:  # the weekly guarantee x days / 7, held to a share of what her shifts can pay
        seven, fourteen = week[cid].contracted_minutes, fortnight[cid].contracted_minutes
        assert seven < fourteen
        for c, weeks in ((week[cid], 1), (fortnight[cid], 2)):  # max_work_minutes caps each week
            assert c.contracted_minutes <= int(GUARANTEE_SHARE[1] * c.max_work_minutes * weeks)
        if seven < int(GUARANTEE_SHARE[1] * week[cid].max_work_minutes) // 30 * 30:
            assert fourteen <= 2 * seven
    assert sum(fortnight[cid].contracted_minutes == 2 * week[cid].contracted_minutes for cid in both) >= len(both) / 2


def test_leave_takes_whole_weeks_and_sickness_single_days() -> None:
    common = {"days": 14, "visits": 100, "carers": 40, "seed": 4}
    none = generate(GeneratorSettings(**common, leave_share=0, sickness_share=0))
    leave = generate(GeneratorSettings(**common, leave_share=0.25, sickness_share=0))
    sick = generate(GeneratorSettings(**common, leave_share=0, sickness_share=0.1))

    def weeks(c: Carer) -> set[int]:
        return {(s.start.date() - Date(2026, 11, 23)).days // 7 for s in c.shifts}

    assert len(none.carers) == 40
    away = [c for c in leave.carers if len(weeks(c)) == 1 and len(weeks(none.carer(c.id))) == 2]
    assert len(away) >= 0.25 * 40 and len(leave.carers) <= 40

    def carer_days(p: Problem) -> int:
        return sum(len({s.start.date() for s in c.shifts}) for c in p.carers)

    assert carer_days(sick) < carer_days(none)


def test_capacity_is_sized_to_each_days_runs_when_carers_allow() -> None:
    problem = generate(GeneratorSettings(days=7, visits=300, carers=80, seed=2, sickness_share=0))
    capacity = horizon_capacity(problem)
    assert len(capacity) == 7
    ratios = [run["ratio"] for runs in capacity.values() for run in runs.values()]
    assert min(ratios) >= 1.3 and max(ratios) <= 4
    assert visits_short_of_carers(problem) == []


def test_bad_and_unsupported_settings_are_refused() -> None:
    with pytest.raises(InputError, match="days"):
        GeneratorSettings(days=0)
    with pytest.raises(InputError, match="days"):
        GeneratorSettings(days=29)
    with pytest.raises(InputError, match="sleep_ins: night care is generated for one day only"):
        GeneratorSettings(days=7, sleep_ins=2)
    with pytest.raises(InputError, match="leave_share: applies to a horizon"):
        GeneratorSettings(leave_share=0.5)
    with pytest.raises(InputError, match="contract_mix: unknown contract"):
        GeneratorSettings(days=7, contract_mix={"agency": 1.0})


# --------------------------------------------------------------------------- solving it, and the command


@pytest.mark.slow
def test_a_small_horizon_solves_without_violations() -> None:
    from optimiser.engine import solve
    from optimiser.validator import validate

    problem = generate(GeneratorSettings(days=3, visits=30, carers=8, seed=2))
    solution = solve(problem, time_limit=3)
    assert validate(problem, solution).violations == []
    placed = len(problem.visits) - len(solution.unassigned)
    assert placed >= 0.8 * len(problem.visits)
    assert len({s.start.date() for r in solution.routes for s in r.stops}) == 3


def test_cli_generates_a_week_and_refuses_bad_days(tmp_path, capsys) -> None:
    from optimiser.cli import main

    out = tmp_path / "x.json"
    assert main(["generate", "--days", "7", "--visits", "50", "-o", str(out)]) == 0
    problem = read_problem(out)
    assert len(_dates(problem)) == 7 and 0.9 * 350 <= len(problem.visits) <= 350
    assert "calls a day per client" in capsys.readouterr().out
    assert main(["generate", "--days", "0", "-o", str(out)]) == 2
    assert "days" in capsys.readouterr().err
    assert main(["generate", "--days", "7", "--sleep-ins", "1", "-o", str(out)]) == 2
    assert "one day only" in capsys.readouterr().err
