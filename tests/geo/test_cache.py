"""The matrix cache: hits, misses and invalidation."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from geo import GeoSettings, RoadTravelTimes, load_network, sample_street_points
from geo.cache import MatrixCache
from optimiser.model import Location


@pytest.fixture
def points(test_pbf: Path) -> dict[str, Location]:
    return {f"p{i}": p for i, p in enumerate(sample_street_points(test_pbf, 12, 8))}


def _files(cache: Path) -> set[Path]:
    return set((cache / "matrices").glob("*.npz"))


def test_second_run_hits_and_needs_no_network(test_pbf: Path, points, private_cache: Path, monkeypatch):
    first = RoadTravelTimes(points, source=test_pbf)
    minutes, km = first.matrices("car")
    assert first.cache_hits == {"car": False} and len(_files(private_cache)) == 1
    second = RoadTravelTimes(points, source=test_pbf)

    def no_loading(*args, **kwargs):
        raise AssertionError("a cache hit must not load the network")

    monkeypatch.setattr(RoadTravelTimes, "_loaded", no_loading)
    again, again_km = second.matrices("car")
    assert second.cache_hits == {"car": True}
    assert np.array_equal(again, minutes) and np.array_equal(again_km, km)
    assert second.snap_meters("car") == pytest.approx(first.snap_meters("car"))


def test_changed_points_miss(test_pbf: Path, points, private_cache: Path):
    RoadTravelTimes(points, source=test_pbf).matrices("car")
    moved = dict(points)
    moved["p0"] = Location(lat=points["p0"].lat + 0.0005, lon=points["p0"].lon)
    travel = RoadTravelTimes(moved, source=test_pbf)
    travel.matrices("car")
    assert travel.cache_hits == {"car": False}
    renamed = {("q0" if k == "p0" else k): v for k, v in points.items()}
    travel = RoadTravelTimes(renamed, source=test_pbf)
    travel.matrices("car")
    assert travel.cache_hits == {"car": False}
    assert len(_files(private_cache)) == 3


def test_other_mode_and_other_settings_miss(test_pbf: Path, points):
    RoadTravelTimes(points, source=test_pbf).matrices("car")
    walk = RoadTravelTimes(points, source=test_pbf)
    walk.matrices("walk")
    assert walk.cache_hits == {"walk": False}
    slow = RoadTravelTimes(points, source=test_pbf, settings=GeoSettings(peak_slowdown=1.3))
    slow.matrices("car")
    assert slow.cache_hits == {"car": False}
    base = RoadTravelTimes(points, source=test_pbf).minutes("car")
    assert slow.minutes("car").sum() > base.sum()


def test_changed_network_file_misses(test_pbf: Path, points, tmp_path: Path):
    import osmnx as ox

    graph = load_network(test_pbf, "car")
    path = tmp_path / "town.graphml"
    ox.save_graphml(graph, path)
    first = RoadTravelTimes(points, source=path)
    before = first.minutes("car").copy()
    # the council closes nothing but lowers every limit to 10 mph: same file name, new bytes
    for _, _, d in graph.edges(data=True):
        d["maxspeed"] = "10 mph"
    ox.save_graphml(graph, path)
    second = RoadTravelTimes(points, source=path)
    after = second.minutes("car")
    assert second.cache_hits == {"car": False}
    assert (after[~np.eye(len(points), dtype=bool)] > before[~np.eye(len(points), dtype=bool)]).all()
    # a byte-identical copy elsewhere is the same network: a hit
    copy = tmp_path / "copy.graphml"
    shutil.copy(path, copy)
    third = RoadTravelTimes(points, source=copy)
    third.matrices("car")
    assert third.cache_hits == {"car": True}


def test_corrupt_or_unwritable_cache_is_not_fatal(test_pbf: Path, points, private_cache: Path, tmp_path: Path):
    travel = RoadTravelTimes(points, source=test_pbf)
    travel.matrices("car")
    (file,) = _files(private_cache)
    file.write_bytes(b"garbage")
    again = RoadTravelTimes(points, source=test_pbf)
    again.matrices("car")
    assert again.cache_hits == {"car": False}
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    cache = MatrixCache(blocked)
    assert cache.save("k", a=np.zeros(1)) is None and cache.load("k") is None
