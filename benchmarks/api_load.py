"""Load benchmark of the HTTP service (issue 4), with locust as a library, loopback only.

N simulated coordinators each loop: submit the embedded example day to ``POST /v1/jobs``,
poll ``GET /v1/jobs/{id}`` every 0.5 s until it finishes, fetch the roster. A full queue's
429 is the service protecting itself (counted, honoured via Retry-After, not an error);
anything else non-2xx is an error. Memory is the resident set of the whole server tree
(web process, forkserver, solver processes), sampled every second. Every roster fetched
is validated afterwards (zero violations expected).

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


class Shared:
    body = b""
    key = ""
    time_limit = 5.0
    throttled = 0
    done: list[str] = []
    outcomes: dict[str, int] = {}
    poll_ms: list[float] = []


class Coordinator(HttpUser):
    wait_time = constant(0)

    @task
    def solve_example(self) -> None:
        headers = {"X-API-Key": Shared.key, "Content-Type": "application/json"}
        with self.client.post(
            "/v1/jobs",
            params={"time_limit": Shared.time_limit},
            data=Shared.body,
            headers=headers,
            name="POST /v1/jobs",
            catch_response=True,
        ) as r:
            if r.status_code == 429:
                r.success()  # deliberate back-pressure
                Shared.throttled += 1
                gevent.sleep(float(r.headers.get("Retry-After", "1")))
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
                Shared.poll_ms.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    r.failure(f"status {r.status_code} {r.error or ''}".strip())
                    return
                state = r.json()["state"]
        Shared.outcomes[state] = Shared.outcomes.get(state, 0) + 1
        if state == "done":
            r = self.client.get(
                f"/v1/jobs/{job_id}/solution", headers=headers, name="GET /v1/jobs/{id}/solution"
            )
            if r.status_code == 200:
                Shared.done.append(job_id)


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
    Shared.key = create_key(db, "load")
    problem = example_problem()
    Shared.body = problem.model_dump_json().encode()
    Shared.time_limit = time_limit
    port = _free_port()
    env = {**os.environ, "CAREROTA_QUEUE_LIMIT": str(queue_limit)}
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

        environment = Environment(user_classes=[Coordinator], host=host, events=events)
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
        health = requests.get(host + "/health", timeout=5).json()
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
    for job_id in Shared.done:
        row = db.read("SELECT solution FROM jobs WHERE id = ?", (job_id,))[0]
        violations += len(
            validate(problem, Solution.model_validate_json(unpack(row["solution"]))).violations
        )

    by_name = {e.name: e for e in stats.entries.values()}
    errors = {f"{e.method} {e.name}: {e.error}": e.occurrences for e in stats.errors.values()}
    poll = by_name.get(POLL)
    polls = sorted(Shared.poll_ms)
    return {
        "users": users,
        "duration_s": duration,
        "workers": workers,
        "queue_limit": queue_limit,
        "time_limit_s": time_limit,
        "cpu_cores": os.cpu_count(),
        "requests": sum(e.num_requests for e in stats.entries.values()),
        "errors": errors,
        "throttled_429": Shared.throttled,
        "jobs_submitted": by_name["POST /v1/jobs"].num_requests - Shared.throttled
        if "POST /v1/jobs" in by_name
        else 0,
        "jobs_finished": Shared.outcomes,
        "rosters_fetched": len(Shared.done),
        "roster_violations": violations,
        "poll_requests": poll.num_requests if poll else 0,
        "poll_median_ms": statistics.median(polls) if polls else None,
        "poll_p95_ms": polls[int(0.95 * (len(polls) - 1))] if polls else None,
        "poll_max_ms": polls[-1] if polls else None,
        "rss_idle_mb": idle[1] / 2**20,
        "rss_web_peak_mb": max(s[0] for s in samples) / 2**20 if samples else None,
        "rss_tree_peak_mb": max(s[1] for s in samples) / 2**20 if samples else None,
        "processes_peak": max(s[2] for s in samples) if samples else None,
        "jobs_at_end": health["jobs"],
    }


def markdown(r: dict) -> str:
    rows = [
        ("Simulated coordinators", r["users"]),
        ("Duration", f"{r['duration_s']:.0f} s"),
        ("Solver workers / cores", f"{r['workers']} / {r['cpu_cores']}"),
        ("Queue limit", r["queue_limit"]),
        ("Solve time limit", f"{r['time_limit_s']:g} s (embedded example, 300 visits, 40 carers)"),
        ("HTTP requests", r["requests"]),
        ("Errors (non-429)", sum(r["errors"].values()) if r["errors"] else 0),
        ("429 (queue full, honoured)", r["throttled_429"]),
        (
            "Jobs submitted / finished",
            f"{r['jobs_submitted']} / {sum(r['jobs_finished'].values())} {r['jobs_finished']}",
        ),
        ("Rosters fetched / violations", f"{r['rosters_fetched']} / {r['roster_violations']}"),
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
    return 0 if not result["errors"] and result["roster_violations"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
