"""The SQLite file: WAL mode and versioned migrations that run once."""

from __future__ import annotations

import sqlite3

from api.db import MIGRATIONS, Database, pack, unpack


def test_migrations_are_versioned_and_idempotent(tmp_path):
    db = Database(tmp_path / "sub" / "m.db")
    assert db.migrate() == [v for v, _, _ in MIGRATIONS]
    assert db.migrate() == []
    assert db.schema_version() == MIGRATIONS[-1][0]
    with sqlite3.connect(db.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        columns = {r[1] for r in conn.execute("PRAGMA table_info(jobs)")}
    assert versions == [v for v, _, _ in MIGRATIONS]
    assert {"problem", "solution", "geojson", "attempts", "error"} <= columns


def test_partial_schema_is_brought_up_to_date(tmp_path):
    db = Database(tmp_path / "old.db")
    db.path.parent.mkdir(exist_ok=True)
    first = MIGRATIONS[0]
    with sqlite3.connect(db.path) as conn:  # a file written by version 1 of the service
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        conn.executescript(first[2])
        conn.execute("INSERT INTO schema_migrations VALUES (1, 'x', 'then')")
    assert db.migrate() == [v for v, _, _ in MIGRATIONS[1:]]


def test_rollback_on_error(tmp_path):
    db = Database(tmp_path / "r.db")
    db.migrate()
    try:
        with db.connect() as c:
            c.execute("INSERT INTO tenants (name, created_at) VALUES ('x', 'now')")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert db.read("SELECT COUNT(*) AS n FROM tenants")[0]["n"] == 0


def test_pack_round_trip():
    text = '{"id": "day"}' * 100
    blob = pack(text)
    assert len(blob) < len(text) and unpack(blob).decode() == text
