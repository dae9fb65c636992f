"""The commute rules in the solver: each leg within the carer's limit, a day that is
physically possible between split shifts, and the commute priced in the objective."""

from __future__ import annotations

import pytest

from optimiser import rules
from optimiser.compile import commute_legs, compile_problem
from optimiser.engine import solve
from optimiser.validator import validate

from .builders import carer, client, problem, random_day, visit
from .test_engine_construct import construction


def valid(p, **kw):
    s = solve(p, time_limit=kw.pop("time_limit", 2.0), seed=kw.pop("seed", 0), **kw)
    report = validate(p, s)
    assert report.ok, [v.message for v in report.violations]
    return s


def doers(s, visit_id: str) -> list[str]:
    return sorted(r.carer for r in s.routes for st in r.stops if st.visit == visit_id)


def test_limits_come_from_the_carer_or_the_policy_for_her_mode():
    p = problem(carers=[carer("w", travel_mode="walk"), carer("b", travel_mode="bike"),
                        carer("c"), carer("own", travel_mode="walk", max_commute_minutes=40)],
                clients=[client("x")], visits=[visit("v", "x", "08:00", "09:00")])
    assert [rules.commute_limit(c, p.policy) for c in p.carers] == [25, 30, 45, 40]
    p.policy.max_commute_minutes = None
    assert rules.commute_limit(p.carers[0], p.policy) is None


def test_leg_limits_between_close_shifts_split_the_gap():
    assert commute_legs([(420, 600), (960, 1320)], 45) == [(45, 45), (45, 45)]
    assert commute_legs([(420, 600), (630, 800)], 45) == [(45, 15), (15, 45)]
    assert commute_legs([(420, 600), (630, 800)], None) == [(None, 15), (15, None)]


def test_a_client_beyond_every_walkers_reach_stays_out_with_the_rule_named():
    # 3 km from her home: ~52 min on foot, the walking limit is 25
    p = problem(carers=[carer("w", 0, 0, travel_mode="walk")], clients=[client("x", 3, 0)],
                visits=[visit("v", "x", "08:00", "09:00")])
    s = valid(p)
    assert [(u.visit, u.rule) for u in s.unassigned] == [("v", rules.COMMUTE)]
    assert "commute limit" in s.unassigned[0].reason


def passing_round():
    """A walker; y is beyond her reach from home but 20 min from x and z, near home."""
    return problem(carers=[carer("w", 0, 0, travel_mode="walk")],
                   clients=[client("x", 0.5, 0), client("y", 2.0, 0), client("z", 0.5, 0.1)],
                   visits=[visit("a", "x", "08:00", "08:00"), visit("b", "y", "09:00", "09:00"),
                           visit("c", "z", "10:00", "10:00")])


def test_a_far_client_may_be_passed_on_the_way():
    s = valid(passing_round())
    assert not s.unassigned
    assert [st.visit for st in s.routes[0].stops] == ["a", "b", "c"]


def test_the_commute_is_priced_so_walkers_get_the_visits_near_them():
    # two walkers, two visits at once: each near one walker's home; the paid travel is
    # nil either way, so only the commute's price tells the solver which is right
    p = problem(carers=[carer("a", 0, 0, travel_mode="walk"), carer("b", 1.2, 0, travel_mode="walk")],
                clients=[client("near_a", 0.1, 0), client("near_b", 1.1, 0)],
                visits=[visit("va", "near_a", "08:00", "08:00"), visit("vb", "near_b", "08:00", "08:00")],
                policy={"max_commute_minutes": None})  # no limit: the price alone decides
    s = valid(p)
    assert doers(s, "va") == ["a"] and doers(s, "vb") == ["b"]


def test_between_close_shifts_she_must_get_home_and_back():
    # shifts 07:00-10:00 and 10:30-14:00: 30 min between them; y is ~21 min by car
    # from home, so she can neither end the first shift there nor start the second
    p = problem(carers=[carer("k", 0, 0, shifts=(("07:00", "10:00"), ("10:30", "14:00")))],
                clients=[client("y", 8, 0)],
                visits=[visit("one", "y", "09:30", "09:30"), visit("two", "y", "10:30", "10:30")],
                policy={"break_after_minutes": None})
    s = valid(p)
    assert sorted(u.visit for u in s.unassigned) == ["one", "two"]
    assert {u.rule for u in s.unassigned} == {rules.COMMUTE}


def test_removing_a_first_visit_takes_out_the_one_that_cannot_open_the_route():
    c = construction(passing_round())
    c.run(order=[2, 1])  # b fits only between a and c, so it goes in after c
    assert c.placed == {0, 1, 2}
    assert c.remove(0) == [1]  # b would open the route: it goes too
    assert c.placed == {2}
    route = c.routes[0]
    assert [int(c.data.node_visit[u]) for u in route.nodes] == [2]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_days_with_walkers_keep_the_rules(seed):
    p = random_day(50, 7, seed=seed, walker_share=0.4)
    s = valid(p, seed=seed)
    data = compile_problem(p)
    assert any(v.out_limit is not None for v in data.vehicles)
    assert s.kpis["commute_by_mode"]  # reported per travel mode


def test_or_tools_local_search_keeps_the_commute_rules():
    # OR-Tools GLS after the construction's search: its arcs must keep the commute limits
    carers = [carer(f"k{i}", i * 3.0, 0, travel_mode="bike") for i in range(3)]
    clients = [client(f"c{j}", (j % 6) * 1.5, (j // 6) * 1.5, known_carers={"k0": 3}) for j in range(12)]
    visits = [visit(f"v{j}", f"c{j}", f"{8 + j // 3:02d}:00", f"{9 + j // 3:02d}:00", 30) for j in range(12)]
    p = problem(carers=carers, clients=clients, visits=visits,
                policy={"break_after_minutes": None, "max_commute_minutes": {"bike": 12}})
    s = valid(p, time_limit=3.0, first_solution="GREEDY_INSERTION+LNS+GLS")
    assert s.statistics.strategy == "GREEDY_INSERTION+LNS+GLS"


def test_shifts_that_touch_are_one_stretch_of_duty():
    # 07:00-12:00 then 12:00-17:00: she does not go home at noon, so a client beyond her
    # commute limit may be visited across it, between two visits near home
    p = problem(carers=[carer("w", 0, 0, shifts=(("12:00", "17:00"), ("07:00", "12:00")), travel_mode="walk")],
                clients=[client("x", 0.5, 0), client("y", 2.0, 0)],
                visits=[visit("a", "x", "11:00", "11:00"), visit("b", "y", "12:00", "12:00"),
                        visit("c", "x", "13:00", "13:00")],
                policy={"break_after_minutes": None})
    assert [(s.start.hour, s.end.hour) for s in p.carers[0].shifts] == [(7, 17)]
    s = valid(p)
    assert not s.unassigned
