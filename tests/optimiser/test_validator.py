"""The validator: for every hard rule a valid roster passes and a roster breaking it is
rejected with that rule's name (hand-made problems, see helpers_validator)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from optimiser.model import Break, Route, Stop, Unassigned
from optimiser.validator import RULES, describe_rules, validate
from tests.optimiser.helpers_validator import (
    carer,
    client,
    dt,
    leg,
    problem,
    roster,
    rules,
    shift_stop,
    visit,
)

A = carer(
    "A",
    shifts=(("07:00", "13:00"), ("16:00", "20:00")),
    gender="female",
    skills=["medication", "insulin"],
    languages=["en", "pa"],
)
B = carer("B", gender="male", skills=["medication"], languages=["en"])
# (her walk from home is long; the commute rule has its own tests below)
C = carer("C", gender="female", travel_mode="walk", languages=["en", "gu"], max_commute_minutes=120)
CLIENTS = [client("X"), client("Y"), client("Z"), client("W")]
V1 = visit("v1", "X", "08:00", "08:30")
V2 = visit("v2", "Y", "08:30", "09:30")
V3 = visit("v3", "Z", "09:00", "10:00", 45)


def base(**changes):
    """The three-visit day, with visits/clients/carers/policy overridden by keyword."""
    parts = {"carers": [A, B, C], "clients": CLIENTS, "visits": [V1, V2, V3]}
    parts.update(changes)
    return problem(**parts)


GOOD = {"A": [("v1", "08:00"), ("v2", "08:40")], "B": [("v3", "09:00")]}


def test_valid_roster_has_no_violations():
    p = base()
    report = validate(p, roster(p, GOOD))
    assert report.ok, report.violations
    assert report.kpis["visits_scheduled"] == 3


def test_every_rule_is_named_and_registered():
    assert {"travel", "overlap", "shifts", "window", "skills", "gender", "language", "requirements", "excluded_carers",
            "pinned_carers",
            "double_handed", "after", "max_work_minutes", "break", "capacity", "lost_visit"} <= set(RULES)


# --------------------------------------------------------------------------- time and travel


def test_call_cramming_is_rejected():
    p = base()
    assert rules(p, roster(p, {**GOOD, "A": [("v1", "08:00"), ("v2", "08:35")]})) == {"travel"}


def test_travel_follows_the_carers_mode():
    p = base(visits=[V1, V2])
    walker_ok = roster(p, {"C": [("v1", "08:00"), ("v2", "08:45")]})  # X->Y walking: 15 min
    walker_crammed = roster(p, {"C": [("v1", "08:00"), ("v2", "08:40")]})  # enough by car, not on foot
    assert rules(p, walker_ok) == set()
    assert rules(p, walker_crammed) == {"travel"}


def test_travel_violation_message_names_carer_visits_and_minutes():
    p = base()
    [v] = validate(p, roster(p, {**GOOD, "A": [("v1", "08:00"), ("v2", "08:35")]})).violations
    assert v.carer == "A" and v.visit == "v2"
    assert all(s in v.message for s in ("A", "v1", "v2", "08:30", "08:35", "10.0 min", "5 min"))


def test_under_reported_travel_is_flagged():
    p = base()
    s = roster(p, GOOD)
    s.routes[0].stops[1].travel_minutes = 2
    assert rules(p, s) == {"travel_reported"}
    s = roster(p, GOOD)
    s.routes[0].stops[0].travel_minutes = 0  # from home A (0 km) to X (1 km) is 10 min
    assert rules(p, s) == {"travel_reported"}


def test_overlap_is_rejected():
    p = base(visits=[V1, visit("v2", "Y", "08:00", "09:30"), V3])
    assert rules(p, roster(p, {**GOOD, "A": [("v1", "08:00"), ("v2", "08:20")]})) == {"overlap"}


def test_visit_outside_shift_is_rejected():
    p = base(visits=[visit("v4", "Z", "12:20", "13:00")])
    assert rules(p, roster(p, {"B": [("v4", "12:30")]})) == set()
    assert rules(p, roster(p, {"B": [("v4", "12:45")]})) == {"shifts"}


def test_split_shift_travels_from_home_twice():
    p = base(visits=[V1, visit("v7", "Y", "16:30", "17:00")])
    s = roster(p, {"A": [("v1", "08:00"), ("v7", "16:30")]})
    assert s.routes[0].stops[1].travel_minutes == 20  # home A -> Y, not X -> Y
    assert rules(p, s) == set()


def test_window_is_enforced_both_sides():
    p = base()
    assert rules(p, roster(p, {**GOOD, "A": [("v1", "07:50"), ("v2", "08:40")]})) == {"window"}
    assert rules(p, roster(p, {**GOOD, "A": [("v1", "08:31"), ("v2", "09:11")]})) == {"window"}


def test_late_limit_allows_a_late_start():
    p = base(visits=[visit("v1", "X", "08:00", "08:30", late_limit_minutes=15)])
    assert rules(p, roster(p, {"A": [("v1", "08:45")]})) == set()
    assert rules(p, roster(p, {"A": [("v1", "08:46")]})) == {"window"}
    assert validate(p, roster(p, {"A": [("v1", "08:45")]})).kpis["late_visits"] == 1


def test_clipped_visit_is_rejected():
    p = base()
    s = roster(p, GOOD)
    s.routes[1].stops[0].end -= timedelta(minutes=10)
    report = validate(p, s)
    assert report.rules_broken() == {"duration"}
    assert "call clipping" in report.violations[0].message


def test_starting_before_arrival_is_rejected():
    p = base()
    s = roster(p, GOOD)
    s.routes[0].stops[1].arrival = s.routes[0].stops[1].start + timedelta(minutes=1)
    assert rules(p, s) == {"arrival"}


# --------------------------------------------------------------------------- matching


def test_skills():
    p = base(visits=[visit("v1", "X", "08:00", "08:30", skills=["insulin"])])
    assert rules(p, roster(p, {"A": [("v1", "08:00")]})) == set()
    report = validate(p, roster(p, {"B": [("v1", "08:00")]}))
    assert report.rules_broken() == {"skills"}
    assert "insulin" in report.violations[0].message


def test_client_carer_gender():
    p = base(clients=[client("X", carer_gender="female")], visits=[V1])
    assert rules(p, roster(p, {"A": [("v1", "08:00")]})) == set()
    assert rules(p, roster(p, {"B": [("v1", "08:00")]})) == {"gender"}


def test_required_language():
    p = base(clients=[client("X", languages=["pa"], language_match="required")], visits=[V1])
    assert rules(p, roster(p, {"A": [("v1", "08:00")]})) == set()
    assert rules(p, roster(p, {"B": [("v1", "08:00")]})) == {"language"}
    preferred = base(clients=[client("X", languages=["pa"], language_match="preferred")], visits=[V1])
    assert rules(preferred, roster(preferred, {"B": [("v1", "08:00")]})) == set()


def test_required_attributes():
    x = client("X", requirements=["no_pets_allergy", "non_smoker"], preferences={"hindu": 5.0})
    a = {**A, "attributes": ["no_pets_allergy", "non_smoker"]}
    b = {**B, "attributes": ["non_smoker", "hindu"]}
    p = base(carers=[a, b, C], clients=[x], visits=[V1])
    assert rules(p, roster(p, {"A": [("v1", "08:00")]})) == set()  # a preference is never a violation
    report = validate(p, roster(p, {"B": [("v1", "08:00")]}))
    [v] = report.violations
    assert (v.rule, v.carer, v.visit) == ("requirements", "B", "v1")
    assert v.message == "client X requires no_pets_allergy, non_smoker; carer B lacks no_pets_allergy (visit v1)"


def test_excluded_carer():
    p = base(clients=[client("X", excluded_carers=["B"])], visits=[V1])
    assert rules(p, roster(p, {"A": [("v1", "08:00")]})) == set()
    assert rules(p, roster(p, {"B": [("v1", "08:00")]})) == {"excluded_carers"}


def test_pinned_carer():
    p = base(visits=[visit("v1", "X", "08:00", "08:30", pinned_carers=["A"])])
    assert rules(p, roster(p, {"A": [("v1", "08:00")]})) == set()
    assert rules(p, roster(p, {"B": [("v1", "08:00")]})) == {"pinned_carers"}
    assert rules(p, roster(p, {}, unassigned=["v1"])) == set()


# --------------------------------------------------------------------------- double-ups and gaps


DOUBLE = visit("v5", "Z", "09:00", "09:30", 30, carers_required=2)


@pytest.mark.parametrize(
    ("plan", "unassigned", "expected"),
    [
        ({"A": [("v5", "09:00")], "B": [("v5", "09:00")]}, [], set()),
        ({}, ["v5"], set()),
        ({"A": [("v5", "09:00")], "B": [("v5", "09:05")]}, [], {"double_handed"}),
        ({"A": [("v5", "09:00")]}, [], {"double_handed"}),
        ({"A": [("v5", "09:00"), ("v5", "09:00")]}, [], {"double_handed", "visit_repeated"}),
        ({"A": [("v5", "09:00")], "B": [("v5", "09:00")], "C": [("v5", "09:00")]}, [], {"double_handed"}),
    ],
    ids=["together", "dropped-whole", "unequal-start", "one-carer", "same-carer-twice", "three-carers"],
)
def test_double_handed(plan, unassigned, expected):
    p = base(visits=[DOUBLE])
    assert rules(p, roster(p, plan, unassigned)) == expected


def test_single_visit_on_two_carers_is_rejected():
    p = base(visits=[V1])
    assert rules(p, roster(p, {"A": [("v1", "08:00")], "C": [("v1", "08:00")]})) == {"carers_required"}


def test_after_minimum_gap():
    later = visit("v6", "X", "11:00", "12:30", after={"visit": "v1", "min_minutes": 240})
    p = base(visits=[V1, later])
    assert rules(p, roster(p, {"A": [("v1", "08:00"), ("v6", "12:00")]})) == set()
    assert rules(p, roster(p, {"A": [("v1", "08:00"), ("v6", "11:59")]})) == {"after"}
    assert rules(p, roster(p, {"A": [("v6", "11:59")]}, ["v1"])) == set()  # only when both are placed
    swapped = visit("v6", "X", "07:00", "07:30", 20, after={"visit": "v1", "min_minutes": 240})
    p = base(visits=[V1, swapped])
    [v] = validate(p, roster(p, {"A": [("v6", "07:00"), ("v1", "08:00")]})).violations
    assert v.rule == "after" and "60 min before visit v1" in v.message and "at least 240 min" in v.message


def test_after_maximum_gap():
    meal = visit("v6", "X", "08:00", "10:00", after={"visit": "v1", "min_minutes": 15, "max_minutes": 45})
    p = base(visits=[V1, meal])
    assert rules(p, roster(p, {"A": [("v1", "08:00"), ("v6", "08:45")]})) == set()
    report = validate(p, roster(p, {"A": [("v1", "08:00"), ("v6", "09:00")]}))
    assert report.rules_broken() == {"after"}
    assert "at most 45 min" in report.violations[0].message


# --------------------------------------------------------------------------- working time and load


def test_max_work_counts_visits_and_travel_between_them():
    at_cap = base(carers=[carer("A", max_work_minutes=70)])  # 30 + 10 travel + 30
    over = base(carers=[carer("A", max_work_minutes=69)])
    plan = {"A": [("v1", "08:00"), ("v2", "08:40")]}
    assert rules(at_cap, roster(at_cap, plan, ["v3"])) == set()
    assert rules(over, roster(over, plan, ["v3"])) == {"max_work_minutes"}


def test_break_rule_splits_blocks_at_idle_time():
    policy = {"break_after_minutes": 60, "break_minutes": 20}
    p = base(policy=policy)
    crammed = {"A": [("v1", "08:00"), ("v2", "08:40")], "B": [("v3", "09:00")]}  # 08:00-09:10 = 70 min
    rested = {"A": [("v1", "08:00"), ("v2", "09:00")], "B": [("v3", "09:00")]}  # idle 30 - 10 = 20
    assert rules(p, roster(p, crammed)) == {"break"}
    assert rules(p, roster(p, rested)) == set()
    off = base(policy={"break_after_minutes": None})
    assert rules(off, roster(off, crammed)) == set()


def test_break_rule_default_six_hours():
    long_day = [visit(f"r{i}", "X", f"{7 + i:02d}:00", f"{7 + i:02d}:00", 60) for i in range(6)]
    p = base(carers=[carer("A", shifts=(("07:00", "14:00"),))], visits=[*long_day, visit("r6", "X", "13:00", "13:00", 60)])
    full = {"A": [(f"r{i}", f"{7 + i:02d}:00") for i in range(7)]}  # 07:00-14:00 = 420 min
    assert rules(p, roster(p, full)) == {"break"}
    six = {"A": [(f"r{i}", f"{7 + i:02d}:00") for i in range(6)]}  # exactly 360 min is allowed
    assert rules(p, roster(p, six, ["r6"])) == set()


def test_capacity_per_shift():
    visits = [visit("v1", "X", "08:00", "08:30", demand=3), visit("v2", "Y", "08:30", "17:00", demand=3)]
    p = base(carers=[carer("A", shifts=(("07:00", "13:00"), ("16:00", "20:00")), capacity=5)], visits=visits)
    assert rules(p, roster(p, {"A": [("v1", "08:00"), ("v2", "08:40")]})) == {"capacity"}
    assert rules(p, roster(p, {"A": [("v1", "08:00"), ("v2", "16:30")]})) == set()


# --------------------------------------------------------------------------- bookkeeping


def test_lost_visit_and_visit_both_routed_and_unassigned():
    p = base()
    assert rules(p, roster(p, {"A": [("v1", "08:00"), ("v2", "08:40")]})) == {"lost_visit"}
    assert rules(p, roster(p, GOOD, ["v3"])) == {"lost_visit"}
    assert rules(p, roster(p, {"A": [("v1", "08:00"), ("v2", "08:40")]}, ["v3"])) == set()
    twice = roster(p, {"A": [("v1", "08:00"), ("v2", "08:40")]}, ["v3", "v3"])
    assert rules(p, twice) == {"lost_visit"}


def test_unknown_ids_and_wrong_problem():
    p = base()
    s = roster(p, GOOD)
    s.routes.append(Route(carer="nobody", stops=[]))
    s.routes[0].stops.append(
        Stop(visit="ghost", arrival=s.routes[0].stops[0].start, start=s.routes[0].stops[0].start,
             end=s.routes[0].stops[0].end, travel_minutes=0, travel_km=0)
    )
    s.unassigned.append(Unassigned(visit="phantom", reason="x"))
    s.problem_id = "other"
    assert rules(p, s) == {"unknown_carer", "unknown_visit", "problem_id"}


def test_two_routes_for_one_carer_are_read_together():
    p = base()
    s = roster(p, GOOD)
    s.routes.append(Route(carer="A", stops=[s.routes[0].stops.pop()]))
    assert rules(p, s) == {"duplicate_route"}


# --------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(delta=st.floats(min_value=-90, max_value=90, allow_nan=False))
def test_moving_a_stop_is_valid_exactly_when_it_fits(delta):
    """v2 (window 08:30-09:30) follows v1 (ends 08:30, 10 min away), planned 08:40:
    moving it by ``delta`` stays valid iff 0 <= delta <= 50 (boundaries +- the tolerance)."""
    assume(all(abs(delta - edge) > 1e-5 for edge in (-10, 0, 50)))
    p = base()
    moved = shift_stop(roster(p, GOOD), "A", "v2", delta)
    broken = rules(p, moved)
    if 0 <= delta <= 50:
        assert broken == set()
    elif delta > 50:
        assert broken == {"window"}
    elif delta >= -10:
        assert broken == {"travel"}
    else:  # before its window (and maybe crossing v1)
        assert "window" in broken
        if delta > -70:  # still overlapping v1 or too close to it
            assert broken & {"overlap", "travel"}


@settings(max_examples=40, deadline=None)
@given(
    plan=st.dictionaries(
        st.sampled_from(["A", "B", "C"]),
        st.lists(st.tuples(st.sampled_from(["v1", "v2", "v3", "v5"]), st.integers(7 * 60, 12 * 60)), max_size=4),
        max_size=3,
    ),
)
def test_random_rosters_never_crash_and_ok_means_independently_sound(plan):
    p = base(visits=[V1, V2, V3, DOUBLE])
    text_plan = {c: [(v, f"{m // 60:02d}:{m % 60:02d}") for v, m in items] for c, items in plan.items()}
    placed = {v for items in plan.values() for v, _ in items}
    s = roster(p, text_plan, [v.id for v in p.visits if v.id not in placed])
    report = validate(p, s)
    assert all(v.rule in RULES for v in report.violations)
    assert all(v.message for v in report.violations)
    if report.ok:  # a brute-force check of the basics
        for r in s.routes:
            stops = sorted(r.stops, key=lambda x: x.start)
            for a, b in zip(stops, stops[1:], strict=False):
                assert b.start >= a.end
            for x in stops:
                w = p.visit(x.visit).window
                assert w.start <= x.start <= w.end


def test_listed_break_may_not_fall_during_a_visit():
    p = base()
    s = roster(p, {**GOOD, "A": [("v1", "08:00"), ("v2", "09:00")]})
    s.routes[0].breaks.append(Break(start=dt("08:35"), end=dt("08:55")))
    assert rules(p, s) == set()
    s.routes[0].breaks[0] = Break(start=dt("08:20"), end=dt("08:40"))
    assert rules(p, s) == {"break_listed"}


def test_every_rule_explains_itself():
    described = describe_rules()
    assert list(described) == list(RULES)
    assert all(text and not text.startswith(" ") for text in described.values())


def test_reported_travel_rounded_to_three_decimals_is_accepted():
    p = base()
    s = roster(p, GOOD)
    s.routes[0].stops[1].travel_minutes = 10 - 0.0004
    assert rules(p, s) == set()


def test_report_serialises_ok_for_api_clients():
    p = base()
    good = validate(p, roster(p, GOOD)).model_dump(mode="json")
    assert good["ok"] is True and good["violations"] == []
    bad = validate(p, roster(p, {"A": [("v1", "08:00")]}, ["v2"])).model_dump(mode="json")
    assert bad["ok"] is False and bad["violations"][0]["rule"] == "lost_visit"


def test_multi_day_messages_name_the_day():
    two_days = base(
        carers=[carer("A", shifts=(("07:00", "13:00"),)), {**carer("B"), "shifts": [
            {"start": "2026-11-24T07:00", "end": "2026-11-24T13:00"}]}],
        visits=[V1],
    )
    [v] = validate(two_days, roster(two_days, {"A": [("v1", "07:50")]})).violations
    assert "Mon 23 Nov 07:50" in v.message and "08:00–08:30" in v.message


@settings(max_examples=40, deadline=None)
@given(delta=st.integers(-120, 120))
def test_moving_the_whole_roster_only_breaks_windows_or_shifts(delta):
    """Relative timing is unchanged, so travel, overlap, breaks and gaps stay intact."""
    p = base()
    s = roster(p, GOOD)
    for carer_id, items in GOOD.items():
        for visit_id, _ in items:
            s = shift_stop(s, carer_id, visit_id, delta)
    broken = rules(p, s)
    assert broken <= {"window", "shifts"}
    assert (broken == set()) == (0 <= delta <= 30)  # v1 window 08:00-08:30, planned 08:00


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_verdict_does_not_depend_on_listing_order(data):
    p = base(visits=[V1, V2, V3, DOUBLE])
    plan = {"A": [("v1", "08:00"), ("v2", "08:35"), ("v5", "09:20")], "B": [("v3", "09:00"), ("v5", "09:20")]}
    s = roster(p, plan)
    expected = sorted((v.rule, v.carer, v.visit) for v in validate(p, s).violations)
    shuffled = s.model_copy(deep=True)
    shuffled.routes = data.draw(st.permutations(shuffled.routes))
    for r in shuffled.routes:
        r.stops = data.draw(st.permutations(r.stops))
    assert sorted((v.rule, v.carer, v.visit) for v in validate(p, shuffled).violations) == expected
    assert expected  # the roster does break rules (cramming, double-up start), so the check bites


def test_arrival_earlier_than_travel_allows_is_flagged():
    p = base()
    s = roster(p, {**GOOD, "A": [("v1", "08:00"), ("v2", "09:00")]})  # arrives 08:40, waits 20
    s.routes[0].stops[1].arrival = dt("08:35")  # leaving X at 08:30, 10 min away
    report = validate(p, s)
    assert report.rules_broken() == {"arrival"}
    assert "08:35" in report.violations[0].message and "5.0 min later" in report.violations[0].message


def test_overlap_inside_a_long_visit_is_caught_for_each_short_one():
    long_visit = visit("long", "X", "08:00", "08:00", 120)
    shorts = [visit("s1", "X", "08:00", "10:00", 15), visit("s2", "X", "08:00", "10:00", 15)]
    p = base(visits=[long_visit, *shorts])
    s = roster(p, {"A": [("long", "08:00"), ("s1", "08:30"), ("s2", "09:00")]})
    overlaps = [v for v in validate(p, s).violations if v.rule == "overlap"]
    assert [v.visit for v in overlaps] == ["s1", "s2"]
    assert "by 15 min" in overlaps[0].message


@settings(max_examples=80, deadline=None)
@given(starts=st.lists(st.integers(7 * 60, 11 * 60), min_size=3, max_size=3))
def test_one_carer_day_matches_a_brute_force_oracle(starts):
    """Carer A does v1, v2, v3 at random times; the violations equal what a direct
    reading of the rules gives (windows; overlaps; travel between consecutive visits)."""
    p = base()
    timed = sorted(zip(starts, ["v1", "v2", "v3"], strict=True))
    s = roster(p, {"A": [(vid, f"{m // 60:02d}:{m % 60:02d}") for m, vid in timed]})
    visits = {v.id: v for v in p.visits}
    expected = set()
    latest_end, prev = None, None
    for m, vid in timed:
        v = visits[vid]
        ws, we = (v.window.start.hour * 60 + v.window.start.minute, v.window.end.hour * 60 + v.window.end.minute)
        if not ws <= m <= we:
            expected.add(("window", vid))
        if latest_end is not None and m < latest_end:
            expected.add(("overlap", vid))
        if prev is not None:
            prev_end = prev[0] + visits[prev[1]].duration_minutes
            need = leg("car", visits[prev[1]].client, v.client)
            if prev_end <= m < prev_end + need:
                expected.add(("travel", vid))
        end = m + v.duration_minutes
        latest_end = end if latest_end is None else max(latest_end, end)
        prev = (m, vid)
    got = {(x.rule, x.visit) for x in validate(p, s).violations}
    assert got == expected


# --------------------------------------------------------------------------- the commute


def test_commute_leg_beyond_the_limit_is_rejected_naming_leg_and_limit():
    # A lives at 0, Z is at 4 km: 40 min by car each way
    p = base(policy={"max_commute_minutes": {"car": 30, "walk": 25, "bike": 30}})
    plan = {"A": [("v1", "08:00"), ("v2", "08:40")], "B": [("v3", "09:00")]}
    report = validate(p, roster(p, plan))
    assert report.rules_broken() == {"commute"}
    assert [(v.carer, v.visit) for v in report.violations] == [("B", "v3"), ("B", "v3")]  # out and back
    assert "40.0 min by car from her home to visit v3" in report.violations[0].message
    assert "limit is 30 min" in report.violations[0].message


def test_a_carers_own_commute_limit_wins_over_the_policy():
    b = carer("B", gender="male", skills=["medication"], languages=["en"], max_commute_minutes=40)
    p = base(carers=[A, b, C], policy={"max_commute_minutes": {"car": 30}})
    assert rules(p, roster(p, GOOD)) == set()


def test_between_shifts_she_must_get_home_and_back():
    # Z is 40 min from A's home: ending at Z at 12:30 and starting there at 13:30 leaves
    # 60 min for 80 min of travel home and back
    a = carer("A", shifts=(("07:00", "12:30"), ("13:30", "18:00")), skills=["medication"])
    late = visit("v7", "Z", "12:00", "12:00", 30)
    early = visit("v8", "Z", "13:30", "13:30", 30)
    p = base(carers=[a], visits=[late, early])
    report = validate(p, roster(p, {"A": [("v7", "12:00"), ("v8", "13:30")]}))
    assert report.rules_broken() == {"between_shifts"}
    assert "going home (40.0 min) and out again (40.0 min)" in report.violations[0].message
    roomy = base(carers=[carer("A", shifts=(("07:00", "12:30"), ("14:00", "18:00")))],
                 visits=[late, visit("v8", "Z", "14:00", "14:00", 30)])
    assert rules(roomy, roster(roomy, {"A": [("v7", "12:00"), ("v8", "14:00")]})) == set()
