"""``python -m benchmarks.vroom_days`` on tiny days: the reduction, both solvers, the roster conversion, the table."""

from __future__ import annotations

import pytest

from benchmarks import vroom_days
from benchmarks.vroom_days import carers_for, measure, reduce_day, run_day, table, vroom_solve
from optimiser.generator import GeneratorSettings, generate_day
from optimiser.model import Solution
from optimiser.sources import travel_times

pytest.importorskip("vroom", reason="pyvroom is not installed (pip install -c constraints.txt -e '.[bench]')")


@pytest.fixture(scope="module")
def mixed_day():
    """A 30-visit day whose carers drive, walk and cycle, with doubles and split shifts."""
    day = generate_day(GeneratorSettings(visits=30, carers=6, seed=3, walk_share=0.3, bike_share=0.3))
    assert any(v.carers_required == 2 for v in day.visits) and any(v.after for v in day.visits)
    assert len({c.travel_mode for c in day.carers}) > 1 and any(len(c.shifts) > 1 for c in day.carers)
    return day


def test_carers_keep_the_ci_days_ratio():
    assert carers_for(300) == 40 and carers_for(1000) == 133 and carers_for(30) == 4


def test_reduce_day_keeps_only_what_vroom_models(mixed_day):
    p = reduce_day(mixed_day, time_limit=2)
    assert p.options.time_limit_seconds == 2 and p.id.endswith("-vroom-subset")
    assert all(v.carers_required == 1 and v.after is None and not v.pinned_carers for v in p.visits)
    assert all(v.priority == "normal" and v.late_limit_minutes == 0 for v in p.visits)
    assert [v.skills for v in p.visits] == [v.skills for v in mixed_day.visits]
    assert [(v.window, v.duration_minutes) for v in p.visits] == [
        (v.window, v.duration_minutes) for v in mixed_day.visits
    ]
    for a, b in zip(p.carers, mixed_day.carers, strict=True):
        assert (a.shifts, a.skills, a.travel_mode, a.home) == (b.shifts, b.skills, b.travel_mode, b.home)
        assert a.max_work_minutes is a.contracted_minutes is a.hourly_wage is a.gender is None
        assert not a.languages and not a.attributes
    for c in p.clients:
        assert not (c.languages or c.excluded_carers or c.known_carers or c.requirements or c.preferences)
        assert c.carer_gender is None and c.language_match == "none"
    assert p.policy.break_after_minutes is None and p.policy.max_commute_minutes is None
    assert p.policy.new_carer_penalty == p.policy.familiar_carer_reward == 0


def test_night_work_is_refused():
    night = generate_day(GeneratorSettings(visits=20, carers=4, seed=1, sleep_ins=1))
    with pytest.raises(ValueError, match="night work"):
        reduce_day(night)


def test_vroom_roster_converts_and_validates(mixed_day):
    p = reduce_day(mixed_day, time_limit=2)
    travel = travel_times(p)
    s = vroom_solve(p, 2.0, travel)
    m = measure(p, s, travel)
    # a tiny day has room for everything; VROOM lacks only carerota's between-shifts trip home
    assert set(m["violation_rules"]) <= {"between_shifts"}, m["first_violations"]
    assert m["placed"] == len(p.visits) - len(s.unassigned) and m["placed"] > 0.9 * len(p.visits)
    # VROOM's own cost is carerota's travel objective for the roster (each arc rounded to 0.001 GBP)
    arcs = sum(len(r.stops) + 2 for r in s.routes)  # a shift has one arc more than stops; two shifts at most
    assert s.statistics.objective == pytest.approx(m["travel_cost"], abs=0.001 * arcs)
    assert {r.carer for r in s.routes} <= {c.id for c in p.carers}
    for r in s.routes:  # one route per carer, her shifts' stops in time order
        assert [x.start for x in r.stops] == sorted(x.start for x in r.stops)


def test_run_day_and_table():
    row = run_day(30, 1, 2.0, explorations=(1, 5))
    assert row["carerota"]["violations"] == 0
    assert row["day"] == "day30x4" and [v["exploration"] for v in row["vroom"]] == [1, 5]
    assert all(v["placed"] > 0 for v in row["vroom"])
    lines = table([row]).splitlines()
    assert len(lines) == 7
    assert lines[2].startswith("| day30x4 | 1 | carerota | 30/30 | ")
    assert lines[3].startswith("| day30x4 | 1 | VROOM x1 | ")
    assert lines[4].startswith("| day30x4 | 1 | VROOM x5 | ")
    assert lines[5].startswith("| day30x4 | 1 | carerota/VROOM x1 | ")
    assert lines[6].startswith("| day30x4 | 1 | carerota/VROOM x5 | ")


def test_a_carerota_violation_stops_the_run(monkeypatch):
    import optimiser.engine

    real = optimiser.engine.solve

    def crammed(problem, **kw) -> Solution:
        s = real(problem, **kw)
        stop = s.routes[0].stops[0]  # moved past its window's end (and the day's)
        s.routes[0].stops[0] = stop.model_copy(update={"start": stop.start.replace(hour=23, minute=0)})
        return s

    monkeypatch.setattr(optimiser.engine, "solve", crammed)
    with pytest.raises(SystemExit, match="carerota's roster breaks"):
        run_day(30, 1, 1.0)


def test_bad_exploration_level_is_refused():
    with pytest.raises(SystemExit):
        vroom_days.main(["--visits", "30", "--exploration", "6"])


def test_main_prints_the_table(capsys):
    assert vroom_days.main(["--visits", "30", "--seconds", "1", "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert "| day30x4 | 2 | carerota/VROOM x5 |" in out
