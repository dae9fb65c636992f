"""A roster of several days as GeoJSON a day at a time (geo.export.for_day, ``carerota
geojson --day``). Straight-line travel: no road network needed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from geo import for_day, solution_geojson
from geo.export import days
from optimiser.cli import main
from optimiser.engine import solve
from optimiser.generator import GeneratorSettings
from optimiser.io import write_json
from optimiser.recurring import generate
from optimiser.sources import travel_times
from optimiser.validator import validate


@pytest.fixture(scope="module")
def two_days():
    problem = generate(GeneratorSettings(days=2, visits=12, carers=4, seed=3))
    problem = problem.model_copy(update={"options": problem.options.model_copy(update={"max_steps": 200})})
    solution = solve(problem)
    assert validate(problem, solution).violations == []
    return problem, solution


def test_each_feature_names_its_day_and_a_day_keeps_only_its_own(two_days):
    problem, solution = two_days
    doc = solution_geojson(problem, solution, travel_times(problem))
    first, second = sorted({v.window.start.date() for v in problem.visits})
    assert days(doc) == [first.isoformat(), second.isoformat()]
    monday = for_day(doc, first)
    assert monday["properties"]["day"] == first.isoformat()
    kinds = {f["properties"]["kind"] for f in monday["features"]}
    assert {"route", "visit", "carer_home"} <= kinds
    for f in monday["features"]:
        if f["properties"]["kind"] != "carer_home":
            assert f["properties"]["day"] == first.isoformat()
    on_first = {v.id for v in problem.visits if v.window.start.date() == first}
    shown = {f["properties"]["visit"] for f in monday["features"] if f["properties"]["kind"] in ("visit", "unassigned")}
    assert shown == on_first
    homes = [f for f in monday["features"] if f["properties"]["kind"] == "carer_home"]
    assert len(homes) == len(problem.carers)
    with pytest.raises(ValueError, match="roster's days are"):
        for_day(doc, date(2030, 1, 1))


def test_cli_geojson_for_one_day(two_days, tmp_path: Path, capsys):
    problem, solution = two_days
    write_json(problem, tmp_path / "p.json")
    write_json(solution, tmp_path / "s.json")
    day = min(v.window.start.date() for v in problem.visits).isoformat()
    assert main(["geojson", str(tmp_path / "p.json"), str(tmp_path / "s.json"), "-o", str(tmp_path / "d.geojson"),
                 "--day", day]) == 0
    doc = json.loads((tmp_path / "d.geojson").read_text())
    assert {f["properties"].get("day", day) for f in doc["features"]} == {day}
    capsys.readouterr()
    assert main(["geojson", str(tmp_path / "p.json"), str(tmp_path / "s.json"), "-o", str(tmp_path / "x.geojson"),
                 "--day", "2030-01-01"]) == 2
    assert "--day: no routes or visits on 2030-01-01" in capsys.readouterr().err
    assert not (tmp_path / "x.geojson").exists()
    with pytest.raises(SystemExit) as bad:
        main(["geojson", str(tmp_path / "p.json"), str(tmp_path / "s.json"), "-o", str(tmp_path / "y.geojson"),
              "--day", "Monday"])
    assert bad.value.code == 2
