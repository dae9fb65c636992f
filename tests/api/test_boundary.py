"""The input boundary, as a hostile or careless client meets it: sizes, numbers, paths.

Each test reproduces a defect found by probing the service (issue 13) and asserts the
answer it now gets: a 4xx naming the field or the limit, never a 500, never a file read
outside the operator's folders, never a large allocation.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from api.main import create_app
from api.security import create_key
from api.settings import Settings
from optimiser.model import Problem

ENDPOINTS = ("/v1/solve", "/v1/jobs", "/v1/validate")


def _post(service, path: str, problem_doc: dict, headers=None):
    """Post a problem document to ``path`` (wrapped as ``{problem, solution}`` for validate)."""
    body = problem_doc
    if path == "/v1/validate":
        body = {"problem": problem_doc, "solution": {"problem_id": problem_doc.get("id", "x"), "status": "partial"}}
    return service.client.post(path, content=json.dumps(body), headers=headers or service.a)


def _huge(small_problem: Problem, visits: int) -> dict:
    doc = small_problem.model_dump(mode="json")
    visit = doc["visits"][0]
    doc["visits"] = [{**visit, "id": f"v{i}"} for i in range(visits)]
    return doc


def test_fifty_thousand_visits_is_413_and_nothing_large_is_allocated(service, small_problem):
    body = json.dumps(_huge(small_problem, 50_000)).encode()
    assert 5_000_000 < len(body) < 20 * 1024 * 1024  # under the byte limit: the size limit must catch it
    tracemalloc.start()
    try:
        r = service.client.post("/v1/jobs", content=body, headers=service.a)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 413, r.text
    assert r.json()["detail"] == "visits: 50,000 visits is more than the limit of 5,000 (CAREROTA_MAX_VISITS)"
    # the web process holds the body and little else (the 50,040^2 matrix was 18.7 GiB): the
    # size limit refuses it before anything grows with it (how fast: benchmarks/RESULTS.md,
    # "Large bodies", measured, not asserted on a shared machine)
    assert peak < 100 * 1024 * 1024
    assert service.client.get("/v1/jobs", headers=service.a).json()["jobs"] == []


@pytest.mark.parametrize("path", ENDPOINTS)
def test_size_limits_name_the_field_and_setting(tmp_path, small_problem, path):
    app = create_app(Settings(db_path=tmp_path / "s.db", workers=1, max_visits=10, max_carers=3,
                              max_clients=5, max_matrix_points=4))
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        headers = {"X-API-Key": create_key(app.state.db, "t")}
        doc = small_problem.model_dump(mode="json")
        body = doc if path != "/v1/validate" else {"problem": doc, "solution": {"problem_id": "x", "status": "partial"}}
        r = client.post(path, json=body, headers=headers)
        assert r.status_code == 413
        prefix = "problem." if path == "/v1/validate" else ""
        assert r.json()["detail"].startswith(f"{prefix}visits: 20 visits is more than the limit of 10")
        doc["visits"] = doc["visits"][:10]
        doc["travel"] = {"matrix": {"points": [f"p{i}" for i in range(5)], "minutes": {}}}
        body = doc if path != "/v1/validate" else {"problem": doc, "solution": {"problem_id": "x", "status": "partial"}}
        r = client.post(path, json=body, headers=headers)
        assert r.status_code == 413 and "CAREROTA_MAX_CARERS" in r.json()["detail"]


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("carers", 0, "hourly_wage"), float("nan")),
        (("carers", 0, "hourly_wage"), 0),
        (("carers", 0, "hourly_wage"), -12.5),
        (("policy", "drop_penalty", "normal"), float("inf")),
        (("policy", "drop_penalty", "normal"), -1),
        (("travel", "haversine", "speed_kmh", "car"), 0),
        (("travel", "haversine", "speed_kmh", "walk"), float("nan")),
        (("options", "time_limit_seconds"), float("inf")),
        (("options", "time_limit_seconds"), 0),
        (("options", "time_limit_seconds"), -5),
    ],
)
def test_non_finite_zero_and_negative_numbers_are_422_naming_the_field(service, small_problem, where, value):
    doc = small_problem.model_dump(mode="json")
    node = doc
    for key in where[:-1]:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
    node[where[-1]] = value
    for path in ENDPOINTS:
        r = _post(service, path, doc)  # json.dumps writes NaN / Infinity, as careless clients do
        assert r.status_code == 422, (path, r.text)
        field = ".".join(str(k) for k in where)
        assert field in r.json()["message"], r.json()["message"]


def test_matrix_cells_must_be_finite_and_not_negative(service, small_problem):
    doc = small_problem.model_dump(mode="json")
    points = [c["id"] for c in doc["carers"]] + [c["id"] for c in doc["clients"]]
    n = len(points)
    for bad in (float("nan"), float("inf"), -1.0):
        cells = [[0.0] * n for _ in range(n)]
        cells[0][1] = bad
        doc["travel"] = {"matrix": {"points": points, "minutes": {"car": cells, "walk": cells, "bike": cells}}}
        r = _post(service, "/v1/jobs", doc)
        assert r.status_code == 422 and "travel.matrix" in r.json()["message"], r.text


# --------------------------------------------------------------------------- OSM files


@pytest.fixture
def allowed(tmp_path) -> Path:
    folder = tmp_path / "extracts"
    folder.mkdir()
    (folder / "inside.osm.pbf").write_bytes(b"not really an extract")
    return folder


@pytest.fixture
def guarded(tmp_path, allowed):
    """A service whose only allowed OSM folder is ``allowed``."""
    from fastapi.testclient import TestClient

    app = create_app(Settings(db_path=tmp_path / "g.db", workers=1, osm_dirs=[allowed], sync_time_limit=5))
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers.update({"X-API-Key": create_key(app.state.db, "t")})
        yield client


def _outside_paths(tmp_path: Path, allowed: Path) -> dict[str, str]:
    secret = tmp_path / "secret.osm.pbf"
    secret.write_bytes(b"someone else's")
    link = allowed / "link.osm.pbf"
    link.symlink_to(secret)
    return {
        "outside file": str(secret),
        "missing outside file": str(tmp_path / "missing.osm.pbf"),
        "not an extract": "/etc/passwd",
        "$HOME": "$HOME/secret.osm.pbf",
        "${HOME}": "${HOME}/secret.osm.pbf",
        "~": "~/secret.osm.pbf",
        "symlink out": str(link),
        "dot-dot": str(allowed / ".." / "secret.osm.pbf"),
        "NUL": str(allowed / "inside.osm.pbf") + "\x00.txt",
        "5,000 characters": "/" + "a" * 4_999,
        "long component": str(allowed / ("b" * 300 + ".osm.pbf")),
    }


@pytest.mark.parametrize("path", [*ENDPOINTS, "/v1/patches/evaluate"])
def test_osm_paths_outside_the_allowed_folders_are_422_and_tell_nothing(guarded, small_problem, tmp_path, allowed, path):
    messages = {}
    for case, value in _outside_paths(tmp_path, allowed).items():
        if path == "/v1/patches/evaluate":
            body = {"demand": {"clients": []}, "design": {"type": "FeatureCollection", "features": []},
                    "settings": {"osm_file": value}}
            field = ["body", "settings", "osm_file"]
        else:
            doc = small_problem.model_dump(mode="json")
            doc["travel"] = {"road_network": {"osm_file": value}}
            body = doc if path != "/v1/validate" else {"problem": doc, "solution": {"problem_id": "x", "status": "partial"}}
            field = ["body", *(["problem"] if path == "/v1/validate" else []), "travel", "road_network", "osm_file"]
        r = guarded.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})
        assert r.status_code == 422, (case, r.status_code, r.text)
        assert r.json()["detail"][0]["loc"] == field, (case, r.json())
        messages[case] = r.json()["message"]
    # whether an outside file exists, or what it holds, is not revealed
    assert messages["outside file"].replace(str(tmp_path / "secret.osm.pbf"), "X") == \
        messages["missing outside file"].replace(str(tmp_path / "missing.osm.pbf"), "X")
    for text in messages.values():
        assert "no such file" not in text and "unknown file type" not in text
    assert guarded.get("/v1/jobs").json()["jobs"] == []


def test_an_allowed_extract_passes_the_check(guarded, small_problem, allowed):
    doc = small_problem.model_dump(mode="json")
    doc["travel"] = {"road_network": {"osm_file": str(allowed / "inside.osm.pbf"), "modes": ["car"]}}
    r = guarded.post("/v1/jobs", json=doc)
    assert r.status_code == 202, r.text  # it fails later, in the solver, as a bad extract


def test_place_lookups_are_refused_unless_the_server_allows_them(guarded, small_problem):
    doc = small_problem.model_dump(mode="json")
    doc["travel"] = {"road_network": {"place": "Oakham, UK", "modes": ["car"]}}
    for path in ENDPOINTS:
        body = doc if path != "/v1/validate" else {"problem": doc, "solution": {"problem_id": "x", "status": "partial"}}
        r = guarded.post(path, json=body)
        assert r.status_code == 422, r.text
        assert "does not look places up online" in r.json()["message"]
