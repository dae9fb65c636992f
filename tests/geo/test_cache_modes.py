"""Disk caches hold clients' locations (matrices over their homes, networks of their area):
files are written 0600 in folders made 0700."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from geo import RoadTravelTimes, fetch_network, sample_street_points
from geo.cache import MatrixCache
from tests.conftest import file_mode

from .test_fetch import BBOX, _overpass_json

pytestmark = pytest.mark.usefixtures("usual_umask")


def test_matrix_file_0600_in_new_folders_0700(tmp_path: Path):
    root = tmp_path / "new" / "cache"
    saved = MatrixCache(root).save("k1", minutes=np.zeros((2, 2)), km=np.ones((2, 2)))
    assert saved is not None and file_mode(saved) == 0o600
    assert file_mode(root / "matrices") == file_mode(root) == file_mode(tmp_path / "new") == 0o700
    assert MatrixCache(root).load("k1") is not None


def test_matrices_folder_of_an_older_version_is_tightened(tmp_path: Path):
    root = tmp_path / "shared-cache"
    (root / "matrices").mkdir(parents=True)
    os.chmod(root, 0o755)
    os.chmod(root / "matrices", 0o755)
    old = root / "matrices" / "old.npz"
    old.write_bytes(b"")
    os.chmod(old, 0o644)
    MatrixCache(root).save("k2", minutes=np.zeros((1, 1)))
    assert file_mode(root / "matrices") == 0o700  # hides the old 0644 files too
    assert file_mode(root) == 0o755  # a root chosen by the user is left as it is
    assert file_mode(root / "matrices" / "k2.npz") == 0o600


def test_road_travel_times_cache_is_private(test_pbf: Path, private_cache: Path):
    points = {f"p{i}": p for i, p in enumerate(sample_street_points(test_pbf, 6, 4))}
    RoadTravelTimes(points, source=test_pbf).matrices("car")
    files = list((private_cache / "matrices").glob("*.npz"))
    assert files and all(file_mode(f) == 0o600 for f in files)
    assert file_mode(private_cache / "matrices") == 0o700


def test_fetched_network_is_private_and_osmnx_cache_kept_in_ours(tmp_path: Path, monkeypatch):
    import osmnx as ox
    import osmnx._overpass

    seen: list[str] = []

    def fake_request(data):
        seen.append(str(ox.settings.cache_folder))
        return _overpass_json()

    monkeypatch.setattr(osmnx._overpass, "_overpass_request", fake_request)
    before = ox.settings.cache_folder
    cache = tmp_path / "netcache"
    fetch_network(bbox=BBOX, mode="car", cache_dir=cache)
    (graphml,) = (cache / "networks").glob("*.graphml")
    assert file_mode(graphml) == 0o600 and file_mode(cache / "networks") == 0o700 and file_mode(cache) == 0o700
    assert seen == [str(cache / "osmnx")] and file_mode(cache / "osmnx") == 0o700
    assert ox.settings.cache_folder == before  # osmnx's global setting is put back
