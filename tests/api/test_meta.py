"""Health, schema, example, docs and the viewer page."""

from __future__ import annotations

import pytest

from optimiser.model import Problem, Solution


def test_health_reports_the_database_and_nothing_about_jobs(service, small_problem):
    # a tenant's job exists; an anonymous health check must not learn of it
    assert service.client.post("/v1/jobs?time_limit=1", content=small_problem.model_dump_json(),
                               headers=service.a).status_code == 202
    body = service.client.get("/health").json()
    assert body["status"] == "ok"
    assert body["schema_version"] >= 1
    assert set(body) == {"status", "version", "schema_version"}


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


def test_every_response_carries_the_security_headers(service, small_problem):
    answers = {
        "viewer": service.client.get("/"),
        "viewer file": service.client.get("/static/index.html"),
        "docs": service.client.get("/docs"),
        "health": service.client.get("/health"),
        "jobs": service.client.get("/v1/jobs", headers=service.a),
        "401": service.client.get("/v1/jobs"),
        "404": service.client.get("/v1/jobs/nope", headers=service.a),
        "422": service.client.post("/v1/jobs", content=b"{", headers=service.a),
        "script": service.client.get("/static/js/app.js"),
    }
    for name, r in answers.items():
        assert "default-src 'self'" in r.headers["content-security-policy"], name
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], name
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert r.headers["referrer-policy"] == "no-referrer", name
    for name in ("viewer", "docs", "health", "jobs", "401", "404", "422"):
        assert answers[name].headers["cache-control"] == "no-store", name
    # the viewer's own page allows no inline script
    assert "script-src 'self';" in answers["viewer file"].headers["content-security-policy"]


def test_docs_page_needs_no_cdn(service):
    page = service.client.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text  # every asset from this server
    for asset in ("/static/swagger/swagger-ui-bundle.js", "/static/swagger/swagger-ui.css", "/static/js/docs.js"):
        assert asset in page.text
        r = service.client.get(asset)
        assert r.status_code == 200 and len(r.content) > 100, asset
    assert "<script>" not in page.text  # no inline script: the CSP forbids it


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("POST", "/v1/jobs/abc", {"GET", "DELETE"}),
    ("PUT", "/v1/jobs", {"GET", "POST"}),
    ("GET", "/v1/solve", {"POST"}),
    ("DELETE", "/health", {"GET"}),
])
def test_405_names_every_method_of_the_path(service, method, path, allowed):
    r = service.client.request(method, path, headers=service.a)
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) == allowed
    for other in allowed:  # and each named method is really answered (not 405)
        assert service.client.request(other, path, headers=service.a).status_code != 405


def test_openapi_declares_one_422_model_that_the_answers_match(service, small_problem):
    spec = service.client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "Invalid" in schemas
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            answer = operation["responses"].get("422")
            if answer:
                assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Invalid"}, (method, path)
    for path in ("/v1/validate", "/v1/patches/evaluate", "/v1/jobs", "/v1/solve"):
        ref = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.split("/")[-1] in schemas
    # the patch designer's 422 has the declared shape (detail list + message)
    r = service.client.post("/v1/patches/evaluate", json={"demand": {"clients": []}, "design": {}}, headers=service.a)
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], list) and isinstance(r.json()["message"], str)


def _keywords(schema, found: set[str], path: str = "") -> None:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in ("gt", "ge", "lt", "le", "format") and not isinstance(value, dict):
                found.add(f"{path}/{key}={value}")
            _keywords(value, found, f"{path}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            _keywords(value, found, f"{path}/{i}")


def test_schemas_state_bounds_in_json_schema_terms(service):
    """pydantic writes a bound it could not place as its own name ('gt': 0), which JSON
    Schema ignores: the schema then allows 0 and a client following it gets a 422. And no
    'format: date-time' (times are local, a zone is refused)."""
    found: set[str] = set()
    _keywords(service.client.get("/openapi.json").json(), found)
    _keywords(service.client.get("/v1/schema").json(), found)
    assert not {f for f in found if f.endswith("format=date-time") or f.split("/")[-1][:2] in ("gt", "ge", "lt", "le")}, found
