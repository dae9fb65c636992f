from __future__ import annotations

import json

import pytest
from shapely.geometry import box

from optimiser.io import InputError
from patches.demand import ClientPlan, Demand, PlanVisit, Settlement
from patches.designs import (
    Design,
    Patch,
    assign_clients,
    design_geojson,
    load_design,
    nearest_town_groups,
    settlement_design,
)


def test_overlapping_patches_are_rejected_naming_both():
    with pytest.raises(InputError) as err:
        Design("d", [Patch("North", box(0, 0, 2, 2)), Patch("Centre", box(1, 1, 3, 3)), Patch("Far", box(5, 5, 6, 6))])
    msg = str(err.value)
    assert "'North'" in msg and "'Centre'" in msg and "overlap" in msg and "Far" not in msg


def test_touching_patches_are_fine():
    d = Design("d", [Patch("A", box(0, 0, 1, 1)), Patch("B", box(1, 0, 2, 1))])
    assert d.names() == ["A", "B"]


def test_overlap_rejected_when_loading_geojson(tmp_path):
    doc = design_geojson(Design("x", [Patch("A", box(0, 0, 1, 1)), Patch("B", box(2, 0, 3, 1))]))
    doc["features"][1]["geometry"] = json.loads(json.dumps(design_geojson(Design("y", [Patch("B", box(0.5, 0, 1.5, 1))]))["features"][0]["geometry"]))
    path = tmp_path / "d.geojson"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="patches 'A' and 'B' overlap"):
        load_design(path)


def test_client_outside_every_patch_is_reported_not_lost(demand, west_east):
    stray = ClientPlan(id="stray", lat=53.5, lon=-0.7, plan=[PlanVisit(days="daily", time="09:00", duration_minutes=30)])
    d = Demand(clients=[*demand.clients, stray])
    a = assign_clients(west_east, d)
    assert a.outside == ["stray"]
    assert set(a.patch_of) | set(a.outside) == {c.id for c in d.clients}
    assert a.members("West") and a.members("East")
    assert all(cid.startswith("w") for cid in a.members("West"))


def test_bad_design_documents_raise_clear_errors(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}))
    with pytest.raises(InputError, match="properties.name"):
        load_design(path)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "P"}, "geometry": {"type": "Point", "coordinates": [0, 0]}}]}))
    with pytest.raises(InputError, match="'P' must be a \\(Multi\\)Polygon"):
        load_design(path)
    with pytest.raises(InputError, match="does not exist"):
        load_design(tmp_path / "missing.geojson")
    with pytest.raises(InputError, match="duplicate patch name"):
        Design("d", [Patch("A", box(0, 0, 1, 1)), Patch("A", box(2, 0, 3, 1))])
    with pytest.raises(InputError, match="settlements"):
        load_design({"groups": {"A": ["X"]}})


def _places() -> list[Settlement]:
    return [
        Settlement(name="Westham", place="town", lat=52.60, lon=-0.70),
        Settlement(name="Eastbury", place="town", lat=52.60, lon=-0.55),
        Settlement(name="Wick", place="village", lat=52.63, lon=-0.68),
        Settlement(name="Ely End", place="village", lat=52.57, lon=-0.57),
        Settlement(name="Mid", place="hamlet", lat=52.65, lon=-0.61),
    ]


def test_settlement_groups_become_non_overlapping_polygons_covering_their_settlements():
    places = _places()
    groups = nearest_town_groups(places, ["Westham", "Eastbury"])
    assert groups == {"Westham side": ["Westham", "Wick"], "Eastbury side": ["Eastbury", "Ely End", "Mid"]}
    d = settlement_design(places, groups, name="towns")
    assert d.names() == ["Westham side", "Eastbury side"]
    from shapely.geometry import Point

    by_patch = {p.name: p.geometry for p in d.patches}
    for g, members in groups.items():
        for s in places:
            if s.name in members:
                assert by_patch[g].covers(Point(s.lon, s.lat))
    assert d.patches[0].geometry.intersection(d.patches[1].geometry).area < 1e-12
    with pytest.raises(InputError, match="unknown settlement"):
        settlement_design(places, {"A": ["Nowhere"]}, name="bad")
