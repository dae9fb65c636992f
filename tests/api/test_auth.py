"""API keys: 401 without one, hashed at rest, and one tenant never sees another's jobs."""

from __future__ import annotations

import sqlite3

import pytest

from api.security import hash_key
from tests.api.conftest import carerota

PROTECTED = [
    ("POST", "/v1/solve"), ("POST", "/v1/jobs"), ("GET", "/v1/jobs"), ("GET", "/v1/jobs/x"),
    ("GET", "/v1/jobs/x/solution"), ("GET", "/v1/jobs/x/problem"), ("DELETE", "/v1/jobs/x"), ("POST", "/v1/jobs/x/cancel"),
    ("POST", "/v1/validate"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_no_key_is_401(service, method, path):
    r = service.client.request(method, path)
    assert r.status_code == 401
    assert "API key" in r.json()["detail"]
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("headers", [{"X-API-Key": "crk_wrong"}, {"Authorization": "Bearer crk_wrong"},
                                     {"Authorization": "Basic dXNlcjpwYXNz"}])
def test_bad_key_is_401(service, headers):
    assert service.client.get("/v1/jobs", headers=headers).status_code == 401


def test_both_header_styles_work(service):
    assert service.client.get("/v1/jobs", headers=service.a).status_code == 200
    assert service.client.get("/v1/jobs", headers={"Authorization": f"Bearer {service.key_a}"}).status_code == 200


def test_keys_are_stored_hashed(service):
    rows = service.db.read("SELECT key_hash, prefix FROM api_keys")
    stored = " ".join(f"{r['key_hash']} {r['prefix']}" for r in rows)
    assert service.key_a not in stored and service.key_b not in stored
    assert hash_key(service.key_a) in stored


def test_revoked_key_is_refused(service):
    from api.security import revoke_key

    assert revoke_key(service.db, service.key_b[:12]) == 1
    assert service.client.get("/v1/jobs", headers=service.b).status_code == 401
    assert service.client.get("/v1/jobs", headers=service.a).status_code == 200


def test_tenant_isolation(service, small_problem):
    c = service.client
    job = c.post("/v1/jobs?time_limit=1", content=small_problem.model_dump_json(), headers=service.a).json()
    done = service.wait(job["id"], service.a)
    assert done["state"] == "done"
    jid = job["id"]
    # B cannot see, fetch, or cancel A's job: indistinguishable from a job that does not exist
    for method, path in [("GET", f"/v1/jobs/{jid}"), ("GET", f"/v1/jobs/{jid}/solution"),
                         ("GET", f"/v1/jobs/{jid}/problem"), ("DELETE", f"/v1/jobs/{jid}"),
                         ("POST", f"/v1/jobs/{jid}/cancel")]:
        theirs = c.request(method, path, headers=service.b)
        nobody = c.request(method, path.replace(jid, "0" * 32), headers=service.b)
        assert theirs.status_code == nobody.status_code == 404, path
    assert c.get("/v1/jobs", headers=service.b).json()["jobs"] == []
    assert [j["id"] for j in c.get("/v1/jobs", headers=service.a).json()["jobs"]] == [jid]
    # and A's job is untouched by B's cancel attempt
    assert c.get(f"/v1/jobs/{jid}", headers=service.a).json()["state"] == "done"


def test_keys_create_cli(tmp_path):
    db = tmp_path / "keys.db"
    out = carerota("keys", "create", "--tenant", "Leicester Homecare", "--db", str(db))
    assert out.returncode == 0, out.stderr
    key = out.stdout.strip()
    assert key.startswith("crk_") and len(key) > 40
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT key_hash FROM api_keys").fetchone()
        (tenant,) = conn.execute("SELECT name FROM tenants").fetchone()
    assert stored == hash_key(key) and tenant == "Leicester Homecare"
    listed = carerota("keys", "list", "--db", str(db))
    assert "Leicester Homecare" in listed.stdout and key not in listed.stdout
    bad = carerota("keys", "create", "--tenant", "  ", "--db", str(db))
    assert bad.returncode == 2 and "tenant" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_bad_database_or_setting_is_exit_2(tmp_path):
    not_a_db = tmp_path / "text.db"
    not_a_db.write_text("this is not a database")
    out = carerota("keys", "create", "--tenant", "x", "--db", str(not_a_db))
    assert out.returncode == 2 and "--db" in out.stderr and "Traceback" not in out.stderr
    out = carerota("serve", "--workers", "0", "--db", str(tmp_path / "ok.db"))
    assert out.returncode == 2 and "workers" in out.stderr
