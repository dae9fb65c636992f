"""On the real Rutland extract (skipped when ../shared is absent)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from patches.demand import settlements, synthetic_demand
from patches.designs import (
    area_polygon,
    assign_clients,
    load_design,
    nearest_town_groups,
    settlement_design,
)
from patches.evaluate import EvaluationSettings, evaluate_design
from patches.suggest import suggest_design

EXAMPLES = Path(__file__).resolve().parents[2] / "patches" / "examples"


@pytest.fixture(scope="module")
def rutland(request):
    shared = request.getfixturevalue("shared_dir")
    path = shared / "data" / "osm" / "rutland-2018-02.osm.pbf"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return str(path)


def test_rutland_settlements_and_town_sides(rutland):
    places = settlements(rutland)
    kinds = {p.place for p in places}
    assert {"town", "village"} <= kinds
    towns = sorted(p.name for p in places if p.place == "town")
    assert towns == ["Oakham", "Uppingham"]
    groups = nearest_town_groups(places, ["Oakham", "Uppingham"])
    assert "Langham" in groups["Oakham side"] and "Lyddington" in groups["Uppingham side"]
    demand = synthetic_demand(rutland, 120, seed=4, places=places)
    area = area_polygon([(p.lat, p.lon) for p in places], buffer_km=2.5)
    design = settlement_design(places, groups, name="two", area=area)
    a = assign_clients(design, demand)
    assert a.outside == []
    assert {a.patch_of[c.id] for c in demand.clients} == {"Oakham side", "Uppingham side"}
    urban = [c for c in demand.clients if c.setting == "urban"]
    assert urban and all(c.settlement in ("Oakham", "Uppingham") for c in urban)


def test_committed_example_designs_load(rutland):
    places = settlements(rutland)
    for name, n in (("rutland-one-patch.geojson", 1), ("rutland-oakham-uppingham.geojson", 2)):
        d = load_design(EXAMPLES / name, places=places)
        assert len(d.patches) == n


def test_small_rutland_design_on_road_times_validates(rutland):
    places = settlements(rutland)
    demand = synthetic_demand(rutland, 24, seed=5, places=places)
    area = area_polygon([(p.lat, p.lon) for p in places], buffer_km=2.5)
    design = settlement_design(places, nearest_town_groups(places, ["Oakham", "Uppingham"]), name="two", area=area)
    s = EvaluationSettings(osm_file=rutland, time_limit=1.0, search_carers=False)
    r = evaluate_design(design, demand, s)
    assert r.travel_source.startswith("road network")
    for p in r.patches:
        assert p.violations == 0, p.violation_rules
        assert p.equity is not None
    assert math.isclose(r.totals.hours_demanded, r.totals.hours_delivered + r.totals.hours_undeliverable)
    s2 = suggest_design(demand, k=2, osm_file=rutland, area=area)
    assert all(s2.connected.values()) and len(s2.design.patches) == 2
