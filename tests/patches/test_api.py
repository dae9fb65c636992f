"""POST /v1/patches/evaluate (the pure function behind it is patches.service.evaluate_request)."""

from __future__ import annotations

import json
import math

import pytest

from patches.designs import design_geojson

api_main = pytest.importorskip("api.main")


@pytest.fixture
def client(tmp_path):
    from fastapi.testclient import TestClient

    from api.security import create_key
    from api.settings import Settings

    app = api_main.create_app(Settings(db_path=tmp_path / "api.db", workers=1))
    with TestClient(app, raise_server_exceptions=False) as c:
        key = create_key(app.state.db, "Council")
        c.headers.update({"X-API-Key": key})
        yield c


def test_evaluate_endpoint(client, demand, supply, west_east):
    body = {
        "demand": json.loads(demand.model_dump_json()),
        "design": design_geojson(west_east),
        "settings": {"time_limit": 1.0, "search_carers": False},
        "supply": supply.model_dump(),
    }
    r = client.post("/v1/patches/evaluate", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert [p["patch"] for p in out["patches"]] == ["West", "East"]
    t = out["totals"]
    assert math.isclose(t["hours_demanded"], t["hours_delivered"] + t["hours_undeliverable"])
    assert set(out["equity"]) == {"rural", "urban"}


def test_evaluate_endpoint_rejects_overlapping_patches(client, demand):
    square = [[[-1, 52], [0, 52], [0, 53], [-1, 53], [-1, 52]]]
    shifted = [[[-0.5, 52], [0.5, 52], [0.5, 53], [-0.5, 53], [-0.5, 52]]]
    design = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "A"}, "geometry": {"type": "Polygon", "coordinates": square}},
        {"type": "Feature", "properties": {"name": "B"}, "geometry": {"type": "Polygon", "coordinates": shifted}},
    ]}
    r = client.post("/v1/patches/evaluate", json={"demand": json.loads(demand.model_dump_json()), "design": design})
    assert r.status_code == 422
    assert "patches 'A' and 'B' overlap" in r.json()["message"]
    r = client.post("/v1/patches/evaluate", json={"demand": {"clients": []}, "design": design, "bogus": 1})
    assert r.status_code == 422


def test_evaluate_endpoint_names_an_unknown_employment_model(client, demand, west_east):
    body = {"demand": json.loads(demand.model_dump_json()), "design": design_geojson(west_east),
            "settings": {"employment": ["zero_hours", "salaried"]}}
    r = client.post("/v1/patches/evaluate", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:4] == ["body", "settings", "employment", 1]
    assert "unknown employment model 'salaried'; choose from zero_hours" in r.json()["message"]
