"""Matrices against networkx on the same graphs, and the snapping that feeds them."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from geo import CompiledNetwork, GeoSettings, RoadTravelTimes, load_network, sample_street_points
from geo.snap import haversine_m
from optimiser.io import InputError
from optimiser.model import Location, RoadNetwork

from .conftest import toy_nodes


def _fastest_km(graph: nx.MultiDiGraph, a, b) -> tuple[float, float]:
    """networkx: fastest seconds and the metres along that path."""
    path = nx.shortest_path(graph, a, b, weight="travel_time")
    meters = sum(min(graph[x][y].values(), key=lambda d: d["travel_time"])["length"] for x, y in zip(path, path[1:], strict=False))
    return nx.shortest_path_length(graph, a, b, weight="travel_time"), meters


@pytest.mark.parametrize("mode", ["car", "walk", "bike"])
def test_node_matrix_equals_networkx(helsinki_pbf: Path, mode):
    graph = load_network(helsinki_pbf, mode)
    net = CompiledNetwork.from_graph(graph)
    rng = np.random.default_rng(7)
    rows = rng.choice(len(net), size=min(60, len(net)), replace=False)
    seconds, meters = net.many_to_many(rows, rows)
    for a, b in rng.integers(0, len(rows), size=(40, 2)):
        want_s, want_m = _fastest_km(graph, net.node_ids[rows[a]], net.node_ids[rows[b]])
        assert seconds[a, b] == pytest.approx(want_s, abs=1e-6)
        assert meters[a, b] == pytest.approx(want_m, abs=1e-6)


def test_node_matrix_equals_networkx_on_a_county(rutland: Path):
    graph = load_network(rutland, "car")
    net = CompiledNetwork.from_graph(graph)
    assert net.share > 0.95  # the largest strongly connected component is nearly everything
    rng = np.random.default_rng(3)
    rows = rng.choice(len(net), size=300, replace=False)
    seconds, meters = net.many_to_many(rows, rows)
    for a, b in rng.integers(0, len(rows), size=(25, 2)):
        want_s, want_m = _fastest_km(graph, net.node_ids[rows[a]], net.node_ids[rows[b]])
        assert seconds[a, b] == pytest.approx(want_s, abs=1e-6)
        assert meters[a, b] == pytest.approx(want_m, abs=1e-6)


def _with_points(travel: RoadTravelTimes, mode) -> tuple[nx.MultiDiGraph, list[str]]:
    """An independent model of snapping: split each road at its points, add the points
    as nodes; a point at a road's end is that junction itself."""
    graph, net, roads = travel._loaded(mode)
    g = nx.MultiDiGraph(graph)
    snap = travel.snap(mode)
    ids = [f"P:{p}" for p in travel.points]
    for edge in np.unique(snap.edge):
        on = np.flatnonzero(snap.edge == edge)
        on = on[np.argsort(snap.frac[on], kind="stable")]
        tail, head = net.node_ids[roads.tail[edge]], net.node_ids[roads.head[edge]]
        chain = [(tail, 0.0)] + [(ids[i], float(snap.frac[i])) for i in on] + [(head, 1.0)]
        for (x, fx), (y, fy) in zip(chain, chain[1:], strict=False):
            g.add_edge(x, y, travel_time=(fy - fx) * roads.fwd[edge], length=(fy - fx) * roads.length[edge])
            if np.isfinite(roads.back[edge]):
                g.add_edge(y, x, travel_time=(fy - fx) * roads.back[edge], length=(fy - fx) * roads.length[edge])
        for i in on:
            if snap.frac[i] <= 1e-9 or snap.frac[i] >= 1 - 1e-9:
                end = tail if snap.frac[i] <= 1e-9 else head
                g.add_edge(ids[i], end, travel_time=0.0, length=0.0)
                g.add_edge(end, ids[i], travel_time=0.0, length=0.0)
    return g, ids


@pytest.mark.parametrize("mode", ["car", "walk"])
def test_point_matrix_equals_networkx_with_points_spliced_in(helsinki_pbf: Path, mode):
    rng = np.random.default_rng(11)
    points = sample_street_points(helsinki_pbf, 40, rng, highway=("residential", "tertiary", "secondary", "primary"))
    # move homes a little off the street so the gaps count too
    locations = {
        f"home-{i}": Location(lat=p.lat + rng.normal(0, 1e-4), lon=p.lon + rng.normal(0, 2e-4))
        for i, p in enumerate(points)
    }
    travel = RoadTravelTimes(locations, source=helsinki_pbf)
    minutes, km = travel.matrices(mode)
    g, ids = _with_points(travel, mode)
    gaps_s = travel.snap(mode).meters / (travel.settings.snap_kph / 3.6)
    gaps_m = travel.snap(mode).meters
    assert gaps_m.max() > 1.0
    lengths = {s: nx.single_source_dijkstra_path_length(g, s, weight="travel_time") for s in ids}
    for i, a in enumerate(ids):
        for j, b in enumerate(ids):
            if i == j:
                assert minutes[i, j] == 0 and km[i, j] == 0
                continue
            want = lengths[a][b] + gaps_s[i] + gaps_s[j]
            assert minutes[i, j] * 60 == pytest.approx(want, abs=1e-6), (a, b)
    for i, j in rng.integers(0, len(ids), size=(30, 2)):
        if i != j:
            _, want_m = _fastest_km(g, ids[i], ids[j])
            assert km[i, j] * 1000 == pytest.approx(want_m + gaps_m[i] + gaps_m[j], abs=1e-6)


def test_car_matrix_is_asymmetric_walk_symmetric(helsinki_pbf: Path):
    points = sample_street_points(helsinki_pbf, 60, 5)
    travel = RoadTravelTimes({f"p{i}": p for i, p in enumerate(points)}, source=helsinki_pbf)
    car, walk = travel.minutes("car"), travel.minutes("walk")
    assert np.abs(car - car.T).max() > 0.5  # one-way streets: minutes differ by direction
    assert np.allclose(walk, walk.T, atol=1e-9)


def test_one_way_street_on_the_toy_town(toy_osm: Path):
    nodes = toy_nodes()
    at = {f"n{i}": Location(lat=nodes[i][0], lon=nodes[i][1]) for i in (4, 6)}
    travel = RoadTravelTimes(at, source=toy_osm)
    car = travel.minutes("car")
    walk = travel.minutes("walk")
    assert car[0, 1] < car[1, 0]  # with the one-way street, then round the block
    assert walk[0, 1] == pytest.approx(walk[1, 0])
    assert travel.km("walk")[0, 1] == pytest.approx(haversine_m(nodes[4][1], nodes[4][0], nodes[6][1], nodes[6][0]) / 1000, rel=1e-3)


@pytest.mark.slow
def test_walking_is_slower_than_driving_between_villages(rutland: Path):
    points = sample_street_points(rutland, 80, 2)
    travel = RoadTravelTimes({f"p{i}": p for i, p in enumerate(points)}, source=rutland)
    car, walk, bike = travel.minutes("car"), travel.minutes("walk"), travel.minutes("bike")
    far = travel.km("car") > 1.0
    assert far.sum() > 1000
    assert (walk[far] > car[far]).all()
    # cyclists may detour round trunk roads a walker would also avoid, but mostly they are quicker
    assert np.median(walk[far] / bike[far]) > 2.5


def test_same_road_points_go_straight_along_it(test_pbf: Path):
    graph = load_network(test_pbf, "walk")
    u, v, d = max(graph.edges(data=True), key=lambda e: e[2]["length"])
    line = d["geometry"]
    a, b = line.interpolate(0.3, normalized=True), line.interpolate(0.6, normalized=True)
    travel = RoadTravelTimes({"a": Location(lat=a.y, lon=a.x), "b": Location(lat=b.y, lon=b.x)}, graphs={"walk": graph})
    minutes, km = travel.matrices("walk")
    from shapely.ops import substring

    lon, lat = np.array(substring(line, 0.3, 0.6, normalized=True).coords).T
    between = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum()
    assert between < d["length"] / 2
    assert km[0, 1] * 1000 == pytest.approx(between, rel=1e-2)
    assert minutes[0, 1] == pytest.approx(between / (travel.settings.walk_kph / 3.6) / 60, rel=1e-2)
    geometry = travel.geometry("walk", "a", "b")
    assert geometry[0] == pytest.approx((a.x, a.y)) and geometry[-1] == pytest.approx((b.x, b.y))


def test_geometry_follows_the_roads(helsinki_pbf: Path):
    points = sample_street_points(helsinki_pbf, 6, 9)
    locations = {f"p{i}": p for i, p in enumerate(points)}
    travel = RoadTravelTimes(locations, source=helsinki_pbf)
    for a, b in (("p0", "p1"), ("p2", "p3"), ("p4", "p5")):
        line = travel.geometry("car", a, b)
        assert line[0] == pytest.approx((locations[a].lon, locations[a].lat))
        assert line[-1] == pytest.approx((locations[b].lon, locations[b].lat))
        lon, lat = np.array(line).T
        walked = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum()
        assert walked == pytest.approx(travel.leg("car", a, b)[1] * 1000, rel=0.01)
    assert travel.geometry("car", "p0", "p0") == [(locations["p0"].lon, locations["p0"].lat)]


def test_snapping_picks_the_nearest_road(helsinki_pbf: Path):
    import shapely

    rng = np.random.default_rng(4)
    locations = {f"x{i}": Location(lat=60.165 + rng.random() * 0.012, lon=24.936 + rng.random() * 0.016) for i in range(30)}
    travel = RoadTravelTimes(locations, source=helsinki_pbf, settings=GeoSettings(snap_limit_m=5000))
    _, _, roads = travel._loaded("car")
    snap = travel.snap("car")
    pts = shapely.points(np.column_stack((travel._lon, travel._lat)) * roads._scale)
    brute = np.array([shapely.distance(roads.projected, p).min() for p in pts])
    assert snap.meters == pytest.approx(brute, rel=1e-9, abs=1e-6)
    assert travel.snap_meters("car")["x0"] == pytest.approx(brute[0])


def test_a_home_too_far_from_any_road_is_named(helsinki_pbf: Path):
    near = sample_street_points(helsinki_pbf, 2, 1)
    locations = {"carer-ann": near[0], "client-far": Location(lat=60.30, lon=24.95), "client-ok": near[1]}
    spec = RoadNetwork(osm_file=str(helsinki_pbf), snap_limit_m=300)
    travel = RoadTravelTimes.from_spec(spec, locations)
    with pytest.raises(InputError, match=r"client-far.*m\)") as err:
        travel.matrices("car")
    assert "carer-ann" not in str(err.value) and "snap_limit_m=300" in str(err.value)


def test_a_home_on_a_cut_off_street_joins_across_the_gap(toy_osm: Path):
    nodes = toy_nodes()
    lat, lon = nodes[20][0], nodes[20][1] + 1e-5  # on Cut-off Close, due north of junction 1
    travel = RoadTravelTimes(
        {"n1": Location(lat=nodes[1][0], lon=nodes[1][1]), "client-cut-off": Location(lat=lat, lon=lon)},
        source=toy_osm,
    )
    minutes, km = travel.matrices("car")  # no error: it is on a road, just not a connected one
    gap = travel.snap_meters("car")["client-cut-off"]
    assert 500 < gap < 800 and travel.detached["car"] == {"client-cut-off": pytest.approx(gap)}
    # n1 sits (within a metre) where the gap meets the network
    assert km[0, 1] * 1000 == pytest.approx(gap, abs=1.0)
    assert minutes[0, 1] == pytest.approx(gap / (travel.settings.snap_kph / 3.6) / 60, abs=0.02)
    nowhere = RoadTravelTimes({"n1": Location(lat=nodes[1][0], lon=nodes[1][1]), "client-x": Location(lat=51.52, lon=-0.1)}, source=toy_osm)
    with pytest.raises(InputError, match=r"'client-x' \(1,"):
        nowhere.matrices("car")


def test_unknown_mode_and_missing_file_are_input_errors(helsinki_pbf: Path, tmp_path: Path):
    p = sample_street_points(helsinki_pbf, 1, 1)[0]
    travel = RoadTravelTimes.from_spec(RoadNetwork(osm_file=str(helsinki_pbf), modes=["car"]), {"a": p})
    with pytest.raises(InputError, match="'walk'.*modes"):
        travel.matrices("walk")
    with pytest.raises(InputError, match="no such file"):
        RoadTravelTimes.from_spec(RoadNetwork(osm_file=str(tmp_path / "nope.osm.pbf")), {"a": p})


def test_no_points_no_network_needed(tmp_path: Path):
    graphml = tmp_path / "never-read.graphml"
    graphml.write_text("not even xml")
    travel = RoadTravelTimes({}, source=graphml)
    minutes, km = travel.matrices("car")
    assert minutes.shape == km.shape == (0, 0)


@pytest.mark.parametrize("mode", ["car", "walk", "bike"])
def test_every_road_shape_runs_from_its_tail_to_its_head(helsinki_pbf: Path, mode):
    p = sample_street_points(helsinki_pbf, 1, 0)[0]
    travel = RoadTravelTimes({"a": p}, source=helsinki_pbf)
    _, net, roads = travel._loaded(mode)
    start = np.array([line.coords[0] for line in roads.lines])
    end = np.array([line.coords[-1] for line in roads.lines])
    assert haversine_m(start[:, 0], start[:, 1], net.lon[roads.tail], net.lat[roads.tail]).max() < 0.5
    assert haversine_m(end[:, 0], end[:, 1], net.lon[roads.head], net.lat[roads.head]).max() < 0.5
    # one record per two-way road: its reverse time is known
    assert np.isfinite(roads.back).mean() > (0.3 if mode == "car" else 0.95)
