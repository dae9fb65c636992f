"""SQLite storage: tenants, hashed API keys, jobs with their problems and results.

One file, WAL mode (readers never block the writer), foreign keys on, and a
``schema_migrations`` table recording which numbered migrations have run. A new
connection per call keeps threads (web handlers, the job dispatcher) independent;
SQLite connections are cheap. Problems and solutions are stored zlib-compressed.

Problems are special-category health data, so the file is private and deletion is
real: the file, its ``-wal`` and ``-shm`` are created 0600 (a folder the service
creates, 0700), every connection runs with ``secure_delete`` (freed space is
overwritten with zeros), and :meth:`Database.checkpoint` folds the write-ahead log
back into the file and truncates it, so no old copy of a deleted row survives there.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("carerota.api.db")

FILE_MODE = 0o600
"""The database, its ``-wal`` and ``-shm``: read and written by the service's user only."""
FOLDER_MODE = 0o700
"""A folder the service creates for its database."""

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
    (
        3,
        "api key expiry and last use",
        # NULL expires_at: never expires (keys made before this migration keep working)
        """
        ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
        ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
        """,
    ),
    (
        4,
        "a job rolled forward from an earlier one",
        # previous: the earlier job's id (kept as a record when that job is deleted);
        # start: the carers each visit goes to first (JSON, compressed), NULL without one
        """
        ALTER TABLE jobs ADD COLUMN previous TEXT;
        ALTER TABLE jobs ADD COLUMN start BLOB;
        """,
    ),
]
SECURE_DELETE_SINCE = 3
"""Files migrated before this version were written without ``secure_delete``: their free
pages may still hold old rows, so the upgrade rewrites the file once (``VACUUM``)."""


def now() -> str:
    """UTC timestamp, ISO-8601 with a zone (server events, unlike roster times)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def pack(text: str | bytes) -> bytes:
    """Compress a problem, solution or geometry for storage (zlib level 1: fast, ~8x on JSON)."""
    return zlib.compress(text.encode() if isinstance(text, str) else text, 1)


def unpack(blob: bytes | None) -> bytes | None:
    """The bytes :func:`pack` compressed, or None for a missing value."""
    return None if blob is None else zlib.decompress(blob)


def private_folder(folder: Path) -> None:
    """Create ``folder`` and any missing parents with mode 0700.

    Folders that already exist are left alone (``/srv`` or a home folder is not ours to
    change); ``Path.mkdir(parents=True)`` would give the parents the umask's mode instead.
    """
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:  # made by another process in the meantime
            continue
        os.chmod(path, FOLDER_MODE)  # mkdir's mode is filtered by the umask


def _private_file(path: Path) -> bool:
    """Create an empty ``path`` with mode 0600 unless it exists; True when created.

    SQLite would create the file 0644 (the umask's default); it gives ``-wal`` and
    ``-shm`` the mode of the database file, so creating the file first is enough.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)  # the umask may have removed bits, never added: be exact
    finally:
        os.close(fd)
    return True


def _tighten(path: Path) -> None:
    """Make an existing database file (or its -wal/-shm) 0600 if others can read it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077 == 0:
        return
    try:
        os.chmod(path, FILE_MODE)
    except OSError as err:  # not our file: say so, the operator must fix it
        log.warning("database file %s is readable by others (mode %04o) and cannot be made private: %s",
                    path, mode, err.strerror)
        return
    log.warning("database file %s was readable by others (mode %04o); now %04o", path, mode, FILE_MODE)


class Database:
    """A SQLite file. ``with db.connect() as c:`` gives a connection in a transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _open(self, timeout: float = 30, **kwargs: object) -> sqlite3.Connection:
        """A connection with the settings every connection needs."""
        if not self.path.exists():  # sqlite3.connect would create it world-readable
            private_folder(self.path.parent)
            _private_file(self.path)
        conn = sqlite3.connect(self.path, timeout=timeout, **kwargs)  # type: ignore[call-overload]
        conn.row_factory = sqlite3.Row
        try:
            # per connection, not stored in the file: deleted rows (problems: health data)
            # are overwritten with zeros, in the file and in the WAL frames that follow
            conn.execute("PRAGMA secure_delete = ON")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def connect(self, timeout: float = 30) -> Iterator[sqlite3.Connection]:
        """A connection inside a write transaction (``BEGIN IMMEDIATE``), committed on exit
        and rolled back on an exception; waits up to ``timeout`` seconds for the write lock."""
        conn = self._open(timeout=timeout, isolation_level=None)
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
        conn = self._open()
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def checkpoint(self, timeout: float = 5.0) -> bool:
        """Copy the write-ahead log into the file and truncate the log to zero bytes.

        Call after deleting personal data: until then the ``-wal`` file still holds the
        frames written when the rows were stored. Waits up to ``timeout`` seconds for
        readers to finish; returns False when it could not complete (the next
        checkpoint, or SQLite's own when the last connection closes, finishes the job).
        """
        end = time.monotonic() + timeout
        while True:
            conn = self._open(timeout=max(0.1, min(1.0, end - time.monotonic())), isolation_level=None)
            try:
                busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            except sqlite3.OperationalError:  # locked beyond the busy timeout
                busy = 1
            finally:
                conn.close()
            if not busy:
                return True
            if time.monotonic() >= end:
                log.warning("write-ahead log of %s not truncated: the database stayed busy for %.0f s",
                            self.path.name, timeout)
                return False
            time.sleep(0.05)

    def migrate(self) -> list[int]:
        """Create the file if needed, switch to WAL and apply pending migrations.

        A new file (and a folder made for it) is private to the service's user; an
        existing file readable by others is made 0600, with a warning in the log. A file
        upgraded across :data:`SECURE_DELETE_SINCE` is vacuumed once, so rows deleted
        before secure deletion was on are overwritten too.

        Returns the versions applied now (empty when the schema is current).
        """
        if self.path.exists():
            for path in self.files():
                _tighten(path)
        else:
            private_folder(self.path.parent)
            _private_file(self.path)
        conn = self._open(isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
        finally:
            conn.close()
        before = self.schema_version()
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
        if 0 < before < SECURE_DELETE_SINCE <= self.schema_version():
            self.vacuum()
            log.info("database %s rewritten once to erase rows deleted before secure deletion", self.path.name)
        return applied

    def vacuum(self) -> None:
        """Rewrite the file without free pages (and so without any deleted row's remains),
        then truncate the write-ahead log. Holds the write lock for the whole rewrite."""
        conn = self._open(isolation_level=None)
        try:
            conn.execute("VACUUM")
        finally:
            conn.close()
        self.checkpoint()

    def schema_version(self) -> int:
        """The highest migration applied (0 for a new file)."""
        rows = self.read("SELECT MAX(version) AS v FROM schema_migrations")
        return int(rows[0]["v"] or 0)

    def files(self) -> list[Path]:
        """The database file and its write-ahead log and shared-memory index."""
        return [self.path, self.path.with_name(self.path.name + "-wal"), self.path.with_name(self.path.name + "-shm")]
