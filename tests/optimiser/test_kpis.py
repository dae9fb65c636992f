"""KPI arithmetic on tiny hand-made rosters (travel on a line: car 10 min per km)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimiser.kpis import KM_PER_MILE, build_kpis, compute_kpis
from tests.optimiser.helpers_validator import carer, client, problem, roster, visit

A = carer("A", languages=["pa", "en"])
B = carer("B", languages=["en"])
C = carer("C", travel_mode="walk")
V1 = visit("v1", "X", "08:00", "08:30", priority="critical")
V2 = visit("v2", "Y", "08:30", "09:30", priority="high")
V3 = visit("v3", "Z", "09:00", "10:00", 45)


def day(**changes):
    parts = {"carers": [A, B, C], "clients": [client("X"), client("Y"), client("Z")], "visits": [V1, V2, V3]}
    parts.update(changes)
    return problem(**parts)


GOOD = {"A": [("v1", "08:00"), ("v2", "08:40")], "B": [("v3", "09:00")]}


def test_travel_paid_between_visits_and_commute_apart():
    p = day()
    k = build_kpis(p, roster(p, GOOD))
    assert k.contact_minutes == 105
    assert k.travel_minutes == 10 and k.travel_km == 1  # X -> Y only
    # commute: A home->X 10 + Y->home 20; B home->Z 40 + back 40
    assert k.commute_minutes == 110 and k.commute_km == 11
    assert k.paid_minutes == 115
    assert k.travel_share == pytest.approx(10 / 115)
    assert k.travel_miles == pytest.approx(1 / KM_PER_MILE)
    assert k.per_carer["A"].paid_minutes == 70 and k.per_carer["B"].travel_minutes == 0
    assert k.per_carer["A"].waiting_minutes == 0


def test_waiting_is_the_gap_beyond_travel():
    p = day()
    k = build_kpis(p, roster(p, {**GOOD, "A": [("v1", "08:00"), ("v2", "09:00")]}))
    assert k.per_carer["A"].waiting_minutes == 20
    assert k.per_carer["A"].paid_minutes == 70  # waiting is not paid time


def test_visits_and_minutes_by_priority():
    p = day()
    s = roster(p, {"A": [("v1", "08:00")]}, ["v2", "v3"])
    s.unassigned[0].rule = "skills"
    k = build_kpis(p, s)
    assert (k.visits_scheduled, k.visits_unassigned, k.visits_total) == (1, 2, 3)
    assert k.by_priority["critical"].scheduled == 1
    assert k.by_priority["high"].unassigned == 1 and k.by_priority["high"].minutes_unassigned == 30
    assert k.by_priority["normal"].minutes_unassigned == 45
    assert k.minutes_scheduled == 30 and k.minutes_unassigned == 75
    assert k.unassigned_by_rule == {"skills": 1, "unspecified": 1}


def test_double_up_counts_contact_hours_per_carer():
    p = day(visits=[visit("v5", "Z", "09:00", "09:30", carers_required=2)])
    k = build_kpis(p, roster(p, {"A": [("v5", "09:00")], "B": [("v5", "09:00")]}))
    assert k.minutes_scheduled == 30
    assert k.contact_minutes == 60
    assert k.cost.contact_hours == pytest.approx(1.0)
    assert k.cost.fee_income == pytest.approx(p.policy.fee_per_hour)  # councils pay 2x


def test_continuity_distinct_carers_and_familiar_share():
    x = client("X", known_carers={"A": 4})
    visits = [V1, visit("v4", "X", "12:00", "12:30"), V2]
    p = day(clients=[x, client("Y"), client("Z")], visits=visits)
    k = build_kpis(p, roster(p, {"A": [("v1", "08:00"), ("v2", "08:40")], "B": [("v4", "12:00")]}))
    assert k.per_client["X"].distinct_carers == 2
    assert k.per_client["X"].new_carers == 1  # B is new to X, A is known
    assert k.per_client["X"].familiar_share == pytest.approx(0.5)
    assert k.per_client["Y"].distinct_carers == 1
    assert k.per_client["Z"].distinct_carers == 0 and k.per_client["Z"].familiar_share is None
    assert k.distinct_carers_per_client_mean == pytest.approx(1.5)  # over clients served
    assert k.distinct_carers_per_client_max == 2
    assert k.familiar_share == pytest.approx(1 / 3)  # one of three carer-visits


def test_language_match_rate_over_clients_with_languages():
    y = client("Y", languages=["pa"], language_match="preferred")
    p = day(clients=[client("X"), y, client("Z")], visits=[V2, visit("v6", "Y", "12:00", "12:30")])
    k = build_kpis(p, roster(p, {"A": [("v2", "09:00")], "B": [("v6", "12:00")]}))
    assert k.language_match_rate == pytest.approx(0.5)
    none = build_kpis(day(), roster(day(), GOOD))
    assert none.language_match_rate is None


def test_contracted_minutes_shortfall_and_overtime():
    carers = [carer("A", contracted_minutes=60), B, carer("C", contracted_minutes=90)]
    p = day(carers=carers)
    k = build_kpis(p, roster(p, GOOD))
    assert k.per_carer["A"].vs_contracted_minutes == 10  # paid 70
    assert k.overtime_minutes == 10
    assert k.contracted_shortfall_minutes == 90  # C has no route at all
    assert k.contracted_minutes == 150


def test_lateness():
    p = day(visits=[visit("v1", "X", "08:00", "08:30", late_limit_minutes=20)])
    k = build_kpis(p, roster(p, {"A": [("v1", "08:42")]}))
    assert k.late_visits == 1 and k.lateness_minutes_total == 12 and k.lateness_minutes_max == 12


def test_cost_breakdown_by_hand():
    p = day(carers=[carer("A", hourly_wage=15.0), B, C])
    k = build_kpis(p, roster(p, GOOD))
    pol = p.policy
    contact_wage = 60 / 60 * 15.0 + 45 / 60 * pol.hourly_wage
    travel_wage = 10 / 60 * 15.0
    mileage = 1 / KM_PER_MILE * pol.mileage_per_mile["car"]
    wages = contact_wage + travel_wage
    direct = wages * (1 + pol.ni_pension_rate + pol.other_on_cost_rate) + mileage
    price = direct / (1 - pol.business_cost_share - pol.profit_share)
    c = k.cost
    assert c.contact_wage == pytest.approx(contact_wage)
    assert c.travel_time_wage == pytest.approx(travel_wage)
    assert c.mileage == pytest.approx(mileage)
    assert c.total == pytest.approx(price)
    assert c.cost_per_contact_hour == pytest.approx(price / (105 / 60))
    assert c.fee_gap_per_hour == pytest.approx(pol.fee_per_hour - price / (105 / 60))
    assert c.margin_per_hour == pytest.approx(pol.fee_per_hour - (direct + price * pol.business_cost_share) / 1.75)


def test_walkers_claim_no_mileage():
    p = day(visits=[V1, V2])
    k = build_kpis(p, roster(p, {"C": [("v1", "08:00"), ("v2", "08:45")]}))
    assert k.travel_minutes == 15 and k.cost.mileage == 0


def test_empty_roster_has_no_ratios():
    p = day()
    k = compute_kpis(p, roster(p, {}, ["v1", "v2", "v3"]))
    assert k["travel_share"] is None and k["cost"]["cost_per_contact_hour"] is None
    assert k["visits_unassigned"] == 3 and k["cost"]["total"] == 0


@settings(max_examples=40, deadline=None)
@given(
    ni=st.floats(0, 0.3),
    other=st.floats(0, 0.4),
    business=st.floats(0, 0.5),
    profit=st.floats(0, 0.2),
    wage=st.floats(10, 30),
    mileage=st.floats(0, 1),
)
def test_costs_add_up_to_the_breakdown_total(ni, other, business, profit, wage, mileage):
    policy = {
        "ni_pension_rate": ni,
        "other_on_cost_rate": other,
        "business_cost_share": business,
        "profit_share": profit,
        "hourly_wage": wage,
        "mileage_per_mile": {"car": mileage, "walk": 0.0, "bike": 0.2},
    }
    p = day(policy=policy)
    c = build_kpis(p, roster(p, GOOD)).cost
    items = [c.contact_wage, c.travel_time_wage, c.mileage, c.ni_pension, c.other_on_costs, c.running_business, c.profit]
    assert sum(items) == pytest.approx(c.total)
    assert sum(c.breakdown_share.values()) == pytest.approx(1.0)
    assert c.running_business == pytest.approx(business * c.total)
    assert c.contact_wage == pytest.approx(105 / 60 * wage)


def test_compute_kpis_is_json_ready():
    import json

    p = day()
    k = compute_kpis(p, roster(p, GOOD))
    assert json.loads(json.dumps(k)) == k
    assert set(k["by_priority"]) == {"critical", "high", "normal", "flexible"}


def test_a_guarantee_short_is_explained_per_carer():
    """Each carer paid less than her guarantee says why: her shifts cannot hold it, there is
    no visit left she may do, or which visits she may do the roster left out."""
    p = day(carers=[carer("A", contracted_minutes=480),  # 07:00-13:00 holds 360 min
                    carer("B", contracted_minutes=120, skills=[]),
                    carer("D", contracted_minutes=60)],
            visits=[V1, V2, visit("v4", "Z", "09:00", "10:00", 45, skills=["insulin"])])
    k = build_kpis(p, roster(p, {"A": [("v1", "08:00")]}, unassigned=["v2", "v4"]))
    a, b, d = (k.per_carer[c] for c in "ABD")
    assert a.shortfall_reason.startswith("shifts: her shifts hold 360 min")
    assert b.visits == 0 and b.vs_contracted_minutes == -120
    assert b.shortfall_reason == "unassigned: the roster leaves out 1 visit(s) she may do in her shifts (v2)"
    assert k.contracted_shortfall_minutes == pytest.approx(480 - a.paid_minutes + 120 + 60)
    done = build_kpis(p, roster(p, {"A": [("v1", "08:00")], "B": [("v2", "08:40")]}, unassigned=["v4"]))
    assert done.per_carer["D"].shortfall_reason.startswith("demand: every visit she may do")
    assert done.per_carer["B"].shortfall_reason.startswith("demand:")  # 60 min paid of 120: nothing left
