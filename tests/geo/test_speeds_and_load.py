"""Speeds, mode rules and loading from every file type."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import pytest

from geo import GeoSettings, load_network
from geo.load import allowed
from geo.settings import MPH
from geo.speeds import car_kph, parse_maxspeed
from optimiser.io import InputError


@pytest.mark.parametrize(
    ("value", "kph"),
    [
        ("30 mph", 30 * MPH),
        ("50", 50.0),
        ("20 km/h", 20.0),
        ("GB:nsl_single", 60 * MPH),
        ("GB:nsl_dual", 70 * MPH),
        ("national", 60 * MPH),
        ("30 mph;40 mph", 30 * MPH),
        (["40 mph", "30 mph"], 30 * MPH),
        ("signals", None),
        ("none", None),
        (None, None),
        ("0", None),
    ],
)
def test_parse_maxspeed(value, kph):
    got = parse_maxspeed(value)
    assert got == pytest.approx(kph) if kph is not None else got is None


def test_uk_defaults_apply_only_without_maxspeed():
    s = GeoSettings()
    assert car_kph({"highway": "residential"}, s) == pytest.approx(s.default_mph["residential"] * MPH)
    assert car_kph({"highway": "residential", "maxspeed": "20 mph"}, s) == pytest.approx(20 * MPH)
    assert car_kph({"highway": "no-such-type"}, s) == pytest.approx(s.fallback_mph * MPH)
    # a merged edge takes the slowest of its types
    assert car_kph({"highway": ["primary", "residential"]}, s) == pytest.approx(s.default_mph["residential"] * MPH)


def test_mode_rules():
    s = GeoSettings()
    motorway, footway = {"highway": "motorway"}, {"highway": "footway"}
    assert allowed(motorway, "car", s) and not allowed(motorway, "walk", s) and not allowed(motorway, "bike", s)
    assert not allowed({"highway": "motorway_link"}, "bike", s) and allowed({"highway": "trunk"}, "car", s)
    assert allowed(footway, "walk", s) and not allowed(footway, "car", s) and not allowed(footway, "bike", s)
    assert allowed({"highway": "footway", "bicycle": "yes"}, "bike", s)
    assert not allowed({"highway": "residential", "access": "private"}, "car", s)
    assert not allowed({"building": "yes"}, "walk", s)


def _times(graph: nx.MultiDiGraph) -> dict[tuple, float]:
    return {(u, v): min(d["travel_time"] for d in graph[u][v].values()) for u, v in graph.edges()}


def test_toy_xml_one_way_motorway_and_speeds(toy_osm: Path):
    car, walk, bike = (load_network(toy_osm, m) for m in ("car", "walk", "bike"))
    # one-way 4 -> 5 -> 6 for cars only
    assert car.has_edge(4, 5) and not car.has_edge(5, 4)
    assert nx.shortest_path_length(car, 4, 6, weight="travel_time") < nx.shortest_path_length(
        car, 6, 4, weight="travel_time"
    )
    # walkers and cyclists: every street both ways, never a motorway, the building is no road
    for g in (walk, bike):
        assert all(g.has_edge(v, u) for u, v in g.edges())
        assert not any("motorway" in str(d["highway"]) for _, _, d in g.edges(data=True))
        assert 10 not in g and 11 not in g
    assert any(d["highway"] == "footway" for _, _, d in walk.edges(data=True))
    assert not any(d["highway"] == "footway" for _, _, d in bike.edges(data=True))
    # constant speeds and osmnx units
    s = GeoSettings()
    for g, kph in ((walk, s.walk_kph), (bike, s.bike_kph)):
        for _, _, d in g.edges(data=True):
            assert d["speed_kph"] == pytest.approx(kph)
            assert d["travel_time"] == pytest.approx(d["length"] / (kph / 3.6))
    tertiary = [d for _, _, d in car.edges(data=True) if d["highway"] == "tertiary"]
    assert tertiary and all(d["speed_kph"] == pytest.approx(20 * MPH) for d in tertiary)


def test_peak_slowdown_stretches_car_times_only(toy_osm: Path):
    base = _times(load_network(toy_osm, "car"))
    peak = _times(load_network(toy_osm, "car", settings=GeoSettings(peak_slowdown=1.5)))
    assert peak.keys() == base.keys()
    assert all(peak[k] == pytest.approx(1.5 * base[k]) for k in base)
    walk = _times(load_network(toy_osm, "walk"))
    assert walk == pytest.approx(_times(load_network(toy_osm, "walk", settings=GeoSettings(peak_slowdown=1.5))))


def test_pbf_and_graphml_round_trip(helsinki_pbf: Path, tmp_path: Path):
    import osmnx as ox

    car = load_network(helsinki_pbf, "car")
    for _, d in car.nodes(data=True):
        assert -180 <= d["x"] <= 180 and -90 <= d["y"] <= 90
    assert all(d["length"] > 0 and d["travel_time"] > 0 for _, _, d in car.edges(data=True))
    path = tmp_path / "helsinki.graphml"
    ox.save_graphml(car, path)
    again = load_network(path, "car")
    assert again.number_of_edges() == car.number_of_edges()
    assert sum(d["travel_time"] for _, _, d in again.edges(data=True)) == pytest.approx(
        sum(d["travel_time"] for _, _, d in car.edges(data=True))
    )


def test_real_one_way_streets_in_helsinki(helsinki_pbf: Path):
    car, walk = load_network(helsinki_pbf, "car"), load_network(helsinki_pbf, "walk")
    one_way = [(u, v) for u, v in car.edges() if not car.has_edge(v, u)]
    assert len(one_way) > 10  # central Helsinki is full of one-way streets
    assert all(walk.has_edge(v, u) for u, v in walk.edges())


@pytest.mark.slow
def test_walking_never_faster_than_driving_on_shared_roads(rutland: Path):
    def by_road(graph):  # the same stretch of road: same ends, same length
        return {(u, v, round(d["length"], 2)): d["travel_time"] for u, v, d in graph.edges(data=True)}

    car, walk = by_road(load_network(rutland, "car")), by_road(load_network(rutland, "walk"))
    shared = car.keys() & walk.keys()
    assert len(shared) > 1000
    assert all(walk[k] >= car[k] for k in shared)


@pytest.mark.slow
def test_walkers_and_cyclists_never_on_motorways_and_avoid_trunk_roads(rutland: Path):
    s = GeoSettings()  # (the toy town test covers motorways; Rutland has none)
    for mode, kph in (("walk", s.walk_kph), ("bike", s.bike_kph)):
        g = load_network(rutland, mode)
        assert not any("motorway" in str(d["highway"]) for _, _, d in g.edges(data=True)), mode
        trunk = [d for _, _, d in g.edges(data=True) if str(d["highway"]).startswith("trunk")]
        assert trunk, "Rutland's A1 and A47 are trunk roads"
        for d in trunk:
            assert d["travel_time"] == pytest.approx(s.avoid_factor * d["length"] / (kph / 3.6))


def test_bad_sources_are_input_errors(tmp_path: Path):
    with pytest.raises(InputError, match="unknown file type"):
        load_network(tmp_path / "roads.csv", "car")
    with pytest.raises(InputError, match="no such file"):
        load_network(tmp_path / "missing.osm.pbf", "car")
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"not a protobuf")
    with pytest.raises(InputError, match="broken.osm.pbf"):
        load_network(broken, "car")
    with pytest.raises(InputError, match="travel mode 'boat'"):
        load_network(broken, "boat")  # type: ignore[arg-type]


def test_speed_fingerprint_tracks_speeds_not_cache_folder(tmp_path: Path):
    a = GeoSettings()
    assert a.speed_fingerprint() == GeoSettings(cache_dir=tmp_path).speed_fingerprint()
    assert a.speed_fingerprint() != GeoSettings(walk_kph=4.0).speed_fingerprint()
    assert not math.isclose(GeoSettings(walk_kph=4.0).walk_kph, a.walk_kph)


def test_bristol_one_way_streets_bind_cars_only(bristol: Path):
    car, walk = load_network(bristol, "car"), load_network(bristol, "walk")
    one_way = {d["name"] for u, v, d in car.edges(data=True) if not car.has_edge(v, u) and isinstance(d.get("name"), str)}
    assert {"Christmas Street", "Quay Street"} <= one_way  # Valhalla's one-way fixture
    assert all(walk.has_edge(v, u) for u, v in walk.edges())


@pytest.mark.parametrize(
    ("name", "bbox"),
    [
        ("city-of-london-2020-07-20.osm.pbf", (-0.1141636, 51.5107253, -0.093166, 51.5232569)),
        ("liechtenstein-2021-10-28.osm.pbf", (9.471078, 47.04774, 9.636217, 47.27128)),
    ],
)
def test_other_shared_extracts_load_routable(shared_dir: Path, name, bbox):
    from geo import CompiledNetwork

    path = shared_dir / "data" / "osm" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    graph = load_network(path, "car")
    assert CompiledNetwork.from_graph(graph).share > 0.9
    w, s, e, n = bbox  # the extract's header bbox; complete ways may reach a little beyond
    xs = [d["x"] for _, d in graph.nodes(data=True)]
    ys = [d["y"] for _, d in graph.nodes(data=True)]
    assert w - 0.05 < min(xs) < max(xs) < e + 0.05 and s - 0.05 < min(ys) < max(ys) < n + 0.05


def test_settings_come_from_the_environment(monkeypatch, toy_osm: Path):
    from geo import geo_settings

    monkeypatch.setenv("CAREROTA_GEO_WALK_KPH", "3.0")
    assert geo_settings().walk_kph == 3.0
    walk = load_network(toy_osm, "walk")
    assert all(d["speed_kph"] == 3.0 for _, _, d in walk.edges(data=True))
    monkeypatch.setenv("CAREROTA_GEO_WALK_KPH", "brisk")
    with pytest.raises(InputError, match="CAREROTA_GEO_WALK_KPH"):
        load_network(toy_osm, "walk")
