"""``python -m benchmarks.week``: a horizon solved whole against the same days solved one by one."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from benchmarks.week import day_problem, days_of, markdown, run
from tests.optimiser.builders import DAY, carer, client, problem, visit


def on(day: int, hm: str) -> str:
    h, m = (int(x) for x in hm.split(":"))
    return (DAY + timedelta(days=day, hours=h, minutes=m)).isoformat(timespec="minutes")


def three_days():
    """Three carers on three days (one off on day 1), three clients with two calls a day."""
    carers = [
        carer("ann", 0, 0, [(on(d, "07:00"), on(d, "15:00")) for d in range(3)], contracted_minutes=600),
        carer("bea", 2, 0, [(on(d, "07:00"), on(d, "15:00")) for d in (0, 2)], max_work_minutes=400),
        carer("cat", 1, 1, [(on(d, "07:00"), on(d, "15:00")) for d in range(3)]),
    ]
    clients = [client("c1", 1, 0, known_carers={"bea": 3}), client("c2", 2, 1), client("c3", 0, 1)]
    visits = [visit(f"{c}-{d}-{t}", c, on(d, t), on(d, t.replace(":00", ":45")), 30)
              for d in range(3) for c in ("c1", "c2", "c3") for t in ("08:00", "12:00")]
    return problem(carers, clients, visits, policy={"break_after_minutes": None})


def test_a_day_as_a_coordinator_rosters_it_alone():
    p = three_days()
    assert days_of(p) == [DAY.date() + timedelta(days=d) for d in range(3)]
    day1 = DAY.date() + timedelta(days=1)
    known = {"c1": Counter({"ann": 2}), "c2": Counter({"bea": 1})}
    paid = {("ann", DAY.date()): 100.0}
    part = day_problem(p, day1, known, paid, time_limit=1.0)
    assert part is not None and part.options.time_limit_seconds == 1.0
    assert {c.id for c in part.carers} == {"ann", "cat"}  # bea is off that day
    assert all(s.start.date() == day1 for c in part.carers for s in c.shifts)
    assert {v.id for v in part.visits} == {v.id for v in p.visits if v.window.start.date() == day1}
    ann = next(c for c in part.carers if c.id == "ann")
    assert ann.contracted_minutes == 200  # a third of her 600: one of her three equal shifts
    assert ann.max_work_minutes == 2880 - 100  # the 48 h week less what Monday paid her
    c1, c2 = (next(c for c in part.clients if c.id == k) for k in ("c1", "c2"))
    assert c1.known_carers == {"ann": 2}  # bea (known before) is off today; ann from Monday
    assert c2.known_carers == {}


def test_both_ways_give_valid_rosters_of_the_whole_horizon():
    p = three_days()
    result = run(p, time_limit=3.0, seed=0)
    for way in ("week", "day_by_day"):
        r = result[way]
        assert r["violations"] == 0, r["violation_rules"]
        assert r["visits"] == 18 and 0 < r["placed"] <= 18
        assert r["distinct_carers_per_client"] is not None and r["peak_memory_mb"] > 0
        assert sum(r["short_by_reason"].values()) == r["carers_short_of_guarantee"]
    assert result["week"]["first_roster_seconds"] is not None
    table = markdown([("3 days", result)])
    assert table.count("\n") == 3 and "| 3 days | day_by_day |" in table
