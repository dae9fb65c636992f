"""The patch designer costs the same rosters under each employment model, side by side."""

from __future__ import annotations

import csv
import json
import math

import pytest
from pydantic import ValidationError

from optimiser.cli import main
from optimiser.employment import EMPLOYMENT_ITEMS, employment_model
from patches.demand import demand_geojson
from patches.designs import design_geojson
from patches.evaluate import EvaluationSettings, evaluate_design
from patches.report import write_report

from .conftest import assert_tables_square, make_demand, make_supply, make_west_east


@pytest.fixture(scope="module")
def result():
    """West-east evaluated once under zero-hours and the Ethical Care Charter."""
    settings = EvaluationSettings(time_limit=1.0, search_carers=False, employment=["zero_hours", "ethical_care_charter"])
    demand = make_demand()
    return evaluate_design(make_west_east(), demand, settings, make_supply()), demand, settings


def test_every_patch_and_the_design_are_costed_under_each_model(result):
    r, _, _ = result
    for f in [*(p.figures for p in r.patches), r.totals]:
        assert list(f.employment) == ["zero_hours", "ethical_care_charter"]
        for e in f.employment.values():
            assert math.isclose(sum(e.cost[i] for i in EMPLOYMENT_ITEMS), e.cost_total, rel_tol=1e-12)
            assert math.isclose(e.cost_per_contact_hour, e.cost_total / f.hours_delivered)
        zero, charter = f.employment["zero_hours"], f.employment["ethical_care_charter"]
        # the same roster: zero-hours pays exactly the time and miles the headline cost pays
        for item in ("contact_wage", "travel_time_wage", "mileage"):
            assert math.isclose(zero.cost[item], f.cost[item], rel_tol=1e-9, abs_tol=1e-12), item
        assert charter.cost_per_contact_hour > zero.cost_per_contact_hour
        assert charter.short_personal_care_visits == 0  # every call in the test demand is 30 min
        assert zero.short_personal_care_visits is None
    # the design is the sum of its patches
    for name in ("zero_hours", "ethical_care_charter"):
        for i in EMPLOYMENT_ITEMS:
            assert math.isclose(r.totals.employment[name].cost[i], sum(p.figures.employment[name].cost[i] for p in r.patches))
        assert math.isclose(r.totals.employment[name].paid_hours, sum(p.figures.employment[name].paid_hours for p in r.patches))


def test_the_report_shows_the_models_side_by_side(result, tmp_path):
    r, demand, settings = result
    paths = write_report([r], demand, tmp_path, settings=settings, maps=False)
    md = paths["report.md"].read_text()
    for text in ("Cost per contact hour by employment model", "Cost per contact hour, Zero-hours (itemised)",
                 "Cost per contact hour, Ethical Care Charter (itemised)", "Employer National Insurance",
                 "Ethical Care Charter: paid: contact time and travel between visits", "wage at least £13.45/h",
                 "occupational sick pay", "Holiday pay"):
        assert text in md, text
    assert_tables_square(md)
    with (tmp_path / "employment.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {(row["patch"], row["model"]) for row in rows} == {
        (p, m) for p in ("West", "East", "(total)") for m in ("zero_hours", "ethical_care_charter")}
    with (tmp_path / "designs.csv").open() as fh:
        design = next(csv.DictReader(fh))
    assert float(design["cost_per_contact_hour_ethical_care_charter"]) > float(design["cost_per_contact_hour_zero_hours"])


def test_models_are_chosen_by_name_and_all_four_by_default():
    assert [m.name for m in EvaluationSettings().employment] == [
        "zero_hours", "guaranteed_hours", "salaried_shifts", "ethical_care_charter"]
    s = EvaluationSettings(employment=["ethical_care_charter", {"name": "zero_hours", "holiday_pay_rate": 0.13}])
    assert [m.name for m in s.employment] == ["ethical_care_charter", "zero_hours"]
    assert s.employment[1].holiday_pay_rate == 0.13 and s.employment[1].sick_pay == "statutory"
    assert s.employment[0] == employment_model("ethical_care_charter")
    with pytest.raises(ValidationError, match=r"employment\.0\n.*unknown employment model 'salaried'; choose from"):
        EvaluationSettings(employment=["salaried"])
    with pytest.raises(ValidationError, match="each employment model once: zero_hours"):
        EvaluationSettings(employment=["zero_hours", {"name": "zero_hours", "sick_pay": "occupational"}])


def test_an_unknown_model_on_the_command_line_exits_2_naming_the_option(tmp_path, capsys, west_east):
    demand = tmp_path / "demand.geojson"
    demand.write_text(json.dumps(demand_geojson(make_demand())))
    design = tmp_path / "west-east.geojson"
    design.write_text(json.dumps(design_geojson(west_east)))
    code = main(["patches", "evaluate", "--demand", str(demand), "--design", str(design), "--out-dir",
                 str(tmp_path / "o"), "--employment", "zero_hours,salaried"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--employment: unknown employment model 'salaried'; choose from zero_hours, guaranteed_hours" in err
    assert "Traceback" not in err
    code = main(["patches", "evaluate", "--demand", str(demand), "--design", str(design), "--out-dir",
                 str(tmp_path / "o"), "--window", "-5"])
    assert code == 2
    assert "settings: window_minutes" in capsys.readouterr().err
