"""Online fetching with osmnx, the HTTP requests mocked at osmnx's download boundary."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from geo import fetch_network
from optimiser.io import InputError

from .conftest import toy_nodes

WAYS = [
    (101, [1, 2, 3], {"highway": "residential"}),
    (102, [4, 5, 6], {"highway": "residential", "oneway": "yes"}),
    (103, [7, 8, 9], {"highway": "residential"}),
    (104, [1, 4, 7], {"highway": "tertiary", "maxspeed": "20 mph"}),
    (105, [3, 6, 9], {"highway": "residential"}),
]
BBOX = (-0.1010, 51.4990, -0.0958, 51.5030)  # W, S, E, N around the toy town


def _overpass_json() -> dict:
    nodes = [{"type": "node", "id": i, "lat": lat, "lon": lon} for i, (lat, lon) in toy_nodes().items() if i < 10]
    ways = [{"type": "way", "id": w, "nodes": refs, "tags": tags} for w, refs, tags in WAYS]
    return {"version": 0.6, "elements": nodes + ways}


@pytest.fixture
def overpass(monkeypatch):
    """Count Overpass requests and answer them with the toy town."""
    import osmnx._overpass

    calls: list[dict] = []

    def fake_request(data):
        calls.append(dict(data))
        return _overpass_json()

    monkeypatch.setattr(osmnx._overpass, "_overpass_request", fake_request)
    return calls


def test_bbox_download_is_cached_and_then_offline(overpass, tmp_path: Path, monkeypatch):
    graph = fetch_network(bbox=BBOX, mode="car", cache_dir=tmp_path)
    assert len(overpass) == 1 and "highway" in overpass[0]["data"]  # osmnx's drive filter went out
    # the one-way street 4 -> 6 is kept: the way back goes round the block
    assert nx.shortest_path_length(graph, 4, 6, weight="length") < nx.shortest_path_length(graph, 6, 4, weight="length")
    assert all(d["travel_time"] > 0 for _, _, d in graph.edges(data=True))
    assert list((tmp_path / "networks").glob("*.graphml"))

    import osmnx._overpass

    def offline(data):
        raise ConnectionError("no internet")

    monkeypatch.setattr(osmnx._overpass, "_overpass_request", offline)
    again = fetch_network(bbox=BBOX, mode="car", cache_dir=tmp_path)
    assert sorted(again.edges()) == sorted(graph.edges())
    # a different area is not in the cache: the download fails with a clear message
    with pytest.raises(InputError, match="needs internet"):
        fetch_network(bbox=(-0.2, 51.4, -0.1, 51.5), mode="car", cache_dir=tmp_path)


def test_walk_network_ignores_one_way(overpass, tmp_path: Path):
    walk = fetch_network(bbox=BBOX, mode="walk", cache_dir=tmp_path)
    there = nx.shortest_path_length(walk, 4, 6, weight="length")
    assert there == pytest.approx(nx.shortest_path_length(walk, 6, 4, weight="length"))


@pytest.fixture
def nominatim(monkeypatch):
    """Count Nominatim requests and geocode any place to the toy town's box."""
    import osmnx._nominatim

    w, s, e, n = BBOX
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    calls: list = []

    def fake_nominatim(params, request_type="search"):
        calls.append(params)
        return [
            {
                "place_id": 1,
                "osm_type": "relation",
                "osm_id": 42,
                "lat": str((s + n) / 2),
                "lon": str((w + e) / 2),
                "boundingbox": [str(s), str(n), str(w), str(e)],
                "class": "boundary",
                "type": "administrative",
                "importance": 0.5,
                "display_name": "Toytown, England",
                "geojson": {"type": "Polygon", "coordinates": [ring]},
            }
        ]

    monkeypatch.setattr(osmnx._nominatim, "_nominatim_request", fake_nominatim)
    return calls


def test_place_is_geocoded_then_downloaded(overpass, nominatim, tmp_path: Path):
    graph = fetch_network(place="Toytown, England", mode="bike", cache_dir=tmp_path)
    assert nominatim and len(overpass) == 1
    assert graph.number_of_edges() > 0
    fetch_network(place="Toytown, England", mode="bike", cache_dir=tmp_path)
    assert len(nominatim) == 1 and len(overpass) == 1  # second call: from disk


def test_problem_with_a_place_name_gets_road_times(overpass, nominatim):
    from geo import RoadTravelTimes
    from optimiser.model import Location, RoadNetwork

    nodes = toy_nodes()
    at = {f"n{i}": Location(lat=nodes[i][0], lon=nodes[i][1]) for i in (4, 6)}
    travel = RoadTravelTimes.from_spec(RoadNetwork(place="Toytown, England", modes=["car"]), at)
    minutes = travel.minutes("car")
    assert 0 < minutes[0, 1] < minutes[1, 0]  # one-way street 4 -> 6
    again = RoadTravelTimes.from_spec(RoadNetwork(place="Toytown, England", modes=["car"]), at)
    assert again.minutes("car") == pytest.approx(minutes) and again.cache_hits == {"car": True}
    assert len(overpass) == 1  # one download, then the GraphML and the matrix cache


def test_bad_arguments(tmp_path: Path):
    with pytest.raises(InputError, match="exactly one"):
        fetch_network(mode="car", cache_dir=tmp_path)
    with pytest.raises(InputError, match="exactly one"):
        fetch_network(place="Rutland", bbox=BBOX, mode="car", cache_dir=tmp_path)
    with pytest.raises(InputError, match="W,S,E,N"):
        fetch_network(bbox=(1, 2, 0, 3), mode="car", cache_dir=tmp_path)


def test_cli_fetch_writes_graphml_that_info_reads(overpass, tmp_path: Path, capsys):
    from optimiser.cli import main

    out = tmp_path / "toytown.graphml"
    bbox = ",".join(str(v) for v in BBOX)
    assert main(["network", "fetch", f"--bbox={bbox}", "--mode", "walk", "-o", str(out)]) == 0
    assert out.is_file() and len(overpass) == 1
    assert main(["network", "info", str(out), "--mode", "walk", "--json"]) == 0
    info = json.loads(capsys.readouterr().out.split("\n", 2)[-1])
    # a ring with one street across it simplifies to its two junctions and three ways, both directions
    assert (info["nodes"], info["edges"], info["largest_scc_share"]) == (2, 6, 1.0)
