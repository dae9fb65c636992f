"""Schemathesis fuzzes every operation of the OpenAPI schema against a real server:
whatever the body, headers or query, the answer is never a 5xx."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis

from tests.api.conftest import Server, carerota


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    out = carerota("keys", "create", "--tenant", "fuzz", "--db", str(db))
    assert out.returncode == 0, out.stderr
    server = Server(db, env={"CAREROTA_SYNC_TIME_LIMIT": "2", "CAREROTA_JOB_TIME_LIMIT": "2",
                             "CAREROTA_JOB_GRACE_SECONDS": "20"}).start()
    server.key = out.stdout.strip()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    return schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis.settings(max_examples=20, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_no_server_errors(case, fuzz_server):
    response = case.call(headers={"X-API-Key": fuzz_server.key}, timeout=60)
    assert response.status_code < 500, f"{case.method} {case.path} -> {response.status_code}: {response.text[:300]}"
