"""A live ``carerota serve`` for the service benchmarks: a free loopback port, its own
database and tenant key, started from a checkout (this one by default) and stopped after.

    with Server(folder) as server:
        httpx.get(server.url + "/v1/jobs", headers={"X-API-Key": server.key})
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``carerota serve`` on a free loopback port with its own database and key.

    Parameters
    ----------
    folder
        Where the database, the log and the cache go.
    env
        ``CAREROTA_*`` settings for the server (over the environment's).
    cwd
        The checkout whose code is served (``python -m`` imports from the working folder);
        this process's working folder when None.
    tenant
        The name of the tenant whose key is made.
    """

    def __init__(self, folder: Path, env: dict[str, str] | None = None, cwd: Path | None = None,
                 tenant: str = "bench") -> None:
        self.folder = folder
        self.db = folder / f"{tenant}.db"
        self.log = folder / "server.log"
        self.env = {**os.environ, "CAREROTA_CACHE": str(folder / "cache"), **(env or {})}
        self.cwd = cwd
        self.tenant = tenant
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = ""
        self.proc: subprocess.Popen | None = None

    def _carerota(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "optimiser.cli", *args], capture_output=True,
                             text=True, timeout=120, env=self.env, cwd=self.cwd)
        if out.returncode != 0:
            raise RuntimeError(f"carerota {' '.join(args)} failed ({out.returncode}): {out.stderr}")
        return out.stdout

    def __enter__(self) -> Server:
        self.key = self._carerota("keys", "create", "--tenant", self.tenant, "--db", str(self.db)).strip()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "optimiser.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--db", str(self.db), "--workers", "1", "--log-level", "info"],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd,
            start_new_session=True,
        )
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"server did not answer /health within 60 s:\n{self.log.read_text()}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def schema(self) -> dict:
        """The live OpenAPI document."""
        with urllib.request.urlopen(self.url + "/openapi.json", timeout=10) as r:
            return json.load(r)
