"""Large bodies against a live server: does one stall the others, and is a stranger's read?

Three measurements on one ``carerota serve`` (loopback, one solver worker):

1. ``/health`` latency (max and median of polls every 20 ms) while one tenant posts a large
   ``POST /v1/validate`` body (default ~12 MB: a day whose travel times come as an explicit
   matrix for three travel modes, the usual way to make a body that large);
2. how long a stranger's 18 MB ``POST`` takes to get its 401 when only 1 kB of the body is
   sent (a server that reads the body first waits for the rest: reported as the timeout);
3. how long a 50,000-visit problem takes to be refused (413) and the server's peak RSS.

``--checkout DIR`` serves another checkout's code (the server is started with ``python -m``
in that folder), so two versions are compared side by side with one script::

    python -m benchmarks.api_bodies
    python -m benchmarks.api_bodies --checkout ../old-clone
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

from benchmarks.live import Server


def _day(visits: int) -> dict:
    """The embedded example's first visit ``visits`` times (ids differ)."""
    from optimiser.generator import example_problem

    doc = example_problem().model_dump(mode="json")
    doc["visits"] = [{**doc["visits"][0], "id": f"v{i}"} for i in range(visits)]
    return doc


def _matrix_day(megabytes: float) -> dict:
    """The example day with an explicit car/walk/bike matrix over enough extra clients to
    weigh about ``megabytes`` as JSON (one visit per client)."""
    doc = _day(1)
    visit, first = doc["visits"][0], doc["clients"][0]
    n = int((megabytes * 1e6 / 3 / 6) ** 0.5)  # three modes, ~6 bytes a cell
    doc["clients"] = [{**first, "id": f"c{i}"} for i in range(n - len(doc["carers"]))]
    doc["visits"] = [{**visit, "id": f"v{i}", "client": f"c{i}"} for i in range(len(doc["clients"]))]
    points = [c["id"] for c in doc["carers"]] + [c["id"] for c in doc["clients"]]
    row = [round(1 + (i * 7919 % 997) / 10, 1) for i in range(len(points))]
    table = [row[i:] + row[:i] for i in range(len(points))]
    doc["travel"] = {"matrix": {"points": points, "minutes": {"car": table, "walk": table, "bike": table}}}
    return doc


def _stranger(port: int, declared: int, timeout: float) -> float | None:
    """Seconds until a keyless POST declaring ``declared`` bytes is answered (None: not within ``timeout``)."""
    head = (f"POST /v1/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {declared}\r\n\r\n").encode()
    t = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head + b"{" + b" " * 1023)
        try:
            answer = s.recv(100)
        except TimeoutError:
            return None
    return time.monotonic() - t if answer.startswith(b"HTTP/1.1 401") else None


def run(body_mb: float, timeout: float, checkout: Path) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="carerota-bodies-"))
    with Server(tmp, {"CAREROTA_RATE_LIMIT_PER_MINUTE": "100000"}, cwd=checkout, tenant="bodies") as server:
        return _measure(server, body_mb, timeout)


def _measure(server: Server, body_mb: float, timeout: float) -> dict:
    url, port = server.url, server.port
    headers = {"X-API-Key": server.key, "Content-Type": "application/json"}
    doc = _matrix_day(body_mb)
    body = json.dumps({"problem": doc, "solution": {"problem_id": doc["id"], "status": "partial"}}).encode()
    answer: dict = {}

    def post() -> None:
        t = time.monotonic()
        with httpx.Client(timeout=timeout) as c:
            answer["status"] = c.post(url + "/v1/validate", content=body, headers=headers).status_code
        answer["seconds"] = time.monotonic() - t

    polls: list[float] = []
    thread = threading.Thread(target=post)
    with httpx.Client(base_url=url, timeout=30) as client:
        client.get("/health")
        thread.start()
        while thread.is_alive():
            t = time.monotonic()
            client.get("/health")
            polls.append(time.monotonic() - t)
            time.sleep(0.02)
    thread.join()

    stranger = _stranger(port, 18 * 1024 * 1024, timeout=10)

    huge = _day(50_000)
    huge_body = json.dumps(huge).encode()
    proc = psutil.Process(server.proc.pid)
    t = time.monotonic()
    r = httpx.post(url + "/v1/jobs", content=huge_body, headers=headers, timeout=timeout)
    refused = time.monotonic() - t
    tree_rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
    return {
        "validate_body_mb": round(len(body) / 1e6, 1),
        "validate_status": answer.get("status"),
        "validate_seconds": round(answer.get("seconds", float("nan")), 2),
        "health_polls": len(polls),
        "health_max_ms": round(max(polls) * 1000, 1),
        "health_median_ms": round(statistics.median(polls) * 1000, 1),
        "stranger_401_seconds": None if stranger is None else round(stranger, 3),
        "fifty_thousand_visits_mb": round(len(huge_body) / 1e6, 1),
        "fifty_thousand_status": r.status_code,
        "fifty_thousand_seconds": round(refused, 2),
        "server_tree_rss_mb_after": round(tree_rss / 2**20),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body-mb", type=float, default=12, help="size of the validate body (MB)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for an answer")
    parser.add_argument("--checkout", type=Path, default=Path.cwd(), help="serve this checkout's code")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    result = run(args.body_mb, args.timeout, args.checkout.resolve())
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
