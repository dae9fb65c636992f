"""Fixtures for the API tests: an app per test on a fresh SQLite file, tenants and keys,
small generated problems, and a real ``carerota serve`` process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.db import Database
from api.main import create_app
from api.security import create_key
from api.settings import Settings
from optimiser import engine
from optimiser.generator import GeneratorSettings, example_problem, generate_day
from optimiser.model import Problem


@pytest.fixture(scope="session")
def small_problem() -> Problem:
    """A 20-visit day: solves in well under a second."""
    return generate_day(GeneratorSettings(visits=20, carers=4, seed=3))


@pytest.fixture(scope="session")
def example() -> Problem:
    return example_problem()


@pytest.fixture(scope="session")
def compiled_search() -> float:
    """The compiled loops, compiled once for the session (about a minute on a fresh install,
    written to numba's disk cache; a second from that cache afterwards). A job process loads
    them from the cache, so a job test's wait is about the job, not the install's first
    compile: on a fresh CI install the first job otherwise spent its whole 60 s wait compiling."""
    return engine.warm_up()


@pytest.fixture
def settings(tmp_path: Path, compiled_search: float) -> Settings:
    return Settings(
        db_path=tmp_path / "api.db", workers=1, sync_time_limit=5, job_time_limit=5,
        job_grace_seconds=60, queue_limit=4, tenant_queue_limit=3, progress_interval=0.2,
    )


@dataclass
class Service:
    client: TestClient
    db: Database
    key_a: str
    key_b: str

    @property
    def a(self) -> dict[str, str]:
        return {"X-API-Key": self.key_a, "Content-Type": "application/json"}

    @property
    def b(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key_b}", "Content-Type": "application/json"}

    def wait(self, job_id: str, headers: dict[str, str], timeout: float = 60) -> dict:
        """Poll until the job leaves queued/running."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            job = self.client.get(f"/v1/jobs/{job_id}", headers=headers).json()
            if job["state"] not in ("queued", "running"):
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s")


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        db = app.state.db
        yield Service(client, db, create_key(db, "Provider A"), create_key(db, "Provider B"))


# --------------------------------------------------------------------------- a real server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def carerota(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimiser.cli", *args], capture_output=True, text=True,
                          timeout=60, **kwargs)


class Server:
    """``carerota serve`` in a subprocess on a free loopback port."""

    def __init__(self, db: Path, workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.db, self.workers = db, workers
        self.env = {**os.environ, **(env or {})}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = db.with_suffix(".log")

    def start(self) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "optimiser.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--db", str(self.db), "--workers", str(self.workers), "--log-level", "info"],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, env=self.env, start_new_session=True,
        )
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not answer within 30 s:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL the web process only (as a crash would): no cleanup runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def server_factory(tmp_path: Path, compiled_search: float) -> Iterator:
    servers: list[Server] = []

    def make(db: Path | None = None, **kwargs) -> Server:
        server = Server(db or tmp_path / "served.db", **kwargs)
        servers.append(server)
        return server

    yield make
    for s in servers:
        s.stop()
