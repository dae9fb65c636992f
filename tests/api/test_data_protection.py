"""Data protection in storage: deleted problems are gone from the files themselves, jobs
past retention are purged, a tenant can be deleted with all its data, files are private.

The secure-deletion tests keep one idle connection open throughout, as a busy server
does: otherwise SQLite deletes the ``-wal`` file when the last connection closes and the
test would pass whether or not the log was checkpointed.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.crud import (
    NoSuchTenant,
    TenantBusy,
    delete_job,
    delete_tenant,
    list_tenants,
    purge,
    purge_expired,
)
from api.db import MIGRATIONS, SECURE_DELETE_SINCE, Database, pack
from api.security import create_key, hash_key, tenant_for_key
from api.settings import Settings
from optimiser.cli import main as carerota_main
from optimiser.generator import GeneratorSettings, generate_day
from tests.conftest import file_mode

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- helpers


def _marked_problem_json(marker: str) -> str:
    """A real 200-visit day (its ~8 kB blob spills onto overflow pages) with ``marker`` as its id; each
    marker gets its own day, so no two stored blobs share a piece."""
    seed = int.from_bytes(marker.encode()[-4:], "big") % 100_000
    problem = generate_day(GeneratorSettings(visits=200, carers=20, seed=seed))
    return problem.model_copy(update={"id": marker}).model_dump_json()


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="milliseconds")


def store_job(db: Database, tenant_id: int, *, marker: str | None = None, state: str = "done",
              created: datetime = NOW, finished: datetime | None = NOW) -> tuple[str, bytes]:
    """Insert a job row as the runner would; returns its id and the stored problem blob."""
    job_id = uuid.uuid4().hex
    marker = marker or f"day-{job_id}"
    blob = pack(_marked_problem_json(marker))
    with db.connect() as c:
        c.execute(
            "INSERT INTO jobs (id, tenant_id, kind, state, created_at, finished_at, time_limit, problem_id, "
            "visits, carers, problem, solution, progress) VALUES (?, ?, 'job', ?, ?, ?, 1, ?, 200, 20, ?, ?, ?)",
            (job_id, tenant_id, state, _stamp(created), _stamp(finished), marker, blob,
             pack(f'{{"problem_id": "{marker}", "routes": []}}') if state == "done" else None,
             f'{{"marker": "{marker}"}}'),
        )
    return job_id, blob


def raw_bytes(db: Database) -> bytes:
    """Everything SQLite keeps on disk for this database: the file, -wal and -shm."""
    return b"".join(p.read_bytes() for p in db.files() if p.exists())


def slices(blob: bytes, width: int = 64) -> list[bytes]:
    """64-byte pieces from the start, middle and end of a stored blob (overflow pages too)."""
    assert len(blob) > 3 * width
    return [blob[:width], blob[len(blob) // 2: len(blob) // 2 + width], blob[-width:]]


def assert_gone(db: Database, marker: str, blob: bytes) -> None:
    data = raw_bytes(db)
    assert marker.encode() not in data, "the plain-text problem id survives on disk"
    for piece in slices(blob):
        assert piece not in data, "a piece of the compressed problem survives on disk"


def assert_present(db: Database, marker: str, blob: bytes) -> None:
    data = raw_bytes(db)
    assert marker.encode() in data
    assert all(piece in data for piece in slices(blob))


@contextmanager
def busy_server(db: Database) -> Iterator[sqlite3.Connection]:
    """An idle connection held open, as a running server's threads do: the -wal file stays."""
    keeper = sqlite3.connect(db.path)
    keeper.execute("SELECT COUNT(*) FROM jobs").fetchone()
    try:
        yield keeper
    finally:
        keeper.close()


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "store.db")
    database.migrate()
    return database


def _tenant(db: Database, name: str) -> int:
    tenant = tenant_for_key(db, create_key(db, name))
    assert tenant is not None
    return tenant.id


# --------------------------------------------------------------------------- secure deletion


def test_every_connection_overwrites_deleted_content(db):
    with db.connect() as c:
        assert c.execute("PRAGMA secure_delete").fetchone()[0] == 1
    conn = db._open()
    try:
        assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    finally:
        conn.close()


def test_the_check_would_see_a_plain_delete(db):
    """Control: deleted without secure_delete and without a checkpoint, the problem is
    still in the files, so the tests below would notice if deletion were only hiding it."""
    tenant = _tenant(db, "Provider A")
    marker = "control-" + uuid.uuid4().hex
    with busy_server(db):
        job_id, blob = store_job(db, tenant, marker=marker)
        conn = sqlite3.connect(db.path, isolation_level=None)
        conn.execute("PRAGMA secure_delete = OFF")
        conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        conn.close()
        assert db.read("SELECT COUNT(*) AS n FROM jobs")[0]["n"] == 0
        assert_present(db, marker, blob)


def test_delete_job_removes_it_from_the_files(db):
    tenant = _tenant(db, "Provider A")
    with busy_server(db):
        marker = "erase-me-" + uuid.uuid4().hex
        job_id, blob = store_job(db, tenant, marker=marker)
        kept_id, kept_blob = store_job(db, tenant, marker="keep-me-" + uuid.uuid4().hex)
        assert_present(db, marker, blob)
        assert db.read("SELECT problem FROM jobs WHERE id = ?", (job_id,))[0]["problem"] == blob
        assert delete_job(db, tenant, job_id) is True
        assert db.read("SELECT COUNT(*) AS n FROM jobs WHERE id = ?", (job_id,))[0]["n"] == 0
        assert_gone(db, marker, blob)
        assert db.path.with_name(db.path.name + "-wal").stat().st_size == 0  # truncated, not just reset
        # the other job is intact
        assert db.read("SELECT problem FROM jobs WHERE id = ?", (kept_id,))[0]["problem"] == kept_blob


def test_delete_job_is_per_tenant(db):
    a, b = _tenant(db, "Provider A"), _tenant(db, "Provider B")
    job_id, _ = store_job(db, a)
    assert delete_job(db, b, job_id) is False  # another tenant's job is as good as absent
    assert delete_job(db, a, "0" * 32) is False
    assert delete_job(db, a, job_id) is True
    assert delete_job(db, a, job_id) is False


def test_delete_through_the_api_after_a_real_solve(service, small_problem):
    """A job solved by the service: problem, solution and progress all go with the row."""
    c, db = service.client, service.db
    marker = "api-" + uuid.uuid4().hex
    problem = small_problem.model_copy(update={"id": marker})
    with busy_server(db):
        job = c.post("/v1/jobs?time_limit=1", content=problem.model_dump_json(), headers=service.a).json()
        assert service.wait(job["id"], service.a)["state"] == "done"
        row = db.read("SELECT problem, solution FROM jobs WHERE id = ?", (job["id"],))[0]
        assert row["solution"] is not None
        tenant = tenant_for_key(db, service.key_a)
        assert delete_job(db, tenant.id, job["id"])
        assert_gone(db, marker, row["problem"])
        data = raw_bytes(db)
        assert all(piece not in data for piece in slices(row["solution"]))
        assert c.get(f"/v1/jobs/{job['id']}/problem", headers=service.a).status_code == 404


# --------------------------------------------------------------------------- purge by retention


def test_purge_deletes_only_finished_jobs_past_the_cutoff(db):
    tenant = _tenant(db, "Provider A")
    day = timedelta(days=1)
    purged = {
        "done 40 days ago": store_job(db, tenant, state="done", finished=NOW - 40 * day)[0],
        "failed 31 days ago": store_job(db, tenant, state="failed", finished=NOW - 31 * day)[0],
        "cancelled, no finish time, created 40 days ago": store_job(
            db, tenant, state="cancelled", created=NOW - 40 * day, finished=None)[0],
    }
    kept = {
        "done 10 days ago": store_job(db, tenant, state="done", finished=NOW - 10 * day)[0],
        "created long ago, finished recently": store_job(
            db, tenant, state="done", created=NOW - 90 * day, finished=NOW - 29 * day)[0],
        "queued 100 days": store_job(db, tenant, state="queued", created=NOW - 100 * day, finished=None)[0],
        "running 100 days": store_job(db, tenant, state="running", created=NOW - 100 * day, finished=None)[0],
    }
    assert purge(db, timedelta(days=30), now=NOW) == 3
    left = {r["id"] for r in db.read("SELECT id FROM jobs")}
    assert left == set(kept.values()), {k for k, v in kept.items() if v not in left}
    assert not left & set(purged.values())
    assert purge(db, timedelta(days=30), now=NOW) == 0
    # zero: every finished job, still never a queued or running one
    assert purge(db, timedelta(0), now=NOW) == 2
    assert {r["state"] for r in db.read("SELECT state FROM jobs")} == {"queued", "running"}


def test_purge_compares_instants_not_strings(db):
    """A finish time written with another offset or precision is still compared correctly."""
    tenant = _tenant(db, "Provider A")
    job_id, _ = store_job(db, tenant)
    with db.connect() as c:  # 09:30 in UTC+02:00 is 07:30 UTC, 1.5 h before NOW
        c.execute("UPDATE jobs SET finished_at = '2025-03-01T09:30:00+02:00' WHERE id = ?", (job_id,))
    assert purge(db, timedelta(hours=2), now=NOW) == 0
    assert purge(db, timedelta(hours=1), now=NOW) == 1


def test_purge_refuses_a_negative_age(db):
    with pytest.raises(ValueError, match="negative"):
        purge(db, timedelta(days=-1))


def test_purge_removes_from_the_files_in_batches(db, monkeypatch):
    import api.crud

    monkeypatch.setattr(api.crud, "_BATCH", 2)  # several transactions
    tenant = _tenant(db, "Provider A")
    with busy_server(db):
        stored = [store_job(db, tenant, marker=f"old-{i}-{uuid.uuid4().hex}", finished=NOW - timedelta(days=60))
                  for i in range(5)]
        recent_id, recent_blob = store_job(db, tenant, marker="recent-" + uuid.uuid4().hex)
        assert purge(db, timedelta(days=30), now=NOW) == 5
        assert [r["id"] for r in db.read("SELECT id FROM jobs")] == [recent_id]
        data = raw_bytes(db)
        for _, blob in stored:
            assert all(piece not in data for piece in slices(blob))
        assert all(piece in data for piece in slices(recent_blob))


def test_purge_expired_uses_the_retention_setting(db, caplog):
    tenant = _tenant(db, "Provider A")
    now = datetime.now(UTC)
    store_job(db, tenant, finished=now - timedelta(days=8))
    store_job(db, tenant, finished=now - timedelta(days=6))
    with caplog.at_level(logging.INFO, logger="carerota.api.crud"):
        assert purge_expired(db, Settings(db_path=db.path, retention_days=30)) == 0
        assert purge_expired(db, Settings(db_path=db.path, retention_days=7)) == 1
    assert "1 finished job(s) older than 7 day(s) deleted" in caplog.text
    assert db.read("SELECT COUNT(*) AS n FROM jobs")[0]["n"] == 1


def test_retention_settings_are_validated():
    assert Settings().retention_days == 30 and Settings().purge_interval_seconds == 3600
    for bad in ({"retention_days": 0}, {"retention_days": float("nan")}, {"retention_days": -1},
                {"purge_interval_seconds": 0}, {"key_expiry_days": -1}, {"key_expiry_days": float("inf")}):
        with pytest.raises(ValidationError):
            Settings(**bad)
    for name in ("retention_days", "purge_interval_seconds", "key_expiry_days"):
        assert len(Settings.model_fields[name].description or "") > 40, name


def test_retention_from_the_environment(monkeypatch):
    monkeypatch.setenv("CAREROTA_RETENTION_DAYS", "7.5")
    monkeypatch.setenv("CAREROTA_KEY_EXPIRY_DAYS", "0")
    settings = Settings()
    assert settings.retention_days == 7.5 and settings.key_expiry_days == 0


# --------------------------------------------------------------------------- deleting a tenant


def test_delete_tenant_removes_everything_it_owns_from_the_files(db):
    name = "Erasable Homecare " + uuid.uuid4().hex[:8]
    tenant = _tenant(db, name)
    other = _tenant(db, "Provider B")
    key = create_key(db, name)
    with busy_server(db):
        stored = [store_job(db, tenant, marker=f"t-{i}-{uuid.uuid4().hex}", state=s)
                  for i, s in enumerate(("done", "failed", "cancelled"))]
        theirs_id, theirs_blob = store_job(db, other)
        assert delete_tenant(db, name) == {"tenant": name, "keys": 2, "jobs": 3}
        data = raw_bytes(db)
        assert name.encode() not in data and hash_key(key).encode() not in data
        for job_id, blob in stored:
            assert job_id.encode() not in data
            assert all(piece not in data for piece in slices(blob))
        assert tenant_for_key(db, key) is None
        assert db.read("SELECT problem FROM jobs WHERE id = ?", (theirs_id,))[0]["problem"] == theirs_blob
    assert [t["name"] for t in list_tenants(db)] == ["Provider B"]


def test_delete_tenant_with_unfinished_jobs_needs_force(db):
    tenant = _tenant(db, "Busy Care")
    store_job(db, tenant, state="done")
    store_job(db, tenant, state="running", finished=None)
    store_job(db, tenant, state="queued", finished=None)
    with pytest.raises(TenantBusy, match="2 queued or running"):
        delete_tenant(db, "Busy Care")
    assert db.read("SELECT COUNT(*) AS n FROM jobs")[0]["n"] == 3  # nothing half-done
    assert delete_tenant(db, "Busy Care", force=True)["jobs"] == 3
    with pytest.raises(NoSuchTenant, match="no tenant 'Busy Care'"):
        delete_tenant(db, "Busy Care")


def test_forced_tenant_deletion_stops_its_running_solve(tmp_path, small_problem):
    """The row of a running job vanishes: the dispatcher kills its solver and stores nothing."""
    from api.jobs import JobRunner
    from api.tasks import checked
    from tests.api import helpers

    db = Database(tmp_path / "runner.db")
    db.migrate()
    tenant = _tenant(db, "Going Away")
    runner = JobRunner(db, Settings(db_path=db.path, workers=1), target=helpers.hang)
    runner.start()
    try:
        job_id = runner.submit(tenant, checked(small_problem), kind="job", time_limit=60, seed=None)["id"]
        end = time.monotonic() + 20
        while job_id not in runner._running and time.monotonic() < end:
            time.sleep(0.05)
        pid = runner._running[job_id].process.pid
        assert delete_tenant(db, "Going Away", force=True) == {"tenant": "Going Away", "keys": 1, "jobs": 1}
        end = time.monotonic() + 10
        while helpers.alive(pid) and time.monotonic() < end:
            time.sleep(0.05)
        assert not helpers.alive(pid)
        assert db.read("SELECT COUNT(*) AS n FROM jobs")[0]["n"] == 0
    finally:
        runner.stop()


# --------------------------------------------------------------------------- file permissions




def test_new_database_files_and_folders_are_private(tmp_path, usual_umask):
    db = Database(tmp_path / "made" / "for" / "it.db")
    db.migrate()
    with busy_server(db):
        with db.connect() as c:
            c.execute("INSERT INTO tenants (name, created_at) VALUES ('x', 'now')")
        wal, shm = db.files()[1:]
        assert wal.exists() and shm.exists()
        assert {p.name: file_mode(p) for p in db.files()} == {
            "it.db": 0o600, "it.db-wal": 0o600, "it.db-shm": 0o600}
    assert file_mode(tmp_path / "made") == file_mode(tmp_path / "made" / "for") == 0o700


def test_a_connection_before_migrate_also_creates_a_private_file(tmp_path, usual_umask):
    db = Database(tmp_path / "early" / "x.db")
    db.read("SELECT 1")
    assert file_mode(db.path) == 0o600 and file_mode(db.path.parent) == 0o700


def test_existing_folder_is_not_changed(tmp_path, usual_umask):
    shared = tmp_path / "srv"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    Database(shared / "rota.db").migrate()
    assert file_mode(shared) == 0o755 and file_mode(shared / "rota.db") == 0o600


def test_world_readable_database_is_tightened_at_migrate(tmp_path, usual_umask, caplog):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # as the previous version created it
        conn.execute("CREATE TABLE t (x)")
    assert file_mode(path) == 0o644
    with caplog.at_level(logging.WARNING, logger="carerota.api.db"):
        Database(path).migrate()
    assert file_mode(path) == 0o600
    assert "readable by others (mode 0644); now 0600" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carerota.api.db"):
        Database(path).migrate()
    assert caplog.text == ""  # said once, when it changed


def test_service_start_creates_a_private_database(tmp_path, usual_umask):
    from fastapi.testclient import TestClient

    from api.main import create_app

    settings = Settings(db_path=tmp_path / "svc" / "api.db", workers=1)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        assert file_mode(settings.db_path) == 0o600 and file_mode(settings.db_path.parent) == 0o700


# --------------------------------------------------------------------------- upgrading an old file


def test_upgrade_erases_rows_deleted_before_secure_delete(tmp_path):
    """A file written by an older version (no secure_delete) keeps deleted rows in free
    pages; the upgrade across the secure-deletion migration rewrites the file once."""
    path = tmp_path / "legacy.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA secure_delete = OFF")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "applied_at TEXT NOT NULL)")
    for version, name, sql in MIGRATIONS:
        if version >= SECURE_DELETE_SINCE:
            break
        conn.executescript(sql)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 'then')", (version, name))
    conn.execute("INSERT INTO tenants (name, created_at) VALUES ('Old Provider', 'then')")
    marker = "legacy-" + uuid.uuid4().hex
    blob = pack(_marked_problem_json(marker))
    conn.execute(
        "INSERT INTO jobs (id, tenant_id, kind, state, created_at, time_limit, problem_id, visits, carers, "
        "problem) VALUES ('j1', 1, 'job', 'done', 'then', 1, ?, 40, 6, ?)", (marker, blob))
    conn.execute("DELETE FROM jobs")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    db = Database(path)
    assert_present(db, marker, blob)  # the old version's "deleted" problem
    assert SECURE_DELETE_SINCE in db.migrate()
    assert_gone(db, marker, blob)
    assert db.read("SELECT name FROM tenants")[0]["name"] == "Old Provider"
    assert db.migrate() == []


# --------------------------------------------------------------------------- the CLI


def _cli(*args: str) -> int:
    return carerota_main(list(args))


def test_cli_purge(db, capsys):
    tenant = _tenant(db, "Provider A")
    now = datetime.now(UTC)
    store_job(db, tenant, finished=now - timedelta(days=40))
    store_job(db, tenant, finished=now - timedelta(days=3))
    store_job(db, tenant, state="running", created=now - timedelta(days=50), finished=None)
    assert _cli("purge", "--db", str(db.path)) == 0
    assert capsys.readouterr().out == "1 finished job(s) older than 30 day(s) deleted\n"
    assert _cli("purge", "--db", str(db.path), "--older-than-days", "2") == 0
    assert capsys.readouterr().out.startswith("1 finished job(s) older than 2 day(s)")
    assert db.read("SELECT state FROM jobs")[0]["state"] == "running"


def test_cli_purge_default_comes_from_the_environment(db, capsys, monkeypatch):
    tenant = _tenant(db, "Provider A")
    store_job(db, tenant, finished=datetime.now(UTC) - timedelta(days=10))
    monkeypatch.setenv("CAREROTA_RETENTION_DAYS", "7")
    assert _cli("purge", "--db", str(db.path)) == 0
    assert capsys.readouterr().out.startswith("1 finished job(s) older than 7 day(s)")


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf", "40000"])
def test_cli_purge_bad_age_is_one_line_exit_2(db, capsys, value):
    assert _cli("purge", "--db", str(db.path), "--older-than-days", value) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--older-than-days" in err and "Traceback" not in err


def test_cli_commands_on_a_missing_database_do_not_create_one(tmp_path, capsys):
    missing = tmp_path / "typo.db"
    for args in (["purge"], ["tenants", "list"], ["tenants", "delete", "x"], ["keys", "list"]):
        assert _cli(*args, "--db", str(missing)) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--db" in err and str(missing) in err
    assert not missing.exists()


def test_cli_tenants_list_and_delete(db, capsys):
    a = _tenant(db, "Provider A")
    _tenant(db, "Provider B")
    store_job(db, a)
    store_job(db, a, state="queued", finished=None)
    assert _cli("tenants", "list", "--db", str(db.path)) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("Provider A\t") and "2 job(s), 1 queued or running" in out[0]
    assert _cli("tenants", "delete", "Provider A", "--db", str(db.path)) == 1
    assert "1 queued or running job(s)" in capsys.readouterr().err
    assert _cli("tenants", "delete", "Provider A", "--force", "--db", str(db.path)) == 0
    assert capsys.readouterr().out == (
        "tenant 'Provider A' deleted with 1 key(s) and 2 job(s) (problems, solutions and progress)\n")
    assert _cli("tenants", "delete", "Provider A", "--db", str(db.path)) == 1
    assert capsys.readouterr().err == "carerota: no tenant 'Provider A'\n"
    assert [t["name"] for t in list_tenants(db)] == ["Provider B"]


def test_cli_tenants_delete_in_a_real_process(tmp_path):
    """The installed command, end to end: output, exit codes, no traceback."""
    from tests.api.conftest import carerota

    path = tmp_path / "cli.db"
    assert carerota("keys", "create", "--tenant", "Provider A", "--db", str(path)).returncode == 0
    out = carerota("tenants", "delete", "Provider A", "--db", str(path))
    assert out.returncode == 0 and "1 key(s) and 0 job(s)" in out.stdout
    out = carerota("tenants", "delete", "Provider A", "--db", str(path))
    assert out.returncode == 1 and "no tenant" in out.stderr and "Traceback" not in out.stderr
    out = carerota("purge", "--db", str(path))
    assert out.returncode == 0 and out.stdout.startswith("0 finished job(s)")
