"""Health, schema, example, docs and the viewer page."""

from __future__ import annotations

from optimiser.model import Problem, Solution


def test_health_reports_database_and_queue(service):
    body = service.client.get("/health").json()
    assert body["status"] == "ok"
    assert body["schema_version"] >= 1
    assert body["workers"] == 1
    assert set(body["jobs"]) == {"queued", "running", "done", "failed", "cancelled"}


def test_schema_is_the_core_models_schema(service):
    both = service.client.get("/v1/schema").json()
    assert both["problem"] == Problem.model_json_schema()
    assert both["solution"] == Solution.model_json_schema()
    assert service.client.get("/v1/schema?document=problem").json() == Problem.model_json_schema()
    assert service.client.get("/v1/schema?document=nonsense").status_code == 422


def test_example_is_the_embedded_day(service, example):
    got = Problem.model_validate(service.client.get("/v1/example").json())
    assert got == example


def test_openapi_uses_core_models_and_documents_auth(service):
    spec = service.client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"Problem", "Solution", "Visit", "Job", "ValidationReport"} <= set(schemas)
    assert spec["paths"]["/v1/solve"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Problem")
    assert {"APIKeyHeader", "HTTPBearer"} <= set(spec["components"]["securitySchemes"])
    assert service.client.get("/docs").status_code == 200


def test_viewer_page_and_modules_are_served_offline(service):
    page = service.client.get("/")
    assert page.status_code == 200 and "roster viewer" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    # no CDN: every script and stylesheet is local
    assert "http://" not in page.text.replace("http://www.w3.org", "") and "https://cdn" not in page.text
    for module in ("app", "api", "gantt", "map", "panels", "svg"):
        r = service.client.get(f"/static/js/{module}.js")
        assert r.status_code == 200 and "javascript" in r.headers["content-type"], module
    assert "OpenStreetMap contributors" in page.text
