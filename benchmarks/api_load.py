"""Load benchmark of the HTTP service, with locust as a library, loopback only.

Two tenants share one server. The "flood" tenant's N-1 simulated coordinators each loop
without pause: submit the embedded example day to ``POST /v1/jobs``, poll
``GET /v1/jobs/{id}`` every 0.5 s until it finishes, fetch the roster. The "quiet"
tenant's one coordinator does the same, one job at a time, after a pause. A 429 (a full
queue, or the tenant's rate limit) is the service protecting itself: counted, honoured
via Retry-After, not an error; anything else non-2xx is an error. The question beside
throughput: does the flood stop the quiet tenant's jobs (its 429s, and how long its jobs
wait in the queue)? Memory is the resident set of the whole server tree (web process,
forkserver, solver and task processes), sampled every second. Every roster fetched is
validated afterwards (zero violations expected).

    python -m benchmarks.api_load --users 20 --duration 60 --workers 1
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
from locust import HttpUser, constant, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

POLL = "GET /v1/jobs/{id}"
FINISHED = {"done", "failed", "cancelled"}


class Tally:
    """What one tenant's coordinators saw."""

    def __init__(self) -> None:
        self.key = ""
        self.queue_full = 0  # 429: the tenant's (or the server's) queue is full
        self.rate_limited = 0  # 429: over the key's requests a minute
        self.done: list[str] = []
        self.outcomes: dict[str, int] = {}
        self.poll_ms: list[float] = []


class Shared:
    body = b""
    time_limit = 5.0
    tenants = {"flood": Tally(), "quiet": Tally()}


def _throttled(r, tally: Tally) -> bool:
    """Honour a 429 (deliberate back-pressure, not an error); True when it was one."""
    if r.status_code != 429:
        return False
    r.success()
    if "rate limit" in r.text:
        tally.rate_limited += 1
    else:
        tally.queue_full += 1
    gevent.sleep(float(r.headers.get("Retry-After", "1")))
    return True


class _Coordinator(HttpUser):
    abstract = True
    tenant = "flood"
    wait_time = constant(0)

    @task
    def solve_example(self) -> None:
        tally = Shared.tenants[self.tenant]
        headers = {"X-API-Key": tally.key, "Content-Type": "application/json"}
        with self.client.post(
            "/v1/jobs",
            params={"time_limit": Shared.time_limit},
            data=Shared.body,
            headers=headers,
            name=f"POST /v1/jobs ({self.tenant})",
            catch_response=True,
        ) as r:
            if _throttled(r, tally):
                return
            if r.status_code != 202:
                r.failure(f"status {r.status_code} {r.error or ''}".strip())
                return
            job_id = r.json()["id"]
        state = "queued"
        while state not in FINISHED:
            gevent.sleep(0.5)
            t = time.perf_counter()
            with self.client.get(
                f"/v1/jobs/{job_id}", headers=headers, name=POLL, catch_response=True
            ) as r:
                if _throttled(r, tally):
                    continue
                tally.poll_ms.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    r.failure(f"status {r.status_code} {r.error or ''}".strip())
                    return
                state = r.json()["state"]
        tally.outcomes[state] = tally.outcomes.get(state, 0) + 1
        if state == "done":
            with self.client.get(f"/v1/jobs/{job_id}/solution", headers=headers,
                                 name="GET /v1/jobs/{id}/solution", catch_response=True) as r:
                if _throttled(r, tally):
                    return
                if r.status_code == 200:
                    tally.done.append(job_id)


class FloodCoordinator(_Coordinator):
    tenant = "flood"


class QuietCoordinator(_Coordinator):
    tenant = "quiet"
    fixed_count = 1
    wait_time = constant(2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree_rss(pid: int) -> tuple[int, int, int]:
    """(web process RSS, whole tree RSS, processes) in bytes."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0, 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return root.memory_info().rss, total, len(procs)


def run(users: int, duration: float, workers: int, queue_limit: int, time_limit: float) -> dict:
    from api.db import Database
    from api.security import create_key
    from optimiser.generator import example_problem

    tmp = Path(tempfile.mkdtemp(prefix="carerota-load-"))
    db = Database(tmp / "load.db")
    db.migrate()
    for name, tally in Shared.tenants.items():
        tally.key = create_key(db, name)
    problem = example_problem()
    Shared.body = problem.model_dump_json().encode()
    Shared.time_limit = time_limit
    port = _free_port()
    env = {**os.environ, "CAREROTA_TENANT_QUEUE_LIMIT": str(queue_limit)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "optimiser.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            str(db.path),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        stdout=(tmp / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    host = f"http://127.0.0.1:{port}"
    samples: list[tuple[int, int, int]] = []
    try:
        import requests

        for _ in range(150):
            try:
                if requests.get(host + "/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start: " + (tmp / "server.log").read_text())
        idle = _tree_rss(server.pid)

        environment = Environment(user_classes=[FloodCoordinator, QuietCoordinator], host=host, events=events)
        runner = environment.create_local_runner()

        def sample() -> None:
            while True:
                samples.append(_tree_rss(server.pid))
                gevent.sleep(1)

        sampler = gevent.spawn(sample)
        runner.start(users, spawn_rate=users)
        gevent.sleep(duration)
        runner.quit()
        sampler.kill()
        stats = environment.stats
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()

    # validate every roster fetched, from the database (the server is gone)
    from api.db import unpack
    from optimiser.model import Solution
    from optimiser.validator import validate

    violations = 0
    for tally in Shared.tenants.values():
        for job_id in tally.done:
            row = db.read("SELECT solution FROM jobs WHERE id = ?", (job_id,))[0]
            violations += len(
                validate(problem, Solution.model_validate_json(unpack(row["solution"]))).violations
            )

    by_name = {e.name: e for e in stats.entries.values()}
    errors = {f"{e.method} {e.name}: {e.error}": e.occurrences for e in stats.errors.values()}
    poll = by_name.get(POLL)
    polls = sorted(ms for t in Shared.tenants.values() for ms in t.poll_ms)
    per_tenant = {}
    for name, tally in Shared.tenants.items():
        submits = by_name.get(f"POST /v1/jobs ({name})")
        waits = sorted(
            r["wait"] for r in db.read(
                "SELECT (julianday(j.started_at) - julianday(j.created_at)) * 86400 AS wait FROM jobs j "
                "JOIN tenants t ON t.id = j.tenant_id WHERE t.name = ? AND j.started_at IS NOT NULL", (name,))
        )
        per_tenant[name] = {
            "jobs_accepted": (submits.num_requests if submits else 0) - tally.queue_full,
            "queue_full_429": tally.queue_full,
            "rate_limited_429": tally.rate_limited,
            "jobs_finished": tally.outcomes,
            "rosters_fetched": len(tally.done),
            "queue_wait_median_s": statistics.median(waits) if waits else None,
            "queue_wait_max_s": waits[-1] if waits else None,
        }
    return {
        "users": users,
        "duration_s": duration,
        "workers": workers,
        "queue_limit": queue_limit,
        "time_limit_s": time_limit,
        "cpu_cores": os.cpu_count(),
        "requests": sum(e.num_requests for e in stats.entries.values()),
        "errors": errors,
        "tenants": per_tenant,
        "roster_violations": violations,
        "poll_requests": poll.num_requests if poll else 0,
        "poll_median_ms": statistics.median(polls) if polls else None,
        "poll_p95_ms": polls[int(0.95 * (len(polls) - 1))] if polls else None,
        "poll_max_ms": polls[-1] if polls else None,
        "rss_idle_mb": idle[1] / 2**20,
        "rss_web_peak_mb": max(s[0] for s in samples) / 2**20 if samples else None,
        "rss_tree_peak_mb": max(s[1] for s in samples) / 2**20 if samples else None,
        "processes_peak": max(s[2] for s in samples) if samples else None,
    }


def markdown(r: dict) -> str:
    flood, quiet = r["tenants"]["flood"], r["tenants"]["quiet"]

    def jobs(t: dict) -> str:
        wait = f"; queue wait median {t['queue_wait_median_s']:.1f} s, max {t['queue_wait_max_s']:.1f} s" \
            if t["queue_wait_median_s"] is not None else ""
        return (f"{t['jobs_accepted']} accepted / {sum(t['jobs_finished'].values())} finished "
                f"{t['jobs_finished']}; 429: {t['queue_full_429']} queue full, {t['rate_limited_429']} rate limit{wait}")

    rows = [
        ("Simulated coordinators", f"{r['users']} ({r['users'] - 1} of the flood tenant, 1 of the quiet tenant)"),
        ("Duration", f"{r['duration_s']:.0f} s"),
        ("Solver workers / cores", f"{r['workers']} / {r['cpu_cores']}"),
        ("Queue limit (per tenant)", r["queue_limit"]),
        ("Solve time limit", f"{r['time_limit_s']:g} s (embedded example, 300 visits, 40 carers)"),
        ("HTTP requests", r["requests"]),
        ("Errors (non-429)", sum(r["errors"].values()) if r["errors"] else 0),
        ("Flood tenant: jobs", jobs(flood)),
        ("Quiet tenant: jobs", jobs(quiet)),
        ("Rosters fetched / violations",
         f"{flood['rosters_fetched'] + quiet['rosters_fetched']} / {r['roster_violations']}"),
        ("Status polls while solving", r["poll_requests"]),
        (
            "Poll latency median / p95 / max",
            f"{r['poll_median_ms']:.1f} / {r['poll_p95_ms']:.1f} / {r['poll_max_ms']:.1f} ms"
            if r["poll_median_ms"]
            else "-",
        ),
        ("Server RSS idle", f"{r['rss_idle_mb']:.0f} MB (web + forkserver)"),
        (
            "Server RSS peak: web process / whole tree",
            f"{r['rss_web_peak_mb']:.0f} / {r['rss_tree_peak_mb']:.0f} MB "
            f"({r['processes_peak']} processes)",
        ),
    ]
    return "| Measure | Value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--queue-limit", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=5)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    result = run(args.users, args.duration, args.workers, args.queue_limit, args.time_limit)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print(markdown(result))
    quiet = result["tenants"]["quiet"]
    fair = quiet["queue_full_429"] == 0 and quiet["jobs_finished"].get("done", 0) >= 1
    return 0 if not result["errors"] and result["roster_violations"] == 0 and fair else 1


if __name__ == "__main__":
    sys.exit(main())
