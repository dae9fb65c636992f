"""SQLite storage: tenants, hashed API keys, jobs with their problems and results.

One file, WAL mode (readers never block the writer), foreign keys on, and a
``schema_migrations`` table recording which numbered migrations have run. A new
connection per call keeps threads (web handlers, the job dispatcher) independent;
SQLite connections are cheap. Problems and solutions are stored zlib-compressed.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "tenants, api keys, jobs",
        """
        CREATE TABLE tenants (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY,
            tenant_id INTEGER NOT NULL REFERENCES tenants(id),
            key_hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            tenant_id INTEGER NOT NULL REFERENCES tenants(id),
            kind TEXT NOT NULL CHECK (kind IN ('job', 'sync')),
            state TEXT NOT NULL
                CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            time_limit REAL NOT NULL,
            seed INTEGER,
            attempts INTEGER NOT NULL DEFAULT 0,
            problem_id TEXT NOT NULL,
            visits INTEGER NOT NULL,
            carers INTEGER NOT NULL,
            problem BLOB NOT NULL,
            solution BLOB,
            progress TEXT,
            error TEXT,
            error_kind TEXT
        );
        CREATE INDEX jobs_by_tenant ON jobs(tenant_id, created_at);
        CREATE INDEX jobs_by_state ON jobs(state, created_at);
        """,
    ),
    (
        2,
        "road geometry of a solved job",
        "ALTER TABLE jobs ADD COLUMN geojson BLOB;",
    ),
]


def now() -> str:
    """UTC timestamp, ISO-8601 with a zone (server events, unlike roster times)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def pack(text: str | bytes) -> bytes:
    return zlib.compress(text.encode() if isinstance(text, str) else text, 1)


def unpack(blob: bytes | None) -> bytes | None:
    return None if blob is None else zlib.decompress(blob)


class Database:
    """A SQLite file. ``with db.connect() as c:`` gives a connection in a transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """A read outside any write transaction (WAL: never waits for the writer)."""
        conn = sqlite3.connect(self.path, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def migrate(self) -> list[int]:
        """Create the file if needed, switch to WAL and apply pending migrations.

        Returns the versions applied now (empty when the schema is current).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
        finally:
            conn.close()
        applied: list[int] = []
        for version, name, sql in MIGRATIONS:
            with self.connect() as c:
                if c.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)).fetchone():
                    continue
                for statement in sql.split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, now()),
                )
                applied.append(version)
        return applied

    def schema_version(self) -> int:
        rows = self.read("SELECT MAX(version) AS v FROM schema_migrations")
        return int(rows[0]["v"] or 0)


def delete_job(db: Database, tenant_id: int, job_id: str) -> bool:
    """Erase a finished job of ``tenant_id`` (problem, roster, record). Provisional: the
    data-protection work replaces it with secure deletion."""
    with db.connect() as c:
        return c.execute(
            "DELETE FROM jobs WHERE id = ? AND tenant_id = ? AND state IN ('done', 'failed', 'cancelled')",
            (job_id, tenant_id),
        ).rowcount > 0
