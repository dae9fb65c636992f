"""Employment models priced by hand on a two-carer day (travel on a line: car 10 min per km).

The day (2026-11-23), both carers on 07:00-13:00 at £12.00 an hour:

* Ann (guaranteed 150 min): X 08:00-08:30, then Y 09:00-10:00. X -> Y is 1 km, 10 min of
  paid travel; she waits 09:00 - 08:30 - 10 = 20 min. Contact 90 min.
* Bea (no contract): Z 09:00-09:20, a 20-minute call. Contact 20 min.

So contact is 110 min (1 5/6 h). A one-day roster takes the annual thresholds x 1/365:
NI 5,000/365 = £13.69863, pension 6,240/365 = £17.09589; SSP £118.75 x 1/7 = £16.96429.
The price is the direct cost / (1 - 0.25 - 0.029) = / 0.721.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from optimiser.employment import (
    EMPLOYMENT_ITEMS,
    EMPLOYMENT_MODELS,
    EmploymentModel,
    employment_cost,
    employment_costs,
    employment_model,
    roster_days,
)
from optimiser.errors import InputError
from optimiser.kpis import build_kpis
from tests.optimiser import builders
from tests.optimiser.helpers_validator import carer, client, problem, roster, visit

NI_THRESHOLD = 5_000 / 365
PENSION_LOWER = 6_240 / 365
SSP_DAY = 118.75 / 7
MILEAGE = 1 / 1.609344 * 0.45  # Ann's 1 km between visits, by car
CONTACT_HOURS = 110 / 60


def make_day(bea_tomorrow: bool = False):
    bea = carer("B", hourly_wage=12.0)
    if bea_tomorrow:  # a shift the next day that nothing is placed in: the roster spans two days
        bea["shifts"].append({"start": "2026-11-24T07:00", "end": "2026-11-24T13:00"})
    p = problem(
        carers=[carer("A", contracted_minutes=150, hourly_wage=12.0), bea],
        clients=[client("X"), client("Y"), client("Z")],
        visits=[visit("v1", "X", "08:00", "08:30", 30), visit("v2", "Y", "09:00", "09:30", 60),
                visit("v3", "Z", "09:00", "09:30", 20)],
    )
    s = roster(p, {"A": [("v1", "08:00"), ("v2", "09:00")], "B": [("v3", "09:00")]})
    return p, s, build_kpis(p, s)


@pytest.fixture(scope="module")
def day():
    return make_day()


def cost(day, name: str):
    return employment_cost(*day, employment_model(name))


def check(c, expected: dict[str, float], direct: float) -> None:
    """Every item as written out, the rest zero; the price grossed up from the direct cost."""
    for item in EMPLOYMENT_ITEMS[:-2]:
        assert c.items[item] == pytest.approx(expected.get(item, 0.0), abs=1e-9), item
    assert c.direct == pytest.approx(direct)
    assert c.total == pytest.approx(direct / 0.721)
    assert c.items["running_business"] == pytest.approx(0.25 * direct / 0.721)
    assert c.items["profit"] == pytest.approx(0.029 * direct / 0.721)
    assert sum(c.items.values()) == pytest.approx(c.total)
    assert c.cost_per_contact_hour == pytest.approx(direct / 0.721 / CONTACT_HOURS)
    assert c.break_even_fee == pytest.approx(direct / 0.75 / CONTACT_HOURS)


def test_zero_hours_by_hand(day):
    c = cost(day, "zero_hours")
    # Ann is paid 30 + 60 + 10 = 100 min = £20.00; Bea 20 min = £4.00; waiting unpaid
    ann, bea = 20.0, 4.0
    ann_sick = 0.021 * min(0.8 * ann, SSP_DAY)  # 0.021 x £16.00 (80% of her pay is below SSP)
    bea_sick = 0.021 * min(0.8 * bea, SSP_DAY)  # 0.021 x £3.20
    ann_gross = ann * (1 + 0.1207 + 0.03) + ann_sick  # £23.35
    bea_gross = bea * (1 + 0.1207 + 0.03) + bea_sick  # £4.67: below both thresholds
    assert ann_gross == pytest.approx(23.35) and bea_gross == pytest.approx(4.67)
    expected = {
        "contact_wage": 110 / 60 * 12,  # £22.00
        "travel_time_wage": 10 / 60 * 12,  # £2.00
        "holiday_pay": 0.1207 * 24,  # £2.8968
        "training_and_supervision": 0.03 * 24,  # £0.72
        "sick_pay": ann_sick + bea_sick,  # £0.4032
        "employer_ni": 0.15 * (23.35 - NI_THRESHOLD),  # £1.4477 (Bea: none)
        "employer_pension": 0.03 * (23.35 - PENSION_LOWER),  # £0.1876 (Bea: none)
        "mileage": MILEAGE,  # £0.2796
    }
    check(c, expected, sum(expected.values()))  # direct £29.9349, price £41.5186, £22.65 per contact hour
    assert c.total == pytest.approx(41.5186, abs=1e-4)
    assert c.paid_hours == pytest.approx(120 / 60)
    assert c.per_carer["B"].employer_ni == 0 and c.per_carer["A"].gross_pay == pytest.approx(23.35)
    assert c.days == 1
    assert c.short_personal_care_visits is None and c.carers_without_contract is None and not c.notes


def test_zero_hours_pays_the_same_time_and_miles_as_the_kpis(day):
    _, _, kpis = day
    c = cost(day, "zero_hours")
    for item in ("contact_wage", "travel_time_wage", "mileage", "sleep_in_allowances"):
        assert c.items[item] == pytest.approx(getattr(kpis.cost, item)), item
    assert c.contact_hours == pytest.approx(kpis.cost.contact_hours)


def test_guaranteed_hours_by_hand(day):
    c = cost(day, "guaranteed_hours")
    # Ann works 100 min of her 150: 50 min topped up (£10.00), paid £30.00; Bea has no
    # contract and is paid what she works, £4.00 (noted: the cost is a lower bound)
    ann, bea = 30.0, 4.0
    ann_sick = 0.021 * min(0.8 * ann, SSP_DAY)  # SSP caps it: 0.021 x £16.96
    bea_sick = 0.021 * min(0.8 * bea, SSP_DAY)
    ann_gross = ann * 1.1507 + ann_sick  # £34.8773
    expected = {
        "contact_wage": 22.0,
        "travel_time_wage": 2.0,
        "guaranteed_hours_top_up": 50 / 60 * 12,  # £10.00
        "holiday_pay": 0.1207 * 34,
        "training_and_supervision": 0.03 * 34,
        "sick_pay": ann_sick + bea_sick,
        "employer_ni": 0.15 * (ann_gross - NI_THRESHOLD),  # £3.1768
        "employer_pension": 0.03 * (ann_gross - PENSION_LOWER),  # £0.5334
        "mileage": MILEAGE,
    }
    check(c, expected, sum(expected.values()))
    assert c.paid_hours == pytest.approx(170 / 60) and c.top_up_hours == pytest.approx(50 / 60)
    assert c.carers_without_contract == 1 and "lower bound" in c.notes[0]


def test_salaried_shifts_by_hand(day):
    c = cost(day, "salaried_shifts")
    # the whole 6 h shift each: £72.00 each; beyond contact and travel that is
    # 360 - 100 = 260 min for Ann (her 20 min of waiting among them) and 340 min for Bea
    each_sick = 0.021 * min(0.8 * 72, SSP_DAY)  # SSP caps it
    each_gross = 72 * 1.1507 + each_sick  # £83.2067
    expected = {
        "contact_wage": 22.0,
        "travel_time_wage": 2.0,
        "waiting_time_wage": (260 + 340) / 60 * 12,  # £120.00
        "holiday_pay": 0.1207 * 144,
        "training_and_supervision": 0.03 * 144,
        "sick_pay": 2 * each_sick,
        "employer_ni": 2 * 0.15 * (each_gross - NI_THRESHOLD),
        "employer_pension": 2 * 0.03 * (each_gross - PENSION_LOWER),
        "mileage": MILEAGE,
    }
    check(c, expected, sum(expected.values()))
    assert c.paid_hours == pytest.approx(12.0) and c.top_up_hours == 0


def test_ethical_care_charter_by_hand(day):
    c = cost(day, "ethical_care_charter")
    # the Living Wage floor lifts both to £13.45; Ann's guarantee holds (150 min); waiting
    # stays unpaid; occupational sick pay: 2.1% of full pay; Bea's 20-minute call is flagged
    ann, bea = 150 / 60 * 13.45, 20 / 60 * 13.45  # £33.625, £4.4833
    ann_gross = ann * (1 + 0.1207 + 0.03 + 0.021)  # £39.3984
    expected = {
        "contact_wage": 110 / 60 * 13.45,
        "travel_time_wage": 10 / 60 * 13.45,
        "guaranteed_hours_top_up": 50 / 60 * 13.45,
        "holiday_pay": 0.1207 * (ann + bea),
        "training_and_supervision": 0.03 * (ann + bea),
        "sick_pay": 0.021 * (ann + bea),
        "employer_ni": 0.15 * (ann_gross - NI_THRESHOLD),
        "employer_pension": 0.03 * (ann_gross - PENSION_LOWER),
        "mileage": MILEAGE,
    }
    check(c, expected, sum(expected.values()))
    assert c.short_personal_care_visits == 1  # v3, 20 min; the roster is not changed
    assert c.per_carer["A"].hourly_wage == 13.45


def test_the_models_differ_on_the_same_roster_in_the_expected_direction(day):
    costs = employment_costs(*day, list(EMPLOYMENT_MODELS.values()))
    assert list(costs) == ["zero_hours", "guaranteed_hours", "salaried_shifts", "ethical_care_charter"]
    paid = {n: c.paid_hours for n, c in costs.items()}
    # there is waiting (Ann, 20 min) and a guarantee (Ann, 150 min)
    assert paid["salaried_shifts"] > paid["guaranteed_hours"] > paid["zero_hours"]
    assert costs["ethical_care_charter"].total > costs["zero_hours"].total
    assert costs["ethical_care_charter"].cost_per_contact_hour > costs["guaranteed_hours"].cost_per_contact_hour


def test_paying_the_waiting_is_a_figure_to_change(day):
    c = employment_cost(*day, employment_model("ethical_care_charter", pay_waiting=True))
    assert c.items["waiting_time_wage"] == pytest.approx(20 / 60 * 13.45)  # Ann's 20 min
    assert c.paid_hours == pytest.approx(170 / 60)  # within her guarantee: the top-up shrinks by as much
    assert c.items["guaranteed_hours_top_up"] == pytest.approx(30 / 60 * 13.45)


def test_the_roster_days_scale_the_annual_thresholds():
    two = make_day(bea_tomorrow=True)
    c = employment_cost(*two, employment_model("zero_hours"))
    assert c.days == 2
    # Ann's £23.35 for the roster is under two days' NI threshold (2 x £13.70 = £27.40) and
    # pension threshold (2 x £17.10): no NI, no pension; her sick pay is unchanged (80% of
    # her pay, £16.00, is still below two days' SSP, £33.93)
    assert c.per_carer["A"].gross_pay == pytest.approx(23.35)
    assert c.items["employer_ni"] == 0 and c.items["employer_pension"] == 0
    assert c.items["sick_pay"] == pytest.approx(0.021 * (16 + 3.2))
    two_days = builders.problem(
        carers=[builders.carer("k1", shifts=(("07:00", "13:00"), ("2026-11-24T07:00", "2026-11-24T13:00")))],
        clients=[builders.client("c1")],
        visits=[builders.visit("v1", "c1", "08:00", "08:30")],
    )
    assert roster_days(two_days) == 2


def test_unknown_models_and_bad_figures_are_named():
    with pytest.raises(InputError, match="unknown employment model 'salaried'; choose from zero_hours, "
                                         "guaranteed_hours, salaried_shifts, ethical_care_charter"):
        employment_model("salaried")
    with pytest.raises(ValidationError, match="holiday_pay_rate"):
        EmploymentModel(name="zero_hours", holiday_pay_rate=1.5)
    with pytest.raises(ValidationError, match="sick_pay"):
        employment_model("zero_hours", sick_pay="generous")
    with pytest.raises(ValidationError, match="pension_upper_qualifying_earnings .* is below"):
        EmploymentModel(name="zero_hours", pension_upper_qualifying_earnings=1_000)
    with pytest.raises(ValidationError, match="name"):
        EmploymentModel(name="salaried")


def test_business_and_profit_must_leave_room_for_the_work(day):
    greedy = employment_model("zero_hours", business_cost_share=0.9, profit_share=0.2)
    with pytest.raises(InputError, match="business_cost_share 0.9 \\+ profit_share 0.2"):
        employment_cost(*day, greedy)


def test_each_model_is_costed_once(day):
    with pytest.raises(InputError, match="different names"):
        employment_costs(*day, [employment_model("zero_hours")] * 2)


def test_the_module_examples_run():
    import doctest

    from optimiser import employment

    assert doctest.testmod(employment).failed == 0
