from __future__ import annotations

import json

import numpy as np
import pytest

from optimiser.io import InputError
from patches.demand import (
    Demand,
    Settlement,
    _km_matrix,
    demand_geojson,
    load_demand,
    parse_days,
    synthetic_demand,
)


def test_parse_days():
    assert parse_days("daily") == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert parse_days("weekdays") == ["mon", "tue", "wed", "thu", "fri"]
    assert parse_days("Mon-Wed, sat") == ["mon", "tue", "wed", "sat"]
    assert parse_days("fri;mon") == ["mon", "fri"]
    with pytest.raises(ValueError, match="unknown day"):
        parse_days("mon funday")


CSV = """client,lat,lon,days,time,duration_minutes,carers_required,time_critical
a1,52.60,-0.70,daily,08:00,30,2,yes
a1,52.60,-0.70,weekdays,12:15,45,,
b2,52.61,-0.71,mon wed fri,9:30,30,1,no
"""


def test_csv_demand_with_weekly_plans(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(CSV)
    d = load_demand(path)
    a1 = next(c for c in d.clients if c.id == "a1")
    assert [v.time for v in a1.plan] == ["08:00", "12:15"]
    assert a1.plan[0].carers_required == 2 and a1.plan[0].time_critical
    assert a1.carer_minutes("sat") == 60  # the double-handed morning counts twice
    assert a1.carer_minutes("mon") == 105
    assert a1.carer_minutes() == 7 * 60 + 5 * 45
    assert d.busiest_day() == "mon"
    # no settlements given: the density rule classifies (and says so)
    assert all(c.setting == "rural" for c in d.clients)
    assert "density rule" in d.classification


def test_csv_errors_name_the_problem(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("client,lat,lon,days,time\nx,1,2,daily,08:00\n")
    with pytest.raises(InputError, match="duration_minutes"):
        load_demand(path)
    path.write_text(CSV.replace("9:30", "29:30"))
    with pytest.raises(InputError, match="line 4.*b2.*29:30"):
        load_demand(path)


def test_geojson_round_trip(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(CSV)
    d = load_demand(path)
    out = tmp_path / "d.geojson"
    out.write_text(json.dumps(demand_geojson(d)))
    again = load_demand(out)
    assert [c.model_dump() for c in again.clients] == [c.model_dump() for c in d.clients]
    bad = demand_geojson(d)
    bad["features"][0]["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    out.write_text(json.dumps(bad))
    with pytest.raises(InputError, match="must be Points"):
        load_demand(out)


def test_synthetic_demand_towns_denser_and_ageing_knob():
    from pyrosm import get_data

    osm = get_data("test_pbf")  # ships with pyrosm: always available offline
    places = [
        Settlement(name="Keskusta", place="town", lat=60.530, lon=26.950),
        Settlement(name="Kyla", place="village", lat=60.535, lon=26.935),
        Settlement(name="Mokki", place="hamlet", lat=60.525, lon=26.965),
    ]
    d = synthetic_demand(osm, 200, seed=2, places=places)
    assert len(d.clients) == 200 and len({c.id for c in d.clients}) == 200
    towns = sum(c.settlement == "Keskusta" for c in d.clients)
    assert towns > 0.75 * 200  # a town node weighs 20 villages
    # every client sits on a street within reach of her settlement
    by_name = {p.name: p for p in places}
    for c in d.clients:
        s = by_name[c.settlement]
        km = _km_matrix(np.array([c.lat]), np.array([c.lon]), np.array([s.lat]), np.array([s.lon]))[0, 0]
        assert km <= 2.0 + 1e-9
        assert c.setting in ("urban", "rural")
    older = synthetic_demand(osm, 200, seed=2, places=places, ageing=3.0)
    assert sum(c.setting == "rural" for c in older.clients) > sum(c.setting == "rural" for c in d.clients)
    assert older.weekly_hours() > d.weekly_hours()
    with pytest.raises(InputError, match="ageing"):
        synthetic_demand(osm, 10, places=places, ageing=0)


def test_duplicate_client_ids_rejected():
    from pydantic import ValidationError

    c = {"id": "x", "lat": 1, "lon": 1, "plan": [{"days": "daily", "time": "08:00", "duration_minutes": 30}]}
    with pytest.raises(ValidationError, match="duplicate client id"):
        Demand(clients=[c, c])
