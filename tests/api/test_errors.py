"""Bad input is a 4xx with a message naming the field, never a 500."""

from __future__ import annotations

import json

import pytest

from api.main import create_app
from api.settings import Settings
from tests.api.conftest import Service


def test_malformed_json_is_422(service):
    r = service.client.post("/v1/jobs", content=b'{"id": "x", "carers": [', headers={**service.a, "Content-Type": "application/json"})
    assert r.status_code == 422
    assert "JSON" in r.json()["message"]


def test_schema_error_names_the_field(service, small_problem):
    doc = json.loads(small_problem.model_dump_json())
    doc["visits"][2]["duration_minutes"] = -5
    r = service.client.post("/v1/jobs", json=doc, headers=service.a)
    assert r.status_code == 422
    body = r.json()
    assert body["detail"][0]["loc"] == ["body", "visits", 2, "duration_minutes"]
    assert "body.visits.2.duration_minutes: Input should be greater than 0" in body["message"]
    assert "input" not in body["detail"][0]  # the body is not echoed back


def test_reference_error_is_human(service, small_problem):
    doc = json.loads(small_problem.model_dump_json())
    doc["visits"][0]["client"] = "nobody"
    r = service.client.post("/v1/solve", json=doc, headers=service.a)
    assert r.status_code == 422
    assert "names unknown client 'nobody'" in r.json()["message"]


@pytest.mark.parametrize("body", [b"[]", b"null", b"42", b'"text"', b"{}"])
def test_wrong_document_shape_is_422(service, body):
    r = service.client.post("/v1/validate", content=body, headers={**service.a, "Content-Type": "application/json"})
    assert r.status_code == 422


def test_bad_query_is_422(service, small_problem):
    r = service.client.post("/v1/jobs?time_limit=-1", content=small_problem.model_dump_json(), headers=service.a)
    assert r.status_code == 422 and "query.time_limit" in r.json()["message"]


def test_body_over_limit_is_413(tmp_path, small_problem):
    from fastapi.testclient import TestClient

    from api.security import create_key

    app = create_app(Settings(db_path=tmp_path / "s.db", workers=1, max_body_bytes=2048))
    with TestClient(app) as client:
        key = create_key(app.state.db, "t")
        big = small_problem.model_dump_json().encode()
        assert len(big) > 2048
        r = client.post("/v1/jobs", content=big, headers={"X-API-Key": key, "Content-Type": "application/json"})
        assert r.status_code == 413 and "limit" in r.json()["detail"]

        def chunks():  # no Content-Length: counted while streaming
            for i in range(0, len(big), 512):
                yield big[i: i + 512]

        r = client.post("/v1/jobs", content=chunks(), headers={"X-API-Key": key, "Content-Type": "application/json"})
        assert r.status_code == 413
        assert app.state.db.read("SELECT COUNT(*) AS n FROM jobs WHERE state = 'queued'")[0]["n"] == 0


def test_full_queue_is_429_with_retry_after_and_fair_between_tenants(service: Service, example):
    # one worker; a tenant may queue 3 jobs, the server 4: A fills its share behind a running job
    body = example.model_dump_json()
    codes = [service.client.post("/v1/jobs?time_limit=5", content=body, headers=service.a).status_code for _ in range(6)]
    assert codes[:3] == [202] * 3  # the fourth may start running first and free a place
    assert 429 in codes
    r = service.client.post("/v1/jobs", content=body, headers=service.a)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["detail"].startswith("you already have 3 jobs waiting (at most 3 per tenant)")
    # A's flood does not stop B: its first job is accepted
    first_b = service.client.post("/v1/jobs?time_limit=5", content=body, headers=service.b)
    assert first_b.status_code == 202
    # now the server's queue (4) is full: B is told so, with nothing about A's jobs
    r = service.client.post("/v1/jobs", content=body, headers=service.b)
    assert r.status_code == 429 and r.json()["detail"].startswith("the service is busy; retry in")
    for headers in (service.a, service.b):
        for job in service.client.get("/v1/jobs", headers=headers).json()["jobs"]:
            service.client.delete(f"/v1/jobs/{job['id']}", headers=headers)


def test_full_queue_refuses_before_validating_the_body(service: Service, example):
    body = example.model_dump_json()
    while service.client.post("/v1/jobs?time_limit=5", content=body, headers=service.a).status_code == 202:
        pass
    # an invalid body still gets 429, not 422: nothing was parsed; a stranger still gets 401
    r = service.client.post("/v1/jobs", content=json.dumps({"id": "x"}), headers=service.a)
    assert r.status_code == 429 and "retry-after" in r.headers
    assert service.client.post("/v1/solve", content=body, headers=service.a).status_code == 429
    assert service.client.post("/v1/jobs", content=body, headers={"Content-Type": "application/json"}).status_code == 401
    for job in service.client.get("/v1/jobs", headers=service.a).json()["jobs"]:
        service.client.delete(f"/v1/jobs/{job['id']}", headers=service.a)


def test_unexpected_error_is_500_and_logged_without_its_message(service, caplog, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("Mrs Example, 1 Private Road")  # data that must not reach the logs

    monkeypatch.setattr(service.client.app.state.db, "schema_version", boom)
    with caplog.at_level("ERROR"):
        r = service.client.get("/health")
    assert r.status_code == 500 and r.json() == {"detail": "internal error"}
    assert "unhandled RuntimeError" in caplog.text
    assert "Private Road" not in caplog.text


def test_times_with_a_zone_are_422_not_500(service, small_problem):
    """Roster times are local (naive); an offset is refused with the field named."""
    doc = json.loads(small_problem.model_dump_json())
    doc["visits"][0]["window"]["start"] += "Z"
    doc["carers"][0]["shifts"][0]["end"] += "+01:00"
    for path in ("/v1/solve", "/v1/jobs"):
        r = service.client.post(path, json=doc, headers=service.a)
        assert r.status_code == 422
        assert "body.visits.0.window.start: '2026-11-23T08:00:00Z' has a time zone ('Z')" in r.json()["message"]
    assert service.client.post("/v1/validate", json={"problem": doc, "solution": {"problem_id": "x", "status": "partial"}},
                               headers=service.a).status_code == 422


def test_osm_file_outside_the_allowed_folders_is_refused(service, small_problem, tmp_path) -> None:
    """A tenant cannot make the server read an arbitrary file as a road network."""
    secret = tmp_path / "secret.osm.pbf"
    secret.write_bytes(b"not yours")
    doc = small_problem.model_dump(mode="json")
    doc["travel"] = {"road_network": {"osm_file": str(secret)}}
    for path in ("/v1/solve", "/v1/jobs"):
        r = service.client.post(path, json=doc, headers=service.a)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "travel", "road_network", "osm_file"]
        assert "not one of this server's OSM extracts" in r.json()["message"]
    assert service.client.get("/v1/jobs", headers=service.a).json()["jobs"] == []
