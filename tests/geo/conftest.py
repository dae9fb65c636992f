"""Fixtures for the geo tests: offline OSM extracts and a hand-made toy town."""

from __future__ import annotations

from pathlib import Path

import pytest

TOY_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="carerota-test">
{nodes}
  <way id="101"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="name" v="North Street"/></way>
  <way id="102"><nd ref="4"/><nd ref="5"/><nd ref="6"/><tag k="highway" v="residential"/><tag k="oneway" v="yes"/><tag k="name" v="One Way"/></way>
  <way id="103"><nd ref="7"/><nd ref="8"/><nd ref="9"/><tag k="highway" v="residential"/><tag k="name" v="South Street"/></way>
  <way id="104"><nd ref="1"/><nd ref="4"/><nd ref="7"/><tag k="highway" v="tertiary"/><tag k="maxspeed" v="20 mph"/></way>
  <way id="105"><nd ref="3"/><nd ref="6"/><nd ref="9"/><tag k="highway" v="residential"/></way>
  <way id="106"><nd ref="2"/><nd ref="5"/><nd ref="8"/><tag k="highway" v="motorway"/><tag k="maxspeed" v="70 mph"/></way>
  <way id="107"><nd ref="4"/><nd ref="8"/><tag k="highway" v="footway"/></way>
  <way id="108"><nd ref="10"/><nd ref="11"/><tag k="building" v="yes"/></way>
  <way id="109"><nd ref="20"/><nd ref="21"/><tag k="highway" v="residential"/><tag k="name" v="Cut-off Close"/></way>
</osm>
"""


def toy_nodes() -> dict[int, tuple[float, float]]:
    """A 3 x 3 grid of junctions ~110 m apart (id -> (lat, lon)), plus a building's corners."""
    nodes = {r * 3 + c + 1: (51.500 + 0.001 * (2 - r), -0.1000 + 0.0016 * c) for r in range(3) for c in range(3)}
    nodes[10], nodes[11] = (51.5005, -0.0990), (51.5006, -0.0991)
    nodes[20], nodes[21] = (51.5080, -0.1000), (51.5080, -0.0980)  # a street ~650 m north, not joined on
    return nodes


@pytest.fixture
def toy_osm(tmp_path: Path) -> Path:
    """An OSM XML town: row 2 (4->5->6) is one-way east; column 2 (2-5-8) is a motorway;
    a footway joins 4 and 8; way 108 is a building (not a road); way 109 (20-21) is a
    street the extract does not connect to the rest."""
    nodes = "\n".join(
        f'  <node id="{i}" lat="{lat:.7f}" lon="{lon:.7f}" version="1"/>' for i, (lat, lon) in toy_nodes().items()
    )
    path = tmp_path / "toy.osm"
    path.write_text(TOY_OSM.format(nodes=nodes))
    return path


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the user's ~/.cache: every test gets its own matrix cache."""
    folder = tmp_path_factory.mktemp("carerota-cache")
    monkeypatch.setenv("CAREROTA_CACHE", str(folder))
    return folder


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    from geo import bundled_extract

    return bundled_extract("helsinki")


@pytest.fixture(scope="session")
def test_pbf() -> Path:
    from geo import bundled_extract

    return bundled_extract("test")


def _osm(shared_dir: Path, name: str) -> Path:
    path = shared_dir / "data" / "osm" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared OSM extracts are not in this checkout)")
    return path


@pytest.fixture(scope="session")
def rutland(shared_dir: Path) -> Path:
    return _osm(shared_dir, "rutland-2018-02.osm.pbf")


@pytest.fixture(scope="session")
def isle_of_man(shared_dir: Path) -> Path:
    return _osm(shared_dir, "isle-of-man-2020-03-14.osm.pbf")


@pytest.fixture(scope="session")
def bristol(shared_dir: Path) -> Path:
    return _osm(shared_dir, "bristol-whitelion-fixture.osm.pbf")
