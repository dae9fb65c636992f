"""Settlements, street points, GeoJSON export and the ``carerota network``/``geojson`` commands."""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from geo import RoadTravelTimes, load_network, places, sample_street_points, solution_geojson
from geo.speeds import highway_types
from optimiser.cli import main
from optimiser.io import InputError, write_json
from optimiser.model import (
    Carer,
    Client,
    Location,
    Problem,
    RoadNetwork,
    Route,
    Shift,
    Solution,
    Stop,
    Travel,
    Unassigned,
    Visit,
    Window,
)


def test_places_in_helsinki_and_rutland(helsinki_pbf: Path, rutland: Path):
    (helsinki,) = [p for p in places(helsinki_pbf) if p["name"] == "Helsinki"]
    assert helsinki["place"] == "city" and helsinki["population"] and helsinki["population"] > 100_000
    found = places(rutland)
    towns = [p["name"] for p in found if p["place"] == "town"]
    assert {"Oakham", "Uppingham"} <= set(towns)
    assert sum(p["place"] == "village" for p in found) >= 40
    assert found[0]["place"] == "town"  # biggest kind first
    assert all(52.4 < p["lat"] < 52.9 and -0.9 < p["lon"] < -0.3 for p in found)


def test_places_needs_a_pbf(tmp_path: Path):
    with pytest.raises(InputError, match="osm.pbf"):
        places(tmp_path / "nothing.osm.pbf")


def test_street_points_lie_on_residential_streets(test_pbf: Path):
    graph = load_network(test_pbf, "car")
    a = sample_street_points(graph, 50, np.random.default_rng(1))
    b = sample_street_points(graph, 50, np.random.default_rng(1))
    c = sample_street_points(test_pbf, 50, random.Random(2))
    assert a == b and a != c and len(c) == 50 and all(isinstance(p, Location) for p in c)
    travel = RoadTravelTimes({f"p{i}": p for i, p in enumerate(a)}, graphs={"car": graph})
    snap = travel.snap("car")
    assert snap.meters.max() < 0.01  # on the road itself
    _, _, roads = travel._loaded("car")
    kinds = set()
    for e in snap.edge:
        u, v = travel.compiled("car").node_ids[[roads.tail[e], roads.head[e]]]
        kinds |= {h for d in graph[u][v].values() for h in highway_types(d["highway"])}
    assert kinds <= {"residential", "living_street", "unclassified", "tertiary"}


def _day(osm: Path) -> tuple[Problem, Solution]:
    """Two carers, three clients, a double-handed visit, one unassigned visit."""
    pts = sample_street_points(osm, 5, 3)
    day = datetime(2026, 11, 23)

    def at(h, m=0):
        return day.replace(hour=h, minute=m)

    carers = [
        Carer(id="ann", home=pts[0], shifts=[Shift(start=at(7), end=at(11)), Shift(start=at(16), end=at(20))]),
        Carer(id="bob", home=pts[1], travel_mode="walk", shifts=[Shift(start=at(7), end=at(12))]),
    ]
    clients = [Client(id=f"c{i}", location=pts[2 + i]) for i in range(3)]
    visits = [
        Visit(id="v1", client="c0", window=Window(start=at(8), end=at(8, 30)), duration_minutes=30),
        Visit(id="v2", client="c1", window=Window(start=at(9), end=at(10)), duration_minutes=30, carers_required=2),
        Visit(id="v3", client="c2", window=Window(start=at(17), end=at(18)), duration_minutes=30),
        Visit(id="v4", client="c2", window=Window(start=at(21), end=at(21, 30)), duration_minutes=30),
    ]
    problem = Problem(
        id="geo-day", carers=carers, clients=clients, visits=visits,
        travel=Travel(road_network=RoadNetwork(osm_file=str(osm))),
    )

    def stop(v, h, m=0):
        return Stop(visit=v, arrival=at(h, m), start=at(h, m), end=at(h, m + 30), travel_minutes=1, travel_km=0.5)

    solution = Solution(
        problem_id="geo-day",
        status="partial",
        routes=[
            Route(carer="ann", stops=[stop("v1", 8), stop("v2", 9), stop("v3", 17)]),
            Route(carer="bob", stops=[stop("v2", 9)]),
        ],
        unassigned=[Unassigned(visit="v4", reason="no carer on duty", rule="shifts")],
    )
    return problem, solution


def test_geojson_routes_follow_roads(test_pbf: Path):
    problem, solution = _day(test_pbf)
    travel = RoadTravelTimes.from_spec(problem.travel.road_network, problem.locations())
    doc = solution_geojson(problem, solution, travel)
    assert doc["type"] == "FeatureCollection"
    assert doc["properties"]["attribution"] == "© OpenStreetMap contributors"
    by_kind: dict[str, list] = {}
    for f in doc["features"]:
        by_kind.setdefault(f["properties"]["kind"], []).append(f)
    routes = by_kind["route"]
    assert sorted((f["properties"]["carer"], f["properties"]["shift"]) for f in routes) == [("ann", 0), ("ann", 1), ("bob", 0)]
    for f in routes:
        coords = f["geometry"]["coordinates"]
        carer = problem.carer(f["properties"]["carer"])
        assert coords[0] == pytest.approx([carer.home.lon, carer.home.lat])
        assert coords[-1] == pytest.approx([carer.home.lon, carer.home.lat])
        assert len(coords) > 2 + f["properties"]["visits"]  # bends of the roads, not straight hops
        assert f["properties"]["attribution"] == "© OpenStreetMap contributors"
    (double,) = [f for f in by_kind["visit"] if f["properties"]["visit"] == "v2"]
    assert sorted(double["properties"]["carers"]) == ["ann", "bob"]
    assert len(by_kind["visit"]) == 3
    assert [f["properties"]["visit"] for f in by_kind["unassigned"]] == ["v4"]
    assert {f["properties"]["carer"] for f in by_kind["carer_home"]} == {"ann", "bob"}
    json.dumps(doc)  # plain JSON all the way down


def test_cli_info_matrix_and_geojson(test_pbf: Path, tmp_path: Path, capsys):
    assert main(["network", "info", str(test_pbf), "--mode", "walk", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["nodes"] > 100 and info["road_km"] > 1 and 0.5 < info["largest_scc_share"] <= 1
    w, s, e, n = info["bbox"]
    assert w < e and s < n

    pts = sample_street_points(test_pbf, 4, 1)
    csv_path = tmp_path / "points.csv"
    csv_path.write_text("id,lat,lon\n" + "".join(f"h{i},{p.lat},{p.lon}\n" for i, p in enumerate(pts)))
    out = tmp_path / "matrix.json"
    assert main(["network", "matrix", str(test_pbf), "--points", str(csv_path), "--mode", "car,walk", "-o", str(out)]) == 0
    matrix = json.loads(out.read_text())
    assert matrix["points"] == ["h0", "h1", "h2", "h3"]
    travel = RoadTravelTimes({f"h{i}": p for i, p in enumerate(pts)}, source=test_pbf)
    assert np.array(matrix["minutes"]["walk"]) == pytest.approx(travel.minutes("walk"), abs=1e-3)
    assert np.array(matrix["km"]["car"]) == pytest.approx(travel.km("car"), abs=1e-4)
    assert "OpenStreetMap" in capsys.readouterr().out

    json_points = tmp_path / "points.json"
    json_points.write_text(json.dumps({"h0": {"lat": pts[0].lat, "lon": pts[0].lon}, "h1": {"lat": pts[1].lat, "lon": pts[1].lon}}))
    assert main(["network", "matrix", str(test_pbf), "--points", str(json_points), "-o", str(out)]) == 0
    assert json.loads(out.read_text())["points"] == ["h0", "h1"]

    problem, solution = _day(test_pbf)
    write_json(problem, tmp_path / "p.json")
    write_json(solution, tmp_path / "s.json")
    assert main(["geojson", str(tmp_path / "p.json"), str(tmp_path / "s.json"), "-o", str(tmp_path / "day.geojson")]) == 0
    doc = json.loads((tmp_path / "day.geojson").read_text())
    assert sum(f["properties"]["kind"] == "route" for f in doc["features"]) == 3


def test_cli_bad_input_exits_2(test_pbf: Path, tmp_path: Path, capsys):
    bad = tmp_path / "points.csv"
    bad.write_text("id,lat\nh0,51.5\n")
    assert main(["network", "matrix", str(test_pbf), "--points", str(bad), "-o", str(tmp_path / "m.json")]) == 2
    assert "id, lat and lon" in capsys.readouterr().err
    far = tmp_path / "far.csv"
    far.write_text("id,lat,lon\nclient-x,0.0,0.0\n")
    assert main(["network", "matrix", str(test_pbf), "--points", str(far), "-o", str(tmp_path / "m.json")]) == 2
    assert "client-x" in capsys.readouterr().err
    assert main(["network", "matrix", str(test_pbf), "--points", str(far), "--mode", "boat", "-o", "x.json"]) == 2
    assert main(["network", "info", str(tmp_path / "roads.shp")]) == 2
    assert main(["network", "fetch", "--bbox", "1,2,3", "-o", str(tmp_path / "x.graphml")]) == 2
    problem, solution = _day(test_pbf)
    write_json(problem, tmp_path / "p.json")
    write_json(solution.model_copy(update={"problem_id": "other"}), tmp_path / "s.json")
    assert main(["geojson", str(tmp_path / "p.json"), str(tmp_path / "s.json"), "-o", str(tmp_path / "x.geojson")]) == 2
    assert "other" in capsys.readouterr().err

